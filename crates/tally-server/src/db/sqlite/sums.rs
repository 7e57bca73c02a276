//! The ledger's per-day sums on SQLite: added to by each push's transaction, read by
//! the ledger, rebuilt from the merged rows after the migration that made them.

use super::super::{day_sum, sums_of_rows, targets_of_rows, totals as totals_row, FACT_TABLES};
use crate::error::DbError;
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};
use tally_core::ledger::sums::totals_sql;
use tally_core::ledger::{DaySums, Totals, Window};
use tally_core::Target;

/// Add a push's difference to the stored sums.
pub(super) fn add(tx: &Connection, sums: &DaySums) -> Result<(), DbError> {
    let mut upsert = tx.prepare_cached(
        "INSERT INTO day_sums (unit, metric, pile, day, started, completed, accepted, facts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (unit, metric, pile, day) DO UPDATE SET started = started + excluded.started,
             completed = completed + excluded.completed, accepted = accepted + excluded.accepted,
             facts = facts + excluded.facts",
    )?;
    for (k, s) in sums.iter() {
        upsert.execute(params![
            k.unit,
            k.metric.code(),
            k.part_code(),
            k.day_code(),
            s.started,
            s.completed,
            s.accepted,
            s.facts
        ])?;
    }
    Ok(())
}

fn bodies(c: &Connection, sql: &str, tables: &[&str]) -> Result<Vec<String>, DbError> {
    let mut out = Vec::new();
    let mut stmt = c.prepare_cached(sql)?;
    for t in tables {
        for body in stmt.query_map([t], |r| r.get::<_, String>(0))? {
            out.push(body?);
        }
    }
    Ok(out)
}

/// The merged rows' JSON of the tables that make facts.
fn fact_rows(c: &Connection) -> Result<Vec<String>, DbError> {
    bodies(c, "SELECT body FROM rows WHERE tbl = ?1", &FACT_TABLES)
}

/// Refill the sums from the rows if a migration asked for it (inside its transaction).
pub(super) fn rebuild_if_asked(tx: &Connection) -> Result<(), DbError> {
    let asked: Option<String> = tx
        .query_row(
            "SELECT value FROM server_meta WHERE key = 'day_sums'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if asked.as_deref() == Some("rebuild") {
        tx.execute("DELETE FROM day_sums", [])?;
        add(tx, &sums_of_rows(&fact_rows(tx)?)?)?;
        tx.execute("DELETE FROM server_meta WHERE key = 'day_sums'", [])?;
        tracing::info!("ledger day sums rebuilt from the merged rows");
    }
    Ok(())
}

/// Every target.
pub(super) fn targets(c: &Connection) -> Result<Vec<Target>, DbError> {
    targets_of_rows(&bodies(
        c,
        "SELECT body FROM rows WHERE tbl = ?1",
        &["target"],
    )?)
}

/// The sums of every unit, metric and pile kind up to `as_of` over a ledger's window.
pub(super) fn totals(
    c: &Connection,
    as_of: NaiveDate,
    window: &Window,
) -> Result<Vec<Totals>, DbError> {
    let (sql, params) = totals_sql(as_of, window, &|n| format!("?{n}"), "");
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
    let figures = 5 + window.cuts.len();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut sums = Vec::with_capacity(figures);
        for i in 0..figures {
            sums.push(r.get(3 + i)?);
        }
        out.push(totals_row([r.get(0)?, r.get(1)?, r.get(2)?], &sums)?);
    }
    Ok(out)
}

/// The stored sums and the rows they should match.
pub(super) fn stored_and_rows(c: &Connection) -> Result<(DaySums, Vec<String>), DbError> {
    let mut sums = DaySums::default();
    let mut stmt = c.prepare_cached(
        "SELECT unit, metric, pile, day, started, completed, accepted, facts FROM day_sums",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (key, sum) = day_sum(
            [r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?],
            [r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?],
        )?;
        sums.insert(key, sum);
    }
    Ok((sums, fact_rows(c)?))
}
