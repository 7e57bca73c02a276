//! (a) Recording a visit on the device — `Store::add_visit`: validate, merge, write the
//! row, its projection and its change in one transaction on a real file (WAL,
//! synchronous=FULL) — p50 / p99; and (b) its floor: one raw SQLite insert of the same
//! row per transaction. Measured on the disk the data folder is on, and on tmpfs
//! (where fsync costs nothing) to show how much of it is the disk.

use crate::floor;
use crate::report::Report;
use crate::server::{BANNER, TOWNSHIP, VILLAGE};
use crate::stats::{latency, percentile, r3};
use crate::sync::merge;
use anyhow::Result;
use serde_json::json;
use std::path::Path;
use std::time::Instant;
use tally_core::{Level, OrgUnit, RowId};
use tally_store::{DbKey, NewHousehold, Store};

/// `n` visits recorded one by one, after a warm-up: each one's latency in ms.
pub fn visits(dir: &Path, n: usize) -> Result<Vec<f64>> {
    let mut store = Store::open(&dir.join("device.db"), &DbKey::random())?;
    store.init("bench")?;
    for (code, level, parent) in [
        (BANNER, Level::Banner, None),
        (TOWNSHIP, Level::Township, Some(BANNER)),
        (VILLAGE, Level::Village, Some(TOWNSHIP)),
    ] {
        store.add_unit(&OrgUnit::new(code, &format!("单位{code}"), level, parent))?;
    }
    let households: Vec<RowId> = store.batch(|s| {
        (0..200)
            .map(|i| {
                s.add_household(&NewHousehold {
                    village: VILLAGE.into(),
                    head: format!("户主{i}"),
                    ..NewHousehold::default()
                })
            })
            .collect()
    })?;
    let day = crate::device::visit_day();
    let mut out = Vec::with_capacity(n);
    for i in 0..n + n / 10 {
        let hh = households[i % households.len()];
        let t = Instant::now();
        store.add_visit(hh, Some(day), &crate::device::note(i))?;
        if i >= n / 10 {
            out.push(crate::stats::ms(t.elapsed()));
        }
    }
    Ok(out)
}

/// Where the measurements run: the data folder's disk, and tmpfs if there is one.
fn places(data: &Path) -> Vec<(&'static str, tempfile::TempDir)> {
    let mut out = Vec::new();
    if let Ok(d) = tempfile::tempdir_in(data) {
        out.push(("disk", d));
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(d) = tempfile::tempdir_in(shm) {
            out.push(("tmpfs", d));
        }
    }
    out
}

pub fn bench(report: &mut Report, data: &Path, n: usize) -> Result<()> {
    for (place, dir) in places(data) {
        let ours = visits(dir.path(), n)?;
        let raw = floor::single_visits(dir.path(), n)?;
        let ratio = |p| r3(percentile(&ours, p) / percentile(&raw, p).max(1e-9));
        report.add(
            "record",
            &format!("visit-{place}"),
            merge(
                latency(&ours),
                json!({ "p50_ratio_to_floor": ratio(50.0), "p99_ratio_to_floor": ratio(99.0) }),
            ),
        );
        report.add("floor", &format!("visit-insert-{place}"), latency(&raw));
    }
    Ok(())
}
