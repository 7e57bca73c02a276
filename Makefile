# Tally — the two commands in the README do all their own set-up:
#   make run    build the CLI, make a demo database, print the banner's ledger
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
	cargo clippy --workspace --all-targets -- -D warnings
