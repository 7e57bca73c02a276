#!/usr/bin/env bash
# The desktop app end to end: builds the UI, the app (with ui/dist embedded) and the
# server, then runs scripts/desktop-e2e.py (a real window under Xvfb, driven through
# WebKitWebDriver). Its screenshots go to $TALLY_SCREENSHOTS (default: the target folder's
# e2e-screenshots/); the README's come from `scripts/run-desktop.sh --tour docs/screenshots`.
# Needs `scripts/setup.sh base desktop` and `cd ui && npm ci` first.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

(cd ui && npm run build)
start=$(date +%s)
cargo build -p tally-desktop -p tally-server
echo "desktop-e2e.sh: built the app and the server in $(($(date +%s) - start)) s"
target=${CARGO_TARGET_DIR:-$root/target}
case "$target" in /*) ;; *) target=$root/$target ;; esac
python3 scripts/desktop-e2e.py --app "$target/debug/tally-desktop" --server "$target/debug/tally-server" \
  --shots "${TALLY_SCREENSHOTS:-$target/e2e-screenshots}"
