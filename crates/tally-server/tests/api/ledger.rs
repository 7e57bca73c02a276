//! The server's ledger: read from the per-day sums each push keeps, following edits
//! and deletions, and rebuilt from the rows when an older database is opened.

use crate::both_backends;
use crate::support::*;
use chrono::NaiveDate;
use serde_json::json;
use tally_core::ledger::GroupRow;
use tally_core::{
    schema, Group, Ledger, LedgerRow, Metric, MilestoneState, NaturalKey, PileKind, RowId, RowKey,
    Table, VillageFlag,
};

both_backends!(
    the_ledger_follows_edits_and_deletions_and_survives_a_rebuild,
    progress_entries_made_on_two_devices_both_count,
    a_target_counts_its_period_and_tells_its_milestones,
    flagged_villages_break_the_ledger_down,
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

/// A leader's cleanup target of a period with milestones: the server counts only the
/// loads dated in the period and tells each milestone apart, from its day sums.
async fn a_target_counts_its_period_and_tells_its_milestones(h: Harness) {
    let today: NaiveDate = TODAY.parse().unwrap();
    let day = |d: &str| -> NaiveDate { d.parse().unwrap() };
    let mut cadre = h.device(CADRE).await;
    let mut leader = h.device(LEADER).await;
    let load = |dev: &mut Dev, tonnes: f64, date: &str| {
        let row = RowId(uuid::Uuid::now_v7());
        let fields = json!({"kind": "hay", "tonnes": tonnes, "date": date});
        dev.change(Table::Cleanup, row, VILLAGE_A1, fields)
    };
    let loads = [
        load(&mut cadre, 7.0, "2025-04-20"),
        load(&mut cadre, 2.0, "2025-05-05"),
        load(&mut cadre, 3.0, "2025-05-28"),
    ];
    accepted(&h.push(&cadre, &loads).await.results());
    let target = RowId::natural(tally_core::NaturalKey::Target {
        unit: TOWN_A,
        metric: Metric::CleanupTonnes,
        pile: Some(PileKind::Hay),
        from: Some(day("2025-05-01")),
    });
    let plan = leader.change(
        Table::Target,
        target,
        TOWN_A,
        json!({
            "metric": "cleanup-tonnes", "pile": "hay", "quantity": 20, "deadline": "2025-06-30",
            "from": "2025-05-01",
            "milestones": [{"date": "2025-05-10", "quantity": 4}, {"date": "2025-06-15", "quantity": 10}],
        }),
    );
    accepted(&h.push(&leader, &[plan]).await.results());
    let l = h.db.ledger(TOWN_A, today).await.unwrap().unwrap();
    let key = RowKey {
        metric: Metric::CleanupTonnes,
        pile: Some(PileKind::Hay),
    };
    let r = l.rows.iter().find(|r| r.key == key).unwrap();
    assert_eq!(
        (r.target, r.completed),
        (Some(20.0), 5.0),
        "the April load is before the period"
    );
    assert_eq!(r.from, Some(day("2025-05-01")));
    // 4 t by 05-10: 2 t in the period, missed. 10 t by 06-15: 5 more in 14 days is
    // 0.357 a day, and the last 7 days did 3 t (0.429 a day): on track.
    let states: Vec<_> = r
        .milestones
        .iter()
        .map(|m| (m.completed, m.state, m.required_per_day))
        .collect();
    assert_eq!(
        states,
        [
            (2.0, MilestoneState::Missed, None),
            (5.0, MilestoneState::OnTrack, Some(0.357))
        ],
        "{r:?}"
    );
    // The whole metric's row counts the period too (one start per metric).
    assert_eq!(completed(&l, None), 5.0);
    // Before the period began, the target without a start is the one that applies: none.
    let before =
        h.db.ledger(TOWN_A, day("2025-04-25"))
            .await
            .unwrap()
            .unwrap();
    let r = before.rows.iter().find(|r| r.key == key).unwrap();
    assert_eq!((r.target, r.completed), (None, 7.0));
}

fn group(l: &Ledger, g: Group) -> (u64, u64, u64) {
    let r: &GroupRow = l.groups.iter().find(|r| r.group == g).unwrap();
    (r.households, r.renovated, r.backlog)
}

/// A leader flags a village of their township; a flag on a township is refused. The
/// server's ledger breaks households down by category and flagged village, and counts
/// the flagged villages alone when asked — the same figures a device computes.
async fn flagged_villages_break_the_ledger_down(h: Harness) {
    let today: NaiveDate = TODAY.parse().unwrap();
    let mut cadre = h.device(CADRE).await;
    let mut leader = h.device(LEADER).await;
    let house = |dev: &mut Dev, unit: &str, fields: serde_json::Value| {
        dev.change(Table::Household, RowId(uuid::Uuid::now_v7()), unit, fields)
    };
    let a1 = [
        house(
            &mut cadre,
            VILLAGE_A1,
            json!({"head": "张三", "categories": ["five-guarantee"], "rating": "D"}),
        ),
        house(
            &mut cadre,
            VILLAGE_A1,
            json!({"head": "李四", "renovation": "completed", "completed_on": TODAY}),
        ),
    ];
    accepted(&h.push(&cadre, &a1).await.results());
    let a2 = house(
        &mut leader,
        VILLAGE_A2,
        json!({"head": "王五", "categories": ["five-guarantee", "subsistence"], "rating": "C"}),
    );
    let load = leader.cleanup(VILLAGE_A2, json!(7));
    let flag = |dev: &mut Dev, unit: &str, field: &str| {
        let row = RowId::natural(NaturalKey::OrgUnit { code: unit });
        dev.change(Table::OrgUnit, row, unit, json!({ field: true }))
    };
    let seepage = flag(&mut leader, VILLAGE_A2, "seepage");
    let key = flag(&mut leader, VILLAGE_A1, "key_village");
    accepted(&h.push(&leader, &[a2, load, seepage, key]).await.results());
    let town = flag(&mut leader, TOWN_A, "seepage");
    let refused = h.push(&leader, &[town]).await.results();
    assert!(
        format!("{refused:?}").contains("flag_not_on_village"),
        "{refused:?}"
    );

    let l = h.db.ledger(TOWN_A, today).await.unwrap().unwrap();
    assert_eq!(group(&l, Group::All), (3, 1, 2));
    assert_eq!(group(&l, Group::FiveGuarantee), (2, 0, 2));
    assert_eq!(group(&l, Group::Subsistence), (1, 0, 1));
    assert_eq!(group(&l, Group::Seepage), (1, 0, 1));
    assert_eq!(group(&l, Group::KeyVillage), (2, 1, 1));
    let only =
        h.db.ledger_of(TOWN_A, today, Some(VillageFlag::Seepage))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(only.only, Some(VillageFlag::Seepage));
    assert_eq!(completed(&only, None), 7.0);
    assert_eq!(group(&only, Group::All), (1, 0, 1));
    let only =
        h.db.ledger_of(TOWN_A, today, Some(VillageFlag::KeyVillage))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(completed(&only, None), 0.0);
    let renovation = only
        .rows
        .iter()
        .find(|r| r.key == RowKey::metric(Metric::Renovation))
        .unwrap();
    assert_eq!(renovation.completed, 1.0);
    assert!(h.db.day_sums_consistent().await.unwrap());
}
