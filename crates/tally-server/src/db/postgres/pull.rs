//! The PostgreSQL backend's pull: changes after a `(txid, seq)` cursor within a read
//! filter, in that order, as stored (see the module comment of `db/postgres.rs` for why
//! the cursor is a transaction id and a seq).

use super::PgDb;
use crate::db::{stored_change, Held, PageSize, PullPage};
use crate::error::DbError;
use crate::scope::ReadFilter;

pub(super) async fn pull(
    db: &PgDb,
    filter: ReadFilter,
    cursor: &str,
    size: PageSize,
    held: Held,
) -> Result<PullPage, DbError> {
    let (after_txid, after_seq) = parse_cursor(cursor)?;
    let all = filter.units.is_none();
    let units = filter.units.unwrap_or_default();
    let mut conn = db.pool.get().await?;
    let c = conn.transaction().await?;
    // Right after a burst of pushes the table's statistics still say a unit has a
    // few changes, and the planner would collect all of them and sort them for each
    // page (80 ms a page with 100 000 waiting): pages must come from the index in
    // its order.
    c.batch_execute("SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off")
        .await?;
    let after_txid_text = after_txid.to_string();
    let limit = size.changes;
    let want = i64::from(limit) + 1;
    // The order is by the xid8 column, not by its text in the output (a bare ORDER
    // BY name would pick the output column: "1000" < "999").
    let rows = if all {
        c.query(
            "SELECT c.txid::text AS txid_text, c.seq, c.body, c.device FROM changes c
                 WHERE c.txid < pg_snapshot_xmin(pg_current_snapshot())
                   AND (c.txid, c.seq) > ($1::text::xid8, $2::bigint)
                 ORDER BY c.txid, c.seq
                 LIMIT $3",
            &[&after_txid_text, &after_seq, &want],
        )
        .await?
    } else {
        // Each unit's changes come in order from the (unit, txid, seq) index, at
        // most a page from each, and are merged: a page never reads or sorts a
        // unit's whole backlog (one OR over the units did, at any table size).
        c.query(
            "SELECT x.txid_text, x.seq, x.body, x.device FROM (
                   SELECT c.txid, c.txid::text AS txid_text, c.seq, c.body, c.device
                     FROM unnest($3::text[]) AS u(unit)
                     CROSS JOIN LATERAL (
                       SELECT * FROM changes c
                        WHERE c.unit = u.unit
                          AND c.txid < pg_snapshot_xmin(pg_current_snapshot())
                          AND (c.txid, c.seq) > ($1::text::xid8, $2::bigint)
                        ORDER BY c.txid, c.seq LIMIT $5) c
                   UNION ALL
                   SELECT c.txid, c.txid::text, c.seq, c.body, c.device
                     FROM unnest($4::text[]) AS u(unit)
                     CROSS JOIN LATERAL (
                       SELECT * FROM changes c
                        WHERE c.unit = u.unit AND c.tbl = 'org_unit'
                          AND c.txid < pg_snapshot_xmin(pg_current_snapshot())
                          AND (c.txid, c.seq) > ($1::text::xid8, $2::bigint)
                        ORDER BY c.txid, c.seq LIMIT $5) c
                 ) x
                 ORDER BY x.txid, x.seq
                 LIMIT $5",
            &[
                &after_txid_text,
                &after_seq,
                &units,
                &filter.org_units,
                &want,
            ],
        )
        .await?
    };
    c.commit().await?;
    let fit = size.fits(rows.iter().map(|r| r.get::<_, &str>(2)));
    let more = rows.len() > fit;
    let mut changes = Vec::with_capacity(fit);
    let mut cursor = format_cursor(after_txid, after_seq);
    let mut last_seq = None;
    for row in rows.iter().take(fit) {
        let txid: String = row.get(0);
        let seq: i64 = row.get(1);
        // A unit in both lists yields the same change twice.
        if last_seq.replace(seq) == Some(seq) {
            continue;
        }
        let body: String = row.get(2);
        let txid: u64 = txid
            .parse()
            .map_err(|_| DbError::Corrupt(format!("txid {txid:?}")))?;
        cursor = format_cursor(txid, seq);
        if !held.skips(row.get(3), seq) {
            changes.push(stored_change(seq, body)?);
        }
    }
    Ok(PullPage {
        changes,
        cursor,
        more,
    })
}

fn parse_cursor(cursor: &str) -> Result<(u64, i64), DbError> {
    if cursor.is_empty() {
        return Ok((0, 0));
    }
    let bad = || DbError::BadCursor(cursor.to_string());
    let (txid, seq) = cursor.split_once('.').ok_or_else(bad)?;
    let txid: u64 = txid.parse().map_err(|_| bad())?;
    let seq: i64 = seq.parse().map_err(|_| bad())?;
    if seq < 0 {
        return Err(bad());
    }
    Ok((txid, seq))
}

fn format_cursor(txid: u64, seq: i64) -> String {
    format!("{txid}.{seq}")
}
