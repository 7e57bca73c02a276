//! Kill -9 in the middle of many writes: on reopen every acknowledged write is there
//! and no change is half-written (every change has its row, every row its changes).
//!
//! The test re-runs itself as the writer: started with `TALLY_CRASH_DB` set (only the
//! test sets it, for its child), it writes until killed instead of testing. There is no
//! separate writer test that could pass without doing anything.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tally_core::*;
use tally_store::*;

mod support;

use support::{key, VILLAGE};

/// The test's name: the child runs exactly it.
const TEST: &str = "every_acknowledged_write_survives_a_kill_and_nothing_is_half_written";

/// The child: write to the database at `path` and acknowledge each write, until killed.
fn crash_writer(path: &str) {
    let mut s = Store::open(std::path::Path::new(&path), &key()).unwrap();
    let h: RowId = std::env::var("TALLY_CRASH_HOUSEHOLD")
        .unwrap()
        .parse()
        .unwrap();
    // Bounded: the parent kills us long before this ends.
    for i in 0..1_000_000u32 {
        let id = if i % 3 == 0 {
            s.add_cleanup(
                VILLAGE,
                PileKind::Garbage,
                1.0 + f64::from(i % 50),
                Some(1),
                None,
            )
            .unwrap()
        } else if i % 3 == 1 {
            s.add_visit(h, None, &format!("第{i}次走访")).unwrap()
        } else {
            s.edit(
                Edit::new(Table::Household)
                    .row(h)
                    .set("members", 1 + i % 40),
            )
            .map(|c| c.row())
            .unwrap_or(h)
        };
        // Acknowledged: the transaction committed before this line is printed.
        println!("ack {i} {id}");
    }
}

#[test]
fn every_acknowledged_write_survives_a_kill_and_nothing_is_half_written() {
    if let Ok(path) = std::env::var("TALLY_CRASH_DB") {
        return crash_writer(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let h = {
        let mut s = Store::open(&path, &key()).unwrap();
        s.init("crash").unwrap();
        support::seed_units(&mut s);
        s.add_household(&NewHousehold {
            village: VILLAGE.into(),
            head: "张三".into(),
            ..Default::default()
        })
        .unwrap()
    };
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env("TALLY_CRASH_DB", &path)
            .env("TALLY_CRASH_HOUSEHOLD", h.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut acked: Vec<String> = Vec::new();
        let reader = BufReader::new(child.stdout.take().unwrap());
        let started = Instant::now();
        let wanted = 300 + round * 250;
        for line in reader.lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("ack ") {
                acked.push(rest.split(' ').nth(1).unwrap().to_string());
            }
            if acked.len() >= wanted || started.elapsed() > Duration::from_secs(60) {
                break;
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        assert!(
            acked.len() >= wanted,
            "the writer acknowledged only {} writes",
            acked.len()
        );

        let s = Store::open(&path, &key()).unwrap();
        let records = s.records().unwrap();
        let visits = s.rows(Table::Visit).unwrap();
        for id in &acked {
            let id: RowId = id.parse().unwrap();
            let found = id == h
                || records.cleanups.iter().any(|c| c.id == id)
                || visits.iter().any(|v| v.id == id);
            assert!(found, "round {round}: acknowledged write {id} is missing");
        }
        // No half-written change: each row equals the merge of its logged changes.
        let all = s.outbox(None, usize::MAX >> 1).unwrap();
        for table in [Table::Cleanup, Table::Visit, Table::Household] {
            for row in s.rows(table).unwrap() {
                let mut rebuilt: Option<Row> = None;
                for e in all.iter().filter(|e| e.change.row == row.id) {
                    rebuilt = Some(merge(rebuilt.as_ref(), &e.change).row);
                }
                assert_eq!(
                    rebuilt.as_ref(),
                    Some(&row),
                    "round {round}: row {} differs from its changes",
                    row.id
                );
            }
        }
        let rows: usize = [Table::Cleanup, Table::Visit]
            .iter()
            .map(|t| s.rows(*t).unwrap().len())
            .sum();
        let creations = all
            .iter()
            .filter(|e| matches!(e.change.table, Table::Cleanup | Table::Visit))
            .count();
        assert_eq!(
            rows, creations,
            "round {round}: a change without its row or a row without its change"
        );
    }
}
