//! `tally-bench`: Tally's performance, measured over real HTTP on 127.0.0.1 and real
//! files (the budgets of BENCHMARKS.md). Each scenario prints one JSON line per figure as it is measured,
//! then a readable table. `tally-bench smoke` runs every scenario at a tiny size in
//! seconds (for CI); BENCHMARKS.md has the full-size figures and how to read them.

mod bulk;
mod desktop;
mod device;
mod floor;
mod ledger;
mod load;
mod record;
mod report;
mod save;
mod server;
mod stats;
mod sync;
mod township;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use report::Report;
use server::Backend;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "tally-bench",
    about = "Tally's benchmarks (the budgets of BENCHMARKS.md)"
)]
struct Cli {
    /// The PostgreSQL server for `--backend postgres|both` (a fresh schema per run).
    #[arg(long, global = true, env = "TALLY_TEST_PG_URL")]
    pg_url: Option<String>,
    /// Which server database the sync, load and ledger scenarios run on.
    #[arg(long, global = true, value_enum, default_value = "sqlite")]
    backend: Which,
    /// Where device and floor files go (their disk is part of what is measured).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// Repeat runs of each scenario; medians and the spread are reported.
    #[arg(long, global = true, default_value_t = 1)]
    runs: usize,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Subcommand)]
enum Scenario {
    /// (a, b) Recording a visit on the device, p50 / p99, and the raw SQLite floor.
    Record {
        #[arg(long, default_value_t = 2000)]
        n: usize,
    },
    /// (c) One-shot push, no-op re-sync, 100 edits, fresh pull, 100-row conflict.
    Sync {
        #[arg(long, default_value_t = 10_000)]
        n: usize,
    },
    /// (c) The 5-device township day with shared households, two rounds.
    Township {
        #[arg(long, default_value_t = 5)]
        devices: usize,
        #[arg(long, default_value_t = 10_000)]
        visits: usize,
        #[arg(long, default_value_t = 200)]
        shared: usize,
    },
    /// (d) N changes device → server → second device, against the raw SQLite floor.
    Bulk {
        #[arg(long, default_value_t = 100_000)]
        n: usize,
    },
    /// Saving entries (one every 20 ms) while a device pulls N changes.
    Save {
        #[arg(long, default_value_t = 100_000)]
        n: usize,
    },
    /// (e) D devices syncing at once, C changes each.
    Load {
        #[arg(long, default_value_t = 1000)]
        devices: usize,
        #[arg(long, default_value_t = 100)]
        per: usize,
    },
    /// (f) The banner ledger on the device and on the server.
    Ledger {
        #[arg(long, default_value_t = 100_000)]
        households: usize,
        #[arg(long, default_value_t = 1_000_000)]
        records: usize,
    },
    /// Every scenario at full size.
    All,
    /// Not a measurement: a server and a logged-in device at banner scale, for
    /// scripts/desktop-bench.py (the desktop app driven through its window).
    DesktopFixture {
        /// Where the server's and the device's folders and fixture.json go.
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 20_000)]
        households: usize,
        #[arg(long, default_value_t = 100_000)]
        records: usize,
        /// Records on the server the device has not pulled yet (a sync's work).
        #[arg(long, default_value_t = 100_000)]
        backlog: usize,
        #[arg(long, default_value_t = 160)]
        per_village: usize,
        #[arg(long, default_value_t = 25)]
        per_township: usize,
        /// The server's address as the device keeps it; the benchmark serves it there.
        #[arg(long, default_value = "127.0.0.1:17840")]
        listen: String,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Every scenario at a tiny size: a few seconds, for CI.
    Smoke,
}

fn backends(cli: &Cli) -> Result<Vec<Backend>> {
    let pg = || {
        cli.pg_url
            .clone()
            .filter(|u| !u.is_empty())
            .map(Backend::Postgres)
            .ok_or_else(|| anyhow::anyhow!("PostgreSQL needs --pg-url or TALLY_TEST_PG_URL"))
    };
    Ok(match cli.backend {
        Which::Sqlite => vec![Backend::Sqlite],
        Which::Postgres => vec![pg()?],
        Which::Both => vec![Backend::Sqlite, pg()?],
    })
}

fn machine(report: &mut Report, data: &std::path::Path) {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("?")
        .trim()
        .to_string();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    report.add(
        "machine",
        "info",
        serde_json::json!({
            "cpu": cpu, "cores": cores,
            "loadavg": read("/proc/loadavg").split_whitespace().take(3).collect::<Vec<_>>().join(" "),
            "kernel": read("/proc/sys/kernel/osrelease").trim(),
            "data_dir": data.display().to_string(),
            "at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }),
    );
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Scenario::DesktopFixture {
        out,
        households,
        records,
        backlog,
        per_village,
        per_township,
        listen,
        seed,
    } = &cli.scenario
    {
        let fixture = desktop::Fixture {
            households: *households,
            records: *records,
            backlog: *backlog,
            per_village: *per_village,
            per_township: *per_township,
            listen: listen.clone(),
            seed: *seed,
        };
        return desktop::make(out, &fixture);
    }
    let data = cli.data.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&data)?;
    let mut report = Report::default();
    machine(&mut report, &data);
    let runs = cli.runs;
    let each = |report: &mut Report, f: &mut dyn FnMut(&mut Report, &Backend) -> Result<()>| {
        backends(&cli)?.iter().try_for_each(|b| f(report, b))
    };
    match cli.scenario {
        Scenario::Record { n } => record::bench(&mut report, &data, n)?,
        Scenario::Sync { n } => each(&mut report, &mut |r, b| sync::bench(r, b, n, runs))?,
        Scenario::Township {
            devices,
            visits,
            shared,
        } => {
            let day = township::Day {
                devices,
                visits,
                shared,
            };
            each(&mut report, &mut |r, b| township::bench(r, b, day, runs))?
        }
        Scenario::Bulk { n } => each(&mut report, &mut |r, b| bulk::bench(r, b, &data, n))?,
        Scenario::Save { n } => each(&mut report, &mut |r, b| save::bench(r, b, &data, n))?,
        Scenario::Load { devices, per } => {
            each(&mut report, &mut |r, b| load::bench(r, b, devices, per))?
        }
        Scenario::Ledger {
            households,
            records,
        } => each(&mut report, &mut |r, b| {
            ledger::bench(r, b, &data, households, records, runs.max(3))
        })?,
        Scenario::All => {
            record::bench(&mut report, &data, 2000)?;
            each(&mut report, &mut |r, b| {
                sync::bench(r, b, 10_000, runs)?;
                let day = township::Day {
                    devices: 5,
                    visits: 10_000,
                    shared: 200,
                };
                township::bench(r, b, day, runs)?;
                bulk::bench(r, b, &data, 100_000)?;
                save::bench(r, b, &data, 100_000)?;
                load::bench(r, b, 1000, 100)?;
                ledger::bench(r, b, &data, 100_000, 1_000_000, runs.max(3))
            })?
        }
        Scenario::Smoke => {
            record::bench(&mut report, &data, 50)?;
            each(&mut report, &mut |r, b| {
                sync::bench(r, b, 200, 1)?;
                let day = township::Day {
                    devices: 3,
                    visits: 300,
                    shared: 20,
                };
                township::bench(r, b, day, 1)?;
                bulk::bench(r, b, &data, 1000)?;
                save::bench(r, b, &data, 1000)?;
                load::bench(r, b, 20, 10)?;
                ledger::bench(r, b, &data, 1000, 5000, 1)
            })?
        }
        Scenario::DesktopFixture { .. } => unreachable!("handled before the report"),
    }
    println!("\n{}", report.table());
    Ok(())
}
