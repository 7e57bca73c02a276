//! What the store's test binaries share: a day, the org units of the test banner, a
//! seeded store, a household.
#![allow(dead_code)] // each test binary uses its own part

use chrono::NaiveDate;
use tally_core::*;
use tally_store::*;

#[allow(unused_imports)] // not every test binary names it
pub use tally_testkit::banner::VILLAGE_A as VILLAGE;

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
