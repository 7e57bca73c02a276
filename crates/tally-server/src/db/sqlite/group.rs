//! Group commit for the SQLite backend's frequent writes (pushes, last-seen notes).
//! A write is queued; whichever request holds the writer connection runs every queued
//! write, each in its own savepoint (so one that fails or stores nothing leaves the
//! others alone), in one transaction, and commits once: a thousand devices pushing at
//! once wait for a few fsyncs instead of a thousand. Nobody is answered before the
//! commit that made their write durable.

use super::Inner;
use crate::error::DbError;
use rusqlite::{Connection, TransactionBehavior};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use tokio::sync::oneshot;

/// Writes committed together at most (bounds how long the first one waits).
const MAX_GROUP: usize = 64;

/// Whether a write's savepoint is kept or rolled back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Keep {
    Yes,
    No,
}

/// Called once the group's fate is known: `Ok` committed, `Err` the commit failed.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A queued write: runs inside its savepoint, says whether to keep it.
pub(super) type Job = Box<dyn FnOnce(&Connection) -> (Keep, Finish) + Send>;

impl Inner {
    /// Run the queue on this (blocking) thread unless another thread already does: one
    /// thread at a time holds the writer, the others would only wait for it.
    fn drain_unless_draining(&self) {
        // Bounded: each round runs the queue empty; a new round happens only if a write
        // was queued after that and nobody else took it on.
        while !self.draining.swap(true, Ordering::AcqRel) {
            // A panic in one group drops its writes (their requests get an error); the
            // queue goes on.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.drain())).is_err() {
                tracing::error!(
                    "a group of writes panicked; its requests were answered with an error"
                );
            }
            self.draining.store(false, Ordering::Release);
            if self
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty()
            {
                return;
            }
        }
    }

    /// Run every queued write, in groups, until the queue is empty.
    fn drain(&self) {
        let mut conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        // Bounded: each round takes at least one job off the queue, and a round
        // finds the queue empty only once.
        loop {
            let jobs: Vec<Job> = {
                let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
                let n = q.len().min(MAX_GROUP);
                q.drain(..n).collect()
            };
            if jobs.is_empty() {
                return;
            }
            let mut finishes = Vec::with_capacity(jobs.len());
            let result = run(&mut conn, jobs, &mut finishes);
            let outcome = result.map_err(|e| e.to_string());
            if let Err(e) = &outcome {
                tracing::error!(error = %e, "a group commit failed");
            }
            for finish in finishes {
                finish(outcome.clone());
            }
        }
    }
}

fn run(conn: &mut Connection, jobs: Vec<Job>, finishes: &mut Vec<Finish>) -> Result<(), DbError> {
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for job in jobs {
        let sp = tx.savepoint()?;
        let (keep, finish) = job(&sp);
        finishes.push(finish);
        if keep == Keep::Yes {
            sp.commit()?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Queue `f` and wait until the group it ran in committed; its value then.
pub(super) async fn write<T, F>(inner: &Arc<Inner>, f: F) -> Result<T, DbError>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<(T, Keep), DbError> + Send + 'static,
{
    let (tx, rx) = oneshot::channel::<Result<T, DbError>>();
    let job: Job = Box::new(move |c| match f(c) {
        Ok((value, keep)) => (
            keep,
            Box::new(move |committed: Result<(), String>| {
                let _ = tx.send(committed.map(|()| value).map_err(DbError::Commit));
            }),
        ),
        Err(e) => (
            Keep::No,
            Box::new(move |_| {
                let _ = tx.send(Err(e));
            }),
        ),
    });
    inner
        .queue
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(job);
    if !inner.draining.load(Ordering::Acquire) {
        let leader = inner.clone();
        tokio::task::spawn_blocking(move || leader.drain_unless_draining());
    }
    rx.await
        .map_err(|_| DbError::Commit("the write was dropped before it ran".into()))?
}
