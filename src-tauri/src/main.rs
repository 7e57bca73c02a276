//! `tally-desktop`: the desktop app's entry point.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// mimalloc: the allocations of JSON, HTTP and SQLite rows cost ~10 % less CPU than
/// with the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    tally_desktop::run();
}
