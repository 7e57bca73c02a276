//! Households entered twice — the same ID number, or the same head in one village — listed
//! for a person to judge, and merged: the visits and demolitions of the duplicate move to
//! the household kept, what the kept one lacks is filled from the duplicate, and the
//! duplicate is withdrawn as merged (`merged_into`, which each reader words; its history
//! stays).

use crate::edit::Edit;
use crate::{HouseholdFilter, HouseholdSummary, Result, Store, StoreError};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tally_core::*;

/// Households that look like one family entered more than once.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DuplicateGroup {
    pub reason: DuplicateReason,
    pub households: Vec<HouseholdSummary>,
}

/// What a merge did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MergeResult {
    pub kept: RowId,
    pub withdrawn: RowId,
    /// Visits and demolitions moved to the household kept.
    pub moved: usize,
    /// Fields of the kept household filled from the duplicate.
    pub filled: Vec<String>,
}

fn phone_digits(h: &Household) -> String {
    h.phone
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// The fields a merge fills on the kept household when it has none.
const FILLED: &[&str] = &[
    "phone",
    "id_number",
    "rating",
    "cadre",
    "pension",
    "medical",
    "renovation",
    "planned_on",
    "started_on",
    "completed_on",
    "accepted_on",
];

impl Store {
    /// Likely duplicates among the households of a unit's subtree (all when `None`): the
    /// same ID number anywhere, then the same head in one village (with the same phone,
    /// or not). Each group once, the oldest-entered household first.
    pub fn duplicate_households(&self, unit: Option<&str>) -> Result<Vec<DuplicateGroup>> {
        let all = self.households(&HouseholdFilter {
            unit: unit.map(str::to_string),
            ..HouseholdFilter::default()
        })?;
        let mut by_id: BTreeMap<&str, Vec<&HouseholdSummary>> = BTreeMap::new();
        let mut by_head: BTreeMap<(&str, &str), Vec<&HouseholdSummary>> = BTreeMap::new();
        for h in &all {
            if let Some(n) = h.household.id_number.as_deref() {
                by_id.entry(n).or_default().push(h);
            }
            by_head
                .entry((h.household.unit.as_str(), h.household.head.trim()))
                .or_default()
                .push(h);
        }
        let mut out: Vec<DuplicateGroup> = Vec::new();
        let group = |reason, mut hs: Vec<&HouseholdSummary>| {
            hs.sort_by_key(|h| h.household.id);
            DuplicateGroup {
                reason,
                households: hs.into_iter().cloned().collect(),
            }
        };
        for hs in by_id.into_values().filter(|hs| hs.len() > 1) {
            out.push(group(DuplicateReason::SameIdNumber, hs));
        }
        for hs in by_head.into_values().filter(|hs| hs.len() > 1) {
            let ids: Vec<RowId> = hs.iter().map(|h| h.household.id).collect();
            let listed = out.iter().any(|g| {
                g.households.len() == ids.len()
                    && g.households.iter().all(|h| ids.contains(&h.household.id))
            });
            if listed {
                continue;
            }
            let phone = phone_digits(&hs[0].household);
            let reason =
                if !phone.is_empty() && hs.iter().all(|h| phone_digits(&h.household) == phone) {
                    DuplicateReason::SameHeadAndPhone
                } else {
                    DuplicateReason::SameHead
                };
            out.push(group(reason, hs));
        }
        Ok(out)
    }

    /// Merge household `other` into `keep` (one village): its visits and demolitions
    /// move, the kept household's empty fields (and categories) are filled from it, and
    /// it is withdrawn as merged. One batch: all of it or nothing.
    pub fn merge_households(&mut self, keep: RowId, other: RowId) -> Result<MergeResult> {
        if keep == other {
            return Err(ValidationError::MergeIntoItself.into());
        }
        let live = |s: &Store, id: RowId| -> Result<Row> {
            let row = s
                .row(Table::Household, id)?
                .ok_or_else(|| StoreError::NotFound {
                    what: "household",
                    id: id.to_string(),
                })?;
            if row.deleted() {
                return Err(ValidationError::Withdrawn.into());
            }
            Ok(row)
        };
        let (kept, dup) = (live(self, keep)?, live(self, other)?);
        if kept.unit != dup.unit {
            return Err(ValidationError::MergeAcrossVillages {
                keep: kept.str("head").unwrap_or_default().to_string(),
                keep_unit: kept.unit.clone(),
                other: dup.str("head").unwrap_or_default().to_string(),
                other_unit: dup.unit.clone(),
            }
            .into());
        }
        let moving = self.records_of_household(other)?;
        self.batch(|s| {
            for (table, id) in &moving {
                s.correct(*table, *id, &[("household", Some(json!(keep)))])?;
            }
            let mut filled = Vec::new();
            let mut wanted: Vec<(&str, Option<Value>)> = Vec::new();
            for field in FILLED {
                let empty = kept.value(field).is_none_or(Value::is_null);
                if let Some(v) = dup.value(field).filter(|v| !v.is_null() && empty) {
                    wanted.push((field, Some(v.clone())));
                    filled.push(field.to_string());
                }
            }
            let cats = |r: &Row| -> Vec<Value> {
                r.value("categories")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            let mut categories = cats(&kept);
            for c in cats(&dup) {
                if !categories.contains(&c) {
                    categories.push(c);
                    if !filled.iter().any(|f| f == "categories") {
                        filled.push("categories".into());
                    }
                }
            }
            wanted.push(("categories", Some(Value::Array(categories))));
            s.correct(Table::Household, keep, &wanted)?;
            // Withdrawn as merged: the reason is `merged_into` (each reader words it).
            s.edit(
                Edit::new(Table::Household)
                    .row(other)
                    .set("deleted", true)
                    .set("merged_into", keep),
            )?;
            Ok(MergeResult {
                kept: keep,
                withdrawn: other,
                moved: moving.len(),
                filled,
            })
        })
    }

    /// The visits and demolitions (not withdrawn) that name a household.
    fn records_of_household(&self, id: RowId) -> Result<Vec<(Table, RowId)>> {
        let mut out = Vec::new();
        for table in [Table::Visit, Table::Demolition] {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT id FROM {} WHERE household = ?1 AND deleted = 0 ORDER BY id",
                table.code()
            ))?;
            let ids = stmt
                .query_map([id.to_string()], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            for i in ids {
                let row = i
                    .parse::<RowId>()
                    .map_err(|e| StoreError::Corrupt(format!("{table} id {i}: {e}")))?;
                out.push((table, row));
            }
        }
        Ok(out)
    }
}
