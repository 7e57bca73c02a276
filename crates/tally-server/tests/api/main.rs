//! HTTP tests of tally-server: the router called directly (`oneshot`), each test on a
//! temp SQLite file and on a fresh PostgreSQL schema (see `tally_testkit` for when it runs).

mod admin;
mod auth;
mod bad_input;
mod bundle;
mod concurrent;
mod late_commit;
mod ledger;
mod scope;
mod serve;
mod support;
mod sync;
