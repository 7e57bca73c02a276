//! The per-day sums of the ledger's facts (`tally_core::ledger::sums`): added to in the
//! transaction of every row written, read by the ledger, rebuilt from the rows when a
//! migration asks for it.

use crate::edit::load_row;
use crate::{Result, StoreError};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};
use tally_core::ledger::sums::totals_sql;
use tally_core::ledger::{DayKey, DaySum, DaySums, Totals, Window};
use tally_core::{RowId, Table};

/// Add a write's difference to the stored sums.
pub(crate) fn add(conn: &Connection, sums: &DaySums) -> Result<()> {
    if sums.is_empty() {
        return Ok(());
    }
    let mut upsert = conn.prepare_cached(
        "INSERT INTO day_sums (unit, metric, pile, day, started, completed, accepted, facts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (unit, metric, pile, day) DO UPDATE SET started = started + excluded.started,
             completed = completed + excluded.completed, accepted = accepted + excluded.accepted,
             facts = facts + excluded.facts",
    )?;
    for (k, s) in sums.iter() {
        upsert.execute((
            &k.unit,
            k.metric.code(),
            k.part_code(),
            k.day_code(),
            s.started,
            s.completed,
            s.accepted,
            s.facts,
        ))?;
    }
    Ok(())
}

/// The sums of every unit, metric and pile kind up to `as_of` over a ledger's window.
pub(crate) fn totals(conn: &Connection, as_of: NaiveDate, window: &Window) -> Result<Vec<Totals>> {
    let (sql, params) = totals_sql(as_of, window, &|n| format!("?{n}"), "");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
    let figures = 5 + window.cuts.len();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut sums = Vec::with_capacity(figures);
        for i in 0..figures {
            sums.push(r.get(3 + i)?);
        }
        let t = Totals::parse(
            r.get(0)?,
            &r.get::<_, String>(1)?,
            &r.get::<_, String>(2)?,
            &sums,
        )
        .map_err(|e| StoreError::Corrupt(format!("day_sums: {e}")))?;
        out.push(t);
    }
    Ok(out)
}

/// The sums as they should be: from every row's current state.
pub(crate) fn from_rows(conn: &Connection) -> Result<DaySums> {
    let mut sums = DaySums::default();
    for table in [
        Table::Household,
        Table::Works,
        Table::Demolition,
        Table::Cleanup,
    ] {
        let ids: Vec<String> = conn
            .prepare_cached("SELECT id FROM row_state WHERE tbl = ?1")?
            .query_map([table.code()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in ids {
            let id: RowId = id
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("row id {id}")))?;
            if let Some(row) = load_row(conn, table, id)? {
                sums.add_row(&row, 1);
            }
        }
    }
    Ok(sums)
}

/// The stored sums, as they are (tests compare them with `from_rows`).
pub(crate) fn stored(conn: &Connection) -> Result<DaySums> {
    let mut sums = DaySums::default();
    let mut stmt = conn.prepare_cached(
        "SELECT unit, metric, pile, day, started, completed, accepted, facts FROM day_sums",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key = DayKey::parse(
            r.get(0)?,
            &r.get::<_, String>(1)?,
            &r.get::<_, String>(2)?,
            &r.get::<_, String>(3)?,
        )
        .map_err(|e| StoreError::Corrupt(format!("day_sums: {e}")))?;
        let sum = DaySum {
            started: r.get(4)?,
            completed: r.get(5)?,
            accepted: r.get(6)?,
            facts: r.get(7)?,
        };
        sums.insert(key, sum);
    }
    Ok(sums)
}

/// Rebuild the sums if a migration asked for it (in one transaction with clearing the
/// request, so a crash half-way rebuilds again).
pub(crate) fn rebuild_if_asked(conn: &mut Connection) -> Result<()> {
    let asked: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'day_sums'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if asked.as_deref() != Some("rebuild") {
        return Ok(());
    }
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM day_sums", [])?;
    add(&tx, &from_rows(&tx)?)?;
    tx.execute("DELETE FROM meta WHERE key = 'day_sums'", [])?;
    tx.commit()?;
    tracing::info!("ledger day sums rebuilt from the rows");
    Ok(())
}
