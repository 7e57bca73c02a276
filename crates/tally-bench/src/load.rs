//! (e) The server under load: D simulated devices, each in its own village, sync at
//! once (health, one push of C changes, pull until up to date) over real HTTP from a
//! separate runtime of async clients. Reports throughput, each sync's latency
//! p50 / p99, and every error (a transport failure, a non-2xx answer, a rejected change).

use crate::report::Report;
use crate::server::{village_code, Backend, Server};
use crate::stats::{latency, r3, since};
use crate::sync::merge;
use anyhow::{Context, Result};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tally_core::{Change, ChangeId, DeviceId, FieldEdit, Hlc, RowId, Table};
use tally_protocol::{
    paths, PullResponse, PushRequest, PushResponse, PushResult, SeqRanges, PROTOCOL_HEADER,
    PROTOCOL_VERSION,
};

/// One simulated device: its token and its push body, gzipped as the client sends it.
struct Sim {
    token: String,
    push_gz: Vec<u8>,
    n: usize,
}

/// The device's push: a household of its village, then visits to it (a visit must name a
/// known household of its village), `n` changes in all.
fn changes(device: DeviceId, user: &str, unit: &str, n: usize, now_ms: u64) -> Vec<Change> {
    let day = crate::device::visit_day().to_string();
    let household = RowId(uuid::Uuid::now_v7());
    (0..n)
        .map(|k| {
            let (table, row, fields) = if k == 0 {
                (
                    Table::Household,
                    household,
                    [("head", json!("户主")), ("members", json!(3))],
                )
            } else {
                (
                    Table::Visit,
                    RowId(uuid::Uuid::now_v7()),
                    [
                        ("household", json!(household.to_string())),
                        ("date", json!(day)),
                    ],
                )
            };
            let mut fields: BTreeMap<String, FieldEdit> = fields
                .into_iter()
                .map(|(name, v)| (name.to_string(), FieldEdit::new(v)))
                .collect();
            if table == Table::Visit {
                fields.insert("note".into(), FieldEdit::new(crate::device::note(k).into()));
            }
            Change {
                id: ChangeId(uuid::Uuid::now_v7()),
                table,
                row,
                unit: unit.to_string(),
                fields,
                hlc: Hlc::new(now_ms, k as u32),
                device,
                author: user.to_string(),
                correction: false,
            }
        })
        .collect()
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes)?;
    Ok(enc.finish()?)
}

fn gunzip_if(gz: bool, bytes: &[u8]) -> Result<Vec<u8>> {
    if !gz {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

async fn get(http: &reqwest::Client, url: String, token: &str) -> Result<Vec<u8>> {
    let resp = http
        .get(url)
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .header("accept-encoding", "gzip")
        .bearer_auth(token)
        .send()
        .await?;
    body(resp, "GET").await
}

/// An answer's body, gunzipped; an error unless the status is a success.
async fn body(resp: reqwest::Response, what: &str) -> Result<Vec<u8>> {
    let status = resp.status();
    let gz = resp
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    let body = gunzip_if(gz, &resp.bytes().await?)?;
    anyhow::ensure!(status.is_success(), "{what} answered {status}");
    Ok(body)
}

/// One device's sync; `Ok(ms)` only if everything was accepted and pulled.
async fn sync(http: reqwest::Client, base: Arc<String>, sim: Arc<Sim>) -> Result<f64> {
    let t = Instant::now();
    get(&http, format!("{base}{}", paths::HEALTH), &sim.token).await?;
    let resp = http
        .post(format!("{base}{}", paths::PUSH))
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .header("accept-encoding", "gzip")
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .bearer_auth(&sim.token)
        .body(sim.push_gz.clone())
        .send()
        .await?;
    let answer: PushResponse = serde_json::from_slice(&body(resp, "push").await?)?;
    let seqs: Vec<i64> = answer
        .results
        .iter()
        .filter_map(|r| match r {
            PushResult::Accepted { seq, .. } => Some(*seq),
            PushResult::Rejected { .. } => None,
        })
        .collect();
    anyhow::ensure!(
        seqs.len() == sim.n,
        "push: {} of {} accepted",
        seqs.len(),
        sim.n
    );
    // As a device does: its receipts need not come back.
    let held = SeqRanges::of(&seqs);
    let mut cursor = String::new();
    for _ in 0..1000 {
        let url = format!(
            "{base}{}?cursor={cursor}&limit=1000&skip={held}",
            paths::PULL
        );
        let page: PullResponse = serde_json::from_slice(&get(&http, url, &sim.token).await?)?;
        cursor = page.cursor;
        if !page.more {
            return Ok(since(t));
        }
    }
    anyhow::bail!("pull did not finish in 1 000 pages")
}

pub fn bench(report: &mut Report, backend: &Backend, devices: usize, per: usize) -> Result<()> {
    let server = Server::start(backend, devices)?;
    let now = tally_server::SystemClock;
    let now_ms = tally_server::WallClock::now_ms(&now);
    let setup = Instant::now();
    let mut sims = Vec::with_capacity(devices);
    for i in 0..devices {
        let device = DeviceId(uuid::Uuid::now_v7());
        let (user, unit) = (format!("load-{i:04}"), village_code(i));
        let token = server.enroll(
            &user,
            tally_protocol::Role::Cadre,
            std::slice::from_ref(&unit),
            device,
        )?;
        let body = serde_json::to_vec(&PushRequest {
            changes: changes(device, &user, &unit, per, now_ms),
        })?;
        sims.push(Arc::new(Sim {
            token,
            push_gz: gzip(&body)?,
            n: per,
        }));
    }
    eprintln!(
        "load: {devices} devices enrolled in {:.1} s",
        since(setup) / 1000.0
    );
    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("devices")
        .enable_all()
        .build()?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_idle_timeout(Duration::from_secs(5))
        .build()?;
    let base = Arc::new(server.url.clone());
    let t = Instant::now();
    let results: Vec<Result<f64>> = clients.block_on(async {
        let tasks: Vec<_> = sims
            .iter()
            .map(|sim| tokio::spawn(sync(http.clone(), base.clone(), sim.clone())))
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for task in tasks {
            out.push(task.await.context("device task panicked").and_then(|r| r));
        }
        out
    });
    let wall_ms = since(t);
    let mut ok = Vec::new();
    let mut errors = BTreeMap::<String, usize>::new();
    for r in results {
        match r {
            Ok(ms) => ok.push(ms),
            Err(e) => {
                *errors
                    .entry(format!("{e:#}").chars().take(80).collect())
                    .or_default() += 1
            }
        }
    }
    for (e, n) in &errors {
        eprintln!("load: {n} × {e}");
    }
    let total = devices * per;
    report.add(
        &format!("load-{}", backend.name()),
        &format!("{devices}x{per}"),
        merge(
            json!({
                "devices": devices, "changes_per_device": per, "wall_ms": r3(wall_ms),
                "changes_per_s": r3(total as f64 / (wall_ms / 1000.0)),
                "syncs_per_s": r3(devices as f64 / (wall_ms / 1000.0)),
                "errors": errors.values().sum::<usize>(),
            }),
            latency(&ok),
        ),
    );
    clients.shutdown_timeout(Duration::from_secs(5));
    Ok(())
}
