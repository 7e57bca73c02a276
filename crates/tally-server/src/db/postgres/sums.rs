//! The ledger's per-day sums on PostgreSQL: added to by each push's transaction (in
//! key order, so concurrent pushes lock them in one order), read by the ledger,
//! rebuilt from the merged rows after the migration that made them.

use super::super::{day_sum, sums_of_rows, targets_of_rows, totals as totals_row, FACT_TABLES};
use crate::error::DbError;
use chrono::NaiveDate;
use tally_core::ledger::sums::totals_sql;
use tally_core::ledger::{DaySums, Totals, Window};
use tally_core::Target;
use tokio_postgres::GenericClient;

/// Add a push's difference to the stored sums.
pub(super) async fn add(c: &impl GenericClient, sums: &DaySums) -> Result<(), DbError> {
    if sums.is_empty() {
        return Ok(());
    }
    let (mut units, mut metrics, mut piles, mut days) = (vec![], vec![], vec![], vec![]);
    let (mut started, mut completed, mut accepted, mut facts) = (vec![], vec![], vec![], vec![]);
    for (k, s) in sums.iter() {
        units.push(k.unit.as_str());
        metrics.push(k.metric.code());
        piles.push(k.part_code());
        days.push(k.day_code());
        started.push(s.started);
        completed.push(s.completed);
        accepted.push(s.accepted);
        facts.push(s.facts);
    }
    c.execute(
        "INSERT INTO day_sums (unit, metric, pile, day, started, completed, accepted, facts)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                              $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
         ON CONFLICT (unit, metric, pile, day) DO UPDATE
             SET started = day_sums.started + excluded.started,
                 completed = day_sums.completed + excluded.completed,
                 accepted = day_sums.accepted + excluded.accepted,
                 facts = day_sums.facts + excluded.facts",
        &[
            &units, &metrics, &piles, &days, &started, &completed, &accepted, &facts,
        ],
    )
    .await?;
    Ok(())
}

async fn bodies(c: &impl GenericClient, tables: &[&str]) -> Result<Vec<String>, DbError> {
    let rows = c
        .query(
            "SELECT body FROM rows WHERE tbl = ANY($1::text[])",
            &[&tables],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Refill the sums from the rows if a migration asked for it (inside its transaction).
pub(super) async fn rebuild_if_asked(c: &impl GenericClient) -> Result<(), DbError> {
    let asked = c
        .query_opt("SELECT value FROM server_meta WHERE key = 'day_sums'", &[])
        .await?
        .map(|r| r.get::<_, String>(0));
    if asked.as_deref() == Some("rebuild") {
        c.execute("DELETE FROM day_sums", &[]).await?;
        add(c, &sums_of_rows(&bodies(c, &FACT_TABLES).await?)?).await?;
        c.execute("DELETE FROM server_meta WHERE key = 'day_sums'", &[])
            .await?;
        tracing::info!("ledger day sums rebuilt from the merged rows");
    }
    Ok(())
}

/// Every target.
pub(super) async fn targets(c: &impl GenericClient) -> Result<Vec<Target>, DbError> {
    targets_of_rows(&bodies(c, &["target"]).await?)
}

/// The sums of every unit, metric and pile kind up to `as_of` over a ledger's window.
pub(super) async fn totals(
    c: &impl GenericClient,
    as_of: NaiveDate,
    window: &Window,
) -> Result<Vec<Totals>, DbError> {
    let (sql, params) = totals_sql(as_of, window, &|n| format!("${n}"), "::bigint");
    let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
        .iter()
        .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect();
    let rows = c.query(&sql, &params).await?;
    let figures = 5 + window.cuts.len();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let sums: Vec<i64> = (0..figures).map(|i| r.get(3 + i)).collect();
        out.push(totals_row([r.get(0), r.get(1), r.get(2)], &sums)?);
    }
    Ok(out)
}

/// The stored sums and the rows they should match.
pub(super) async fn stored_and_rows(
    c: &impl GenericClient,
) -> Result<(DaySums, Vec<String>), DbError> {
    let mut sums = DaySums::default();
    for r in c
        .query(
            "SELECT unit, metric, pile, day, started, completed, accepted, facts FROM day_sums",
            &[],
        )
        .await?
    {
        let (key, sum) = day_sum(
            [r.get(0), r.get(1), r.get(2), r.get(3)],
            [r.get(4), r.get(5), r.get(6), r.get(7)],
        )?;
        sums.insert(key, sum);
    }
    Ok((sums, bodies(c, &FACT_TABLES).await?))
}
