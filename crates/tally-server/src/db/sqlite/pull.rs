//! The SQLite backend's pull: changes after a cursor (the last seq) within a read
//! filter, in seq order, as stored. A scope of a few units is read through the
//! `(unit, seq)` index, one ordered stream per unit merged into one; a wide scope (an
//! admin) walks the log in seq order and filters.

use super::SqliteDb;
use crate::db::{stored_change, Held, PageSize, PullPage};
use crate::error::DbError;
use crate::scope::ReadFilter;
use rusqlite::{params, Connection};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Up to this many units, the index is read per unit.
const NARROW: usize = 64;

/// A stored change as a pull reads it.
struct Stored {
    seq: i64,
    device: String,
    body: String,
}

impl Stored {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
        Ok(Stored {
            seq: r.get(0)?,
            device: r.get(1)?,
            body: r.get(2)?,
        })
    }
}

pub(super) async fn pull(
    db: &SqliteDb,
    filter: ReadFilter,
    cursor: &str,
    size: PageSize,
    held: Held,
) -> Result<PullPage, DbError> {
    let limit = size.changes;
    let after: i64 = if cursor.is_empty() {
        0
    } else {
        cursor
            .parse()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| DbError::BadCursor(cursor.to_string()))?
    };
    let want = limit as usize + 1;
    db.read(move |c| {
        let mut rows = match &filter.units {
            Some(units) if units.len() + filter.org_units.len() <= NARROW => {
                narrow(c, after, units, &filter.org_units, want)?
            }
            _ => wide(c, after, &filter, want)?,
        };
        let fit = size.fits(rows.iter().map(|r| r.body.as_str()));
        let more = rows.len() > fit;
        rows.truncate(fit);
        let cursor = rows.last().map_or(after, |r| r.seq).to_string();
        let mut changes = Vec::with_capacity(rows.len());
        for r in rows.into_iter().filter(|r| !held.skips(&r.device, r.seq)) {
            changes.push(stored_change(r.seq, r.body)?);
        }
        Ok(PullPage {
            changes,
            cursor,
            more,
        })
    })
    .await
}

/// Each unit's changes after `after` in seq order (the `(unit, seq)` index), merged
/// lazily: exactly the first `want` rows (and one more per unit) are read.
fn narrow(
    c: &Connection,
    after: i64,
    units: &[String],
    org_units: &[String],
    want: usize,
) -> Result<Vec<Stored>, DbError> {
    const ALL: &str =
        "SELECT seq, device, body FROM changes WHERE unit = ?1 AND seq > ?2 ORDER BY seq";
    const ORG: &str = "SELECT seq, device, body FROM changes WHERE unit = ?1 AND seq > ?2
                       AND tbl = 'org_unit' ORDER BY seq";
    let sources: Vec<(&str, &String)> = units
        .iter()
        .map(|u| (ALL, u))
        .chain(org_units.iter().map(|u| (ORG, u)))
        .collect();
    let mut stmts = sources
        .iter()
        .map(|(sql, _)| c.prepare_cached(sql))
        .collect::<Result<Vec<_>, _>>()?;
    let mut streams = Vec::with_capacity(stmts.len());
    for (stmt, (_, unit)) in stmts.iter_mut().zip(&sources) {
        streams.push(stmt.query(params![unit, after])?);
    }
    let mut heads: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
    let mut current: Vec<Option<Stored>> = (0..streams.len()).map(|_| None).collect();
    for (i, stream) in streams.iter_mut().enumerate() {
        next(stream, i, &mut heads, &mut current)?;
    }
    let mut out: Vec<Stored> = Vec::new();
    while out.len() < want {
        let Some(Reverse((seq, i))) = heads.pop() else {
            break;
        };
        // A unit in both lists yields the same change twice.
        if let Some(row) = current[i]
            .take()
            .filter(|_| out.last().is_none_or(|l| l.seq != seq))
        {
            out.push(row);
        }
        next(&mut streams[i], i, &mut heads, &mut current)?;
    }
    Ok(out)
}

/// Read stream `i`'s next row into the heap (its seq) and `current[i]`.
fn next(
    stream: &mut rusqlite::Rows<'_>,
    i: usize,
    heads: &mut BinaryHeap<Reverse<(i64, usize)>>,
    current: &mut [Option<Stored>],
) -> Result<(), DbError> {
    if let Some(r) = stream.next()? {
        let row = Stored::read(r)?;
        heads.push(Reverse((row.seq, i)));
        current[i] = Some(row);
    }
    Ok(())
}

/// Walk the log after `after` in seq order, keeping what the filter lets through.
fn wide(
    c: &Connection,
    after: i64,
    filter: &ReadFilter,
    want: usize,
) -> Result<Vec<Stored>, DbError> {
    let units = filter
        .units
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    let org_units = serde_json::to_string(&filter.org_units)?;
    let mut stmt = c.prepare_cached(
        "SELECT seq, device, body FROM changes
         WHERE seq > ?1
           AND (?2 IS NULL
                OR unit IN (SELECT value FROM json_each(?2))
                OR (tbl = 'org_unit' AND unit IN (SELECT value FROM json_each(?3))))
         ORDER BY seq LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![after, units, org_units, want as i64], Stored::read)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
