//! Tally's test kit, used only as a dev-dependency: what the test crates of the
//! workspace share instead of copying it.
//!
//! - [`pg`]: the PostgreSQL of the tests (`TALLY_TEST_PG_URL`), one fresh schema per
//!   test, and the lock that runs PostgreSQL tests one at a time.
//! - [`server`]: a fresh server database on either backend ([`server::TestDb`]).
//! - [`banner`]: the test banner (杭锦旗 › 锡尼镇 › two villages › a hamlet) and its
//!   users, seeded into a device store's or a server's database.
//! - [`change`]: a change made by hand (fields from a JSON object).
//! - [`window`]: edits around the ledger's 7-day window for the per-day sums' property
//!   tests (device store and both server backends).
//!
//! # No PostgreSQL test passes without running
//!
//! Every PostgreSQL variant asks [`pg::pg_url`] for the URL. When it is not set:
//!
//! - with `CI=true` the test fails: CI must run them (`scripts/test.sh` runs the
//!   workspace under `scripts/with-postgres.sh`, which always sets the URL);
//! - with `TALLY_SKIP_PG=1` (an explicit choice) the variant prints
//!   `SKIPPED (TALLY_SKIP_PG=1): <test> (<what needed PostgreSQL>)` and returns without
//!   testing;
//! - otherwise the test fails, saying to run it under `scripts/with-postgres.sh` or to
//!   opt out with `TALLY_SKIP_PG=1`.
//!
//! So a green PostgreSQL variant ran against PostgreSQL, unless the person running the
//! tests asked for it to be skipped, and then the output says so. (Marking the variants
//! `#[ignore]` at build time was the alternative; it would hide them from a plain
//! `cargo test` that has no database, which is exactly when someone should notice.)

pub mod banner;
pub mod change;
pub mod pg;
pub mod server;
pub mod window;

pub use server::{Backend, TestDb};

/// The key of every device database the tests make (`TALLY_DB_KEY` for the binaries;
/// `tally_store::DbKey::parse(DB_KEY)` in-process): 64 hex digits, a raw 256-bit key.
pub const DB_KEY: &str = "74616c6c795f746573745f6b65795f3074616c6c795f746573745f6b65795f30";
