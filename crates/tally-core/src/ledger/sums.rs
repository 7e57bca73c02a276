//! Per-day sums of the ledger's facts: what a database keeps beside the rows so that a
//! banner's ledger reads one row per unit, metric and day instead of every record.
//! They are an index, not data: every write adds the difference between the facts of
//! the row before and after it (in the same transaction), and they can be rebuilt from
//! the rows at any time. Amounts are kept in thousandths (kilograms, metres), so adding
//! and taking away are exact and the sums never drift.

use super::{facts, Fact, Stage};
use crate::change::Row;
use crate::model::*;
use crate::records::Records;
use chrono::{Days, NaiveDate};
use std::collections::BTreeMap;

/// An amount in thousandths of its unit, as the ledger sums it.
pub fn thousandths(amount: f64) -> i64 {
    (amount * 1000.0).round() as i64
}

/// The first day of the 7-day window ending on `as_of` (the ledger's recent pace).
pub fn week_start(as_of: NaiveDate) -> NaiveDate {
    as_of.checked_sub_days(Days::new(6)).unwrap_or(as_of)
}

/// The key of one per-day sum.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayKey {
    pub unit: String,
    pub metric: Metric,
    pub pile: Option<PileKind>,
    /// `None`: undated facts (always counted, never in the recent pace).
    pub on: Option<NaiveDate>,
}

fn parse_pile(pile: &str) -> Result<Option<PileKind>, String> {
    if pile.is_empty() {
        Ok(None)
    } else {
        pile.parse().map(Some)
    }
}

impl DayKey {
    /// Read a stored key (pile "" = none, day "" = undated).
    pub fn parse(unit: String, metric: &str, pile: &str, day: &str) -> Result<DayKey, String> {
        Ok(DayKey {
            unit,
            metric: metric.parse()?,
            pile: parse_pile(pile)?,
            on: if day.is_empty() {
                None
            } else {
                Some(day.parse().map_err(|e| format!("day {day:?}: {e}"))?)
            },
        })
    }

    /// The pile kind as stored: its code, or "" for none.
    pub fn pile_code(&self) -> &'static str {
        self.pile.map_or("", PileKind::code)
    }

    /// The day as stored: `YYYY-MM-DD`, or "" for undated (which sorts before every day).
    pub fn day_code(&self) -> String {
        self.on.map(|d| d.to_string()).unwrap_or_default()
    }
}

/// What one key sums, in thousandths, and how many facts that is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DaySum {
    pub started: i64,
    pub completed: i64,
    pub accepted: i64,
    pub facts: i64,
}

impl DaySum {
    fn is_zero(&self) -> bool {
        *self == DaySum::default()
    }
}

/// Per-day sums, or the change a batch of writes makes to them.
#[derive(Clone, Debug, Default)]
pub struct DaySums(BTreeMap<DayKey, DaySum>);

/// Equal when the same keys have the same non-zero sums (a key summed back to zero is
/// as good as absent).
impl PartialEq for DaySums {
    fn eq(&self, other: &DaySums) -> bool {
        self.iter().eq(other.iter())
    }
}

impl DaySums {
    /// Add (`sign` 1) or take away (`sign` -1) facts.
    pub fn add_facts(&mut self, facts: &[Fact], sign: i64) {
        for f in facts {
            let key = DayKey {
                unit: f.unit.clone(),
                metric: f.metric,
                pile: f.pile,
                on: f.on,
            };
            let sum = self.0.entry(key).or_default();
            let amount = sign * thousandths(f.amount);
            match f.stage {
                Stage::Started => sum.started += amount,
                Stage::Completed => sum.completed += amount,
                Stage::Accepted => sum.accepted += amount,
            }
            sum.facts += sign;
        }
    }

    /// Add or take away the facts of one merged row (rows of other tables have none).
    pub fn add_row(&mut self, row: &Row, sign: i64) {
        if matches!(
            row.table,
            Table::Household | Table::Works | Table::Demolition | Table::Cleanup
        ) {
            self.add_facts(&facts(&Records::from_rows([row])), sign);
        }
    }

    /// Add a stored sum.
    pub fn insert(&mut self, key: DayKey, sum: DaySum) {
        let s = self.0.entry(key).or_default();
        s.started += sum.started;
        s.completed += sum.completed;
        s.accepted += sum.accepted;
        s.facts += sum.facts;
    }

    /// A row was written: its state went from `old` (`None`: it is new) to `new`.
    pub fn write(&mut self, old: Option<&Row>, new: &Row) {
        if let Some(old) = old {
            self.add_row(old, -1);
        }
        self.add_row(new, 1);
    }

    /// The sums that are not zero (for a difference: the keys a write moved), in key
    /// order, which is also the order to lock them in.
    pub fn iter(&self) -> impl Iterator<Item = (&DayKey, &DaySum)> {
        self.0.iter().filter(|(_, s)| !s.is_zero())
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// The per-day sums of one unit, metric and pile kind added up to a day, in thousandths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Totals {
    pub unit: String,
    pub metric: Metric,
    pub pile: Option<PileKind>,
    /// Started up to the day (undated included).
    pub started: i64,
    /// Completed up to the day (undated included).
    pub completed: i64,
    /// Accepted up to the day (undated included).
    pub accepted: i64,
    /// Completed from `week_start(day)` to the day.
    pub last_7_days: i64,
}

impl Totals {
    /// Read the stored codes of a totals row (metric, pile kind or "").
    pub fn parse(
        unit: String,
        metric: &str,
        pile: &str,
        [started, completed, accepted, last_7_days]: [i64; 4],
    ) -> Result<Totals, String> {
        Ok(Totals {
            unit,
            metric: metric.parse()?,
            pile: parse_pile(pile)?,
            started,
            completed,
            accepted,
            last_7_days,
        })
    }
}

/// Facts that give `ledger(…, as_of)` exactly the figures of the facts the totals
/// were summed from (the totals must be summed to `as_of`).
pub fn facts_of_totals(totals: &[Totals], as_of: NaiveDate) -> Vec<Fact> {
    let mut out = Vec::with_capacity(totals.len() * 4);
    for t in totals {
        let parts = [
            (Stage::Started, None, t.started),
            (Stage::Completed, None, t.completed - t.last_7_days),
            (Stage::Completed, Some(as_of), t.last_7_days),
            (Stage::Accepted, None, t.accepted),
        ];
        for (stage, on, amount) in parts {
            if amount != 0 {
                out.push(Fact {
                    unit: t.unit.clone(),
                    metric: t.metric,
                    pile: t.pile,
                    stage,
                    on,
                    amount: amount as f64 / 1000.0,
                });
            }
        }
    }
    out
}

/// Add per-day sums up to `as_of`, as a database's GROUP BY does (tests, rebuilds).
pub fn totals(sums: &DaySums, as_of: NaiveDate) -> Vec<Totals> {
    let week = week_start(as_of);
    let mut out: BTreeMap<(String, Metric, Option<PileKind>), Totals> = BTreeMap::new();
    for (k, s) in sums.iter().filter(|(k, _)| k.on.is_none_or(|d| d <= as_of)) {
        let t = out
            .entry((k.unit.clone(), k.metric, k.pile))
            .or_insert_with(|| Totals {
                unit: k.unit.clone(),
                metric: k.metric,
                pile: k.pile,
                started: 0,
                completed: 0,
                accepted: 0,
                last_7_days: 0,
            });
        t.started += s.started;
        t.completed += s.completed;
        t.accepted += s.accepted;
        if k.on.is_some_and(|d| d >= week) {
            t.last_7_days += s.completed;
        }
    }
    out.into_values().collect()
}
