//! HTTP tests of tally-server: the router called directly (`oneshot`), each test on a
//! temp SQLite file and, when TALLY_TEST_PG_URL is set, on a fresh PostgreSQL schema.

mod admin;
mod auth;
mod bad_input;
mod concurrent;
mod late_commit;
mod ledger;
mod scope;
mod support;
mod sync;
