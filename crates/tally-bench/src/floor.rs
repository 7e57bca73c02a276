//! The physical floor: what SQLite itself needs to store the same rows with the same
//! durability (WAL, synchronous=FULL), with nothing of Tally around it. Our figures
//! are reported as ratios to it. The only SQL outside the store and server crates,
//! on purpose: it is the yardstick.

use crate::stats::{ms, since};
use anyhow::Result;
use rusqlite::Connection;
use std::path::Path;
use std::time::Instant;
use tally_core::Change;

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS visit (
             id TEXT PRIMARY KEY, unit TEXT NOT NULL, household TEXT NOT NULL,
             date TEXT NOT NULL, note TEXT NOT NULL) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS change (
             seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, tbl TEXT NOT NULL,
             row_id TEXT NOT NULL, unit TEXT NOT NULL, body TEXT NOT NULL);",
    )?;
    Ok(conn)
}

/// One visit row per transaction, `n` times: the latency of each commit in ms.
pub fn single_visits(dir: &Path, n: usize) -> Result<Vec<f64>> {
    let conn = open(&dir.join("floor-visits.db"))?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        let tx = conn.unchecked_transaction()?;
        tx.prepare_cached(
            "INSERT INTO visit (id, unit, household, date, note) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute((
            uuid::Uuid::now_v7().to_string(),
            "150625100201",
            uuid::Uuid::now_v7().to_string(),
            "2026-06-01",
            crate::device::note(i),
        ))?;
        tx.commit()?;
        out.push(ms(t.elapsed()));
    }
    Ok(out)
}

/// Insert the changes as log rows (id, table, row, unit, JSON body) into a fresh file,
/// 1 000 per transaction: the ms it took.
pub fn insert_changes(path: &Path, changes: &[Change]) -> Result<f64> {
    let bodies: Vec<String> = changes
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    let conn = open(path)?;
    let t = Instant::now();
    for (chunk, bodies) in changes.chunks(1000).zip(bodies.chunks(1000)) {
        let tx = conn.unchecked_transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO change (id, tbl, row_id, unit, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (c, body) in chunk.iter().zip(bodies) {
                stmt.execute((
                    c.id.to_string(),
                    c.table.code(),
                    c.row.to_string(),
                    &c.unit,
                    body,
                ))?;
            }
        }
        tx.commit()?;
    }
    Ok(since(t))
}

/// The floor of moving `changes` from one device to another: stored once on the
/// server and once on the receiving device.
pub fn both_ends(dir: &Path, changes: &[Change]) -> Result<(f64, f64)> {
    let server = insert_changes(&dir.join("floor-server.db"), changes)?;
    let device = insert_changes(&dir.join("floor-device.db"), changes)?;
    Ok((server, device))
}
