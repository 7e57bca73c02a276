//! Taking back a change the server refused: it leaves the outbox (kept, with the
//! server's reason, in `withdrawn_change`), and its row becomes again what the row's
//! other changes make it — gone, if the withdrawn change created it.

use crate::edit::load_row;
use crate::project::{project, write_row, Written};
use crate::{time, Result, Store, StoreError};
use rusqlite::{Connection, OptionalExtension};
use std::collections::BTreeMap;
use tally_core::{merge, Change, ChangeId, Row, RowId, Table};

impl Store {
    /// Withdraw the rejected local change `id`.
    pub fn withdraw(&mut self, id: ChangeId) -> Result<()> {
        let now = time::utc_rfc3339(self.corrected_ms());
        let tx = self.conn.savepoint()?;
        let found: Option<(String, String)> = tx
            .prepare_cached(
                "SELECT tbl, row_id FROM change_log
                 WHERE id = ?1 AND origin = 'local' AND state = 'rejected'",
            )?
            .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((tbl, row_id)) = found else {
            return Err(StoreError::NotFound {
                what: "rejected change",
                id: id.to_string(),
            });
        };
        tx.prepare_cached(
            "INSERT INTO withdrawn_change
                 (id, tbl, row_id, body, reject_code, reject_reason, reject_reason_zh, withdrawn_at)
             SELECT id, tbl, row_id, body, reject_code, reject_reason, reject_reason_zh, ?2
             FROM change_log WHERE id = ?1",
        )?
        .execute((id.to_string(), &now))?;
        tx.prepare_cached("DELETE FROM change_log WHERE id = ?1")?
            .execute([id.to_string()])?;
        rebuild_row(&tx, &tbl, &row_id)?;
        tx.commit()?;
        Ok(())
    }
}

/// Make a row again what the changes in the log make it (merged in log order; the merge
/// does not depend on it), with its projection and day sums; gone if no change is left.
pub(crate) fn rebuild_row(tx: &Connection, tbl: &str, row_id: &str) -> Result<()> {
    let table: Table = tbl.parse().map_err(StoreError::Corrupt)?;
    let row: RowId = row_id
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("{e}")))?;
    let old = load_row(tx, table, row)?;
    let mut rebuilt: Option<Row> = None;
    {
        let mut stmt = tx.prepare_cached(
            "SELECT body FROM change_log WHERE tbl = ?1 AND row_id = ?2 ORDER BY seq",
        )?;
        let bodies = stmt.query_map((tbl, row_id), |r| r.get::<_, String>(0))?;
        for body in bodies {
            let change: Change = serde_json::from_str(&body?)
                .map_err(|e| StoreError::Corrupt(format!("change of row {row_id}: {e}")))?;
            rebuilt = Some(merge(rebuilt.as_ref(), &change).row);
        }
    }
    match (rebuilt, old) {
        (Some(now), old) => {
            write_row(tx, &now, Written::of(old.as_ref()))?;
            project(tx, &now, old.as_ref())?;
        }
        (None, Some(old)) => {
            tx.prepare_cached("DELETE FROM row_state WHERE tbl = ?1 AND id = ?2")?
                .execute((tbl, row_id))?;
            tx.prepare_cached("DELETE FROM conflict WHERE tbl = ?1 AND row_id = ?2")?
                .execute((tbl, row_id))?;
            // No fields: the row leaves the projection and its facts the day sums.
            let gone = Row {
                table,
                id: row,
                unit: old.unit.clone(),
                fields: BTreeMap::new(),
            };
            project(tx, &gone, Some(&old))?;
        }
        (None, None) => {}
    }
    Ok(())
}
