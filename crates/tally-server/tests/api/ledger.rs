//! The server's ledger: read from the per-day sums each push keeps, following edits
//! and deletions, and rebuilt from the rows when an older database is opened.

use crate::both_backends;
use crate::support::*;
use chrono::NaiveDate;
use serde_json::json;
use tally_core::{schema, Ledger, LedgerRow, Metric, PileKind, RowId, RowKey, Table};

both_backends!(
    the_ledger_follows_edits_and_deletions_and_survives_a_rebuild,
    progress_entries_made_on_two_devices_both_count,
);

fn completed(l: &Ledger, pile: Option<PileKind>) -> f64 {
    let key = RowKey {
        metric: Metric::CleanupTonnes,
        pile,
    };
    l.rows.iter().find(|r| r.key == key).unwrap().completed
}

async fn the_ledger_follows_edits_and_deletions_and_survives_a_rebuild(h: Harness) {
    let today: NaiveDate = TODAY.parse().unwrap();
    let mut dev = h.device(CADRE).await;
    let a = dev.cleanup(VILLAGE_A1, json!(2.5));
    let b = dev.cleanup(VILLAGE_A1, json!(4.0));
    accepted(&h.push(&dev, &[a.clone(), b.clone()]).await.results());
    let l = h.db.ledger(BANNER, today).await.unwrap().unwrap();
    assert_eq!(completed(&l, None), 6.5);

    // One load corrected (kind and tonnes), the other deleted, in one push.
    let fix = dev.change(
        Table::Cleanup,
        b.row,
        VILLAGE_A1,
        json!({"kind": "hay", "tonnes": 1.25}),
    );
    let gone = dev.change(Table::Cleanup, a.row, VILLAGE_A1, json!({"deleted": true}));
    accepted(&h.push(&dev, &[fix, gone]).await.results());
    let l = h.db.ledger(BANNER, today).await.unwrap().unwrap();
    assert_eq!(completed(&l, None), 1.25);
    assert_eq!(completed(&l, Some(PileKind::Hay)), 1.25);
    assert_eq!(completed(&l, Some(PileKind::Manure)), 0.0);
    assert!(h.db.day_sums_consistent().await.unwrap());
    assert_eq!(h.db.ledger("nowhere", today).await.unwrap(), None);

    // A database from before the sums (and their accepted column): opened, it fills
    // them from its rows.
    h.raw_sql(
        "DROP TABLE day_sums; DROP INDEX rows_targets;
         DELETE FROM schema_migrations WHERE version IN (3, 7);",
    )
    .await;
    let db = h.reopen().await;
    assert!(db.day_sums_consistent().await.unwrap());
    assert_eq!(db.ledger(BANNER, today).await.unwrap(), Some(l));
}

fn road(l: &Ledger) -> &LedgerRow {
    l.rows
        .iter()
        .find(|r| r.key == RowKey::metric(Metric::RoadKm))
        .unwrap()
}

/// A 5 km road: the cadre and the leader each record progress without having seen the
/// other's entry; both entries arrive and count. One more than the road is long is
/// refused; accepted, the whole road counts as accepted.
async fn progress_entries_made_on_two_devices_both_count(h: Harness) {
    let today: NaiveDate = TODAY.parse().unwrap();
    let mut cadre = h.device(CADRE).await;
    let mut leader = h.device(LEADER).await;
    let id = RowId(uuid::Uuid::now_v7());
    let new = cadre.change(
        Table::Works,
        id,
        VILLAGE_A1,
        json!({"kind": "road", "quantity": 5, "status": "started", "started_on": "2025-05-20"}),
    );
    accepted(&h.push(&cadre, &[new]).await.results());
    let entry = |dev: &mut Dev, q: f64| {
        let field = schema::progress_field(uuid::Uuid::now_v7());
        let mut fields = serde_json::Map::new();
        fields.insert(field, json!({"date": TODAY, "quantity": q}));
        dev.change(Table::Works, id, VILLAGE_A1, fields.into())
    };
    let (a, b) = (entry(&mut cadre, 2.0), entry(&mut leader, 1.5));
    accepted(&h.push(&cadre, &[a]).await.results());
    accepted(&h.push(&leader, &[b]).await.results());
    let l = h.db.ledger(BANNER, today).await.unwrap().unwrap();
    assert_eq!((road(&l).started, road(&l).completed), (5.0, 3.5));

    let beyond = entry(&mut cadre, 2.0);
    let results = h.push(&cadre, &[beyond]).await.results();
    assert!(
        outcome(&results[0]).contains("beyond_planned"),
        "{:?}",
        results[0]
    );
    let done = cadre.change(
        Table::Works,
        id,
        VILLAGE_A1,
        json!({"status": "accepted", "completed_on": TODAY, "accepted_on": TODAY}),
    );
    accepted(&h.push(&cadre, &[done]).await.results());
    let l = h.db.ledger(BANNER, today).await.unwrap().unwrap();
    let r = road(&l);
    assert_eq!((r.started, r.completed, r.accepted), (5.0, 5.0, Some(5.0)));
    assert!(h.db.day_sums_consistent().await.unwrap());
}
