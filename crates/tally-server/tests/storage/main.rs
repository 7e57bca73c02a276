//! The storage conformance suite: one set of tests written against `ServerDb` (through
//! `Db`) and run on both backends, on real databases (a temp SQLite file; a fresh
//! schema in the PostgreSQL of TALLY_TEST_PG_URL). What a backend must do for the
//! server to behave the same on either.

mod accounts;
mod day_sums;
mod push_pull;
mod reads;
mod support;
mod tls;
