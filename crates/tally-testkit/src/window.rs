//! Edits around the ledger's 7-day window, for the per-day sums' property tests of the
//! device store and of both server backends: cleanups dated a week and more before
//! `as_of`, on the window's first and last days and one day ahead, added, corrected
//! (tonnes, day) and deleted in any order.

use chrono::{Days, NaiveDate};
use proptest::prelude::*;

/// Days relative to `as_of`: before the window, its first days, its last, one ahead.
pub const OFFSETS: [i64; 8] = [-9, -8, -7, -6, -5, -1, 0, 1];
/// The pile kinds the cleanups are of.
pub const KINDS: [&str; 3] = ["manure", "garbage", "hay"];

/// One edit. `which` picks among the cleanups made so far (modulo their number); days
/// index [`OFFSETS`]; tonnes are in tenths.
#[derive(Clone, Debug)]
pub enum Op {
    Add {
        second_unit: bool,
        kind: usize,
        tenths: u16,
        day: usize,
    },
    Tonnes {
        which: usize,
        tenths: u16,
    },
    Move {
        which: usize,
        day: usize,
    },
    Delete {
        which: usize,
    },
}

/// Mostly additions, then corrections, then deletions.
pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<bool>(), 0..KINDS.len(), 1u16..500, 0..OFFSETS.len()).prop_map(
            |(second_unit, kind, tenths, day)| Op::Add { second_unit, kind, tenths, day }
        ),
        2 => (any::<usize>(), 1u16..500).prop_map(|(which, tenths)| Op::Tonnes { which, tenths }),
        2 => (any::<usize>(), 0..OFFSETS.len()).prop_map(|(which, day)| Op::Move { which, day }),
        1 => any::<usize>().prop_map(|which| Op::Delete { which }),
    ]
}

/// Up to 30 edits.
pub fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..30)
}

/// The day `OFFSETS[i]` days from `as_of`.
pub fn day(as_of: NaiveDate, i: usize) -> NaiveDate {
    let n = OFFSETS[i];
    if n < 0 {
        as_of - Days::new(n.unsigned_abs())
    } else {
        as_of + Days::new(n.unsigned_abs())
    }
}

/// Every day of [`OFFSETS`], the days to read the ledger as of.
pub fn days(as_of: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    (0..OFFSETS.len()).map(move |i| day(as_of, i))
}

/// Tenths of a tonne as tonnes.
pub fn tonnes(tenths: u16) -> f64 {
    f64::from(tenths) / 10.0
}
