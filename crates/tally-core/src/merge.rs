//! The field-level merge, run identically by every device and by the server.
//!
//! Per field, the winner is the edit with the greatest key (correction epoch, forward
//! rank, HLC, device). An edit that loses and that no editor had seen (it is nobody's
//! base and nobody settled it) is kept as a loser: a conflict for a leader to review.
//! The result depends only on the set of changes applied, not on their order or on
//! duplicates, which is what lets devices and server converge.

use crate::change::{Change, FieldEdit, FieldState, Loser, Row, Version};
use crate::ids::{ChangeId, RowId};
use crate::model::Table;
use crate::schema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The row after a merge, and whether anything in it changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    pub row: Row,
    pub changed: bool,
}

/// An open conflict: a value that lost to a concurrent edit nobody has reviewed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    pub table: Table,
    pub row: RowId,
    pub unit: String,
    pub field: String,
    pub winner_value: Value,
    pub winner_at: Version,
    pub winner_author: String,
    pub winner_change: ChangeId,
    pub loser: Loser,
}

type Key = (u32, u8, Version);

fn key(table: Table, field: &str, value: &Value, epoch: u32, at: Version) -> Key {
    (epoch, schema::rank(table, field, value), at)
}

/// Apply one change to the current state of its row (`None` if the row is new here).
pub fn merge(current: Option<&Row>, change: &Change) -> Merged {
    let mut row = current.cloned().unwrap_or_else(|| Row {
        table: change.table,
        id: change.row,
        unit: change.unit.clone(),
        fields: Default::default(),
    });
    let at = change.version();
    let mut changed = current.is_none();
    for (name, edit) in &change.fields {
        let incoming = Loser {
            value: edit.value.clone(),
            at,
            epoch: edit.epoch,
            author: change.author.clone(),
            change: change.id,
        };
        match row.fields.get_mut(name) {
            None => {
                let mut state = FieldState {
                    value: incoming.value,
                    at,
                    epoch: edit.epoch,
                    author: incoming.author,
                    change: change.id,
                    seen: Default::default(),
                    losers: Vec::new(),
                };
                note_seen(&mut state, edit);
                row.fields.insert(name.clone(), state);
                changed = true;
            }
            Some(state) => changed |= merge_field(change.table, name, state, edit, incoming),
        }
    }
    Merged { row, changed }
}

fn note_seen(state: &mut FieldState, edit: &FieldEdit) {
    state.seen.extend(edit.base);
    state.seen.extend(edit.saw.iter().copied());
}

fn merge_field(
    table: Table,
    name: &str,
    state: &mut FieldState,
    edit: &FieldEdit,
    incoming: Loser,
) -> bool {
    if state.at == incoming.at || state.losers.iter().any(|l| l.at == incoming.at) {
        return false; // already applied
    }
    note_seen(state, edit);
    let k_in = key(table, name, &incoming.value, incoming.epoch, incoming.at);
    let k_cur = key(table, name, &state.value, state.epoch, state.at);
    if k_in > k_cur {
        let old = Loser {
            value: std::mem::replace(&mut state.value, incoming.value),
            at: std::mem::replace(&mut state.at, incoming.at),
            epoch: std::mem::replace(&mut state.epoch, incoming.epoch),
            author: std::mem::replace(&mut state.author, incoming.author),
            change: std::mem::replace(&mut state.change, incoming.change),
        };
        state.losers.push(old);
    } else {
        state.losers.push(incoming);
    }
    let seen = &state.seen;
    state.losers.retain(|l| !seen.contains(&l.at));
    state.losers.sort_by(|a, b| a.at.cmp(&b.at));
    true
}

impl Row {
    /// The open conflicts of this row: losers whose value differs from the winner's,
    /// except a forward-only status overtaken in the same correction epoch (that is the
    /// forward-only rule working, not a disagreement).
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut out = Vec::new();
        for (name, state) in &self.fields {
            for loser in &state.losers {
                if loser.value == state.value {
                    continue;
                }
                if schema::is_forward_only(self.table, name) && loser.epoch == state.epoch {
                    continue;
                }
                out.push(Conflict {
                    table: self.table,
                    row: self.id,
                    unit: self.unit.clone(),
                    field: name.clone(),
                    winner_value: state.value.clone(),
                    winner_at: state.at,
                    winner_author: state.author.clone(),
                    winner_change: state.change,
                    loser: loser.clone(),
                });
            }
        }
        out
    }
}
