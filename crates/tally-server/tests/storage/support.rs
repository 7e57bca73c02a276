//! What the storage tests share: a seeded database, authors and changes.

use serde_json::json;
use tally_core::{Change, ChangeId, DeviceId, Hlc, HlcClock, RowId, Table};
use tally_protocol::{PushResult, Role};
use tally_server::db::{Held, PageSize, PullPage, PushMode, Pushed};
use tally_server::push::Author;
use tally_server::scope::ReadFilter;
use tally_server::{ManualClock, WallClock};
use tally_testkit::banner::{self, TOWNSHIP, VILLAGE_A, VILLAGE_B};
pub use tally_testkit::change::MakesChanges;
use tally_testkit::{Backend, TestDb};

/// 2026-06-01T04:00:00Z: the server's clock in every test.
pub const NOW: u64 = 1_780_286_400_000;
pub const TODAY: &str = "2026-06-01";

/// A database seeded with the test banner and its users; `None` when PostgreSQL is
/// skipped on purpose.
pub async fn seeded(backend: Backend) -> Option<TestDb> {
    let t = TestDb::open(backend, "a storage test on PostgreSQL").await?;
    banner::seed_server(&t.db, &ManualClock::at(NOW) as &dyn WallClock).await;
    Some(t)
}

/// Someone pushing from their own device.
pub struct Writer {
    pub who: Author,
    clock: HlcClock,
}

impl Writer {
    pub fn new(role: Role, units: &[&str]) -> Writer {
        Writer {
            who: Author {
                device: DeviceId(uuid::Uuid::now_v7()),
                user: format!("{role:?}").to_lowercase(),
                role,
                units: units.iter().map(|u| u.to_string()).collect(),
            },
            clock: HlcClock::default(),
        }
    }

    /// A cadre of village A.
    pub fn cadre_a() -> Writer {
        Writer::new(Role::Cadre, &[VILLAGE_A])
    }

    /// A cadre of village B.
    pub fn cadre_b() -> Writer {
        Writer::new(Role::Cadre, &[VILLAGE_B])
    }

    /// The township's leader.
    pub fn leader() -> Writer {
        Writer::new(Role::Leader, &[TOWNSHIP])
    }

    pub fn household(&mut self, unit: &str, head: &str) -> Change {
        let row = RowId(uuid::Uuid::now_v7());
        self.change(Table::Household, row, unit, json!({"head": head}))
    }

    pub fn cleanup(&mut self, unit: &str, tonnes: f64, date: &str) -> Change {
        let row = RowId(uuid::Uuid::now_v7());
        let fields = json!({"kind": "manure", "tonnes": tonnes, "date": date});
        self.change(Table::Cleanup, row, unit, fields)
    }

    /// Push as this writer, one change at a time.
    pub async fn push(&self, t: &TestDb, changes: &[Change], mode: PushMode) -> Pushed {
        t.db.push(changes.to_vec(), self.who.clone(), NOW, mode)
            .await
            .expect("push")
    }
}

/// The seq of an accepted result, panicking on a rejection.
pub fn seq(r: &PushResult) -> i64 {
    match r {
        PushResult::Accepted { seq, .. } => *seq,
        other => panic!("expected accepted, got {other:?}"),
    }
}

/// The code of a result, "accepted" when accepted.
pub fn code(r: &PushResult) -> &str {
    match r {
        PushResult::Accepted { .. } => "accepted",
        PushResult::Rejected { code, .. } => code,
    }
}

/// Every unit's changes.
pub fn everything() -> ReadFilter {
    ReadFilter {
        units: None,
        org_units: Vec::new(),
    }
}

/// The changes of `units`.
pub fn only(units: &[&str]) -> ReadFilter {
    ReadFilter {
        units: Some(units.iter().map(|u| u.to_string()).collect()),
        org_units: Vec::new(),
    }
}

/// Pull every page after `cursor` (pages of `limit`); the pages.
pub async fn pull_pages(
    t: &TestDb,
    filter: &ReadFilter,
    cursor: &str,
    limit: u32,
    held: &Held,
) -> Vec<PullPage> {
    let mut pages = Vec::new();
    let mut cursor = cursor.to_string();
    for _ in 0..1000 {
        let page =
            t.db.pull(filter.clone(), &cursor, PageSize::of(limit), held.clone())
                .await
                .expect("pull");
        cursor = page.cursor.clone();
        let more = page.more;
        pages.push(page);
        if !more {
            return pages;
        }
    }
    panic!("more than 1000 pages");
}

/// The ids of pulled changes, in order.
pub fn ids(pages: &[PullPage]) -> Vec<ChangeId> {
    pages
        .iter()
        .flat_map(|p| &p.changes)
        .map(|c| {
            serde_json::from_str::<Change>(c.change.get())
                .expect("a stored change")
                .id
        })
        .collect()
}

impl MakesChanges for Writer {
    fn next(&mut self) -> (Hlc, DeviceId, &str) {
        (
            self.clock.tick(NOW),
            self.who.device,
            self.who.user.as_str(),
        )
    }
}
