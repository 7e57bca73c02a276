//! Which targets apply on a day, and the window a ledger sums over: each metric from its
//! period's first day, and the days its milestones need told apart.

use super::groups;
use crate::model::*;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};

/// The targets that apply on `as_of`: for each unit, metric and pile kind, the one whose
/// period holds the day — the latest to start on or before it (no start: the earliest).
pub fn applicable(targets: &[Target], as_of: NaiveDate) -> Vec<&Target> {
    let mut by_key: BTreeMap<(&str, Metric, Option<PileKind>), &Target> = BTreeMap::new();
    for t in targets
        .iter()
        .filter(|t| !t.deleted && t.from.is_none_or(|f| f <= as_of))
    {
        let slot = by_key
            .entry((t.unit.as_str(), t.metric, t.pile))
            .or_insert(t);
        if t.from > slot.from {
            *slot = t;
        }
    }
    by_key.into_values().collect()
}

/// What a database sums for a ledger of a subtree on a day: for each metric, the first
/// day its records count from (the latest period start among the targets that apply in
/// the subtree), and the days before `as_of` whose completed totals its milestones need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub since: BTreeMap<Metric, NaiveDate>,
    /// Sorted, distinct, before `as_of`.
    pub cuts: Vec<NaiveDate>,
    /// The metrics whose root target has milestones before `as_of`.
    pub milestones: std::collections::BTreeSet<Metric>,
}

impl Window {
    /// Whether a metric's sums need more than its totals: a period start, or what was
    /// completed by each cut (its undated part apart from the dated).
    pub fn windowed(&self, metric: Metric) -> bool {
        self.since.contains_key(&metric) || self.milestones.contains(&metric)
    }

    /// No period and no milestone: the sums up to the day are all the ledger needs.
    pub fn is_empty(&self) -> bool {
        self.since.is_empty() && self.cuts.is_empty()
    }
}

/// Each unit's children.
pub(super) type Children<'a> = HashMap<&'a str, Vec<&'a str>>;

/// The subtree of `root`, parents before children, and each unit's children; `None` if
/// the unit is unknown. (Bounded by the number of units, so a parent cycle in bad data
/// cannot loop.)
pub(super) fn subtree<'a>(
    units: &'a [OrgUnit],
    root: &'a str,
) -> Option<(Vec<&'a str>, Children<'a>)> {
    units.iter().find(|u| u.code == root)?;
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for u in units {
        if let Some(p) = &u.parent {
            children.entry(p.as_str()).or_default().push(&u.code);
        }
    }
    let mut order = vec![root];
    let mut i = 0;
    while i < order.len() && order.len() <= units.len() {
        for kid in children.get(order[i]).into_iter().flatten() {
            if !order.contains(kid) {
                order.push(kid);
            }
        }
        i += 1;
    }
    Some((order, children))
}

/// The window of `root`'s ledger on `as_of` (empty if the unit is unknown).
pub fn window(units: &[OrgUnit], targets: &[Target], root: &str, as_of: NaiveDate) -> Window {
    window_of(units, targets, root, as_of, None)
}

/// The targets a ledger counting only the villages flagged `only` uses: theirs.
pub(super) fn kept_targets(
    units: &[OrgUnit],
    targets: &[Target],
    only: Option<VillageFlag>,
) -> Vec<Target> {
    let flagged = only.map(|flag| groups::flagged(units, flag));
    targets
        .iter()
        .filter(|t| flagged.as_ref().is_none_or(|f| f.contains(t.unit.as_str())))
        .cloned()
        .collect()
}

/// The window of `root`'s ledger on `as_of` counting only the villages flagged `only`
/// (`ledger_of`).
pub fn window_of(
    units: &[OrgUnit],
    targets: &[Target],
    root: &str,
    as_of: NaiveDate,
    only: Option<VillageFlag>,
) -> Window {
    let targets = &kept_targets(units, targets, only)[..];
    let Some((order, _)) = subtree(units, root) else {
        return Window::default();
    };
    let mut w = Window::default();
    let mut cuts = std::collections::BTreeSet::new();
    for t in applicable(targets, as_of)
        .into_iter()
        .filter(|t| order.contains(&t.unit.as_str()))
    {
        if let Some(f) = t.from {
            let since = w.since.entry(t.metric).or_insert(f);
            *since = (*since).max(f);
        }
        if t.unit == root {
            let before: Vec<NaiveDate> = t
                .milestones
                .iter()
                .map(|m| m.date)
                .filter(|d| *d < as_of)
                .collect();
            if !before.is_empty() {
                w.milestones.insert(t.metric);
            }
            cuts.extend(before);
        }
    }
    w.cuts = cuts.into_iter().collect();
    w
}
