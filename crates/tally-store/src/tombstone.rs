//! Taking back a record a person entered: withdrawing it with a reason (a tombstone: the
//! record stays, with its history, and the ledger stops counting it on every device once
//! synced), a works item's progress entry likewise, and undoing the last entry made on
//! this device.

use crate::{Edit, Result, Store, StoreError};
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::{json, Value};
use tally_core::schema::{progress_entry, progress_field};
use tally_core::*;

/// The kinds of records a person enters, and so may withdraw.
const RECORDS: [Table; 6] = [
    Table::Household,
    Table::Visit,
    Table::Demolition,
    Table::Cleanup,
    Table::Works,
    Table::Target,
];

/// Local changes `undo` looks back through at most for an entry still there.
const UNDO_HORIZON: i64 = 5_000;

/// A record (or a works item's progress entry) withdrawn.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Withdrawal {
    pub table: Table,
    /// The record's row (the works item, for a progress entry).
    pub row: RowId,
    /// The progress entry withdrawn, if it was one.
    pub entry: Option<String>,
    pub unit: String,
    pub reason: String,
}

fn not_found(id: uuid::Uuid) -> StoreError {
    StoreError::NotFound {
        what: "record",
        id: id.to_string(),
    }
}

impl Store {
    /// Withdraw the record or progress entry `id`, saying why. A withdrawn record cannot
    /// be withdrawn again or edited.
    pub fn withdraw_record(&mut self, id: uuid::Uuid, reason: &str) -> Result<Withdrawal> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ValidationError::Missing {
                field: "deleted_reason".into(),
            }
            .into());
        }
        if let Some(table) = self.table_of(id)? {
            let row = RowId(id);
            let current = self.row(table, row)?.ok_or_else(|| not_found(id))?;
            if current.deleted() {
                return Err(ValidationError::Withdrawn.into());
            }
            self.edit(
                Edit::new(table)
                    .row(row)
                    .set("deleted", true)
                    .set("deleted_reason", reason),
            )?;
            return Ok(Withdrawal {
                table,
                row,
                entry: None,
                unit: current.unit,
                reason: reason.to_string(),
            });
        }
        let field = progress_field(id);
        let works = self
            .works_with_entry(&field)?
            .ok_or_else(|| not_found(id))?;
        let current = self
            .row(Table::Works, works)?
            .ok_or_else(|| not_found(id))?;
        let mut value = current.value(&field).cloned().unwrap_or(Value::Null);
        if value.get("withdrawn").is_some_and(|w| !w.is_null()) {
            return Err(ValidationError::Withdrawn.into());
        }
        value["withdrawn"] = json!(reason);
        self.edit(Edit::new(Table::Works).row(works).set(&field, value))?;
        Ok(Withdrawal {
            table: Table::Works,
            row: works,
            entry: Some(id.to_string()),
            unit: current.unit,
            reason: reason.to_string(),
        })
    }

    /// Withdraw the last entry made on this device that is still there — the newest
    /// record it created or progress entry it appended — with the reason "undone".
    /// `None` if there is nothing left to undo.
    pub fn undo(&mut self) -> Result<Option<Withdrawal>> {
        let recent: Vec<(i64, String, String, String)> = self
            .conn
            .prepare_cached(
                "SELECT seq, tbl, row_id, body FROM change_log WHERE origin = 'local'
                 ORDER BY seq DESC LIMIT ?1",
            )?
            .query_map([UNDO_HORIZON], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let reason = labels::UNDO_REASON;
        for (seq, tbl, row_id, body) in recent {
            let table: Table = tbl.parse().map_err(StoreError::Corrupt)?;
            if !RECORDS.contains(&table) {
                continue;
            }
            let change: Change = serde_json::from_str(&body)
                .map_err(|e| StoreError::Corrupt(format!("change {seq}: {e}")))?;
            let Some(row) = self.row(table, change.row)? else {
                continue;
            };
            if row.deleted() {
                continue;
            }
            // A progress entry it appended, still counted.
            for (name, edit) in &change.fields {
                let Some(entry) = progress_entry(name) else {
                    continue;
                };
                let live = |v: &Value| v.get("withdrawn").is_none_or(Value::is_null);
                if live(&edit.value) && row.value(name).is_some_and(live) {
                    return self.withdraw_record(entry, reason).map(Some);
                }
            }
            // The record it created: the first change of its row here.
            let first: Option<i64> = self
                .conn
                .prepare_cached("SELECT min(seq) FROM change_log WHERE tbl = ?1 AND row_id = ?2")?
                .query_row((&tbl, &row_id), |r| r.get(0))
                .optional()?
                .flatten();
            if first == Some(seq) {
                return self.withdraw_record(change.row.0, reason).map(Some);
            }
        }
        Ok(None)
    }

    /// The table of the record with this id, among the kinds people enter.
    pub fn table_of(&self, id: uuid::Uuid) -> Result<Option<Table>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM row_state WHERE tbl = ?1 AND id = ?2")?;
        for table in RECORDS {
            if stmt.exists((table.code(), id.to_string()))? {
                return Ok(Some(table));
            }
        }
        Ok(None)
    }

    /// The works item holding the progress entry field `field` (`progress:<id>`).
    pub(crate) fn works_with_entry(&self, field: &str) -> Result<Option<RowId>> {
        let quoted = format!("\"{field}\"");
        let id: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT id FROM row_state WHERE tbl = 'works' AND instr(state, ?1) > 0 LIMIT 1",
            )?
            .query_row([quoted], |r| r.get(0))
            .optional()?;
        id.map(|s| {
            s.parse()
                .map_err(|e| StoreError::Corrupt(format!("works id {s}: {e}")))
        })
        .transpose()
    }
}
