//! The device's per-day sums at the edges of the ledger's 7-day window
//! (`tally_testkit::window`): after cleanups around today are added, corrected and
//! deleted, the stored sums equal the sums rebuilt from the rows, and the ledger read
//! from the sums equals core's ledger of the records as of each day around the window.

mod support;

use proptest::prelude::*;
use support::*;
use tally_core::ledger;
use tally_core::*;
use tally_store::*;
use tally_testkit::banner::{BANNER, HAMLET};
use tally_testkit::window::{self, Op, KINDS};

/// A device refuses an event dated after its own day; a row dated tomorrow comes from a
/// device whose clock runs a day ahead, which this one stands in for while it writes it.
const DAY_MS: i64 = 86_400_000;

fn run(ops: Vec<Op>) {
    let (mut s, time) = store();
    let today = s.today();
    let mut made: Vec<RowId> = Vec::new();
    for op in ops {
        let ahead = match op {
            Op::Add { day, .. } | Op::Move { day, .. } => window::day(today, day) > today,
            _ => false,
        };
        if ahead {
            time.advance(DAY_MS);
        }
        apply(&mut s, today, &mut made, op);
        if ahead {
            time.advance(-DAY_MS);
        }
    }
    assert!(
        s.day_sums_consistent().unwrap(),
        "stored sums == sums of the rows"
    );
    let records = s.records().unwrap();
    let facts = ledger::facts(&records);
    for as_of in window::days(today) {
        let by_sums = s.ledger(BANNER, Some(as_of)).unwrap();
        let by_core = ledger::ledger(&records.units, &records.targets, &facts, BANNER, as_of);
        assert_eq!(Some(by_sums), by_core, "the ledger as of {as_of}");
    }
}

/// Make one edit; `made` holds the cleanups added so far.
fn apply(s: &mut Store, today: chrono::NaiveDate, made: &mut Vec<RowId>, op: Op) {
    let edit = match op {
        Op::Add {
            second_unit,
            kind,
            tenths,
            day,
        } => {
            let unit = if second_unit { HAMLET } else { VILLAGE };
            let kind: PileKind = KINDS[kind].parse().unwrap();
            let date = Some(window::day(today, day));
            let id = s.add_cleanup(unit, kind, window::tonnes(tenths), None, date);
            made.push(id.expect("a new cleanup is saved"));
            return;
        }
        _ if made.is_empty() => return,
        Op::Tonnes { which, tenths } => Edit::new(Table::Cleanup)
            .row(made[which % made.len()])
            .set("tonnes", window::tonnes(tenths)),
        Op::Move { which, day } => Edit::new(Table::Cleanup)
            .row(made[which % made.len()])
            .set("date", window::day(today, day)),
        Op::Delete { which } => Edit::new(Table::Cleanup)
            .row(made[which % made.len()])
            .set("deleted", true),
    };
    // An edit of a deleted cleanup may be refused; the sums must hold either way.
    let _ = s.edit(edit);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn day_sums_at_the_window_edges(ops in window::ops()) {
        run(ops);
    }
}
