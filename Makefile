# Tally — the two commands in the README do all their own set-up:
#   make run    demo data on a local server, opened in the desktop app (with a display);
#               without a display: the demo's ledger printed by the CLI
#   make test   every test (what CI runs through .ci/run)
.PHONY: run test fmt lint

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --exclude tally-desktop --all-targets -- -D warnings
