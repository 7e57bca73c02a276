//! What the status bar counts and what a leader decides: the numbers of pending and
//! rejected local changes and of open conflicts (SQL counts, no change is read), and the
//! resolution of a conflict.

use crate::{Edit, Edited, Result, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tally_core::*;

/// What the status bar shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Local changes not yet accepted by the server.
    pub pending: u32,
    /// Local changes the server refused, waiting to be corrected or re-sent.
    pub rejected: u32,
    /// Open conflicts.
    pub conflicts: u32,
}

/// A leader's decision on a conflict: the value to keep, naming the losing versions
/// they saw (which settles them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Resolution {
    pub table: Table,
    pub row: RowId,
    pub field: String,
    pub value: Value,
    pub saw: Vec<Version>,
}

/// The status bar's counts; the rejected count names the partial index's own condition,
/// which is how SQLite knows it may read that index.
pub(crate) const COUNTS: &str = "SELECT (SELECT count(*) FROM change_log WHERE state = 'pending'),
        (SELECT count(*) FROM change_log
          WHERE state IN ('pending', 'rejected') AND state = 'rejected' AND origin = 'local'),
        (SELECT count(*) FROM conflict)";

impl Store {
    /// Pending and rejected local changes and open conflicts, counted by SQL. Each count
    /// reads a partial index, never the whole change log: the app counts after every
    /// command.
    pub fn counts(&self) -> Result<Counts> {
        let (pending, rejected, conflicts) = self.conn.query_row(COUNTS, [], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, u32>(2)?,
            ))
        })?;
        Ok(Counts {
            pending,
            rejected,
            conflicts,
        })
    }

    /// Resolve a conflict: an ordinary edit of the field that names the losing versions
    /// it saw, so they stop being conflicts here and everywhere it syncs to.
    pub fn resolve_conflict(&mut self, r: &Resolution) -> Result<Edited> {
        let mut edit = Edit::new(r.table).row(r.row).set(&r.field, &r.value);
        edit.saw = r.saw.clone();
        self.edit(edit)
    }

    /// Settle the open conflicts on one field of a row: keep the value that applies now,
    /// the other one (when exactly one other is open), or a value given. The edit names
    /// every losing version, so all of them are settled.
    pub fn resolve_field(&mut self, row: RowId, field: &str, keep: Keep) -> Result<Edited> {
        let open: Vec<Conflict> = self
            .conflicts()?
            .into_iter()
            .filter(|c| c.row == row && c.field == field)
            .collect();
        let Some(first) = open.first() else {
            return Err(StoreError::NoOpenConflict {
                row: row.to_string(),
                field: field.to_string(),
            });
        };
        let value = match keep {
            Keep::Current => first.winner_value.clone(),
            Keep::Other if open.len() > 1 => {
                return Err(StoreError::SeveralOthers {
                    field: field.to_string(),
                    n: open.len(),
                })
            }
            Keep::Other => first.loser.value.clone(),
            Keep::Value(v) => v,
        };
        self.resolve_conflict(&Resolution {
            table: first.table,
            row,
            field: field.to_string(),
            value,
            saw: open.iter().map(|c| c.loser.at).collect(),
        })
    }
}

/// Which value a resolution keeps.
#[derive(Clone, Debug, PartialEq)]
pub enum Keep {
    /// The value that applies now.
    Current,
    /// The one value that lost (an error when several did).
    Other,
    /// A value the leader writes.
    Value(Value),
}
