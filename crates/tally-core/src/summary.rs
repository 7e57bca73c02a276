//! What an entry (one change) records, as data: the kind of entry, the codes, numbers
//! and dates it set, and what users typed as they typed it. The UI words it in the
//! reader's language; no sentence is made here.

use crate::change::Change;
use crate::ids::RowId;
use crate::model::*;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

/// One field an edit set, with its stored value (a code, a number, a date, text).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldValue {
    pub field: String,
    pub value: Value,
}

/// What one entry records.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EntrySummary {
    /// A household added (its head set for the first time).
    NewHousehold {
        head: String,
    },
    /// Fields of a household changed.
    HouseholdEdit {
        head: Option<String>,
        fields: Vec<FieldValue>,
    },
    Visit {
        household: Option<String>,
        date: Option<NaiveDate>,
        note: String,
    },
    Cleanup {
        pile: Option<PileKind>,
        tonnes: Option<f64>,
        piles: u32,
        date: Option<NaiveDate>,
    },
    Demolition {
        household: Option<String>,
        area_m2: Option<f64>,
        date: Option<NaiveDate>,
    },
    Works {
        works_kind: Option<WorksKind>,
        quantity: Option<f64>,
        status: Option<WorksStatus>,
    },
    Target {
        metric: Option<Metric>,
        quantity: Option<f64>,
        deadline: Option<NaiveDate>,
    },
    OrgUnit {
        name: Option<String>,
    },
    /// A household entered twice merged into another (`into`: the kept one's head).
    Merged {
        household: Option<String>,
        into: Option<String>,
    },
    /// A record withdrawn, with the reason given.
    Withdrawal {
        table: Table,
        reason: Option<String>,
    },
    /// A works item's progress entry appended or corrected (`withdrawn`: taken back).
    Progress {
        entry: String,
        quantity: Option<f64>,
        date: Option<NaiveDate>,
        note: Option<String>,
        withdrawn: Option<String>,
    },
}

fn value<'c>(change: &'c Change, name: &str) -> Option<&'c Value> {
    change
        .fields
        .get(name)
        .map(|f| &f.value)
        .filter(|v| !v.is_null())
}

fn parsed<T: std::str::FromStr>(change: &Change, name: &str) -> Option<T> {
    value(change, name)?.as_str()?.parse().ok()
}

fn number(change: &Change, name: &str) -> Option<f64> {
    value(change, name)?.as_f64()
}

fn text(change: &Change, name: &str) -> Option<String> {
    value(change, name)?.as_str().map(str::to_string)
}

/// The household an entry is about, if any.
pub fn household_of(change: &Change) -> Option<RowId> {
    match change.table {
        Table::Household => Some(change.row),
        Table::Visit | Table::Demolition => parsed(change, "household"),
        _ => None,
    }
}

impl EntrySummary {
    /// What `change` records; `head` names a household by its id (the head's name).
    pub fn of(change: &Change, head: &dyn Fn(RowId) -> Option<String>) -> EntrySummary {
        let who = || household_of(change).and_then(head);
        let date = parsed::<NaiveDate>(change, "date");
        if value(change, "deleted") == Some(&Value::Bool(true)) {
            if let Some(into) = parsed::<RowId>(change, "merged_into") {
                return EntrySummary::Merged {
                    household: who(),
                    into: head(into),
                };
            }
            return EntrySummary::Withdrawal {
                table: change.table,
                reason: text(change, "deleted_reason"),
            };
        }
        let entry = change
            .fields
            .iter()
            .find_map(|(name, e)| Some((crate::schema::progress_entry(name)?, &e.value)));
        if let Some((entry, v)) = entry {
            let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            return EntrySummary::Progress {
                entry: entry.to_string(),
                quantity: v.get("quantity").and_then(Value::as_f64),
                date: text("date").and_then(|d| d.parse().ok()),
                note: text("note"),
                withdrawn: text("withdrawn"),
            };
        }
        match change.table {
            Table::Household => match change.fields.get("head") {
                Some(h) if h.base.is_none() => EntrySummary::NewHousehold {
                    head: h.value.as_str().unwrap_or_default().to_string(),
                },
                _ => EntrySummary::HouseholdEdit {
                    head: who(),
                    fields: change
                        .edited_fields()
                        .map(|(f, e)| FieldValue {
                            field: f.clone(),
                            value: e.value.clone(),
                        })
                        .collect(),
                },
            },
            Table::Visit => EntrySummary::Visit {
                household: who(),
                date,
                note: text(change, "note").unwrap_or_default(),
            },
            Table::Cleanup => EntrySummary::Cleanup {
                pile: parsed(change, "kind"),
                tonnes: number(change, "tonnes"),
                piles: value(change, "piles")
                    .and_then(Value::as_u64)
                    .map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX)),
                date,
            },
            Table::Demolition => EntrySummary::Demolition {
                household: who(),
                area_m2: number(change, "area_m2"),
                date,
            },
            Table::Works => EntrySummary::Works {
                works_kind: parsed(change, "kind"),
                quantity: number(change, "quantity"),
                status: parsed(change, "status"),
            },
            Table::Target => EntrySummary::Target {
                metric: parsed(change, "metric"),
                quantity: number(change, "quantity"),
                deadline: parsed(change, "deadline"),
            },
            Table::OrgUnit => EntrySummary::OrgUnit {
                name: text(change, "name"),
            },
        }
    }
}
