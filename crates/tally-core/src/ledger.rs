//! The progress ledger (对账销号): per org unit and metric, target against started and
//! completed, rolled up hamlet → village → township → banner, with the pace a deadline
//! needs. Records are first reduced to additive facts, which a database can also
//! produce with a GROUP BY; the roll-up is then the same whatever made the facts.

use crate::labels::Lang;
use crate::metrics::{Source, WorksAmount};
use crate::model::*;
use crate::records::Records;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

pub mod groups;
pub mod sums;
mod window;
pub use groups::{Cohort, GroupRow, Part};
pub use sums::{facts_of_totals, thousandths, week_start, DayKey, DaySum, DaySums, Totals};
pub use window::{applicable, window, window_of, Window};
use window::{kept_targets, subtree};

/// Whether a fact counts toward "started", "completed" (done) or "accepted" (验收).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Started,
    Completed,
    Accepted,
}

/// One additive contribution to a metric of a unit, on a day (`None`: undated, always
/// counted).
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    pub unit: String,
    pub metric: Metric,
    /// A pile kind's row of cleanup (counted in the metric's row too), or a cohort of
    /// households for the breakdowns (counted only there: `groups`).
    pub part: Option<Part>,
    pub stage: Stage,
    pub on: Option<NaiveDate>,
    pub amount: f64,
}

/// What a ledger row sums: a metric, or the cleanup of one pile kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowKey {
    pub metric: Metric,
    /// Only on the rows of cleanup per pile kind.
    pub pile: Option<PileKind>,
}

impl RowKey {
    /// The row of a whole metric.
    pub fn metric(metric: Metric) -> RowKey {
        RowKey { metric, pile: None }
    }

    /// The rows of a ledger, in order: every metric, then cleanup per pile kind.
    pub fn all() -> Vec<RowKey> {
        let mut keys: Vec<RowKey> = Metric::ALL.iter().map(|m| RowKey::metric(*m)).collect();
        keys.extend(PileKind::ALL.iter().map(|p| RowKey {
            metric: Metric::CleanupTonnes,
            pile: Some(*p),
        }));
        keys
    }

    /// The label in a language: `清理(吨)·柴堆`, `Cleanup (t)·Firewood`.
    pub fn label(self, lang: Lang) -> String {
        match self.pile {
            None => self.metric.label(lang).to_string(),
            Some(p) => format!("{}·{}", self.metric.label(lang), p.label(lang)),
        }
    }
}

/// One line of the ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LedgerRow {
    pub key: RowKey,
    pub target: Option<f64>,
    pub started: f64,
    pub completed: f64,
    /// Accepted (验收), for the metrics whose records are accepted (renovation, works).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub accepted: Option<f64>,
    /// completed ÷ target × 100.
    pub percent: Option<f64>,
    /// target − completed (negative when the quota is exceeded).
    pub remaining: Option<f64>,
    /// What must be completed per day from `as_of` to meet the deadline(s).
    pub required_per_day: Option<f64>,
    /// Average completed per day over the 7 days ending on `as_of`.
    pub last_7_days_per_day: f64,
    /// The deadline of the unit's own target, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub deadline: Option<NaiveDate>,
    /// The first day of its target's period, if the target has one (records dated before
    /// it are not counted).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub from: Option<NaiveDate>,
    /// The milestones of the unit's own target, each met, on track, at risk or missed.
    #[serde(default)]
    pub milestones: Vec<MilestoneStatus>,
}

/// Where a milestone stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum MilestoneState {
    /// Its quantity was completed by its day.
    Met,
    /// Still ahead, and the last 7 days' pace reaches it.
    OnTrack,
    /// Still ahead, and the last 7 days' pace falls short of it.
    AtRisk,
    /// Its day passed with less completed.
    Missed,
}

impl MilestoneState {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (MilestoneState::Met, Lang::Zh) => "已达成",
            (MilestoneState::OnTrack, Lang::Zh) => "进度正常",
            (MilestoneState::AtRisk, Lang::Zh) => "有风险",
            (MilestoneState::Missed, Lang::Zh) => "未达成",
            (MilestoneState::Met, Lang::En) => "met",
            (MilestoneState::OnTrack, Lang::En) => "on track",
            (MilestoneState::AtRisk, Lang::En) => "at risk",
            (MilestoneState::Missed, Lang::En) => "missed",
        }
    }
}

/// A milestone of a ledger row's target, as of the ledger's day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MilestoneStatus {
    pub date: NaiveDate,
    pub quantity: f64,
    /// Completed by its day (by the ledger's day, if that comes first).
    pub completed: f64,
    pub state: MilestoneState,
    /// For one still ahead and not met: what must be completed per day to reach it.
    pub required_per_day: Option<f64>,
}

impl MilestoneStatus {
    /// One line for a person: `2016-06-30 完成 1/5（未达成）`, with what it needs per day
    /// while it is still ahead.
    pub fn describe(&self, lang: Lang) -> String {
        let num = crate::labels::num;
        let (done, q) = (num(self.completed), num(self.quantity));
        let state = self.state.label(lang);
        match (lang, self.required_per_day) {
            (Lang::Zh, None) => format!("{} 完成 {done}/{q}（{state}）", self.date),
            (Lang::Zh, Some(n)) => {
                format!(
                    "{} 完成 {done}/{q}（{state}，每日需完成 {}）",
                    self.date,
                    num(n)
                )
            }
            (Lang::En, None) => format!("{} {done} of {q} done ({state})", self.date),
            (Lang::En, Some(n)) => {
                format!(
                    "{} {done} of {q} done ({state}, {} needed a day)",
                    self.date,
                    num(n)
                )
            }
        }
    }
}

/// The first day of a target's period, as a person reads it: `2016-01-01 起`.
pub fn period_start(from: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{from} 起"),
        Lang::En => format!("from {from}"),
    }
}

/// Where each milestone of `target` stands, given what was completed by each day
/// (`completed_by`, in thousandths: by the day, or by `as_of` if that comes first) and the
/// recent pace.
fn milestone_states(
    target: &Target,
    completed_by: &dyn Fn(NaiveDate) -> i64,
    last7_per_day: f64,
    as_of: NaiveDate,
) -> Vec<MilestoneStatus> {
    target
        .milestones
        .iter()
        .map(|m| {
            let completed = milli(completed_by(m.date.min(as_of)));
            let met = thousandths(completed) >= thousandths(m.quantity);
            let (state, required) = if met {
                (MilestoneState::Met, None)
            } else if m.date < as_of {
                (MilestoneState::Missed, None)
            } else {
                let days = (m.date - as_of).num_days().max(1) as f64;
                let need = (m.quantity - completed) / days;
                let state = if last7_per_day + 1e-9 < need {
                    MilestoneState::AtRisk
                } else {
                    MilestoneState::OnTrack
                };
                (state, Some(round(need, 3)))
            };
            MilestoneStatus {
                date: m.date,
                quantity: m.quantity,
                completed: round(completed, 3),
                state,
                required_per_day: required,
            }
        })
        .collect()
}

impl LedgerRow {
    /// Behind the pace the deadline needs: the last 7 days completed less per day
    /// than the rest requires.
    pub fn behind_pace(&self) -> bool {
        self.required_per_day
            .is_some_and(|r| r > 0.0 && self.last_7_days_per_day < r)
    }
}

/// The ledger of one unit's whole subtree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Ledger {
    pub unit: String,
    pub as_of: NaiveDate,
    /// Only the villages with this flag (and their hamlets) were counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub only: Option<VillageFlag>,
    pub rows: Vec<LedgerRow>,
    /// The households by priority group: how many, renovated, still to renovate.
    #[serde(default)]
    pub groups: Vec<GroupRow>,
}

fn fact(unit: &str, metric: Metric, stage: Stage, on: Option<NaiveDate>, amount: f64) -> Fact {
    Fact {
        unit: unit.to_string(),
        metric,
        part: None,
        stage,
        on,
        amount,
    }
}

/// Reduce records to facts, as each metric's declaration says (`crate::metrics`).
/// Deleted records contribute nothing.
pub fn facts(records: &Records) -> Vec<Fact> {
    let mut out = Vec::new();
    for h in records.households.iter().filter(|h| !h.deleted) {
        groups::household_facts(h, &mut out);
        if let Some(status) = h.renovation {
            if status >= RenovationStatus::Started {
                let on = h.started_on.or(h.completed_on).or(h.accepted_on);
                out.push(fact(&h.unit, Metric::Renovation, Stage::Started, on, 1.0));
            }
            if status >= RenovationStatus::Completed {
                let on = h.completed_on.or(h.accepted_on);
                out.push(fact(&h.unit, Metric::Renovation, Stage::Completed, on, 1.0));
            }
            if status >= RenovationStatus::Accepted {
                let on = h.accepted_on;
                out.push(fact(&h.unit, Metric::Renovation, Stage::Accepted, on, 1.0));
            }
        }
        for m in Metric::ALL {
            let Source::Insured(scheme) = m.def().source else {
                continue;
            };
            let insured = match scheme {
                Scheme::Pension => h.pension,
                Scheme::Medical => h.medical,
            };
            if let Some(n) = insured.filter(|n| *n > 0) {
                for stage in [Stage::Started, Stage::Completed] {
                    out.push(fact(&h.unit, *m, stage, None, f64::from(n)));
                }
            }
        }
    }
    for w in records.works.iter().filter(|w| !w.deleted) {
        works_facts(w, &mut out);
    }
    for d in records.demolitions.iter().filter(|d| !d.deleted) {
        for stage in [Stage::Started, Stage::Completed] {
            out.push(fact(&d.unit, Metric::Demolition, stage, Some(d.date), 1.0));
        }
    }
    for c in records.cleanups.iter().filter(|c| !c.deleted) {
        for stage in [Stage::Started, Stage::Completed] {
            let mut f = fact(
                &c.unit,
                Metric::CleanupTonnes,
                stage,
                Some(c.date),
                c.tonnes,
            );
            f.part = Some(Part::Pile(c.kind));
            out.push(f);
        }
    }
    out
}

/// The facts of one works item, for each metric its kind counts toward:
/// - started: the whole planned quantity (or the people served), once it started or has
///   progress, on the day it started (else its first progress day);
/// - completed: each progress entry that counts, on its day, up to the planned quantity;
///   once the item is completed, whatever its entries had not reached, on the day it was
///   completed (an item completed without entries counts its whole quantity). People are
///   served when the item is completed;
/// - accepted: the whole quantity (or people), on the day it was accepted.
fn works_facts(w: &Works, out: &mut Vec<Fact>) {
    let entries: Vec<&Progress> = w
        .progress
        .iter()
        .filter(|p| p.withdrawn.is_none())
        .collect();
    let started = w.status >= WorksStatus::Started || !entries.is_empty();
    let started_on = w
        .started_on
        .or(entries.first().map(|p| p.date))
        .or(w.completed_on);
    let completed_on = w.completed_on.or(w.accepted_on);
    for (metric, amount) in w.kind.metrics() {
        let whole = match amount {
            WorksAmount::Quantity => w.quantity,
            WorksAmount::People => f64::from(w.people.unwrap_or(0)),
        };
        if started {
            out.push(fact(&w.unit, metric, Stage::Started, started_on, whole));
        }
        // Counted in thousandths, so entries and the rest add up to the whole exactly.
        let mut left = thousandths(whole);
        if amount == WorksAmount::Quantity {
            for p in &entries {
                let part = thousandths(p.quantity).min(left);
                if part > 0 {
                    left -= part;
                    let amount = part as f64 / 1000.0;
                    out.push(fact(
                        &w.unit,
                        metric,
                        Stage::Completed,
                        Some(p.date),
                        amount,
                    ));
                }
            }
        }
        if w.status >= WorksStatus::Completed && left > 0 {
            let amount = left as f64 / 1000.0;
            out.push(fact(
                &w.unit,
                metric,
                Stage::Completed,
                completed_on,
                amount,
            ));
        }
        if w.status >= WorksStatus::Accepted {
            out.push(fact(&w.unit, metric, Stage::Accepted, w.accepted_on, whole));
        }
    }
}

/// Sums of one metric over a subtree, in thousandths (as the stores keep them, so a
/// ledger from records and one from stored sums agree to the last digit).
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    started: i64,
    completed: i64,
    accepted: i64,
    last7: i64,
}

/// Target, remaining pace need, and deadline of one unit for one metric.
#[derive(Clone, Copy, Debug)]
struct Goal {
    quantity: f64,
    required_per_day: f64,
    deadline: Option<NaiveDate>,
}

/// Thousandths back to the unit.
fn milli(x: i64) -> f64 {
    x as f64 / 1000.0
}

fn round(x: f64, places: i32) -> f64 {
    let p = 10f64.powi(places);
    (x * p).round() / p
}

/// Compute the ledger of `root`'s subtree as of a day. `None` if the unit is unknown.
pub fn ledger(
    units: &[OrgUnit],
    targets: &[Target],
    facts: &[Fact],
    root: &str,
    as_of: NaiveDate,
) -> Option<Ledger> {
    ledger_of(units, targets, facts, root, as_of, None)
}

/// The ledger of `root`'s subtree as of a day, counting only the villages that carry
/// `only` (with their hamlets) when it is given: their records and their own targets.
/// `None` if the unit is unknown.
pub fn ledger_of(
    units: &[OrgUnit],
    targets: &[Target],
    facts: &[Fact],
    root: &str,
    as_of: NaiveDate,
    only: Option<VillageFlag>,
) -> Option<Ledger> {
    let (order, children) = subtree(units, root)?;
    let flagged = only.map(|flag| groups::flagged(units, flag));
    let kept = |unit: &str| flagged.as_ref().is_none_or(|f| f.contains(unit));
    let targets = &kept_targets(units, targets, only)[..];
    let window = window(units, targets, root, as_of);
    // Counted in its period: an undated fact always, a dated one from the period's start.
    let counts = |f: &Fact| {
        f.on.is_none_or(|d| d <= as_of && window.since.get(&f.metric).is_none_or(|s| d >= *s))
    };
    let week = week_start(as_of);
    let mut own: HashMap<(&str, RowKey), Sums> = HashMap::new();
    let in_tree: HashMap<&str, ()> = order.iter().map(|u| (*u, ())).collect();
    // Completed by each of the window's days, over the whole subtree (milestones).
    let mut by_cut: HashMap<(RowKey, NaiveDate), i64> = HashMap::new();
    let mut cohorts = groups::CohortSums::default();
    for f in facts
        .iter()
        .filter(|f| in_tree.contains_key(f.unit.as_str()) && kept(&f.unit))
    {
        if !counts(f) {
            continue;
        }
        let mut keys = vec![RowKey::metric(f.metric)];
        match f.part {
            Some(Part::Cohort(c)) => {
                cohorts.add(in_tree.get_key_value(f.unit.as_str())?.0, c, f);
                continue;
            }
            Some(Part::Pile(p)) => keys.push(RowKey {
                metric: f.metric,
                pile: Some(p),
            }),
            None => {}
        }
        for k in keys {
            let s = own
                .entry((in_tree.get_key_value(f.unit.as_str())?.0, k))
                .or_default();
            let amount = thousandths(f.amount);
            match f.stage {
                Stage::Started => s.started += amount,
                Stage::Completed => {
                    s.completed += amount;
                    if f.on.is_some_and(|d| d >= week) {
                        s.last7 += amount;
                    }
                    for cut in window.cuts.iter().filter(|c| f.on.is_none_or(|d| d <= **c)) {
                        *by_cut.entry((k, *cut)).or_default() += amount;
                    }
                }
                Stage::Accepted => s.accepted += amount,
            }
        }
    }
    let mut own_targets: BTreeMap<(&str, RowKey), &Target> = BTreeMap::new();
    for t in applicable(targets, as_of)
        .into_iter()
        .filter(|t| in_tree.contains_key(t.unit.as_str()))
    {
        let key = RowKey {
            metric: t.metric,
            pile: t.pile,
        };
        own_targets.insert((t.unit.as_str(), key), t);
    }
    let days_left = |deadline: NaiveDate| (deadline - as_of).num_days().max(1) as f64;

    let mut rows = Vec::new();
    for key in RowKey::all() {
        // Children after parents in `order`: walk it backwards to roll up.
        let mut total: HashMap<&str, Sums> = HashMap::new();
        let mut goal: HashMap<&str, Goal> = HashMap::new();
        for unit in order.iter().rev() {
            let mut s = own.get(&(*unit, key)).copied().unwrap_or_default();
            let mut g: Option<Goal> = None;
            for kid in children.get(unit).into_iter().flatten() {
                if let Some(k) = total.get(kid) {
                    s.started += k.started;
                    s.completed += k.completed;
                    s.accepted += k.accepted;
                    s.last7 += k.last7;
                }
                if let Some(kg) = goal.get(kid) {
                    let acc = g.get_or_insert(Goal {
                        quantity: 0.0,
                        required_per_day: 0.0,
                        deadline: None,
                    });
                    acc.quantity += kg.quantity;
                    acc.required_per_day += kg.required_per_day;
                }
            }
            if let Some(t) = own_targets.get(&(*unit, key)) {
                let remaining = (t.quantity - milli(s.completed)).max(0.0);
                g = Some(Goal {
                    quantity: t.quantity,
                    required_per_day: remaining / days_left(t.deadline),
                    deadline: Some(t.deadline),
                });
            }
            total.insert(unit, s);
            if let Some(g) = g {
                goal.insert(unit, g);
            }
        }
        let s = total.get(root).copied().unwrap_or_default();
        let (started, completed) = (milli(s.started), milli(s.completed));
        let g = goal.get(root).copied();
        let target = g.map(|g| g.quantity);
        rows.push(LedgerRow {
            key,
            target: target.map(|t| round(t, 3)),
            started: round(started, 3),
            completed: round(completed, 3),
            accepted: key
                .metric
                .def()
                .accepted()
                .then(|| round(milli(s.accepted), 3)),
            percent: target
                .filter(|t| *t > 0.0)
                .map(|t| round(completed / t * 100.0, 2)),
            remaining: target.map(|t| round(t - completed, 3)),
            required_per_day: g.map(|g| round(g.required_per_day, 3)),
            last_7_days_per_day: round(milli(s.last7) / 7.0, 3),
            deadline: g.and_then(|g| g.deadline),
            from: own_targets.get(&(root, key)).and_then(|t| t.from),
            milestones: own_targets
                .get(&(root, key))
                .map(|t| {
                    let by = |d: NaiveDate| {
                        if d >= as_of {
                            s.completed
                        } else {
                            by_cut.get(&(key, d)).copied().unwrap_or(0)
                        }
                    };
                    milestone_states(t, &by, milli(s.last7) / 7.0, as_of)
                })
                .unwrap_or_default(),
        });
    }
    Some(Ledger {
        unit: root.to_string(),
        as_of,
        only,
        rows,
        groups: cohorts.groups(units, &order),
    })
}

#[cfg(test)]
mod tests;
