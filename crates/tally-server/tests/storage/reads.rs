//! Reads: the org-unit tree and its cache, conflicts, and the ledger from the per-day
//! sums pushes keep (equal to the core ledger of the merged rows).

use crate::support::*;
use serde_json::json;
use std::sync::Arc;
use tally_core::{ledger, Records, Table};
use tally_server::admin::{self, NewUnit};
use tally_server::db::PushMode;
use tally_server::ManualClock;
use tally_testkit::banner::{BANNER, TOWNSHIP, VILLAGE_A, VILLAGE_B};
use tally_testkit::{per_backend, Backend};

per_backend!(
    the_unit_tree_is_read_again_only_after_units_change,
    conflicts_are_listed_by_unit,
    the_ledger_is_the_core_ledger_of_the_rows,
);

async fn the_unit_tree_is_read_again_only_after_units_change(backend: Backend) {
    let Some(t) = seeded(backend).await else {
        return;
    };
    let tree = t.db.unit_tree().await.unwrap();
    assert_eq!(tree.len(), 4);
    assert_eq!(tree.ancestors(VILLAGE_A), [TOWNSHIP, BANNER]);
    let again = t.db.unit_tree().await.unwrap();
    assert!(
        Arc::ptr_eq(&tree, &again),
        "nothing changed: the cached tree"
    );

    // A record push leaves the tree as it was.
    let mut a = Writer::cadre_a();
    let h = a.household(VILLAGE_A, "甲");
    a.push(&t, &[h], PushMode::PerChange).await;
    assert!(Arc::ptr_eq(&tree, &t.db.unit_tree().await.unwrap()));

    let hamlet = format!("{VILLAGE_A}01");
    let unit = NewUnit {
        code: hamlet.clone(),
        name: "一社".into(),
        level: tally_core::Level::Hamlet,
        parent: Some(VILLAGE_A.into()),
    };
    admin::add_unit(&t.db, &ManualClock::at(NOW), unit)
        .await
        .unwrap();
    let newer = t.db.unit_tree().await.unwrap();
    assert!(!Arc::ptr_eq(&tree, &newer));
    assert_eq!(
        newer.get(&hamlet).map(|u| u.parent.as_deref()),
        Some(Some(VILLAGE_A))
    );

    // Another process over the same database sees it too.
    let other = tally_server::Db::open(&t.url).await.unwrap();
    assert_eq!(other.unit_tree().await.unwrap().len(), 5);
}

async fn conflicts_are_listed_by_unit(backend: Backend) {
    let Some(t) = seeded(backend).await else {
        return;
    };
    let (mut cadre, mut leader) = (Writer::cadre_a(), Writer::leader());
    let created = cadre.household(VILLAGE_A, "王五");
    cadre
        .push(&t, std::slice::from_ref(&created), PushMode::PerChange)
        .await;
    // Both saw the created value; neither saw the other's edit.
    let a = cadre.edit(&created, json!({"head": "王武"}));
    let b = leader.edit(&created, json!({"head": "王午"}));
    cadre.push(&t, &[a], PushMode::PerChange).await;
    leader.push(&t, &[b], PushMode::PerChange).await;

    let all = t.db.conflicts(None).await.unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!((all[0].row, all[0].field.as_str()), (created.row, "head"));
    assert_eq!(
        t.db.conflicts(Some(vec![VILLAGE_A.into()])).await.unwrap(),
        all
    );
    assert!(t
        .db
        .conflicts(Some(vec![VILLAGE_B.into()]))
        .await
        .unwrap()
        .is_empty());

    // An edit that saw both values settles it.
    let row = t.db.row(created.row).await.unwrap().unwrap();
    let mut fix = leader.change(
        Table::Household,
        created.row,
        VILLAGE_A,
        json!({"head": "王伍"}),
    );
    let head = fix.fields.get_mut("head").unwrap();
    head.base = Some(row.fields["head"].at);
    head.saw = vec![all[0].loser.at];
    leader.push(&t, &[fix], PushMode::PerChange).await;
    assert!(t.db.conflicts(None).await.unwrap().is_empty());
}

async fn the_ledger_is_the_core_ledger_of_the_rows(backend: Backend) {
    let Some(t) = seeded(backend).await else {
        return;
    };
    let mut a = Writer::cadre_a();
    let kept = a.cleanup(VILLAGE_A, 2.5, TODAY);
    let moved = a.cleanup(VILLAGE_A, 7.125, "2026-05-02");
    let gone = a.cleanup(VILLAGE_A, 9.0, "2026-05-30");
    a.push(
        &t,
        &[kept.clone(), moved.clone(), gone.clone()],
        PushMode::PerChange,
    )
    .await;
    let edit = a.change(
        Table::Cleanup,
        moved.row,
        VILLAGE_A,
        json!({"tonnes": 0.375, "date": "2026-05-31"}),
    );
    let delete = a.change(
        Table::Cleanup,
        gone.row,
        VILLAGE_A,
        json!({"deleted": true}),
    );
    a.push(&t, &[edit, delete], PushMode::PerChange).await;
    assert!(t.db.day_sums_consistent().await.unwrap());

    let mut rows = Vec::new();
    for id in [kept.row, moved.row, gone.row] {
        rows.push(t.db.row(id).await.unwrap().unwrap());
    }
    let records = Records::from_rows(&rows);
    let units = t.db.unit_tree().await.unwrap().live_units();
    let today = TODAY.parse().unwrap();
    let want = ledger::ledger(&units, &[], &ledger::facts(&records), BANNER, today);
    assert_eq!(t.db.ledger(BANNER, today).await.unwrap(), want);
    assert!(want.unwrap().rows.iter().any(|r| r.completed == 2.875));
    assert_eq!(t.db.ledger("999999", today).await.unwrap(), None);
}
