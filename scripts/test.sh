#!/usr/bin/env bash
# Every test of Tally (what `make test` and .ci/run run): set-up, format check, clippy,
# and the workspace tests next to a throwaway PostgreSQL (TALLY_TEST_PG_URL).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

step() { printf '\n==> %s\n' "$*"; }

step "set-up (scripts/setup.sh base)"
bash scripts/setup.sh base

# CI (root, CI=true) keeps the build outside the fresh clone so later runs on the same
# machine start warm; developers keep ./target.
if [ "$(id -u)" -eq 0 ] && [ "${CI:-}" = true ]; then
  export CARGO_TARGET_DIR=/var/cache/tally-ci/target
  mkdir -p "$CARGO_TARGET_DIR"
  # No incremental caches in CI: every run is a fresh clone, and they only grow (tens of
  # GB over a day of runs).
  export CARGO_INCREMENTAL=0
fi
export CARGO_TERM_COLOR=never
echo "CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}"

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

# tally-desktop (src-tauri) needs the WebKitGTK stack and the built UI: desktop_tests below.
step "cargo clippy --workspace --exclude tally-desktop --all-targets -- -D warnings"
cargo clippy --workspace --exclude tally-desktop --all-targets -- -D warnings

step "cargo test --workspace --exclude tally-desktop (with PostgreSQL)"
bash scripts/with-postgres.sh cargo test --workspace --exclude tally-desktop

# Every benchmark scenario at a tiny size on both backends (debug build, seconds): the
# benchmark code keeps working, and its checks hold (replicas agree, device and server
# ledgers equal). Figures at full size: BENCHMARKS.md.
step "benchmarks at a tiny size: tally-bench --backend both smoke"
bash scripts/with-postgres.sh cargo run -q -p tally-bench -- --backend both smoke

# The desktop app: its system packages, the UI (build, vitest, vue-tsc), the desktop
# crate's clippy and tests, the IPC type-drift check, and the end-to-end test in a real
# window under Xvfb (scripts/desktop-e2e.sh).
desktop_tests() {
  step "desktop: set-up (scripts/setup.sh base desktop)"
  bash scripts/setup.sh base desktop

  if [ "$(id -u)" -eq 0 ] && [ "${CI:-}" = true ]; then
    export npm_config_cache=/var/cache/tally-ci/npm
  fi

  step "UI: npm ci, build, vitest, vue-tsc"
  (cd ui && npm ci --no-audit --no-fund && npm run build && npx vitest run && npm run typecheck)

  step "desktop: cargo clippy -p tally-desktop, cargo test -p tally-desktop"
  cargo clippy -p tally-desktop --all-targets -- -D warnings
  cargo test -p tally-desktop

  step "IPC types: scripts/check-ts-types.sh"
  bash scripts/check-ts-types.sh

  step "desktop end-to-end under Xvfb (scripts/desktop-e2e.sh)"
  bash scripts/desktop-e2e.sh
}
desktop_tests

step "all tests passed"
