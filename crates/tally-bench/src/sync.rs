//! (c) The sync scenarios with the shape of the PouchDB peer's `bench.js`: a device
//! writes N visit records of about 300 bytes, pushes them in one sync, re-syncs with
//! nothing to do, pushes 100 edits; a new device pulls everything; then both edit the
//! same 100 records and sync A, B, A. Every figure is over real HTTP on 127.0.0.1.

use crate::device::{edit_visits, write_visits, Device, SyncRun};
use crate::report::Report;
use crate::server::{Backend, Server};
use crate::stats::{r3, runs, since};
use anyhow::{ensure, Result};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Instant;
use tally_core::Table;

/// The measurements of one run, by case.
type Run = BTreeMap<&'static str, (SyncRun, Value)>;

fn one_run(backend: &Backend, n: usize) -> Result<(Run, f64, f64)> {
    let server = Server::start(backend, 1)?;
    let dir = tempfile::tempdir()?;
    let mut a = Device::synced_in_village(&server, dir.path(), "cadre-a")?;
    let t = Instant::now();
    let rows = write_visits(&mut a.store, n, 0)?;
    let write_ms = since(t);
    let avg_bytes = a
        .store
        .pending(100)?
        .iter()
        .map(|c| serde_json::to_string(c).map_or(0, |s| s.len()))
        .sum::<usize>() as f64
        / 100f64.min(n as f64).max(1.0);
    let mut run = Run::new();
    let push = a.sync()?;
    ensure!(
        push.report.accepted == n,
        "push accepted {} of {n}",
        push.report.accepted
    );
    run.insert("push", (push, json!({})));
    let noop = a.sync()?;
    ensure!(
        noop.report.sent == 0 && noop.report.received == 0,
        "no-op sync moved data"
    );
    run.insert("noop", (noop, json!({})));
    let edited = &rows[..100.min(rows.len())];
    edit_visits(&mut a.store, edited, "edited")?;
    let inc = a.sync()?;
    ensure!(
        inc.report.accepted == edited.len(),
        "edits not all accepted"
    );
    run.insert("edit100", (inc, json!({})));
    // The village's team leader: correcting what a cadre entered is a leader's (or the
    // cadre's own), so the concurrent edits below are both accepted and meet as conflicts.
    let mut b = Device::with_role(
        &server,
        dir.path(),
        "leader-b",
        tally_core::Role::Leader,
        &[crate::server::TOWNSHIP.to_string()],
    )?;
    let pull = b.sync()?;
    let fresh = b.store.rows(Table::Visit)?.len();
    ensure!(fresh == n, "fresh device has {fresh} of {n} visits");
    run.insert("pull", (pull, json!({ "fresh_rows": fresh })));
    edit_visits(&mut b.store, edited, "edited_by_B")?;
    edit_visits(&mut a.store, edited, "edited_by_A")?;
    let t = Instant::now();
    let mut conflict = a.sync()?;
    for s in [b.sync()?, a.sync()?] {
        conflict.report.requests += s.report.requests;
        conflict.report.wire_bytes += s.report.wire_bytes;
    }
    conflict.ms = since(t);
    let (ca, cb) = (a.store.conflicts()?, b.store.conflicts()?);
    let mut same = ca == cb;
    let mut winners_a = 0;
    for row in edited {
        let (ra, rb) = (
            a.store.row(Table::Visit, *row)?,
            b.store.row(Table::Visit, *row)?,
        );
        same &= ra == rb;
        winners_a += usize::from(ra.as_ref().and_then(|r| r.str("note")) == Some("edited_by_A"));
    }
    let extra = json!({
        "conflicts_a": ca.len(), "conflicts_b": cb.len(), "winners_a": winners_a,
        "replicas_agree": same,
    });
    run.insert("conflict", (conflict, extra));
    Ok((run, write_ms, avg_bytes))
}

/// Run the scenarios `runs` times (a fresh server each) and report the medians.
pub fn bench(report: &mut Report, backend: &Backend, n: usize, repeat: usize) -> Result<()> {
    let mut all: Vec<Run> = Vec::new();
    let (mut writes, mut avg) = (Vec::new(), 0.0);
    for i in 0..repeat.max(1) {
        let (run, write_ms, avg_bytes) = one_run(backend, n)?;
        eprintln!(
            "sync run {}: push {:.0} ms, pull {:.0} ms",
            i + 1,
            run["push"].0.ms,
            run["pull"].0.ms
        );
        writes.push(write_ms);
        avg = avg_bytes;
        all.push(run);
    }
    let name = format!("sync-{}", backend.name());
    report.add(
        &name,
        "local_write",
        merge(
            json!({ "n": n, "change_json_bytes": r3(avg) }),
            runs("time", &writes),
        ),
    );
    for case in ["push", "noop", "edit100", "pull", "conflict"] {
        let ms: Vec<f64> = all.iter().map(|r| r[case].0.ms).collect();
        let push_ms: Vec<f64> = all.iter().map(|r| r[case].0.push_ms).collect();
        let (last, extra) = &all[all.len() - 1][case];
        let rep = &last.report;
        let mut fields = json!({
            "n": n, "runs": all.len(), "requests": rep.requests, "wire_bytes": rep.wire_bytes,
            "sent": rep.sent, "received": rep.received,
        });
        fields = merge(fields, runs("time", &ms));
        if case == "push" {
            fields = merge(fields, runs("push_phase", &push_ms));
        }
        report.add(&name, case, merge(fields, extra.clone()));
    }
    Ok(())
}

/// The fields of `a` and `b` in one object.
pub fn merge(mut a: Value, b: Value) -> Value {
    if let (Value::Object(x), Value::Object(y)) = (&mut a, b) {
        x.extend(y);
    }
    a
}
