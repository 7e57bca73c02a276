//! What the store's test binaries share: a day, the org units of the test banner, a
//! seeded store, a household.
#![allow(dead_code)] // each test binary uses its own part

use chrono::NaiveDate;
use tally_core::*;
use tally_store::*;

pub const VILLAGE: &str = "150625100201";

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Banner 150625 › township 150625100 › villages …201 (with hamlet …20101) and …202.
pub fn seed_units(s: &mut Store) {
    let units = [
        ("150625", "杭锦旗", Level::Banner, None),
        ("150625100", "锡尼镇", Level::Township, Some("150625")),
        (VILLAGE, "阿斯尔嘎查", Level::Village, Some("150625100")),
        (
            "150625100202",
            "巴音嘎查",
            Level::Village,
            Some("150625100"),
        ),
        ("15062510020101", "一社", Level::Hamlet, Some(VILLAGE)),
    ];
    for (code, name, level, parent) in units {
        s.add_unit(&OrgUnit {
            code: code.into(),
            name: name.into(),
            level,
            parent: parent.map(Into::into),
        })
        .unwrap();
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
