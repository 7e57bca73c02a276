//! `tally-bench desktop-fixture`: a device at banner scale for the desktop benchmark
//! (`scripts/desktop-bench.py`). A server's SQLite file holds a banner (townships of
//! villages), H households and R records made by an office device; a banner leader
//! logs in on a fresh device store (a real enrolment over HTTP, Argon2 password) and
//! pulls everything, which leaves the device as the app finds it after a first sync.
//! Then the office records B more entries the device has not pulled yet: the backlog a
//! sync started from the window pulls while entries are saved. Seeded: the same seed
//! gives the same households and records (ids and clocks aside).

use crate::ledger::{self, Gen};
use crate::server::{Backend, Server, Setup, BANNER};
use crate::stats::since;
use anyhow::{ensure, Context, Result};
use serde_json::json;
use std::path::Path;
use std::time::Instant;
use tally_protocol::Role;
use tally_server::{admin, SystemClock};
use tally_store::{DbKey, Store};
use tally_sync::{Client, HttpTransport, SyncOptions};

/// What the fixture is made of.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub households: usize,
    pub records: usize,
    /// Entries on the server the device has not pulled yet.
    pub backlog: usize,
    /// Households per village, villages per township.
    pub per_village: usize,
    pub per_township: usize,
    /// The server's address, as the device keeps it (the benchmark serves it there).
    pub listen: String,
    pub seed: u64,
}

pub const USER: &str = "qileader";
pub const PASSWORD: &str = "banner-bench-2026";

/// Make the fixture in `out` (`server/server.db`, `device/tally.db`, `fixture.json`).
pub fn make(out: &Path, f: &Fixture) -> Result<()> {
    ensure!(
        !out.join("device").exists() && !out.join("server").exists(),
        "{} already holds a fixture: remove it first",
        out.display()
    );
    std::fs::create_dir_all(out)?;
    let started = Instant::now();
    let villages = f.households.div_ceil(f.per_village.max(1)).max(1);
    // Village codes have three digits under a township: 1 to 100 villages each.
    let per_township = f.per_township.clamp(1, 100);
    let setup = Setup {
        villages,
        per_township,
        dir: Some(out.join("server")),
        listen: f.listen.clone(),
        households: true,
    };
    let server = Server::start_with(&Backend::Sqlite, &setup)?;

    // The office device makes the data and pushes it as it goes.
    let scratch = tempfile::tempdir_in(out)?;
    let mut office = Store::open(&scratch.path().join("office.db"), &DbKey::random())?;
    office.init("office")?;
    ledger::device_units(&mut office, villages, per_township)?;
    let mut gen = Gen::new(f.seed, office.today(), villages, per_township);
    let t = Instant::now();
    ledger::make(
        &mut office,
        &server,
        &mut gen,
        0..f.households + f.records,
        f.households,
    )?;
    ledger::push_targets(&mut office, &server, &gen)?;
    let made_s = since(t) / 1000.0;
    eprintln!(
        "desktop-fixture: {} households and {} records on the server in {made_s:.1} s",
        f.households, f.records
    );

    // The banner's leader logs in on a fresh device and pulls everything.
    server
        .rt
        .block_on(admin::add_user(
            &server.db,
            &SystemClock,
            USER,
            Role::Leader,
            &[BANNER.to_string()],
            PASSWORD,
        ))
        .map_err(|e| anyhow::anyhow!("add the leader: {e}"))?;
    let device_dir = out.join("device");
    std::fs::create_dir_all(&device_dir)?;
    // The app opens it with TALLY_DB_KEY (the benchmark sets the same for both).
    let key = DbKey::from_env().ok_or_else(|| {
        anyhow::anyhow!("set TALLY_DB_KEY: the fixture's device database is encrypted with it")
    })??;
    let mut device = Store::open(&device_dir.join("tally.db"), &key)?;
    device.init("旗级桌面")?;
    let mut transport = HttpTransport::new(&server.url)?;
    let mut client = Client::new(&mut transport, SyncOptions::default());
    client
        .login(&mut device, &server.url, USER, PASSWORD)
        .context("log in")?;
    let t = Instant::now();
    let pulled = client.sync(&mut device, &mut |_| {})?;
    let pull_s = since(t) / 1000.0;
    eprintln!(
        "desktop-fixture: the device pulled {} changes in {pull_s:.1} s",
        pulled.received
    );

    // What the office records next, not pulled yet.
    let t = Instant::now();
    let from = f.households + f.records;
    ledger::make(
        &mut office,
        &server,
        &mut gen,
        from..from + f.backlog,
        f.households,
    )?;
    let backlog_s = since(t) / 1000.0;
    drop(office);
    drop(scratch);
    drop(device);
    drop(server);

    let about = json!({
        "households": f.households,
        "records": f.records,
        "backlog": f.backlog,
        "villages": villages,
        "townships": villages.div_ceil(per_township),
        "seed": f.seed,
        "server_db": "server/server.db",
        "device_dir": "device",
        "url": format!("http://{}", f.listen),
        "listen": f.listen,
        "user": USER,
        "password": PASSWORD,
        "role": "leader",
        "unit": BANNER,
        "device_pulled": pulled.received,
        "made_s": (made_s * 10.0).round() / 10.0,
        "pull_s": (pull_s * 10.0).round() / 10.0,
        "backlog_s": (backlog_s * 10.0).round() / 10.0,
        "total_s": (since(started) / 100.0).round() / 10.0,
        "at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    std::fs::write(
        out.join("fixture.json"),
        serde_json::to_string_pretty(&about)? + "\n",
    )?;
    println!("{about}");
    Ok(())
}
