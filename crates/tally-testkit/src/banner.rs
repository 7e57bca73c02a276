//! The test banner: 杭锦旗 (150625) › 锡尼镇 (150625100) › villages 阿斯尔嘎查 (…201) and
//! 巴音嘎查 (…202), and a hamlet 一社 (…20101) in the first village for device tests; the
//! server's users of it. One fixture for the store's, the server's and the end-to-end
//! tests.

use tally_core::{Level, OrgUnit};
use tally_protocol::Role;
use tally_server::{admin, Db, WallClock};

pub const BANNER: &str = "150625";
pub const TOWNSHIP: &str = "150625100";
pub const VILLAGE_A: &str = "150625100201";
pub const VILLAGE_B: &str = "150625100202";
pub const HAMLET: &str = "15062510020101";
/// Every seeded user's password.
pub const PASSWORD: &str = "correct-horse-battery";

/// The banner, its township and its two villages, parents first.
pub const UNITS: [(&str, &str, Level, Option<&str>); 4] = [
    (BANNER, "杭锦旗", Level::Banner, None),
    (TOWNSHIP, "锡尼镇", Level::Township, Some(BANNER)),
    (VILLAGE_A, "阿斯尔嘎查", Level::Village, Some(TOWNSHIP)),
    (VILLAGE_B, "巴音嘎查", Level::Village, Some(TOWNSHIP)),
];

/// The hamlet of village A (device tests of hamlet-level records).
pub const HAMLET_UNIT: (&str, &str, Level, Option<&str>) =
    (HAMLET, "一社", Level::Hamlet, Some(VILLAGE_A));

/// The server's users: two cadres of village A, one of village B, the township's
/// leader, and an admin.
pub const USERS: [(&str, Role, Option<&str>); 5] = [
    ("cadre-a", Role::Cadre, Some(VILLAGE_A)),
    ("cadre-a2", Role::Cadre, Some(VILLAGE_A)),
    ("cadre-b", Role::Cadre, Some(VILLAGE_B)),
    ("leader", Role::Leader, Some(TOWNSHIP)),
    ("admin", Role::Admin, None),
];

fn org_unit((code, name, level, parent): (&str, &str, Level, Option<&str>)) -> OrgUnit {
    OrgUnit::new(code, name, level, parent)
}

/// What a device is seeded with: [`UNITS`] and the hamlet, parents first.
pub fn device_units() -> Vec<OrgUnit> {
    UNITS
        .into_iter()
        .chain([HAMLET_UNIT])
        .map(org_unit)
        .collect()
}

/// Seed a server's database with [`UNITS`] and [`USERS`] (password [`PASSWORD`]).
pub async fn seed_server(db: &Db, clock: &dyn WallClock) {
    for unit in UNITS {
        let unit = org_unit(unit);
        let new = admin::NewUnit {
            code: unit.code,
            name: unit.name,
            level: unit.level,
            parent: unit.parent,
        };
        admin::add_unit(db, clock, new)
            .await
            .expect("seed an org unit");
    }
    for (name, role, unit) in USERS {
        let units: Vec<String> = unit.map(|u| vec![u.to_string()]).unwrap_or_default();
        admin::add_user(db, clock, name, role, &units, PASSWORD)
            .await
            .expect("seed a user");
    }
}
