//! The device's ledger: read from per-day sums that every write keeps, equal to the
//! core ledger of the records, and rebuilt from the rows for a database from before.

mod support;

use support::*;
use tally_core::ledger;
use tally_core::*;
use tally_store::*;

#[test]
fn the_ledger_from_day_sums_is_the_core_ledger_of_the_records_after_edits_and_deletions() {
    let (mut s, _) = store();
    for (i, name) in ["甲", "乙", "丙", "丁"].iter().enumerate() {
        let h = household(&mut s, "150625100201", name);
        let status = [
            RenovationStatus::Planned,
            RenovationStatus::Started,
            RenovationStatus::Completed,
            RenovationStatus::Accepted,
        ][i];
        s.set_renovation(
            h,
            status,
            Some(day("2026-11-20") + chrono::Days::new(i as u64)),
            false,
        )
        .unwrap();
    }
    s.add_cleanup(
        "150625100201",
        PileKind::Manure,
        3.5,
        Some(2),
        Some(day("2026-11-25")),
    )
    .unwrap();
    // Corrected (tonnes and day), and one deleted: the sums move with each edit.
    let moved = s
        .add_cleanup(
            "150625100201",
            PileKind::Hay,
            7.125,
            None,
            Some(day("2026-11-02")),
        )
        .unwrap();
    s.edit(
        Edit::new(Table::Cleanup)
            .row(moved)
            .set("tonnes", 0.375)
            .set("date", day("2026-11-26")),
    )
    .unwrap();
    let gone = s
        .add_cleanup(
            "150625100201",
            PileKind::Manure,
            9.0,
            None,
            Some(day("2026-11-25")),
        )
        .unwrap();
    s.edit(Edit::new(Table::Cleanup).row(gone).set("deleted", true))
        .unwrap();
    s.add_cleanup(
        "15062510020101",
        PileKind::Garbage,
        1.25,
        None,
        Some(day("2026-11-01")),
    )
    .unwrap();
    s.add_demolition("150625100202", None, Some(80.0), Some(day("2026-11-26")))
        .unwrap();
    let w = s
        .add_works(
            "150625100202",
            WorksKind::Water,
            1.0,
            Some(120),
            WorksStatus::Started,
            Some(day("2026-11-10")),
        )
        .unwrap();
    s.set_works_status(w, WorksStatus::Completed, Some(day("2026-11-24")), false)
        .unwrap();
    s.add_works(
        "150625100201",
        WorksKind::Road,
        2.5,
        None,
        WorksStatus::Completed,
        Some(day("2026-11-22")),
    )
    .unwrap();
    s.set_target("150625100", Metric::Renovation, 10.0, day("2026-12-31"))
        .unwrap();
    s.set_target(
        "150625100201",
        Metric::CleanupTonnes,
        100.0,
        day("2026-12-07"),
    )
    .unwrap();

    let records = s.records().unwrap();
    let core_facts = ledger::facts(&records);
    for unit in [
        "150625",
        "150625100",
        "150625100201",
        "150625100202",
        "15062510020101",
    ] {
        for as_of in ["2026-11-21", "2026-11-27"] {
            let by_sql = s.ledger(unit, Some(day(as_of))).unwrap();
            let by_core = ledger::ledger(
                &records.units,
                &records.targets,
                &core_facts,
                unit,
                day(as_of),
            )
            .unwrap();
            assert_eq!(by_sql, by_core, "{unit} as of {as_of}");
        }
    }
    let l = s.ledger("150625", Some(day("2026-11-27"))).unwrap();
    let row = |k: RowKey| l.rows.iter().find(|r| r.key == k).unwrap().clone();
    let (renovation, cleanup) = (
        RowKey::metric(Metric::Renovation),
        RowKey::metric(Metric::CleanupTonnes),
    );
    let pile = |p| RowKey {
        pile: Some(p),
        ..cleanup
    };
    assert_eq!(
        (
            row(renovation).started,
            row(renovation).completed,
            row(renovation).target
        ),
        (3.0, 2.0, Some(10.0))
    );
    assert_eq!(row(cleanup).completed, 5.125);
    assert_eq!(row(pile(PileKind::Manure)).completed, 3.5);
    assert_eq!(row(pile(PileKind::Hay)).completed, 0.375);
    assert_eq!(
        (
            row(RowKey::metric(Metric::WaterSites)).completed,
            row(RowKey::metric(Metric::WaterPeople)).completed
        ),
        (1.0, 120.0)
    );
    assert_eq!(row(RowKey::metric(Metric::RoadKm)).completed, 2.5);
    assert_eq!(row(RowKey::metric(Metric::Demolition)).completed, 1.0);
    assert!(s.day_sums_consistent().unwrap());

    // Another device that pulls every change keeps the same sums.
    let (mut b, _) = store();
    let page: Vec<(i64, Change)> = s
        .pending(1000)
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, c)| (i as i64 + 1, c))
        .collect();
    b.apply_remote(&page, "c1").unwrap();
    assert!(b.day_sums_consistent().unwrap());
    assert_eq!(b.ledger("150625", Some(day("2026-11-27"))).unwrap(), l);
}

#[test]
fn a_database_from_before_day_sums_gets_them_from_its_rows_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.db");
    let time = FakeTime::on(day("2026-11-27"));
    let before = {
        let mut s = Store::open_with(&path, &key(), Box::new(time.clone())).unwrap();
        s.init("旧版本").unwrap();
        seed_units(&mut s);
        s.add_cleanup("150625100201", PileKind::Dirt, 2.5, None, None)
            .unwrap();
        s.add_demolition("150625100201", None, None, Some(day("2026-11-20")))
            .unwrap();
        s.ledger("150625", None).unwrap()
    };
    assert_eq!(
        before
            .rows
            .iter()
            .find(|r| r.key == RowKey::metric(Metric::CleanupTonnes))
            .unwrap()
            .completed,
        2.5
    );
    // Back to schema 3, as a build before the sums left it.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "key", format!("x'{}'", tally_testkit::DB_KEY))
        .unwrap();
    conn.execute_batch(
        "DROP TABLE day_sums; DELETE FROM meta WHERE key = 'day_sums'; DROP TABLE withdrawn_change;
         ALTER TABLE change_log DROP COLUMN reject_reason_zh;
         ALTER TABLE household DROP COLUMN pension; ALTER TABLE household DROP COLUMN medical;
         ALTER TABLE org_unit DROP COLUMN seepage; ALTER TABLE org_unit DROP COLUMN key_village;
         ALTER TABLE household DROP COLUMN id_number;
         CREATE INDEX cleanup_facts ON cleanup (unit, kind, date, tonnes) WHERE deleted = 0;
         CREATE INDEX demolition_facts ON demolition (unit, date) WHERE deleted = 0;
         CREATE INDEX household_facts ON household (unit, renovation, started_on, completed_on, accepted_on)
             WHERE deleted = 0 AND renovation IN ('started', 'completed', 'accepted');
         PRAGMA user_version = 3;",
    )
    .unwrap();
    drop(conn);
    let s = Store::open_with(&path, &key(), Box::new(time)).unwrap();
    assert!(s.day_sums_consistent().unwrap());
    assert_eq!(s.ledger("150625", None).unwrap(), before);
}
