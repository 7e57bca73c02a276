//! (c) The "township day" of the PouchDB peer's `bench_multi.js`: the village's shared
//! households are on the server; D devices pull them, then work offline (each writes
//! its visits and edits every shared household), then all sync in turn at the township
//! office, twice. Reports each round's time, requests and bytes, the conflicts kept
//! (every losing value, per field, where PouchDB hides losing revisions) and whether
//! every replica ended equal.

use crate::device::{write_visits, Device};
use crate::report::Report;
use crate::server::{Backend, Server, VILLAGE};
use crate::stats::{r3, runs, since};
use crate::sync::merge;
use anyhow::{ensure, Result};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Instant;
use tally_core::{RowId, Table};
use tally_store::{Edit, NewHousehold};

/// The size of the day.
#[derive(Clone, Copy, Debug)]
pub struct Day {
    pub devices: usize,
    /// New visits in total, split over the devices.
    pub visits: usize,
    pub shared: usize,
}

struct Round {
    ms: f64,
    requests: usize,
    wire_bytes: usize,
}

struct Outcome {
    rounds: [Round; 2],
    conflicts: usize,
    conflicted_rows: usize,
    server_conflicts: usize,
    converged: bool,
}

fn one_run(backend: &Backend, day: Day) -> Result<Outcome> {
    let server = Server::start(backend, 1)?;
    let dir = tempfile::tempdir()?;
    let mut office = Device::synced_in_village(&server, dir.path(), "office")?;
    let mut shared: Vec<RowId> = Vec::new();
    office.store.batch(|s| {
        for i in 0..day.shared {
            shared.push(s.add_household(&NewHousehold {
                village: VILLAGE.into(),
                head: format!("户主{i}"),
                members: Some(3),
                ..NewHousehold::default()
            })?);
        }
        Ok(())
    })?;
    office.sync()?;
    let mut devs = Vec::new();
    for d in 0..day.devices {
        // Online at the start of the week.
        let dev = Device::synced_in_village(&server, dir.path(), &format!("cadre-{d}"))?;
        devs.push(dev);
    }
    let per = day.visits / day.devices.max(1);
    for (d, dev) in devs.iter_mut().enumerate() {
        write_visits(&mut dev.store, per, d * per)?;
        dev.store.batch(|s| {
            for id in &shared {
                s.edit(
                    Edit::new(Table::Household)
                        .row(*id)
                        .set("members", 4 + d as u32)
                        .set("cadre", format!("dev{d}")),
                )?;
            }
            Ok(())
        })?;
    }
    let mut rounds = Vec::new();
    for _ in 0..2 {
        let t = Instant::now();
        let (mut requests, mut wire_bytes) = (0, 0);
        for dev in &mut devs {
            let run = dev.sync()?;
            requests += run.report.requests;
            wire_bytes += run.report.wire_bytes;
        }
        rounds.push(Round {
            ms: since(t),
            requests,
            wire_bytes,
        });
    }
    let mut converged = true;
    for table in [Table::Household, Table::Visit, Table::OrgUnit] {
        let first = devs[0].store.rows(table)?;
        for dev in &devs[1..] {
            converged &= dev.store.rows(table)? == first;
        }
    }
    let conflicts = devs[0].store.conflicts()?;
    for dev in &devs[1..] {
        converged &= dev.store.conflicts()? == conflicts;
    }
    let conflicted_rows = conflicts
        .iter()
        .map(|c| c.row)
        .collect::<BTreeSet<_>>()
        .len();
    let server_conflicts = server.rt.block_on(server.db.conflicts(None))?.len();
    ensure!(
        devs[0].store.rows(Table::Visit)?.len() == per * day.devices,
        "a device is missing visits after two rounds"
    );
    let [r1, r2]: [Round; 2] = rounds
        .try_into()
        .map_err(|_| anyhow::anyhow!("two rounds"))?;
    Ok(Outcome {
        rounds: [r1, r2],
        conflicts: conflicts.len(),
        conflicted_rows,
        server_conflicts,
        converged,
    })
}

pub fn bench(report: &mut Report, backend: &Backend, day: Day, repeat: usize) -> Result<()> {
    let mut outs = Vec::new();
    for i in 0..repeat.max(1) {
        let o = one_run(backend, day)?;
        eprintln!(
            "township run {}: round 1 {:.0} ms, round 2 {:.0} ms",
            i + 1,
            o.rounds[0].ms,
            o.rounds[1].ms
        );
        outs.push(o);
    }
    let last = &outs[outs.len() - 1];
    let r1: Vec<f64> = outs.iter().map(|o| o.rounds[0].ms).collect();
    let r2: Vec<f64> = outs.iter().map(|o| o.rounds[1].ms).collect();
    let fields = json!({
        "devices": day.devices, "visits": day.visits, "shared": day.shared, "runs": outs.len(),
        "round1_requests": last.rounds[0].requests, "round1_wire_mb": r3(last.rounds[0].wire_bytes as f64 / 1e6),
        "round2_requests": last.rounds[1].requests, "round2_wire_mb": r3(last.rounds[1].wire_bytes as f64 / 1e6),
        "conflicts_kept": last.conflicts, "conflicted_households": last.conflicted_rows,
        "server_conflicts": last.server_conflicts, "converged": outs.iter().all(|o| o.converged),
    });
    let fields = merge(merge(fields, runs("round1", &r1)), runs("round2", &r2));
    report.add(&format!("township-{}", backend.name()), "day", fields);
    Ok(())
}
