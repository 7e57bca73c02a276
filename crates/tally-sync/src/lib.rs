//! Tally's sync on the device: the transport (HTTP with retries) and the client that
//! pushes the outbox and pulls until up to date. The wire types, codes and limits are
//! `tally-protocol`'s, shared with the server.

pub mod bundle;
pub mod client;
pub mod plan;
pub mod server_url;
pub mod transport;

pub use client::{
    Client, Progress, SharedStore, StoreAccess, SyncError, SyncOptions, SyncReport,
    INTERACTIVE_APPLY_STEP,
};
pub use server_url::ServerUrlError;
pub use transport::{Backoff, HttpTransport, Method, Request, Response, Transport, TransportError};
