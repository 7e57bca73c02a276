//! Sync on a USB stick: a device with no network exports a bundle, the server imports it
//! as the device's push and writes receipts with what the device should receive, the
//! device imports them. Nothing is sent twice, nothing is lost, and a receipts file that
//! is not this device's, or was changed, changes nothing.

use std::io::{Read, Write};
use tally_core::Explain;
use tally_protocol::bundle::{key_of_token, BundlePayload, Kind, Sealed};
use tally_store::{FakeTime, NewHousehold, OutboxState, Store};
use tally_sync::bundle::{export, import_receipts};
use tally_sync::{Client, SyncOptions};
use tally_tests::*;

fn device(server: &Server, dir: &std::path::Path, user: &str, time: &FakeTime) -> Store {
    let mut store = Store::open_with(
        &dir.join(format!("{user}.db")),
        &tally_store::DbKey::parse(tally_testkit::DB_KEY).unwrap(),
        Box::new(time.clone()),
    )
    .unwrap();
    store.init(&format!("{user} 的电脑")).unwrap();
    Client::new(&mut server.transport(), SyncOptions::default())
        .login(&mut store, "http://test", user, PASSWORD)
        .unwrap();
    sync(server, &mut store);
    store
}

fn sync(server: &Server, store: &mut Store) -> tally_sync::SyncReport {
    Client::new(&mut server.transport(), SyncOptions::default())
        .sync(store, &mut |_| {})
        .unwrap()
}

/// The server imports a bundle file and answers with receipts (and the device's changes).
fn server_import(server: &Server, file: &[u8]) -> Vec<u8> {
    let now = tally_server::WallClock::now_ms(&*server.clock);
    server
        .rt
        .block_on(tally_server::bundle::import(
            &server.db, file, now, true, None,
        ))
        .expect("the server imports the bundle")
        .receipts
}

fn household(store: &mut Store, head: &str) -> tally_core::RowId {
    store
        .add_household(&NewHousehold {
            village: VILLAGE_A.into(),
            head: head.into(),
            members: Some(4),
            ..Default::default()
        })
        .unwrap()
}

fn story(backend: Backend) {
    let Some(server) = Server::start(backend) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let time = FakeTime::at(T0);
    let mut far = device(&server, dir.path(), "cadre-a", &time);
    let mut near = device(&server, dir.path(), "cadre-a2", &time);

    // Days without network in a far hamlet; meanwhile a colleague syncs at the office.
    let h = household(&mut far, "巴特尔");
    far.add_visit(h, None, "入户核查").unwrap();
    let theirs = household(&mut near, "乌云");
    sync(&server, &mut near);

    let bundle = export(&far, "stick-1").unwrap();
    assert_eq!(bundle.changes, 2);
    assert_eq!(far.pending_count().unwrap(), 2, "exporting changes nothing");
    let receipts = server_import(&server, &bundle.file);

    // Receipts that are not this device's, or that were changed on the stick, are
    // refused whole and change nothing.
    let cursor = far.sync_meta().unwrap().cursor;
    let e = import_receipts(&mut near, &receipts).unwrap_err();
    assert_eq!(e.code(), "bundle_other_device", "{e}");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&receipts[..])
        .read_to_string(&mut text)
        .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.replace("乌云", "乌兰").as_bytes())
        .unwrap();
    let changed = gz.finish().unwrap();
    for (what, bad, code) in [
        ("changed", changed, "bundle_tampered"),
        (
            "cut short",
            receipts[..receipts.len() - 20].to_vec(),
            "bundle_unreadable",
        ),
        (
            "the bundle itself",
            bundle.file.clone(),
            "bundle_wrong_kind",
        ),
    ] {
        let e = import_receipts(&mut far, &bad).unwrap_err();
        assert_eq!(e.code(), code, "{what}: {e}");
        assert_eq!(far.pending_count().unwrap(), 2, "{what}");
        assert_eq!(far.sync_meta().unwrap().cursor, cursor, "{what}");
        assert!(far.household_page(theirs).is_err(), "{what}");
    }

    let done = import_receipts(&mut far, &receipts).unwrap();
    assert_eq!(
        (done.accepted, done.rejected, done.changed_since),
        (2, 0, 0)
    );
    assert_eq!(
        done.received, 1,
        "the colleague's household (its own are confirmed)"
    );
    assert_eq!(far.pending_count().unwrap(), 0);
    assert_eq!(
        far.household_page(theirs).unwrap().summary.household.head,
        "乌云"
    );
    // The same receipts again: nothing to do.
    let again = import_receipts(&mut far, &receipts).unwrap();
    assert!(again.pull_skipped && again.received == 0, "{again:?}");
    // Back at the office: nothing is sent twice and nothing is missing.
    let report = sync(&server, &mut far);
    assert_eq!((report.sent, report.received), (0, 0), "{report:?}");
    sync(&server, &mut near);
    assert_eq!(
        near.household_page(h).unwrap().summary.household.head,
        "巴特尔"
    );
    assert_eq!(near.visits(h).unwrap().len(), 1);

    // A change accepted online after the export keeps its receipt when the older copy
    // in the bundle is refused later (its clock ran ahead: re-stamped and sent again).
    time.advance(3 * 3_600_000);
    let ahead = household(&mut far, "其其格");
    let stale = export(&far, "stick-2").unwrap();
    server.clock.advance(60_000);
    let report = sync(&server, &mut far);
    assert_eq!((report.restamped, report.accepted), (1, 1), "{report:?}");
    let receipts = server_import(&server, &stale.file);
    let done = import_receipts(&mut far, &receipts).unwrap();
    assert_eq!((done.accepted, done.rejected), (0, 1), "{done:?}");
    let log = far.outbox(Some(OutboxState::Accepted), 100).unwrap();
    assert!(log.iter().any(|e| e.change.row == ahead), "still accepted");
    assert_eq!(
        far.outbox(Some(OutboxState::Rejected), 100).unwrap().len(),
        0
    );

    // Two bundles carry one change made while the clock ran ahead. The first comes back
    // `clock_ahead` (the device re-stamps it); the second is imported once the server's
    // clock has passed the old stamp and stores the old copy: the device takes the
    // server's copy as the change, and the two agree.
    time.advance(2 * 3_600_000);
    let late = household(&mut far, "娜仁");
    let first = export(&far, "stick-3").unwrap();
    let second = export(&far, "stick-4").unwrap();
    time.advance(60_000);
    let done = import_receipts(&mut far, &server_import(&server, &first.file)).unwrap();
    assert_eq!(done.restamped, 1, "{done:?}");
    server.clock.advance(3 * 3_600_000);
    let done = import_receipts(&mut far, &server_import(&server, &second.file)).unwrap();
    assert_eq!((done.accepted, done.changed_since), (0, 1), "{done:?}");
    assert_eq!(
        far.pending_count().unwrap(),
        0,
        "the server's copy was taken"
    );
    let token = far.sync_meta().unwrap().token.unwrap();
    let carried: BundlePayload = Sealed::read(&second.file, Kind::Bundle)
        .and_then(|s| s.open(&key_of_token(&token)))
        .unwrap();
    let held = far.outbox(Some(OutboxState::Accepted), 100).unwrap();
    let held = held.iter().find(|e| e.change.row == late).unwrap();
    assert_eq!(
        held.change, carried.changes[0],
        "the device holds the server's copy"
    );
    let report = sync(&server, &mut far);
    assert_eq!((report.sent, report.rejected), (0, 0), "{report:?}");
    sync(&server, &mut near);
    assert_eq!(
        near.household_page(late).unwrap().summary.household,
        far.household_page(late).unwrap().summary.household
    );
}

#[test]
fn a_bundle_carries_a_devices_sync_both_ways_on_sqlite() {
    story(Backend::Sqlite);
}

#[test]
fn a_bundle_carries_a_devices_sync_both_ways_on_postgres() {
    story(Backend::Postgres);
}
