#!/usr/bin/env bash
# Regenerates the TypeScript types of the desktop IPC (ui/src/api/generated/, by ts-rs from
# the Rust types of tally-desktop, tally-core and tally-store) and fails if they differ
# from what is committed: the Rust and TypeScript sides of the IPC must not drift.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

TALLY_UPDATE_BINDINGS=1 cargo test -p tally-desktop --lib -- bindings::typescript_bindings_match_the_rust_types --exact --quiet

gen=ui/src/api/generated
if ! git diff --exit-code --stat -- "$gen" || [ -n "$(git ls-files --others --exclude-standard -- "$gen")" ]; then
  git ls-files --others --exclude-standard -- "$gen" | sed 's/^/new file: /'
  echo "check-ts-types.sh: $gen is out of date with the Rust types; commit the regenerated files" >&2
  exit 1
fi
echo "check-ts-types.sh: $gen matches the Rust types"
