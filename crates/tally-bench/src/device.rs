//! A device for the benchmarks: a real store file (WAL, synchronous=FULL), enrolled on a
//! bench server, syncing over real HTTP with the same client the CLI uses; and the
//! visit records the sync scenarios write.

use crate::server::{Server, VILLAGE};
use crate::stats::since;
use anyhow::Result;
use chrono::NaiveDate;
use std::path::Path;
use std::time::Instant;
use tally_core::{RowId, Table};
use tally_protocol::Role;
use tally_store::{DbKey, Edit, Store};
use tally_sync::{Client, HttpTransport, Progress, SyncOptions, SyncReport};

/// An enrolled device with its store.
pub struct Device {
    pub store: Store,
    url: String,
}

/// What one sync did and how long it took.
#[derive(Clone, Debug, Default)]
pub struct SyncRun {
    /// The whole sync: clock, push, pull.
    pub ms: f64,
    /// Until the last push batch was answered and recorded.
    pub push_ms: f64,
    pub report: SyncReport,
}

impl Device {
    /// A device in `dir` for `user` (created as a cadre of `units` if new).
    pub fn new(server: &Server, dir: &Path, user: &str, units: &[String]) -> Result<Device> {
        Self::with_role(server, dir, user, Role::Cadre, units)
    }

    /// A cadre of the benchmark's village, not synced yet.
    pub fn in_village(server: &Server, dir: &Path, user: &str) -> Result<Device> {
        Self::new(server, dir, user, &[VILLAGE.to_string()])
    }

    /// A cadre of the benchmark's village that has synced once (the org units, as at
    /// enrolment), so it can record from the first moment.
    pub fn synced_in_village(server: &Server, dir: &Path, user: &str) -> Result<Device> {
        let mut device = Self::in_village(server, dir, user)?;
        device.sync()?;
        Ok(device)
    }

    pub fn with_role(
        server: &Server,
        dir: &Path,
        user: &str,
        role: Role,
        units: &[String],
    ) -> Result<Device> {
        let name = format!("{user}-{}", uuid::Uuid::now_v7().simple());
        let mut store = Store::open(&dir.join(format!("{name}.db")), &DbKey::random())?;
        let device = store.init(&name)?;
        let token = server.enroll(user, role, units, device.id)?;
        store.save_login(&server.url, user, role, units, &token)?;
        Ok(Device {
            store,
            url: server.url.clone(),
        })
    }

    /// The store and the server's address, for a sync that shares the store.
    pub fn into_parts(self) -> (Store, String) {
        (self.store, self.url)
    }

    /// Push everything pending and pull until up to date, over a fresh connection.
    pub fn sync(&mut self) -> Result<SyncRun> {
        let mut transport = HttpTransport::new(&self.url)?;
        let t = Instant::now();
        let mut push_ms = 0.0;
        let report = Client::new(&mut transport, SyncOptions::default()).sync(
            &mut self.store,
            &mut |p| {
                if let Progress::Pushing { .. } = p {
                    push_ms = since(t);
                }
            },
        )?;
        Ok(SyncRun {
            ms: since(t),
            push_ms,
            report,
        })
    }
}

/// The day visits are dated (recent, so validation takes it as a past event).
pub fn visit_day() -> NaiveDate {
    chrono::Utc::now().date_naive() - chrono::Days::new(3)
}

/// How many households of the benchmark's village the visits go to: the server is
/// seeded with them (a visit must name a known household of its village), and a device
/// has them from its first sync, like a cadre's.
pub const HOUSEHOLDS: usize = 50;

/// The id of household `n % HOUSEHOLDS` of the benchmark's village.
pub fn household(n: usize) -> RowId {
    RowId(uuid::Uuid::from_u128(
        0xbe9c_0000_0000_7000_8000_0000_0000_0000 + (n % HOUSEHOLDS) as u128,
    ))
}

/// The note of visit `i`: makes a visit record about 300 bytes, like the peer's.
pub fn note(i: usize) -> String {
    format!("入户核查 {i:06}: 房屋安全, 道路已清理, 垃圾堆已清运, 需回访 road cleared bins checked")
}

/// Write `n` visits in village [`VILLAGE`], 1 000 per transaction (as the peer's
/// `bulkDocs`); returns their row ids.
pub fn write_visits(store: &mut Store, n: usize, from: usize) -> Result<Vec<RowId>> {
    let day = visit_day();
    let mut rows = Vec::with_capacity(n);
    for chunk in (from..from + n).collect::<Vec<_>>().chunks(1000) {
        store.batch(|s| {
            for &i in chunk {
                let change = s.edit(
                    Edit::new(Table::Visit)
                        .unit(VILLAGE)
                        .set("household", household(i))
                        .set("date", day)
                        .set("note", note(i)),
                )?;
                rows.push(change.row());
            }
            Ok(())
        })?;
    }
    Ok(rows)
}

/// Edit the note of each row (one change each), 1 000 per transaction.
pub fn edit_visits(store: &mut Store, rows: &[RowId], note: &str) -> Result<()> {
    for chunk in rows.chunks(1000) {
        store.batch(|s| {
            for row in chunk {
                s.edit(Edit::new(Table::Visit).row(*row).set("note", note))?;
            }
            Ok(())
        })?;
    }
    Ok(())
}
