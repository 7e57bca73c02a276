//! Who may write and read which org units: the rule is core's (`tally_core::scope`),
//! shared with the devices, which refuse a write outside the login's scope before it
//! is ever pushed.

pub use tally_core::scope::*;
