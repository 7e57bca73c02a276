//! Saving an entry while a large pull runs (the desktop's case): device A pushes N
//! visits; device B pulls them over real HTTP while another thread saves a cleanup load
//! every 20 ms through the same shared store, as the app's save command does. The sync
//! holds the store one step at a time, so a save waits at most for one page to be
//! applied. Reports each save's latency (lock wait + write) and checks every save kept.

use crate::device::{write_visits, Device};
use crate::report::Report;
use crate::server::{Backend, Server, VILLAGE};
use crate::stats::{latency, r3, since};
use anyhow::{ensure, Result};
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tally_core::{PileKind, Table};
use tally_store::OutboxState;
use tally_sync::{Client, HttpTransport, SharedStore, SyncOptions, INTERACTIVE_APPLY_STEP};

pub fn bench(report: &mut Report, backend: &Backend, data: &Path, n: usize) -> Result<()> {
    let server = Server::start(backend, 1)?;
    let dir = tempfile::tempdir_in(data)?;
    let mut a = Device::synced_in_village(&server, dir.path(), "cadre-a")?;
    let b = Device::synced_in_village(&server, dir.path(), "cadre-b")?;
    write_visits(&mut a.store, n, 0)?;
    let sent = a.sync()?;
    ensure!(
        sent.report.accepted == n,
        "accepted {} of {n}",
        sent.report.accepted
    );

    let (store, url) = b.into_parts();
    let shared = SharedStore::new(store);
    let done = AtomicBool::new(false);
    let t = Instant::now();
    let (pulled, saves) = std::thread::scope(|scope| {
        let saver = scope.spawn(|| -> Result<Vec<f64>> {
            let mut waits = Vec::new();
            // Bounded: a save every 20 ms for as long as the pull runs, at most 10 min.
            for _ in 0..30_000 {
                if done.load(Ordering::SeqCst) {
                    break;
                }
                let t = Instant::now();
                shared
                    .lock()
                    .add_cleanup(VILLAGE, PileKind::Dirt, 1.5, Some(1), None)?;
                waits.push(since(t));
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(waits)
        });
        let pulled = HttpTransport::new(&url)
            .map_err(anyhow::Error::from)
            .and_then(|mut transport| {
                // As the desktop syncs.
                let options = SyncOptions {
                    apply_step: INTERACTIVE_APPLY_STEP,
                    ..SyncOptions::default()
                };
                Ok(Client::new(&mut transport, options).sync_shared(&shared, &mut |_| {})?)
            });
        done.store(true, Ordering::SeqCst);
        let saves = saver
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (pulled, saves)
    });
    let pull_ms = since(t);
    let (pulled, saves) = (pulled?, saves?);
    let store = shared.into_inner();
    ensure!(pulled.received == n, "received {} of {n}", pulled.received);
    ensure!(
        store.rows(Table::Visit)?.len() == n,
        "device B is missing visits"
    );
    // Saves before the push phase read the outbox went out with this sync; the rest wait.
    let kept = store
        .outbox(None, usize::MAX >> 1)?
        .iter()
        .filter(|e| e.change.table == Table::Cleanup && e.state != OutboxState::Rejected)
        .count();
    ensure!(kept == saves.len(), "{} saves, {kept} kept", saves.len());
    let mut figures = latency(&saves);
    figures["n_pulled"] = json!(n);
    figures["pull_ms"] = json!(r3(pull_ms));
    report.add(
        &format!("save-{}", backend.name()),
        "save-while-pulling",
        figures,
    );
    Ok(())
}
