//! The ledger's household breakdowns (分类统计): for all households, each priority
//! category (五保户, 低保户, 残疾人贫困户), the seepage zone (沿黄渗漏区) and the key
//! villages (重点村) — how many households, how many renovated, how many still to
//! renovate. Each household adds undated facts to its cohorts, so the breakdowns ride in
//! the same per-day sums as the ledger's rows and a database adds them up the same way;
//! the village groups are the cohorts of the units under a flagged village.

use super::{Fact, Stage};
use crate::model::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The households of a unit that a breakdown adds up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cohort {
    All,
    Category(Category),
    /// Flagged seepage-zone themselves (wherever their village lies).
    OwnSeepage,
}

/// What a fact or a per-day sum belongs to beside its metric's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    /// A cleanup row per pile kind (the metric's row counts it too).
    Pile(PileKind),
    /// A cohort of households (only the breakdowns count it).
    Cohort(Cohort),
}

impl Part {
    /// As stored in the per-day sums' `pile` column.
    pub fn code(self) -> &'static str {
        match self {
            Part::Pile(p) => p.code(),
            Part::Cohort(Cohort::All) => "households",
            Part::Cohort(Cohort::OwnSeepage) => "households:seepage",
            Part::Cohort(Cohort::Category(c)) => match c {
                Category::FiveGuarantee => "households:five-guarantee",
                Category::Subsistence => "households:subsistence",
                Category::DisabledPoor => "households:disabled-poor",
            },
        }
    }

    /// Read a stored code ("" is none).
    pub fn parse(code: &str) -> Result<Option<Part>, String> {
        if code.is_empty() {
            return Ok(None);
        }
        if let Ok(p) = code.parse::<PileKind>() {
            return Ok(Some(Part::Pile(p)));
        }
        let cohorts = [Cohort::All, Cohort::OwnSeepage]
            .into_iter()
            .chain(Category::ALL.iter().map(|c| Cohort::Category(*c)));
        for c in cohorts {
            if Part::Cohort(c).code() == code {
                return Ok(Some(Part::Cohort(c)));
            }
        }
        Err(format!(
            "a part must be a pile kind or a household group, got {code:?}"
        ))
    }
}

/// One breakdown row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroupRow {
    pub group: Group,
    pub households: u64,
    /// Renovation completed (or accepted).
    pub renovated: u64,
    /// Rated C or D, or in the renovation plan, and not renovated yet (待改造).
    pub backlog: u64,
}

/// How a cohort's figures ride in the per-day sums' columns (one household = 1): in
/// this order, households, renovated and backlog.
const SLOTS: [Stage; 3] = [Stage::Started, Stage::Completed, Stage::Accepted];

/// The undated facts of one household (not withdrawn) for each cohort it is in.
pub(super) fn household_facts(h: &Household, out: &mut Vec<Fact>) {
    let renovated = h
        .renovation
        .is_some_and(|s| s >= RenovationStatus::Completed);
    let needs = h.renovation.is_some() || matches!(h.rating, Some(Rating::C | Rating::D));
    let mut cohorts = vec![Cohort::All];
    cohorts.extend(h.categories.iter().map(|c| Cohort::Category(*c)));
    if h.seepage {
        cohorts.push(Cohort::OwnSeepage);
    }
    for c in cohorts {
        for (stage, yes) in SLOTS
            .into_iter()
            .zip([true, renovated, needs && !renovated])
        {
            if yes {
                out.push(Fact {
                    unit: h.unit.clone(),
                    metric: Metric::Renovation,
                    part: Some(Part::Cohort(c)),
                    stage,
                    on: None,
                    amount: 1.0,
                });
            }
        }
    }
}

/// The units that carry `flag` or lie under one that does. (Bounded by the depth of
/// the tree, so a parent cycle in bad data cannot loop.)
pub fn flagged(units: &[OrgUnit], flag: VillageFlag) -> HashSet<&str> {
    let parent: HashMap<&str, Option<&str>> = units
        .iter()
        .map(|u| (u.code.as_str(), u.parent.as_deref()))
        .collect();
    let marked: HashSet<&str> = units
        .iter()
        .filter(|u| u.has(flag))
        .map(|u| u.code.as_str())
        .collect();
    units
        .iter()
        .map(|u| u.code.as_str())
        .filter(|code| {
            let mut at = Some(*code);
            for _ in 0..=units.len().min(16) {
                let Some(c) = at else { break };
                if marked.contains(c) {
                    return true;
                }
                at = parent.get(c).copied().flatten();
            }
            false
        })
        .collect()
}

/// Each unit's cohort figures, in thousandths: households, renovated, backlog.
#[derive(Debug, Default)]
pub(super) struct CohortSums<'a>(HashMap<(&'a str, Cohort), [i64; 3]>);

impl<'a> CohortSums<'a> {
    pub(super) fn add(&mut self, unit: &'a str, cohort: Cohort, f: &Fact) {
        let figures = self.0.entry((unit, cohort)).or_default();
        if let Some(i) = SLOTS.iter().position(|s| *s == f.stage) {
            figures[i] += super::thousandths(f.amount);
        }
    }

    fn get(&self, unit: &str, cohort: Cohort) -> [i64; 3] {
        self.0.get(&(unit, cohort)).copied().unwrap_or_default()
    }

    /// The breakdown rows over the units of a subtree, in `Group` order.
    pub(super) fn groups(&self, units: &[OrgUnit], subtree: &[&str]) -> Vec<GroupRow> {
        let seepage = flagged(units, VillageFlag::Seepage);
        let key = flagged(units, VillageFlag::KeyVillage);
        Group::ALL
            .iter()
            .map(|g| {
                let mut sum = [0i64; 3];
                for unit in subtree {
                    let figures = match g {
                        Group::All => self.get(unit, Cohort::All),
                        Group::FiveGuarantee => {
                            self.get(unit, Cohort::Category(Category::FiveGuarantee))
                        }
                        Group::Subsistence => {
                            self.get(unit, Cohort::Category(Category::Subsistence))
                        }
                        Group::DisabledPoor => {
                            self.get(unit, Cohort::Category(Category::DisabledPoor))
                        }
                        Group::Seepage if seepage.contains(unit) => self.get(unit, Cohort::All),
                        Group::Seepage => self.get(unit, Cohort::OwnSeepage),
                        Group::KeyVillage if key.contains(unit) => self.get(unit, Cohort::All),
                        Group::KeyVillage => [0; 3],
                    };
                    for (s, f) in sum.iter_mut().zip(figures) {
                        *s += f;
                    }
                }
                let count = |x: i64| (x.max(0) / 1000) as u64;
                GroupRow {
                    group: *g,
                    households: count(sum[0]),
                    renovated: count(sum[1]),
                    backlog: count(sum[2]),
                }
            })
            .collect()
    }
}
