#!/usr/bin/env bash
# The desktop app at banner scale (BENCHMARKS.md, "The desktop at banner scale"): builds
# the UI, then the app (ui/dist embedded), the server and tally-bench in release, makes
# the fixture once (20 000 households, 100 000 records, a 100 000-record backlog; kept
# in $TALLY_DESKTOP_FIXTURE, default the target folder's desktop-fixture/), and runs
# scripts/desktop-bench.py on it: a real window under Xvfb through WebKitWebDriver.
# Arguments go to desktop-bench.py (--runs, --label, --out, --skip, --smoke for a tiny
# fixture that only checks every case runs, …).
# Needs `scripts/setup.sh base desktop` and `cd ui && npm ci` first. Not part of
# `make test`: it takes ~5 minutes once built (the fixture ~2 more the first time).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

(cd ui && npm run build)
start=$(date +%s)
cargo build --release -p tally-desktop -p tally-server -p tally-bench
echo "desktop-bench.sh: built in $(($(date +%s) - start)) s"
target=${CARGO_TARGET_DIR:-$root/target}
case "$target" in /*) ;; *) target=$root/$target ;; esac
python3 scripts/desktop-bench.py --app "$target/release/tally-desktop" \
  --server "$target/release/tally-server" --bench "$target/release/tally-bench" \
  --fixture "${TALLY_DESKTOP_FIXTURE:-$target/desktop-fixture}" "$@"
