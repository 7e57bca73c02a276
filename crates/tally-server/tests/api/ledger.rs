//! The server's ledger: read from the per-day sums each push keeps, following edits
//! and deletions, and rebuilt from the rows when an older database is opened.

use crate::both_backends;
use crate::support::*;
use chrono::NaiveDate;
use serde_json::json;
use tally_core::{Ledger, Metric, PileKind, RowKey, Table};

both_backends!(the_ledger_follows_edits_and_deletions_and_survives_a_rebuild,);

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

    // A database from before the sums: opened, it fills them from its rows.
    h.raw_sql(
        "DROP TABLE day_sums; DROP INDEX rows_targets;
         DELETE FROM schema_migrations WHERE version = 3;",
    )
    .await;
    let db = h.reopen().await;
    assert!(db.day_sums_consistent().await.unwrap());
    assert_eq!(db.ledger(BANNER, today).await.unwrap(), Some(l));
}
