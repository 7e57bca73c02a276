//! Tally's sync between a device and the central server: the wire protocol v1 (serde
//! types shared by the server and the client), the transport (HTTP with retries), and
//! the client that pushes the outbox and pulls until up to date.

pub mod client;
pub mod protocol;
pub mod transport;

pub use client::{Client, Progress, SyncError, SyncOptions, SyncReport};
pub use protocol::*;
pub use transport::{Backoff, HttpTransport, Method, Request, Response, Transport, TransportError};
