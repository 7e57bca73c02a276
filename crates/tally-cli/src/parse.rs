//! Reading typed values: core's `input` (one place for the CLI's arguments, the roster's
//! cells and the desktop).

pub use tally_core::input::*;
