//! (d) N changes device → server → a second device, over real HTTP: device A holds N
//! new visits and syncs (push, then the pull that confirms them), device B syncs
//! from nothing. Compared with the floor: SQLite storing the same change rows once on
//! the server and once on the receiving device.

use crate::device::{write_visits, Device};
use crate::floor;
use crate::report::Report;
use crate::server::{Backend, Server};
use crate::stats::{r3, since};
use anyhow::{ensure, Result};
use serde_json::json;
use std::path::Path;
use std::time::Instant;
use tally_core::Table;

pub fn bench(report: &mut Report, backend: &Backend, data: &Path, n: usize) -> Result<()> {
    let server = Server::start(backend, 1)?;
    let dir = tempfile::tempdir_in(data)?;
    let mut a = Device::synced_in_village(&server, dir.path(), "cadre-a")?;
    let t = Instant::now();
    write_visits(&mut a.store, n, 0)?;
    let write_ms = since(t);
    let changes = a.store.pending(n)?;
    let sent = a.sync()?;
    ensure!(
        sent.report.accepted == n,
        "accepted {} of {n}",
        sent.report.accepted
    );
    let mut b = Device::in_village(&server, dir.path(), "cadre-b")?;
    let got = b.sync()?;
    ensure!(
        b.store.rows(Table::Visit)?.len() == n,
        "device B is missing visits"
    );
    let (floor_server, floor_device) = floor::both_ends(dir.path(), &changes)?;
    let floor_ms = floor_server + floor_device;
    let path_ms = sent.push_ms + got.ms;
    let total_ms = sent.ms + got.ms;
    report.add(
        &format!("bulk-{}", backend.name()),
        "device-server-device",
        json!({
            "n": n,
            "local_write_ms": r3(write_ms),
            "a_push_ms": r3(sent.push_ms),
            "a_sync_ms": r3(sent.ms),
            "b_pull_ms": r3(got.ms),
            "path_ms": r3(path_ms),
            "total_ms": r3(total_ms),
            "floor_server_ms": r3(floor_server),
            "floor_device_ms": r3(floor_device),
            "floor_ms": r3(floor_ms),
            "path_ratio_to_floor": r3(path_ms / floor_ms.max(1e-9)),
            "total_ratio_to_floor": r3(total_ms / floor_ms.max(1e-9)),
            "requests": sent.report.requests + got.report.requests,
            "wire_mb": r3((sent.report.wire_bytes + got.report.wire_bytes) as f64 / 1e6),
            "changes_per_s": r3(n as f64 / (total_ms / 1000.0)),
        }),
    );
    Ok(())
}
