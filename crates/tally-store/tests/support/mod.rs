//! What the store's test binaries share: a day, the org units of the test banner, a
//! seeded store, a household, a conflict.
#![allow(dead_code)] // each test binary uses its own part

use chrono::NaiveDate;
use tally_core::*;
use tally_store::*;

#[allow(unused_imports)] // not every test binary names it
pub use tally_testkit::banner::VILLAGE_A as VILLAGE;

/// The tests' database key.
pub fn key() -> DbKey {
    DbKey::parse(tally_testkit::DB_KEY).unwrap()
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The test banner's units (`tally_testkit::banner`): banner 150625 › township
/// 150625100 › villages …201 (with hamlet …20101) and …202.
pub fn seed_units(s: &mut Store) {
    for unit in tally_testkit::banner::device_units() {
        s.add_unit(&unit).unwrap();
    }
}

/// A device in memory with the test banner's units, on 2026-11-27.
pub fn store() -> (Store, FakeTime) {
    let time = FakeTime::on(day("2026-11-27"));
    let mut s = Store::open_in_memory(Box::new(time.clone())).unwrap();
    s.init("测试机").unwrap();
    seed_units(&mut s);
    (s, time)
}

pub fn household(s: &mut Store, village: &str, head: &str) -> RowId {
    s.add_household(&NewHousehold {
        village: village.into(),
        head: head.into(),
        members: Some(3),
        ..Default::default()
    })
    .unwrap()
}

/// One open conflict on `a`: household `h`'s members edited here (4) and, concurrently,
/// on another device that had every change of `a` (6), which `a` then pulls.
pub fn conflict_on_members(a: &mut Store, h: RowId) {
    let (mut b, _) = store();
    let page: Vec<(i64, Change)> = a
        .outbox(None, 100_000)
        .unwrap()
        .into_iter()
        .map(|e| (1, e.change))
        .collect();
    b.apply_remote(&page, "1").unwrap();
    let _ = a
        .edit(Edit::new(Table::Household).row(h).set("members", 4))
        .unwrap();
    let theirs = b
        .edit(Edit::new(Table::Household).row(h).set("members", 6))
        .unwrap()
        .into_change()
        .unwrap();
    a.apply_remote(&[(9, theirs)], "9").unwrap();
}

/// How many changes this device has written.
pub fn count_changes(s: &Store) -> usize {
    s.outbox(None, 10_000).unwrap().len()
}
