#!/usr/bin/env bash
# Tally's sync scenarios against the PouchDB peer (PouchDB 9 ⇄ express-pouchdb, the
# CouchDB replication protocol), alternately in one run on this machine: the machine
# is noisy, so only ratios from the same run count.
#
#   scripts/bench-compare.sh [ROUNDS]        (default 3)
#
# Copies ../shared/bench/pouchdb-peer (or $PEER_DIR) to a temporary folder, installs it
# there with npm, builds tally-bench (release), then ROUNDS times: our `sync` and
# `township` scenarios, the peer's bench.js (batch 100, its default, and batch 1000)
# and bench_multi.js. Prints the medians and the ratios (peer time ÷ our time: how many
# times faster we are) and writes everything as JSON lines to $OUT (default
# target/bench-compare.jsonl). Only 127.0.0.1 is used; the peer's server is stopped and
# the folder deleted on exit. Not part of `make test`: it takes a few minutes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
rounds=${1:-3}
case $rounds in '' | *[!0-9]*) echo "usage: scripts/bench-compare.sh [ROUNDS]" >&2; exit 2 ;; esac
[ "$rounds" -ge 1 ] && [ "$rounds" -le 20 ] || { echo "ROUNDS must be 1 to 20" >&2; exit 2; }
peer_src=${PEER_DIR:-$root/../shared/bench/pouchdb-peer}
out=${OUT:-$root/target/bench-compare.jsonl}
[ -f "$peer_src/bench.js" ] || { echo "no PouchDB peer at $peer_src (set PEER_DIR)" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm are needed" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tally-bench-compare.XXXXXX")
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "==> PouchDB peer: copy and npm install in $work/peer" >&2
cp -r "$peer_src" "$work/peer"
chmod -R u+w "$work/peer"
(cd "$work/peer" && npm install --no-audit --no-fund --loglevel=error \
  pouchdb@9.0.0 pouchdb-adapter-memory@9.0.0 express-pouchdb@4.2.0 express@4 >&2)

echo "==> cargo build --release -p tally-bench" >&2
cargo build --release -p tally-bench >&2
bench=${CARGO_TARGET_DIR:-$root/target}/release/tally-bench

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
mkdir -p "$work/peer/serverdata" "$work/peer/localdata"
(cd "$work/peer" && PORT=$port exec node server.js >"$work/peer/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$port/" >/dev/null || { cat "$work/peer/server.log" >&2; echo "the peer's server did not start" >&2; exit 1; }
export REMOTE=http://127.0.0.1:$port LOCALDIR=$work/peer/localdata

raw=$work/raw.jsonl
: >"$raw"
# Tags each JSON line of a command's output with who made it and the round.
tag() { python3 -c 'import json,sys
who, rnd = sys.argv[1], int(sys.argv[2])
for line in sys.stdin:
    line = line.strip()
    if line.startswith("MEDIAN "): continue
    if not line.startswith("{"): continue
    try: d = json.loads(line)
    except ValueError: continue
    d["who"], d["round"] = who, rnd
    print(json.dumps(d, ensure_ascii=False))' "$1" "$2" >>"$raw"; }

uptime >&2
for r in $(seq 1 "$rounds"); do
  echo "==> round $r of $rounds" >&2
  "$bench" sync --n 10000 | tag tally "$r"
  (cd "$work/peer" && RUNS=1 ADAPTER=leveldb BATCH=100 node bench.js) | tag pouchdb-b100 "$r"
  "$bench" township --devices 5 --visits 10000 --shared 200 | tag tally "$r"
  (cd "$work/peer" && RUNS=1 ADAPTER=leveldb BATCH=1000 node bench.js) | tag pouchdb-b1000 "$r"
  (cd "$work/peer" && RUNS=1 D=5 N=10000 SHARED=200 BATCH=100 node bench_multi.js) | tag pouchdb-multi "$r"
done
echo "==> wire bytes of the peer (one run each batch size)" >&2
(cd "$work/peer" && BATCH=100 node bench_wire.js) | python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())))' | tag pouchdb-wire-b100 0
(cd "$work/peer" && BATCH=1000 node bench_wire.js) | python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())))' | tag pouchdb-wire-b1000 0
uptime >&2

mkdir -p "$(dirname "$out")"
python3 - "$raw" "$out" <<'PY'
import json, statistics, sys
raw, out = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(raw)]
def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None
def ours(scn, case, key):
    return med([r.get(key) for r in rows if r["who"] == "tally" and r.get("scenario") == scn and r.get("case") == case])
def peer(who, key):
    return med([r.get(key) for r in rows if r["who"] == who and key in r])
def one(who, key):
    for r in rows:
        if r["who"] == who and key in r: return r[key]
pairs = [
    ("push 10k (push phase)", ours("sync-sqlite", "push", "push_phase_ms"), "pouchdb-b100", "push_ms"),
    ("push 10k (whole sync)", ours("sync-sqlite", "push", "time_ms"), "pouchdb-b100", "push_ms"),
    ("push 10k vs batch 1000", ours("sync-sqlite", "push", "time_ms"), "pouchdb-b1000", "push_ms"),
    ("no-op re-sync", ours("sync-sqlite", "noop", "time_ms"), "pouchdb-b100", "noop_push_ms"),
    ("push 100 edits", ours("sync-sqlite", "edit100", "time_ms"), "pouchdb-b100", "inc_push_100_ms"),
    ("fresh pull 10k", ours("sync-sqlite", "pull", "time_ms"), "pouchdb-b100", "pull_fresh_ms"),
    ("fresh pull 10k vs batch 1000", ours("sync-sqlite", "pull", "time_ms"), "pouchdb-b1000", "pull_fresh_ms"),
    ("100-row conflict, 3 syncs", ours("sync-sqlite", "conflict", "time_ms"), "pouchdb-b100", "conflict_3syncs_ms"),
    ("local write 10k", ours("sync-sqlite", "local_write", "time_ms"), "pouchdb-b100", "local_write_ms"),
    ("township day round 1", ours("township-sqlite", "day", "round1_ms"), "pouchdb-multi", "round1_ms"),
    ("township day round 2", ours("township-sqlite", "day", "round2_ms"), "pouchdb-multi", "round2_ms"),
]
n = max([r["round"] for r in rows] + [0])
lines = []
print(f"\nmedians of {n} alternating rounds (ms); ratio = PouchDB ÷ Tally (× faster)\n")
print(f"{'scenario':32} {'tally':>10} {'pouchdb':>10} {'ratio':>8}")
for name, t, who, key in pairs:
    p = peer(who, key)
    ratio = round(p / t, 2) if t and p else None
    print(f"{name:32} {t if t is None else round(t, 1):>10} {p if p is None else round(p, 1):>10} {ratio if ratio is not None else '-':>8}")
    lines.append({"compare": name, "tally_ms": t, "pouchdb_ms": p, "peer": who, "ratio": ratio, "rounds": n})
wire = [
    ("push 10k: requests", ours("sync-sqlite", "push", "requests"), (one("pouchdb-wire-b100", "push") or {}).get("requests")),
    ("push 10k: MB on the wire", round((ours("sync-sqlite", "push", "wire_bytes") or 0) / 1e6, 3),
        round(sum((one("pouchdb-wire-b100", "push") or {}).get(k, 0) for k in ("req_MB", "res_MB")), 3)),
    ("fresh pull: requests", ours("sync-sqlite", "pull", "requests"), (one("pouchdb-wire-b100", "pull") or {}).get("requests")),
    ("fresh pull: MB on the wire", round((ours("sync-sqlite", "pull", "wire_bytes") or 0) / 1e6, 3),
        round(sum((one("pouchdb-wire-b100", "pull") or {}).get(k, 0) for k in ("req_MB", "res_MB")), 3)),
    ("township round 1: requests", ours("township-sqlite", "day", "round1_requests"), peer("pouchdb-multi", "round1_requests")),
    ("township round 1: MB", ours("township-sqlite", "day", "round1_wire_mb"),
        round((peer("pouchdb-multi", "round1_req_MB") or 0) + (peer("pouchdb-multi", "round1_res_MB") or 0), 3)),
    ("township: conflicts kept/hidden", ours("township-sqlite", "day", "conflicts_kept"), peer("pouchdb-multi", "hidden_losing_revs")),
]
print(f"\n{'wire (peer at batch 100)':32} {'tally':>10} {'pouchdb':>10}")
for name, t, p in wire:
    print(f"{name:32} {t!s:>10} {p!s:>10}")
    lines.append({"compare": name, "tally": t, "pouchdb": p, "rounds": n})
with open(out, "w") as f:
    for r in rows: f.write(json.dumps(r, ensure_ascii=False) + "\n")
    for l in lines: f.write(json.dumps(dict(l, summary=True), ensure_ascii=False) + "\n")
print(f"\nJSON lines: {out}")
PY
