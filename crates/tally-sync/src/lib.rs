//! Tally's sync between a device and the central server: the wire protocol v1 (serde
//! types shared by the server and the client), and later the client itself.

pub mod protocol;

pub use protocol::*;
