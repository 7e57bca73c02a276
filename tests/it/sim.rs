//! The multi-device simulation: four devices edit offline (the same fields of the same
//! households included), sync partially through a hostile network, crash, and run on
//! clocks skewed by days that jump backwards. Then everyone syncs to quiescence and
//! the promise is checked: replicas equal the server within their scope, every
//! accepted change is stored exactly once, every unseen concurrent edit left exactly
//! one conflict with both values, ledger totals equal the sum of unique entries, and
//! nothing is left in an outbox but visible rejections.

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use tally_core::Explain;
use tally_core::{
    schema, Change, Metric, PileKind, Rating, RenovationStatus, Row, RowId, RowKey, Table, Version,
    WorksKind, WorksStatus,
};
use tally_protocol::{paths, PullResponse};
use tally_store::{Edit, FakeTime, NewHousehold, NewProgress, OutboxState, Store, StoreError};
use tally_sync::{Backoff, Client, Method, Request, SyncOptions, Transport};
use tally_tests::*;

/// The devices' database key.
fn key() -> tally_store::DbKey {
    tally_store::DbKey::parse(tally_testkit::DB_KEY).unwrap()
}

const HOUR: i64 = 3_600_000;
const MAX_SKEW: i64 = 72 * HOUR;

#[derive(Clone, Debug)]
enum Op {
    Edit {
        dev: usize,
        hh: usize,
        field: u8,
        value: u8,
    },
    Visit {
        dev: usize,
        hh: usize,
    },
    Cleanup {
        dev: usize,
        kind: u8,
        tenths: u16,
    },
    Demolition {
        dev: usize,
        area: u16,
    },
    /// A road planned in one of the device's villages.
    Works {
        dev: usize,
        tenths: u16,
    },
    /// Progress on one of the works items the device knows (refused beyond its length).
    Progress {
        dev: usize,
        pick: usize,
        tenths: u16,
    },
    /// The leader (device 2) withdraws a household, whatever others are editing; a cadre
    /// undoes the last entry made on their device.
    Withdraw {
        dev: usize,
        hh: usize,
    },
    /// A cadre sets a target: the device refuses it from the login's role (the server
    /// would too: push::plan's table).
    ForbiddenTarget {
        dev: usize,
    },
    Sync {
        dev: usize,
        hostile: bool,
    },
    Crash {
        dev: usize,
    },
    /// Sync by USB stick, with a fault on the way (see `World::bundle`).
    Bundle {
        dev: usize,
        fault: u8,
        with_changes: bool,
    },
    Clock {
        dev: usize,
        hours: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let dev = 0usize..4;
    prop_oneof![
        10 => (dev.clone(), 0usize..2, prop_oneof![3 => 0u8..2, 1 => 0u8..6], any::<u8>()).prop_map(|(dev, hh, field, value)| Op::Edit { dev, hh, field, value }),
        3 => (dev.clone(), 0usize..5).prop_map(|(dev, hh)| Op::Visit { dev, hh }),
        3 => (dev.clone(), 0u8..5, 1u16..2000).prop_map(|(dev, kind, tenths)| Op::Cleanup { dev, kind, tenths }),
        1 => (dev.clone(), 10u16..300).prop_map(|(dev, area)| Op::Demolition { dev, area }),
        1 => (dev.clone(), 10u16..100).prop_map(|(dev, tenths)| Op::Works { dev, tenths }),
        2 => (dev.clone(), 0usize..4, 1u16..40).prop_map(|(dev, pick, tenths)| Op::Progress { dev, pick, tenths }),
        1 => (dev.clone(), 0usize..2).prop_map(|(dev, hh)| Op::Withdraw { dev, hh }),
        1 => dev.clone().prop_map(|dev| Op::ForbiddenTarget { dev }),
        5 => (dev.clone(), any::<bool>()).prop_map(|(dev, hostile)| Op::Sync { dev, hostile }),
        1 => dev.clone().prop_map(|dev| Op::Crash { dev }),
        2 => (dev.clone(), any::<u8>(), any::<bool>()).prop_map(|(dev, fault, with_changes)| Op::Bundle { dev, fault, with_changes }),
        1 => (dev, -48i64..48).prop_map(|(dev, hours)| Op::Clock { dev, hours }),
    ]
}

/// Users of the four devices and the villages each writes in.
const USERS: [&str; 4] = ["cadre-a", "cadre-a2", "leader", "cadre-b"];

fn villages(dev: usize) -> &'static [&'static str] {
    match dev {
        0 | 1 => &[VILLAGE_A],
        2 => &[VILLAGE_A, VILLAGE_B],
        _ => &[VILLAGE_B],
    }
}

struct Device {
    store: Option<Store>,
    path: PathBuf,
    time: FakeTime,
    skew: i64,
    net: Nemesis,
    /// Every bundle this device exported (an old one may be imported again).
    stick: Vec<Vec<u8>>,
}

impl Device {
    fn store(&mut self) -> &mut Store {
        self.store.as_mut().expect("the device is running")
    }

    /// Kill and restart: the database is reopened from its file.
    fn restart(&mut self) {
        self.store = None;
        self.store = Some(
            Store::open_with(&self.path, &key(), Box::new(self.time.clone()))
                .expect("reopen after a crash"),
        );
        self.net.crashed = false;
    }

    fn sync(&mut self) -> Result<tally_sync::SyncReport, tally_sync::SyncError> {
        let options = SyncOptions {
            push_batch: 7,
            pull_limit: 9,
            // Pages applied in parts: a crash between parts must lose and repeat nothing.
            apply_step: 4,
            backoff: Backoff {
                attempts: 3,
                ..Backoff::default()
            },
        };
        let store = self.store.as_mut().expect("the device is running");
        let result = Client::new(&mut self.net, options)
            .with_sleep(|_| {})
            .sync(store, &mut |_| {});
        if self.net.crashed {
            self.restart();
        }
        result
    }
}

struct World {
    server: Server,
    devices: Vec<Device>,
    households: Vec<(RowId, &'static str)>,
    _dir: tempfile::TempDir,
}

impl World {
    fn new(server: Server, skews: [i64; 4], seed: u64) -> World {
        let dir = tempfile::tempdir().unwrap();
        let mut devices = Vec::new();
        for (i, user) in USERS.iter().enumerate() {
            let skew = skews[i] * HOUR;
            let time = FakeTime::at((T0 as i64 + skew) as u64);
            let path = dir.path().join(format!("{user}.db"));
            let mut store = Store::open_with(&path, &key(), Box::new(time.clone())).unwrap();
            store.init(&format!("{user} 的电脑")).unwrap();
            let mut net = Nemesis::new(server.transport(), seed.wrapping_add(i as u64));
            Client::new(&mut net, SyncOptions::default())
                .login(&mut store, "http://sim", user, PASSWORD)
                .unwrap();
            devices.push(Device {
                store: Some(store),
                path,
                time,
                skew,
                net,
                stick: Vec::new(),
            });
        }
        let mut world = World {
            server,
            devices,
            households: Vec::new(),
            _dir: dir,
        };
        world.settle();
        for (dev, village, heads) in [
            (0, VILLAGE_A, ["张三", "李四", "王五"].as_slice()),
            (3, VILLAGE_B, &["赵六", "巴特尔"]),
        ] {
            for head in heads {
                let h = NewHousehold {
                    village: village.into(),
                    head: (*head).into(),
                    members: Some(3),
                    ..Default::default()
                };
                let id = world.devices[dev].store().add_household(&h).unwrap();
                world.households.push((id, village));
            }
        }
        world.settle();
        world
    }

    /// Every device syncs, three rounds, on a quiet network; each sync must succeed.
    fn settle(&mut self) {
        for round in 0..3 {
            for (i, d) in self.devices.iter_mut().enumerate() {
                d.net.faults = Faults::none();
                if let Err(e) = d.sync() {
                    panic!("round {round}: device {i} could not sync on a quiet network: {e}");
                }
            }
        }
    }

    /// The households device `dev` may edit.
    fn households_of(&self, dev: usize) -> Vec<RowId> {
        self.households
            .iter()
            .filter(|(_, v)| villages(dev).contains(v))
            .map(|(id, _)| *id)
            .collect()
    }

    fn tick(&mut self, ms: i64) {
        self.server.clock.advance(ms as u64);
        for d in &mut self.devices {
            d.time.advance(ms);
        }
    }

    fn apply(&mut self, op: &Op) {
        self.tick(60_000);
        let ok = |r: Result<(), StoreError>| match r {
            Ok(()) | Err(StoreError::Invalid(_)) => {}
            Err(e) => panic!("{op:?}: {e}"),
        };
        match *op {
            Op::Edit {
                dev,
                hh,
                field,
                value,
            } => {
                let hhs = self.households_of(dev);
                let h = hhs[hh % hhs.len()];
                let s = self.devices[dev].store();
                let e = Edit::new(Table::Household).row(h);
                let r = match field {
                    0 => s.edit(e.set("members", 1 + u32::from(value % 9))).map(drop),
                    1 => s
                        .edit(e.set("rating", Rating::ALL[usize::from(value % 4)]))
                        .map(drop),
                    2 => s
                        .edit(e.set("phone", format!("1390000{:04}", value % 7)))
                        .map(drop),
                    3 => s
                        .edit(e.set("cadre", ["巴特尔", "王芳", "李明"][usize::from(value % 3)]))
                        .map(drop),
                    4 => {
                        let status = RenovationStatus::ALL[usize::from(value % 4)];
                        let correction = dev == 2 && value % 3 == 0;
                        s.set_renovation(h, status, None, correction).map(drop)
                    }
                    _ => s.edit(e.set("seepage", value % 2 == 0)).map(drop),
                };
                ok(r);
            }
            Op::Visit { dev, hh } => {
                let hhs = self.households_of(dev);
                let h = hhs[hh % hhs.len()];
                match self.devices[dev].store().add_visit(h, None, "入户核查") {
                    // A household withdrawn by the leader takes no visits here.
                    Ok(_) | Err(StoreError::NotFound { .. }) | Err(StoreError::Invalid(_)) => {}
                    Err(e) => panic!("{op:?}: {e}"),
                }
            }
            Op::Cleanup { dev, kind, tenths } => {
                let v = villages(dev)[usize::from(tenths) % villages(dev).len()];
                let kind = PileKind::ALL[usize::from(kind)];
                ok(self.devices[dev]
                    .store()
                    .add_cleanup(v, kind, f64::from(tenths) / 10.0, Some(1), None)
                    .map(drop));
            }
            Op::Demolition { dev, area } => {
                let v = villages(dev)[usize::from(area) % villages(dev).len()];
                ok(self.devices[dev]
                    .store()
                    .add_demolition(v, None, Some(f64::from(area)), None)
                    .map(drop));
            }
            Op::Works { dev, tenths } => {
                let v = villages(dev)[usize::from(tenths) % villages(dev).len()];
                let quantity = f64::from(tenths) / 10.0;
                ok(self.devices[dev]
                    .store()
                    .add_works(
                        v,
                        WorksKind::Road,
                        quantity,
                        None,
                        WorksStatus::Planned,
                        None,
                    )
                    .map(drop));
            }
            Op::Progress { dev, pick, tenths } => {
                let s = self.devices[dev].store();
                let works = s.works(None).unwrap();
                if works.is_empty() {
                    return;
                }
                let w = works[pick % works.len()].id;
                let p = NewProgress {
                    quantity: f64::from(tenths) / 10.0,
                    date: None,
                    note: Some("东段".into()),
                };
                // Beyond the road's length (`beyond_planned`): refused, nothing kept.
                ok(s.add_progress(w, &p).map(drop));
            }
            Op::Withdraw { dev, hh } => {
                let hhs = self.households_of(dev);
                let h = hhs[hh % hhs.len()];
                let s = self.devices[dev].store();
                let r = if dev == 2 {
                    s.withdraw_record(h.0, "户已迁出").map(drop)
                } else {
                    s.undo().map(drop)
                };
                // Already withdrawn (`withdrawn_record`) is refused like any bad value.
                ok(r);
            }
            Op::ForbiddenTarget { dev } => {
                if dev != 2 {
                    let s = self.devices[dev].store();
                    let deadline = s.today() + chrono::Days::new(30);
                    let pending = s.pending_count().unwrap();
                    let refused =
                        s.set_target(villages(dev)[0], Metric::CleanupTonnes, 100.0, deadline);
                    assert!(
                        matches!(refused, Err(StoreError::PlanningForbidden(Table::Target))),
                        "{op:?}: the device knows the login's role: {refused:?}"
                    );
                    assert_eq!(s.pending_count().unwrap(), pending, "{op:?}: nothing kept");
                }
            }
            Op::Sync { dev, hostile } => {
                let d = &mut self.devices[dev];
                d.net.faults = if hostile {
                    Faults::hostile()
                } else {
                    Faults::none()
                };
                let result = d.sync();
                if !hostile {
                    result.unwrap_or_else(|e| panic!("{op:?} on a quiet network: {e}"));
                }
            }
            Op::Crash { dev } => self.devices[dev].restart(),
            Op::Bundle {
                dev,
                fault,
                with_changes,
            } => self.bundle(dev, fault, with_changes),
            Op::Clock { dev, hours } => {
                let d = &mut self.devices[dev];
                let next = (d.skew + hours * HOUR).clamp(-MAX_SKEW, MAX_SKEW);
                d.time.advance(next - d.skew);
                d.skew = next;
            }
        }
    }
}

/// The kinds of fault a bundle or its receipts meet (`fault % BUNDLE_FAULTS`).
const BUNDLE_FAULTS: u8 = 9;

impl World {
    /// Device `dev` exports a bundle; on the way to the server and back, by `fault`:
    /// 0 all goes well, 1 the stick is lost, 2 a byte of the bundle changes, 3 the
    /// bundle is cut short, 4 the bundle is imported twice, 5 the receipts are lost, 6
    /// the receipts are cut short (then the whole ones come), 7 an older bundle of the
    /// device is imported instead, 8 the receipts are first tried on another device.
    /// A refused file changes nothing, anywhere.
    fn bundle(&mut self, dev: usize, fault: u8, with_changes: bool) {
        let server = &self.server;
        let import = |file: &[u8]| {
            let now = tally_server::WallClock::now_ms(&*server.clock);
            server.rt.block_on(tally_server::bundle::import(
                &server.db,
                file,
                now,
                with_changes,
                None,
            ))
        };
        let d = &mut self.devices[dev];
        let id = format!("stick-{}", d.stick.len());
        let file = tally_sync::bundle::export(d.store(), &id)
            .expect("export a bundle")
            .file;
        d.stick.push(file.clone());
        let receipts = match fault % BUNDLE_FAULTS {
            1 => return,
            2 | 3 => {
                let bad = if fault % BUNDLE_FAULTS == 2 {
                    let mut b = file.clone();
                    let i = b.len() / 2;
                    b[i] ^= 0x55;
                    b
                } else {
                    file[..file.len() * 2 / 3].to_vec()
                };
                let e = import(&bad).expect_err("a damaged bundle is refused");
                assert!(
                    matches!(e.code(), "bundle_tampered" | "bundle_unreadable"),
                    "{e}"
                );
                return;
            }
            4 => {
                let first = import(&file).expect("import a bundle");
                let second = import(&file).expect("import it again");
                let results = |r: &[u8]| {
                    tally_protocol::bundle::Sealed::read(r, tally_protocol::bundle::Kind::Receipts)
                        .and_then(|s| s.peek::<tally_protocol::bundle::ReceiptsPayload>())
                        .unwrap()
                        .results
                };
                let (a, b) = (results(&first.receipts), results(&second.receipts));
                // Stored once: the second import answers with the first's receipts (a
                // change refused for its clock may be taken the second time round).
                for (a, b) in a.iter().zip(&b) {
                    if let tally_protocol::PushResult::Accepted { .. } = a {
                        assert_eq!(a, b, "a second import stores nothing twice");
                    }
                }
                second.receipts
            }
            7 => {
                let old = d.stick[usize::from(fault / BUNDLE_FAULTS) % d.stick.len()].clone();
                import(&old).expect("import an older bundle").receipts
            }
            _ => import(&file).expect("import a bundle").receipts,
        };
        match fault % BUNDLE_FAULTS {
            5 => return,
            6 => {
                let s = d.store();
                let before = (s.pending_count().unwrap(), s.sync_meta().unwrap().cursor);
                let cut = &receipts[..receipts.len() / 2];
                let e = tally_sync::bundle::import_receipts(s, cut).expect_err("cut receipts");
                assert_eq!(e.code(), "bundle_unreadable", "{e}");
                let after = (s.pending_count().unwrap(), s.sync_meta().unwrap().cursor);
                assert_eq!(before, after, "refused receipts change nothing");
            }
            8 => {
                let other = self.devices[(dev + 1) % 4].store();
                let e = tally_sync::bundle::import_receipts(other, &receipts)
                    .expect_err("receipts of another device");
                assert_eq!(e.code(), "bundle_other_device", "{e}");
            }
            _ => {}
        }
        tally_sync::bundle::import_receipts(self.devices[dev].store(), &receipts)
            .expect("import the receipts");
    }
}

/// Every change the server holds, as an admin pulls them page by page.
fn server_changes(server: &Server, token: &str) -> Vec<(i64, Change)> {
    let mut t = server.transport();
    let mut out = Vec::new();
    let mut cursor = String::new();
    for _ in 0..10_000 {
        let req = Request {
            method: Method::Get,
            path: format!("{}?cursor={cursor}&limit=500", paths::PULL),
            token: Some(token.to_string()),
            body: None,
        };
        let resp = t.send(&req).unwrap();
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
        let page: PullResponse = serde_json::from_slice(&resp.body).unwrap();
        out.extend(page.changes.into_iter().map(|p| (p.seq, p.change)));
        cursor = page.cursor;
        if !page.more {
            return out;
        }
    }
    panic!("the server's changes never ended");
}

/// The open conflicts the definition asks for, computed naively from all changes:
/// per field, every edit but the winner that nobody saw, with a value other than the
/// winner's (a forward-only status overtaken in its own epoch is not a conflict).
fn expected_conflicts(changes: &[Change]) -> BTreeSet<(RowId, String, Version)> {
    type Edits = Vec<((u32, u8, Version), serde_json::Value, u32)>;
    let mut fields: BTreeMap<(RowId, String), (Table, Edits, BTreeSet<Version>)> = BTreeMap::new();
    for c in changes {
        for (name, e) in &c.fields {
            let entry = fields
                .entry((c.row, name.clone()))
                .or_insert_with(|| (c.table, Vec::new(), BTreeSet::new()));
            let key = (e.epoch, schema::rank(c.table, name, &e.value), c.version());
            entry.1.push((key, e.value.clone(), e.epoch));
            entry.2.extend(e.base);
            entry.2.extend(e.saw.iter().copied());
        }
    }
    let mut out = BTreeSet::new();
    for ((row, name), (table, edits, seen)) in fields {
        let winner = edits.iter().max_by_key(|e| e.0).unwrap();
        for e in &edits {
            let v = e.0 .2;
            let overtaken = schema::is_forward_only(table, &name) && e.2 == winner.2;
            if v != winner.0 .2 && !seen.contains(&v) && e.1 != winner.1 && !overtaken {
                out.insert((row, name.clone(), v));
            }
        }
    }
    out
}

fn conflict_keys(store: &Store) -> BTreeSet<(RowId, String, Version)> {
    let list = store.conflicts().unwrap();
    let keys: BTreeSet<_> = list
        .iter()
        .map(|c| (c.row, c.field.clone(), c.loser.at))
        .collect();
    assert_eq!(keys.len(), list.len(), "a conflict is recorded twice");
    for c in &list {
        assert_ne!(
            c.loser.value, c.winner_value,
            "a conflict must hold two different values"
        );
    }
    keys
}

fn rows(store: &Store, units: &[&str], skip: &BTreeSet<RowId>) -> BTreeMap<(Table, RowId), Row> {
    let mut out = BTreeMap::new();
    for t in Table::ALL.iter().filter(|t| **t != Table::OrgUnit) {
        for r in store.rows(*t).unwrap() {
            if units.contains(&r.unit.as_str()) && !skip.contains(&r.id) {
                out.insert((*t, r.id), r);
            }
        }
    }
    out
}

fn run(backend: Backend, skews: [i64; 4], ops: &[Op], seed: u64) {
    let Some(server) = Server::start(backend) else {
        return;
    };
    let mut world = World::new(server, skews, seed);
    for op in ops {
        world.apply(op);
    }
    world.settle();

    // The server's view, through an admin's fresh device.
    let dir = tempfile::tempdir().unwrap();
    let mut admin = Store::open_with(
        &dir.path().join("admin.db"),
        &key(),
        Box::new(FakeTime::at(tally_server::WallClock::now_ms(
            &*world.server.clock,
        ))),
    )
    .unwrap();
    admin.init("督查").unwrap();
    let mut t = world.server.transport();
    Client::new(&mut t, SyncOptions::default())
        .login(&mut admin, "http://sim", "admin", PASSWORD)
        .unwrap();
    Client::new(&mut t, SyncOptions::default())
        .sync(&mut admin, &mut |_| {})
        .unwrap();
    let token = admin.sync_meta().unwrap().token.unwrap();
    let all = server_changes(&world.server, &token);

    // Exactly once: no change id twice, and every receipt names the stored change.
    let mut by_id = BTreeMap::new();
    for (seq, c) in &all {
        assert!(
            by_id.insert(c.id, (*seq, c.clone())).is_none(),
            "change {} stored twice",
            c.id
        );
    }
    let changes: Vec<Change> = all.iter().map(|(_, c)| c.clone()).collect();
    let expected = expected_conflicts(&changes);
    eprintln!(
        "SIMSTAT changes={} conflicts={} rejected={}",
        changes.len(),
        expected.len(),
        world
            .devices
            .iter_mut()
            .map(|d| d
                .store()
                .outbox(Some(OutboxState::Rejected), 1000)
                .unwrap()
                .len())
            .sum::<usize>()
    );
    assert_eq!(conflict_keys(&admin), expected, "the server's conflicts");

    for (i, d) in world.devices.iter_mut().enumerate() {
        let s = d.store();
        assert_eq!(
            s.pending_count().unwrap(),
            0,
            "device {i}: changes left unsent"
        );
        assert!(s.day_sums_consistent().unwrap(), "device {i}: day sums");
        let mut rejected = BTreeSet::new();
        for e in s.outbox(None, usize::MAX >> 1).unwrap() {
            match e.state {
                OutboxState::Accepted => {
                    let (seq, stored) = by_id.get(&e.change.id).unwrap_or_else(|| {
                        panic!("device {i}: receipt for a change the server lacks")
                    });
                    assert_eq!(Some(*seq), e.receipt, "device {i}: wrong receipt");
                    assert_eq!(
                        stored, &e.change,
                        "device {i}: the server holds another version of the change"
                    );
                }
                OutboxState::Rejected => {
                    assert!(
                        e.reject_reason.as_deref().is_some_and(|r| !r.is_empty()),
                        "device {i}: a rejection without a reason"
                    );
                    // Kept as the server sent it: the code and each language apart.
                    assert!(
                        e.reject_code.as_deref().is_some_and(|c| !c.is_empty())
                            && e.reject_reason_zh.as_deref().is_some_and(|r| !r.is_ascii())
                            && e.reject_reason != e.reject_reason_zh,
                        "device {i}: a rejection not kept as code + both reasons: {e:?}"
                    );
                    assert!(
                        !by_id.contains_key(&e.change.id),
                        "device {i}: a rejected change was stored"
                    );
                    rejected.insert(e.change.row);
                }
                OutboxState::Pending => unreachable!("checked above"),
            }
        }
        // The replica equals the server within the device's scope.
        let scope = villages(i);
        assert_eq!(
            rows(s, scope, &rejected),
            rows(&admin, scope, &rejected),
            "device {i}: replica differs from the server"
        );
        let mine: BTreeSet<_> = conflict_keys(s);
        let in_scope: BTreeSet<_> = expected
            .iter()
            .filter(|(row, _, _)| {
                world
                    .households
                    .iter()
                    .any(|(h, v)| h == row && scope.contains(v))
            })
            .cloned()
            .collect();
        assert_eq!(mine, in_scope, "device {i}: conflicts");
        // Ledger totals equal the sum of the unique entries.
        for v in scope {
            let ledger = s.ledger(v, None).unwrap();
            let server_ledger = admin.ledger(v, Some(ledger.as_of)).unwrap();
            for (mine, theirs) in ledger.rows.iter().zip(&server_ledger.rows) {
                assert_eq!(
                    (mine.started, mine.completed),
                    (theirs.started, theirs.completed),
                    "device {i}: ledger of {v}"
                );
            }
        }
    }
    let records = admin.records().unwrap();
    let tonnes: f64 = records
        .cleanups
        .iter()
        .filter(|c| !c.deleted)
        .map(|c| c.tonnes)
        .sum();
    let ledger = admin
        .ledger(BANNER, Some(admin.today() + chrono::Days::new(10)))
        .unwrap();
    let row = |m: Metric| {
        let key = RowKey::metric(m);
        ledger.rows.iter().find(|r| r.key == key).unwrap().clone()
    };
    assert!(
        (row(Metric::CleanupTonnes).completed - tonnes).abs() < 1e-6,
        "cleanup tonnes {} vs entries {tonnes}",
        row(Metric::CleanupTonnes).completed
    );
    assert_eq!(
        row(Metric::Demolition).completed,
        records.demolitions.iter().filter(|d| !d.deleted).count() as f64
    );
    // The server's ledger, from the per-day sums its pushes kept, is the replica's.
    let (db, rt) = (&world.server.db, &world.server.rt);
    assert!(
        rt.block_on(db.day_sums_consistent()).unwrap(),
        "server day sums"
    );
    assert_eq!(
        rt.block_on(db.ledger(BANNER, ledger.as_of)).unwrap(),
        Some(ledger)
    );
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(20261127),
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(12))]
    #[test]
    fn devices_converge_on_sqlite(skews in prop::array::uniform4(-72i64..=72), ops in prop::collection::vec(op(), 30..120), seed in any::<u64>()) {
        run(Backend::Sqlite, skews, &ops, seed);
    }
}

proptest! {
    #![proptest_config(config(4))]
    #[test]
    fn devices_converge_on_postgres(skews in prop::array::uniform4(-72i64..=72), ops in prop::collection::vec(op(), 30..120), seed in any::<u64>()) {
        run(Backend::Postgres, skews, &ops, seed);
    }
}

/// Every fault a bundle can meet, among edits, syncs and skewed clocks: the devices
/// still converge with the server.
#[test]
fn bundles_converge_through_every_fault() {
    let mut ops = Vec::new();
    for fault in 0..BUNDLE_FAULTS * 2 {
        let dev = usize::from(fault) % 4;
        ops.push(Op::Edit {
            dev,
            hh: usize::from(fault),
            field: fault % 6,
            value: fault.wrapping_mul(37),
        });
        ops.push(Op::Visit {
            dev,
            hh: usize::from(fault),
        });
        ops.push(Op::Bundle {
            dev,
            fault: fault + BUNDLE_FAULTS * fault,
            with_changes: fault % 3 != 0,
        });
        if fault % 4 == 1 {
            ops.push(Op::Sync {
                dev: (dev + 1) % 4,
                hostile: true,
            });
        }
    }
    run(Backend::Sqlite, [30, -20, 0, 60], &ops, 11);
}

/// The nemesis must actually strike, or the simulation proves little.
#[test]
fn the_nemesis_strikes_every_kind_of_fault() {
    let server = Server::start(Backend::Sqlite).unwrap();
    let mut world = World::new(server, [0, 0, 0, 0], 7);
    let mut struck = [0usize; 7];
    for i in 0..60u16 {
        world.apply(&Op::Cleanup {
            dev: 0,
            kind: (i % 5) as u8,
            tenths: 10 + i,
        });
        world.apply(&Op::Sync {
            dev: 0,
            hostile: true,
        });
        world.apply(&Op::Sync {
            dev: 1,
            hostile: true,
        });
    }
    for d in &world.devices {
        for (k, n) in d.net.struck.iter().enumerate() {
            struck[k] += n;
        }
    }
    assert!(struck.iter().all(|n| *n > 0), "faults struck: {struck:?}");
    world.settle();
    let s = world.devices[1].store();
    let tonnes: f64 = s.records().unwrap().cleanups.iter().map(|c| c.tonnes).sum();
    let expected: f64 = (0..60u16).map(|i| f64::from(10 + i) / 10.0).sum();
    assert!((tonnes - expected).abs() < 1e-6, "{tonnes} vs {expected}");
    assert_eq!(
        s.records().unwrap().cleanups.len(),
        60,
        "every load arrived exactly once"
    );
}
