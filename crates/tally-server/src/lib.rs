//! Tally's central server: protocol v1 over HTTP (axum), device enrolment and tokens,
//! org-unit scope, and storage on SQLite (default) or PostgreSQL behind one API. It is
//! stateless over its database, so several processes may serve one PostgreSQL.

pub mod admin;
pub mod api;
pub mod auth;
pub mod bundle;
pub mod db;
pub mod error;
pub mod limits;
pub mod push;
pub mod scope;
pub mod serve;

pub use api::router;
pub use db::Db;
pub use error::{ApiError, DbError};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The server's wall clock in milliseconds since the Unix epoch; injected so tests can
/// move time (rate-limit windows, clocks ahead).
pub trait WallClock: Send + Sync + 'static {
    fn now_ms(&self) -> u64;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now_ms(&self) -> u64 {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    pub fn at(ms: u64) -> Self {
        Self(AtomicU64::new(ms))
    }

    pub fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl WallClock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// What every request handler shares: the database and the clock.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn WallClock>,
    /// Password checks (Argon2, ~19 MiB each) running at once: a burst of logins
    /// waits for a permit, or is told to come back, instead of taking the memory.
    pub password_checks: Arc<tokio::sync::Semaphore>,
}

/// Password checks at once (see [`AppState::password_checks`]).
pub const MAX_PASSWORD_CHECKS: usize = 4;

impl AppState {
    /// A state on the system clock.
    pub fn new(db: Db) -> Self {
        Self::with_clock(db, Arc::new(SystemClock))
    }

    pub fn with_clock(db: Db, clock: Arc<dyn WallClock>) -> Self {
        Self {
            db,
            clock,
            password_checks: Arc::new(tokio::sync::Semaphore::new(MAX_PASSWORD_CHECKS)),
        }
    }

    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }
}
