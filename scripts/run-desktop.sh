#!/usr/bin/env bash
# The desktop app on demo data, connected to a local server:
#
#   scripts/run-desktop.sh            # open the app (needs a display)
#   scripts/run-desktop.sh --tour DIR # no user: drive the app under Xvfb, screenshots into DIR
#
# Builds the UI, the app, the server and the CLI (debug); makes a fresh demo under
# .tally-demo/desktop/: a realistic banner from `tally demo` in the app's database, a
# tally-server on SQLite with the same org units and a team leader (leader / demo1234),
# the device logged in and synced; then starts the server on 127.0.0.1 and opens the app.
# The server stops when the app closes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

tour=
if [ "${1:-}" = --tour ]; then
  tour=${2:?usage: scripts/run-desktop.sh --tour DIR}
  mkdir -p "$tour"
  tour=$(cd "$tour" && pwd)
fi

bash scripts/setup.sh base desktop
(cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build)
cargo build -p tally-desktop -p tally-server -p tally-cli
target=${CARGO_TARGET_DIR:-$root/target}
case "$target" in /*) ;; *) target=$root/$target ;; esac
bin=$target/debug

demo=$root/.tally-demo/desktop
rm -rf "$demo"
mkdir -p "$demo/device"
db=$demo/device/tally.db
server_db=sqlite:$demo/server.db
password=demo1234
tally() { "$bin/tally" --db "$db" "$@"; }
# The device database is encrypted; the demo's key is made for this run (a desktop
# with a keyring keeps its own key there when TALLY_DB_KEY is not set).
export TALLY_DB_KEY=${TALLY_DB_KEY:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}
admin() { "$bin/tally-server" --db "$server_db" "$@"; }

echo "==> demo data (tally demo --seed 1) in $db"
tally init --device-name 演示电脑
tally demo --seed 1

echo "==> server database $server_db: the same org units, user leader / $password"
tally unit list --json | python3 -c '
import csv, json, sys
units = json.load(sys.stdin)
units = units.get("units", units) if isinstance(units, dict) else units
w = csv.writer(sys.stdout)
w.writerow(["code", "name", "level", "parent"])
for u in units:
    w.writerow([u["code"], u["name"], u["level"], u.get("parent") or ""])
' >"$demo/units.csv"
admin unit import "$demo/units.csv"
banner=$(python3 -c 'import csv,sys; print(next(r["code"] for r in csv.DictReader(open(sys.argv[1])) if r["level"] == "banner"))' "$demo/units.csv")
printf '%s\n' "$password" | admin user add --name leader --role leader --unit "$banner" --password-stdin

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
admin serve --listen "127.0.0.1:$port" >"$demo/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$url/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$url/api/v1/health" >/dev/null || { cat "$demo/server.log" >&2; exit 1; }
echo "==> tally-server on $url (log: $demo/server.log)"

echo "==> log the device in and send the demo to the server"
printf '%s\n' "$password" | tally login --server "$url" --user leader --password-stdin
tally sync

export TALLY_DATA_DIR=$demo/device
if [ -n "$tour" ]; then
  python3 scripts/desktop-e2e.py --app "$bin/tally-desktop" --tour --shots "$tour"
else
  echo "==> the desktop app (data: $TALLY_DATA_DIR, server: $url, user leader / $password)"
  "$bin/tally-desktop"
fi
