//! Per-day sums of the ledger's facts: what a database keeps beside the rows so that a
//! banner's ledger reads one row per unit, metric and day instead of every record.
//! They are an index, not data: every write adds the difference between the facts of
//! the row before and after it (in the same transaction), and they can be rebuilt from
//! the rows at any time. Amounts are kept in thousandths (kilograms, metres), so adding
//! and taking away are exact and the sums never drift.

use super::{facts, Fact, Part, Stage};
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
    /// A pile kind or a cohort of households (`Part`).
    pub part: Option<Part>,
    /// `None`: undated facts (always counted, never in the recent pace).
    pub on: Option<NaiveDate>,
}

impl DayKey {
    /// Read a stored key (part "" = none, day "" = undated).
    pub fn parse(unit: String, metric: &str, pile: &str, day: &str) -> Result<DayKey, String> {
        Ok(DayKey {
            unit,
            metric: metric.parse()?,
            part: Part::parse(pile)?,
            on: if day.is_empty() {
                None
            } else {
                Some(day.parse().map_err(|e| format!("day {day:?}: {e}"))?)
            },
        })
    }

    /// The part as stored (in the `pile` column): its code, or "" for none.
    pub fn part_code(&self) -> &'static str {
        self.part.map_or("", Part::code)
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
                part: f.part,
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

/// The per-day sums of one unit, metric and pile kind added up to a day within the
/// ledger's window (`super::Window`: from the metric's period start), in thousandths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Totals {
    pub unit: String,
    pub metric: Metric,
    pub part: Option<Part>,
    /// Started up to the day (undated included).
    pub started: i64,
    /// Completed up to the day (undated included).
    pub completed: i64,
    /// Accepted up to the day (undated included).
    pub accepted: i64,
    /// Completed from `week_start(day)` to the day.
    pub last_7_days: i64,
    /// Completed without a date (always counted).
    pub undated: i64,
    /// Completed with a date up to each of the window's cuts, in their order.
    pub by_cut: Vec<i64>,
}

impl Totals {
    /// Read a totals row as a database returns it: unit, metric and pile kind codes (pile
    /// "" = none), then started, completed, accepted, last 7 days, undated, and one
    /// figure per cut.
    pub fn parse(
        unit: String,
        metric: &str,
        pile: &str,
        figures: &[i64],
    ) -> Result<Totals, String> {
        let [started, completed, accepted, last_7_days, undated, by_cut @ ..] = figures else {
            return Err(format!(
                "a totals row has {} figures, not 5 or more",
                figures.len()
            ));
        };
        Ok(Totals {
            unit,
            metric: metric.parse()?,
            part: Part::parse(pile)?,
            started: *started,
            completed: *completed,
            accepted: *accepted,
            last_7_days: *last_7_days,
            undated: *undated,
            by_cut: by_cut.to_vec(),
        })
    }
}

/// Facts that give `ledger(…, as_of)` exactly the figures of the facts the totals were
/// summed from (the totals must be summed to `as_of` over `window`): what is completed is
/// dated at each of the days the ledger tells apart (the window's cuts, the day before
/// the last 7 days, `as_of`), so milestones and the recent pace read as from the records.
pub fn facts_of_totals(totals: &[Totals], as_of: NaiveDate, window: &super::Window) -> Vec<Fact> {
    let before_week = week_start(as_of).pred_opt().unwrap_or(as_of);
    let mut out = Vec::with_capacity(totals.len() * (5 + window.cuts.len()));
    for t in totals {
        let dated = t.completed - t.undated;
        // Dated completed by each day the ledger tells apart, in day order.
        let mut by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        if window.windowed(t.metric) {
            for (cut, total) in window.cuts.iter().zip(&t.by_cut) {
                by_day.insert(*cut, *total);
            }
        }
        by_day.insert(before_week, dated - t.last_7_days);
        by_day.insert(as_of, dated);
        let mut parts = vec![
            (Stage::Started, None, t.started),
            (Stage::Completed, None, t.undated),
            (Stage::Accepted, None, t.accepted),
        ];
        let mut so_far = 0;
        for (day, total) in by_day {
            parts.push((Stage::Completed, Some(day), total - so_far));
            so_far = total;
        }
        for (stage, on, amount) in parts {
            if amount != 0 {
                out.push(Fact {
                    unit: t.unit.clone(),
                    metric: t.metric,
                    part: t.part,
                    stage,
                    on,
                    amount: amount as f64 / 1000.0,
                });
            }
        }
    }
    out
}

/// Add per-day sums up to `as_of` over `window`, as a database's GROUP BY does (tests,
/// rebuilds): see [`totals_sql`]. With an empty window (no period, no milestone) the
/// undated part and the totals by cut are not told apart (nothing reads them).
pub fn totals(sums: &DaySums, as_of: NaiveDate, window: &super::Window) -> Vec<Totals> {
    let week = week_start(as_of);
    let apart = !window.is_empty();
    let mut out: BTreeMap<(String, Metric, Option<Part>), Totals> = BTreeMap::new();
    let counted = |k: &DayKey| {
        k.on.is_none_or(|d| d <= as_of && window.since.get(&k.metric).is_none_or(|s| d >= *s))
    };
    for (k, s) in sums.iter().filter(|(k, _)| counted(k)) {
        let t = out
            .entry((k.unit.clone(), k.metric, k.part))
            .or_insert_with(|| Totals {
                unit: k.unit.clone(),
                metric: k.metric,
                part: k.part,
                started: 0,
                completed: 0,
                accepted: 0,
                last_7_days: 0,
                undated: 0,
                by_cut: vec![0; window.cuts.len()],
            });
        t.started += s.started;
        t.completed += s.completed;
        t.accepted += s.accepted;
        match k.on {
            None if apart => t.undated += s.completed,
            None => {}
            Some(d) => {
                if d >= week {
                    t.last_7_days += s.completed;
                }
                for (i, cut) in window.cuts.iter().enumerate() {
                    if d <= *cut {
                        t.by_cut[i] += s.completed;
                    }
                }
            }
        }
    }
    out.into_values().collect()
}

/// The query that sums a database's `day_sums` as [`totals`] does, with its parameters
/// in order: `placeholder(n)` writes the n-th (1-based: `?1`, `$1`), `cast` is appended to
/// each sum (`::bigint` on PostgreSQL). Rows: unit, metric, pile, then the figures
/// [`Totals::parse`] reads. One pass over the sums; the window's cases only when the
/// window has a period or a milestone (each case costs every row).
pub fn totals_sql(
    as_of: NaiveDate,
    window: &super::Window,
    placeholder: &dyn Fn(usize) -> String,
    cast: &str,
) -> (String, Vec<String>) {
    let mut params = vec![as_of.to_string(), week_start(as_of).to_string()];
    let mut param = |v: String| {
        params.push(v);
        placeholder(params.len())
    };
    let (p1, p2) = (placeholder(1), placeholder(2));
    let mut apart = format!(", 0{cast}");
    let mut since = String::new();
    if !window.is_empty() {
        apart = format!(", sum(CASE WHEN day = '' THEN completed ELSE 0 END){cast}");
        for cut in &window.cuts {
            let p = param(cut.to_string());
            apart.push_str(&format!(
                ", sum(CASE WHEN day <> '' AND day <= {p} THEN completed ELSE 0 END){cast}"
            ));
        }
        if !window.since.is_empty() {
            since = String::from(" AND (day = '' OR day >= CASE metric");
            for (metric, day) in &window.since {
                let (m, d) = (param(metric.code().to_string()), param(day.to_string()));
                since.push_str(&format!(" WHEN {m} THEN {d}"));
            }
            since.push_str(" ELSE '' END)");
        }
    }
    let sql = format!(
        "SELECT unit, metric, pile, sum(started){cast}, sum(completed){cast}, sum(accepted){cast},
                sum(CASE WHEN day >= {p2} THEN completed ELSE 0 END){cast}{apart}
           FROM day_sums WHERE day <= {p1}{since} GROUP BY unit, metric, pile"
    );
    (sql, params)
}
