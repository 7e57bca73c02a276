//! Entries and conflicts as the lists of the home, sync and conflict screens receive
//! them: codes and values (core's `EntrySummary`, the conflict as stored) with the
//! names of their unit and household. The UI words them in its language.

use crate::dto::{ConflictView, EntryView};
use std::collections::HashMap;
use tally_core::summary::household_of;
use tally_core::*;
use tally_store::{OutboxEntry, Store};

/// Names the UI shows for units and households, read once per list.
pub struct Names<'a> {
    store: &'a Store,
    units: HashMap<String, String>,
}

impl<'a> Names<'a> {
    pub fn new(store: &'a Store) -> Names<'a> {
        let units = store
            .units()
            .unwrap_or_default()
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect();
        Names { store, units }
    }

    pub fn unit(&self, code: &str) -> String {
        self.units
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    /// The head of a household, as typed.
    pub fn household(&self, id: RowId) -> Option<String> {
        self.store
            .row(Table::Household, id)
            .ok()
            .flatten()
            .and_then(|r| r.str("head").map(str::to_string))
    }
}

pub fn entry_view(entry: OutboxEntry, names: &Names) -> EntryView {
    let change = &entry.change;
    EntryView {
        change_id: change.id,
        table: change.table,
        row: change.row,
        unit_name: names.unit(&change.unit),
        unit: change.unit.clone(),
        household: household_of(change),
        summary: EntrySummary::of(change, &|id| names.household(id)),
        state: entry.state,
        receipt: entry.receipt,
        reject_code: entry.reject_code,
        reject_reason: entry.reject_reason,
        reject_reason_zh: entry.reject_reason_zh,
        recorded_at: entry.recorded_at,
        withdrawn: false,
    }
}

fn hlc_time(v: &Version) -> String {
    chrono::DateTime::from_timestamp_millis(i64::try_from(v.hlc.ms).unwrap_or(0))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

pub fn conflict_view(conflict: Conflict, names: &Names) -> ConflictView {
    ConflictView {
        household: match conflict.table {
            Table::Household => names.household(conflict.row),
            _ => None,
        },
        unit_name: names.unit(&conflict.unit),
        winner_time: hlc_time(&conflict.winner_at),
        loser_time: hlc_time(&conflict.loser.at),
        conflict,
    }
}
