//! The per-day sums at the edges of the ledger's 7-day window (`tally_testkit::window`):
//! after cleanups around today are added, corrected and deleted, the stored sums equal
//! the sums of the rows as core merges them, and the ledger read from the sums equals
//! core's ledger of those records as of each day around the window.

use crate::support::*;
use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;
use tally_core::ledger::{self, DaySums};
use tally_core::{merge, Records, Row, RowId, Table};
use tally_protocol::PushResult;
use tally_server::db::PushMode;
use tally_testkit::banner::{BANNER, VILLAGE_A, VILLAGE_B};
use tally_testkit::window::{self, Op, KINDS};
use tally_testkit::Backend;

async fn run(backend: Backend, ops: Vec<Op>) {
    let Some(t) = seeded(backend).await else {
        return;
    };
    let today: NaiveDate = TODAY.parse().unwrap();
    let mut w = Writer::leader();
    // What core's merge makes of every accepted change: the oracle's rows.
    let mut rows: BTreeMap<RowId, Row> = BTreeMap::new();
    let mut made: Vec<(RowId, &str)> = Vec::new();
    for op in ops {
        let adds = matches!(op, Op::Add { .. });
        let change = match op {
            Op::Add {
                second_unit,
                kind,
                tenths,
                day,
            } => {
                let unit = if second_unit { VILLAGE_B } else { VILLAGE_A };
                let fields = json!({
                    "kind": KINDS[kind],
                    "tonnes": window::tonnes(tenths),
                    "date": window::day(today, day),
                });
                let c = w.change(Table::Cleanup, RowId(uuid::Uuid::now_v7()), unit, fields);
                made.push((c.row, unit));
                c
            }
            _ if made.is_empty() => continue,
            Op::Tonnes { which, tenths } => {
                let (row, unit) = made[which % made.len()];
                let fields = json!({"tonnes": window::tonnes(tenths)});
                w.change(Table::Cleanup, row, unit, fields)
            }
            Op::Move { which, day } => {
                let (row, unit) = made[which % made.len()];
                let fields = json!({"date": window::day(today, day)});
                w.change(Table::Cleanup, row, unit, fields)
            }
            Op::Delete { which } => {
                let (row, unit) = made[which % made.len()];
                w.change(Table::Cleanup, row, unit, json!({"deleted": true}))
            }
        };
        let pushed = w
            .push(&t, std::slice::from_ref(&change), PushMode::PerChange)
            .await;
        let accepted = matches!(pushed.results[0], PushResult::Accepted { .. });
        assert!(
            accepted || !adds,
            "a new cleanup is accepted: {:?}",
            pushed.results
        );
        if accepted {
            let merged = merge(rows.get(&change.row), &change).row;
            rows.insert(change.row, merged);
        }
    }

    let mut oracle = DaySums::default();
    for row in rows.values() {
        oracle.add_row(row, 1);
    }
    let (stored, _) = t.db.day_sums_and_rows().await.unwrap();
    assert_eq!(
        stored, oracle,
        "stored per-day sums == the sums of core's rows"
    );

    let facts = ledger::facts(&Records::from_rows(rows.values()));
    let units = t.db.unit_tree().await.unwrap().live_units();
    for as_of in window::days(today) {
        let want = ledger::ledger(&units, &[], &facts, BANNER, as_of);
        let got = t.db.ledger(BANNER, as_of).await.unwrap();
        assert_eq!(got, want, "the ledger as of {as_of}");
    }
}

fn block_on(f: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn day_sums_at_the_window_edges_on_sqlite(ops in window::ops()) {
        block_on(run(Backend::Sqlite, ops));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]
    #[test]
    fn day_sums_at_the_window_edges_on_postgres(ops in window::ops()) {
        block_on(run(Backend::Postgres, ops));
    }
}
