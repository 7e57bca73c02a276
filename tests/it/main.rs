//! End-to-end stories.

mod bundle;
mod e2e;
mod e2e_support;
mod handover;
mod https;
mod shared_store;
mod sim;
