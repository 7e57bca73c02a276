//! The ledger's per-day sums on PostgreSQL: added to by each push's transaction (in
//! key order, so concurrent pushes lock them in one order), read by the ledger,
//! rebuilt from the merged rows after the migration that made them.

use super::super::{day_sum, sums_of_rows, targets_of_rows, totals, FACT_TABLES};
use crate::error::DbError;
use chrono::NaiveDate;
use tally_core::ledger::{week_start, DaySums, Totals};
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
        piles.push(k.pile_code());
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

/// Every target and the sums of every unit, metric and pile kind up to `as_of`.
pub(super) async fn ledger_inputs(
    c: &impl GenericClient,
    as_of: NaiveDate,
) -> Result<(Vec<Target>, Vec<Totals>), DbError> {
    let targets = targets_of_rows(&bodies(c, &["target"]).await?)?;
    let rows = c
        .query(
            "SELECT unit, metric, pile, sum(started)::bigint, sum(completed)::bigint,
                    sum(accepted)::bigint, sum(CASE WHEN day >= $2 THEN completed ELSE 0 END)::bigint
               FROM day_sums WHERE day <= $1 GROUP BY unit, metric, pile",
            &[&as_of.to_string(), &week_start(as_of).to_string()],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(totals(
            [r.get(0), r.get(1), r.get(2)],
            [r.get(3), r.get(4), r.get(5), r.get(6)],
        )?);
    }
    Ok((targets, out))
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
