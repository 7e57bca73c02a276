#!/usr/bin/env bash
# The main job (`make run`): build the `tally` CLI, make a fresh demo database under
# ./.tally-demo/, fill it with the demo data, and print the banner's progress ledger.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# With a display, the real thing: a local server with the demo, and the desktop app
# connected to it. TALLY_RUN=cli keeps to the command line.
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "${TALLY_RUN:-}" != cli ]; then
  exec bash scripts/run-desktop.sh
fi
echo "==> no display (DISPLAY is not set): the demo on the command line instead of the desktop app"
echo "    (scripts/run-desktop.sh --tour DIR drives the app under Xvfb and saves screenshots)"

bash scripts/setup.sh base

cargo build --release -p tally-cli
bin=${CARGO_TARGET_DIR:-$root/target}/release/tally
case "$bin" in /*) ;; *) bin=$root/$bin ;; esac
[ -x "$bin" ] || { echo "run.sh: built, but $bin is not there" >&2; exit 1; }

demo_dir=$root/.tally-demo
db=$demo_dir/tally.db
mkdir -p "$demo_dir"
rm -f "$db" "$db-wal" "$db-shm" "$db-journal"

tally() { "$bin" --db "$db" "$@"; }
# The device database is encrypted; the demo's key is made for this run (a desktop
# with a keyring keeps its own key there when TALLY_DB_KEY is not set).
export TALLY_DB_KEY=${TALLY_DB_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}
echo "==> the demo database is encrypted; to open it again: export TALLY_DB_KEY=$TALLY_DB_KEY"

echo "==> tally --db $db init --device-name demo"
tally init --device-name demo
echo "==> tally --db $db demo --seed 1"
tally demo --seed 1

units_json=$(tally unit list --json)
banner=$(python3 -c '
import json, sys
data = json.loads(sys.stdin.read())
units = data.get("units", data) if isinstance(data, dict) else data
codes = [u.get("code") for u in units
         if isinstance(u, dict) and str(u.get("level", "")).lower() == "banner"]
if not codes or not codes[0]:
    sys.exit("run.sh: the demo created no unit with level \"banner\" (and a code)")
print(codes[0])
' <<<"$units_json")

echo "==> tally --db $db ledger --unit $banner"
tally ledger --unit "$banner"
