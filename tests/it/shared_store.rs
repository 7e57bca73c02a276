//! The desktop app shares its store with a running sync. The sync holds the store one
//! step at a time (a batch read, receipts recorded, one page applied), never while a
//! request is on the wire: an entry saved while pages are pulled is saved at once, kept,
//! and sent by the next sync.

use std::time::{Duration, Instant};
use tally_core::RowId;
use tally_protocol::paths;
use tally_store::{FakeTime, NewHousehold, OutboxState, Store};
use tally_sync::{Client, Request, Response, SharedStore, SyncOptions, Transport, TransportError};
use tally_tests::*;

/// Enrolled as `user`, on a fresh database in `dir`.
fn device(server: &Server, dir: &std::path::Path, user: &str) -> Store {
    // The server's simulated time, on the device too.
    let time = FakeTime::at(T0);
    let mut store = Store::open_with(
        &dir.join(format!("{user}.db")),
        &tally_store::DbKey::parse(tally_testkit::DB_KEY).unwrap(),
        Box::new(time),
    )
    .unwrap();
    store.init(&format!("{user} 的电脑")).unwrap();
    Client::new(&mut server.transport(), SyncOptions::default())
        .login(&mut store, "http://test", user, PASSWORD)
        .unwrap();
    sync(server, &mut store); // the org units
    store
}

/// The ids of a household's visits on a device.
fn visit_ids(store: &Store, household: RowId) -> Vec<RowId> {
    store
        .visits(household)
        .unwrap()
        .iter()
        .map(|v| v.id)
        .collect()
}

/// A plain sync that must succeed.
fn sync(server: &Server, store: &mut Store) {
    Client::new(&mut server.transport(), SyncOptions::default())
        .sync(store, &mut |_| {})
        .unwrap();
}

/// Passes requests on; before each pull request, saves a visit through the shared store
/// as the desktop's save command would, and notes how long it waited for the store.
struct SaveDuringPull<'a> {
    inner: RouterTransport,
    store: &'a SharedStore,
    household: RowId,
    saved: Vec<RowId>,
    longest_wait: Duration,
}

impl Transport for SaveDuringPull<'_> {
    fn send(&mut self, req: &Request) -> Result<Response, TransportError> {
        if req.path.starts_with(paths::PULL) {
            let start = Instant::now();
            // Bounded: a sync that held the store across a request would never let go.
            let mut store = loop {
                match self.store.try_lock() {
                    Some(guard) => break guard,
                    None if start.elapsed() < Duration::from_secs(10) => {
                        std::thread::sleep(Duration::from_millis(1))
                    }
                    None => panic!("the sync held the store for 10 s while pulling"),
                }
            };
            self.longest_wait = self.longest_wait.max(start.elapsed());
            let n = self.saved.len();
            let id = store
                .add_visit(self.household, None, &format!("同步时录入 {n}"))
                .expect("an entry saved while a pull runs");
            self.saved.push(id);
        }
        self.inner.send(req)
    }
}

#[test]
fn an_entry_saved_while_a_pull_runs_is_kept_and_sent_by_the_next_sync() {
    let server = Server::start(Backend::Sqlite).expect("SQLite always runs");
    let dir = tempfile::tempdir().unwrap();
    // Another cadre of the village leaves a backlog of 60 visits to pull.
    let mut other = device(&server, dir.path(), "cadre-a2");
    let household = other
        .add_household(&NewHousehold {
            village: VILLAGE_A.into(),
            head: "张三".into(),
            members: Some(4),
            ..Default::default()
        })
        .unwrap();
    for i in 0..60 {
        other
            .add_visit(household, None, &format!("入户 {i}"))
            .unwrap();
    }
    sync(&server, &mut other);

    // This device pulls it in pages of 7 while its cadre keeps recording.
    let mine = SharedStore::new(device(&server, dir.path(), "cadre-a"));
    Client::new(&mut server.transport(), SyncOptions::default())
        .sync_shared(&mine, &mut |_| {})
        .unwrap(); // the household and the backlog, so that visits can name it
    let mut net = SaveDuringPull {
        inner: server.transport(),
        store: &mine,
        household,
        saved: Vec::new(),
        longest_wait: Duration::ZERO,
    };
    let options = SyncOptions {
        pull_limit: 7,
        apply_step: 3,
        ..SyncOptions::default()
    };
    let report = Client::new(&mut net, options)
        .sync_shared(&mine, &mut |_| {})
        .unwrap();
    assert_eq!(report.received, 0, "nothing new since the first sync");
    let saved_first = std::mem::take(&mut net.saved);
    assert!(!saved_first.is_empty(), "visits were saved during the pull");

    // The other cadre adds more; this sync pulls them in several pages while saving.
    for i in 60..100 {
        other
            .add_visit(household, None, &format!("入户 {i}"))
            .unwrap();
    }
    sync(&server, &mut other);
    let report = Client::new(&mut net, options)
        .sync_shared(&mine, &mut |_| {})
        .unwrap();
    assert_eq!(report.received, 40, "the whole backlog arrives");
    let saved: Vec<RowId> = saved_first.into_iter().chain(net.saved.clone()).collect();
    assert!(
        saved.len() > 40 / 7,
        "one save per pull request, pages of 7"
    );

    // Every entry saved during a pull is on the device, and goes out with a sync.
    let mut store = mine.into_inner();
    let visits = visit_ids(&store, household);
    for id in &saved {
        assert!(
            visits.contains(id),
            "visit {id} saved during a pull is kept"
        );
    }
    sync(&server, &mut store);
    assert_eq!(
        store.outbox(Some(OutboxState::Pending), 1000).unwrap(),
        vec![]
    );
    sync(&server, &mut other);
    let theirs = visit_ids(&other, household);
    for id in &saved {
        assert!(theirs.contains(id), "visit {id} reached the other cadre");
    }
    assert_eq!(theirs.len(), 100 + saved.len());
}
