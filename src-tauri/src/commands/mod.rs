//! The Tauri commands, one module per screen group. Every command is async and does its
//! blocking work off the window's thread.

pub mod bundle;
pub mod misc;
pub mod records;
pub mod sync;

include!("names.rs");

#[cfg(test)]
mod tests;
