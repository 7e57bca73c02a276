//! What each synced table may contain: its fields, their types and ranges, which fields
//! move forward only, and the validation of a change against them.

use crate::change::{Change, Row};
use crate::error::{Invalid, ValidationError};
use crate::ids::RowId;
use crate::model::*;
use chrono::NaiveDate;
use serde_json::Value;

/// The type and range of one field.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// Text with a length range in characters.
    Text {
        min: usize,
        max: usize,
    },
    /// Optional text (null allowed).
    OptText {
        max: usize,
    },
    /// Phone number: 7–15 digits, optional.
    Phone,
    /// A resident identity card number (身份证号), optional: 18 characters (17 digits and
    /// a check digit or X, which must match) or the old 15 digits.
    IdNumber,
    /// An integer in a range.
    Int {
        min: u64,
        max: u64,
    },
    /// Optional integer.
    OptInt {
        min: u64,
        max: u64,
    },
    /// A number in a half-open range `(min, max]` (`min` exclusive).
    Num {
        min: f64,
        max: f64,
    },
    /// Optional number in `(min, max]`.
    OptNum {
        min: f64,
        max: f64,
    },
    Bool,
    /// An event date: not after the context's latest event day.
    Date,
    /// An optional event date.
    OptDate,
    /// A planning date (deadline): up to 10 years ahead.
    PlanDate,
    /// An optional planning date (a period's first day).
    OptPlanDate,
    /// A target's milestones: `[{date, quantity}]`, planning dates.
    Milestones,
    /// A code of the enum named by the table and field.
    Code,
    /// An optional code.
    OptCode,
    /// A list of household categories.
    Categories,
    /// The id of another row.
    Ref,
    OptRef,
    /// A works progress entry: `{date, quantity, note?, withdrawn?}` (`Progress`).
    ProgressEntry,
}

/// One field of a table.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// Must be present when the row is created.
    pub required: bool,
}

const fn f(name: &'static str, kind: Kind, required: bool) -> Field {
    Field {
        name,
        kind,
        required,
    }
}

/// Withdrawn (a tombstone: the record stays, with its history, and counts nothing).
const DELETED: Field = f("deleted", Kind::Bool, false);
/// Why it was withdrawn (a correction's reason, for the history).
const DELETED_REASON: Field = f("deleted_reason", Kind::OptText { max: 200 }, false);

const ORG_UNIT_FIELDS: &[Field] = &[
    f("code", Kind::Text { min: 1, max: 32 }, true),
    f("name", Kind::Text { min: 1, max: 60 }, true),
    f("level", Kind::Code, true),
    f("parent", Kind::OptText { max: 32 }, false),
    f("seepage", Kind::Bool, false),
    f("key_village", Kind::Bool, false),
    DELETED,
    DELETED_REASON,
];
const HOUSEHOLD_FIELDS: &[Field] = &[
    f("head", Kind::Text { min: 1, max: 40 }, true),
    f("members", Kind::Int { min: 1, max: 50 }, false),
    f("phone", Kind::Phone, false),
    f("id_number", Kind::IdNumber, false),
    f("categories", Kind::Categories, false),
    f("seepage", Kind::Bool, false),
    f("rating", Kind::OptCode, false),
    f("renovation", Kind::OptCode, false),
    f("planned_on", Kind::OptDate, false),
    f("started_on", Kind::OptDate, false),
    f("completed_on", Kind::OptDate, false),
    f("accepted_on", Kind::OptDate, false),
    f("cadre", Kind::OptText { max: 40 }, false),
    f("pension", Kind::OptInt { min: 0, max: 50 }, false),
    f("medical", Kind::OptInt { min: 0, max: 50 }, false),
    // The household this one was merged into (it is withdrawn, its records moved there).
    f("merged_into", Kind::OptRef, false),
    DELETED,
    DELETED_REASON,
];
const VISIT_FIELDS: &[Field] = &[
    f("household", Kind::Ref, true),
    f("date", Kind::Date, true),
    f("note", Kind::OptText { max: 2000 }, false),
    DELETED,
    DELETED_REASON,
];
const DEMOLITION_FIELDS: &[Field] = &[
    f("household", Kind::OptRef, false),
    f(
        "area_m2",
        Kind::OptNum {
            min: 0.0,
            max: 10_000.0,
        },
        false,
    ),
    f("date", Kind::Date, true),
    DELETED,
    DELETED_REASON,
];
const CLEANUP_FIELDS: &[Field] = &[
    f("kind", Kind::Code, true),
    f(
        "tonnes",
        // A load, or a village's day of loads entered as one (up to 2 000 t).
        Kind::Num {
            min: 0.0,
            max: 2_000.0,
        },
        true,
    ),
    f(
        "piles",
        Kind::Int {
            min: 1,
            max: 10_000,
        },
        false,
    ),
    f("date", Kind::Date, true),
    DELETED,
    DELETED_REASON,
];
const WORKS_FIELDS: &[Field] = &[
    f("kind", Kind::Code, true),
    // In the kind's unit (`metrics.rs`): km, sites, hamlets, m² of school, trees.
    f(
        "quantity",
        Kind::Num {
            min: 0.0,
            max: 1_000_000.0,
        },
        true,
    ),
    f("name", Kind::OptText { max: 60 }, false),
    f("location", Kind::OptText { max: 120 }, false),
    f("note", Kind::OptText { max: 500 }, false),
    f(
        "people",
        Kind::OptInt {
            min: 0,
            max: 1_000_000,
        },
        false,
    ),
    f("status", Kind::Code, true),
    f("started_on", Kind::OptDate, false),
    f("completed_on", Kind::OptDate, false),
    f("accepted_on", Kind::OptDate, false),
    f(
        "lat",
        Kind::OptNum {
            min: -90.0,
            max: 90.0,
        },
        false,
    ),
    f(
        "lon",
        Kind::OptNum {
            min: -180.0,
            max: 180.0,
        },
        false,
    ),
    DELETED,
    DELETED_REASON,
];
/// The field of every progress entry of a works item: `progress:<uuid>`, one per entry.
const PROGRESS: Field = f("progress", Kind::ProgressEntry, false);
/// The prefix of a progress entry's field name.
pub const PROGRESS_PREFIX: &str = "progress:";

/// The field name of a works item's progress entry.
pub fn progress_field(entry: uuid::Uuid) -> String {
    format!("{PROGRESS_PREFIX}{entry}")
}

/// The entry id a progress field names (`progress:<uuid>`), if it is one.
pub fn progress_entry(field: &str) -> Option<uuid::Uuid> {
    let id = field.strip_prefix(PROGRESS_PREFIX)?;
    // The canonical hyphenated lower-case form only: one entry, one field name.
    uuid::Uuid::parse_str(id)
        .ok()
        .filter(|u| u.hyphenated().to_string() == id)
}
const TARGET_FIELDS: &[Field] = &[
    f("metric", Kind::Code, true),
    f(
        "quantity",
        Kind::Num {
            min: 0.0,
            max: 100_000_000.0,
        },
        true,
    ),
    f("deadline", Kind::PlanDate, true),
    f("pile", Kind::OptCode, false),
    f("from", Kind::OptPlanDate, false),
    f("milestones", Kind::Milestones, false),
    DELETED,
    DELETED_REASON,
];

/// The fields of a table.
pub fn fields(table: Table) -> &'static [Field] {
    match table {
        Table::OrgUnit => ORG_UNIT_FIELDS,
        Table::Household => HOUSEHOLD_FIELDS,
        Table::Visit => VISIT_FIELDS,
        Table::Demolition => DEMOLITION_FIELDS,
        Table::Cleanup => CLEANUP_FIELDS,
        Table::Works => WORKS_FIELDS,
        Table::Target => TARGET_FIELDS,
    }
}

/// The field spec, if the table has that field (a works item's progress entries share
/// one spec).
pub fn field(table: Table, name: &str) -> Option<&'static Field> {
    if table == Table::Works && progress_entry(name).is_some() {
        return Some(&PROGRESS);
    }
    fields(table).iter().find(|f| f.name == name)
}

/// Fields whose value only moves forward; `rank` orders their values (null lowest).
pub fn is_forward_only(table: Table, field: &str) -> bool {
    matches!(
        (table, field),
        (Table::Household, "renovation") | (Table::Works, "status")
    )
}

/// The forward order of a forward-only field's value; 0 for every other field.
pub fn rank(table: Table, field: &str, value: &Value) -> u8 {
    if !is_forward_only(table, field) {
        return 0;
    }
    let s = value.as_str().unwrap_or("");
    match table {
        Table::Household => s.parse::<RenovationStatus>().map_or(0, |r| r.rank() + 1),
        _ => s.parse::<WorksStatus>().map_or(0, |r| r.rank() + 1),
    }
}

/// What validation needs to know about the world, given by the caller.
pub trait Context {
    /// The last day an event may be dated: on a device, its local "today" (from the
    /// corrected clock); on the server, whose day is the UTC one, tomorrow (a device's
    /// local day runs up to a day ahead of UTC).
    fn latest_event_day(&self) -> NaiveDate;
    /// The level of a known org unit.
    fn unit_level(&self, code: &str) -> Option<Level>;
    /// The parent of a known org unit (`None` for a root or an unknown unit).
    fn unit_parent(&self, code: &str) -> Option<String>;
    /// The unit of a household the validator knows (what a reference names); `None` if
    /// no such household is known.
    fn household_unit(&self, id: RowId) -> Option<String>;
}

/// required fields on creation, and no status moving backwards from a value the editor
/// saw unless it is a correction. `existing` is the row as the validator has it.
pub fn validate_change(
    change: &Change,
    existing: Option<&Row>,
    ctx: &dyn Context,
) -> Result<(), ValidationError> {
    let table = change.table;
    if change.fields.is_empty() {
        return Err(ValidationError::Empty);
    }
    bounds::check(change)?;
    for (name, edit) in &change.fields {
        let spec = field(table, name).ok_or_else(|| ValidationError::UnknownField {
            table: table.code(),
            field: name.clone(),
        })?;
        check_value(table, spec, &edit.value, ctx.latest_event_day())?;
    }
    if let Some(row) = existing {
        if row.unit != change.unit {
            return Err(ValidationError::UnitMismatch {
                existing: row.unit.clone(),
                got: change.unit.clone(),
            });
        }
    } else if !change
        .fields
        .get("deleted")
        .is_some_and(|e| e.value == Value::Bool(true))
    {
        for spec in fields(table).iter().filter(|f| f.required) {
            if change
                .fields
                .get(spec.name)
                .is_none_or(|e| e.value.is_null())
            {
                return Err(ValidationError::Missing {
                    field: spec.name.to_string(),
                });
            }
        }
    }
    if existing.is_some_and(Row::deleted) && !change.fields.contains_key("deleted") {
        // Only a change that says whether the record stays withdrawn (a restore, or an
        // edit made without knowing of the withdrawal: merged as a conflict) may touch it.
        return Err(ValidationError::Withdrawn);
    }
    check_unit(change, existing, ctx)?;
    check_refs(change, ctx)?;
    check_insured(change, existing)?;
    check_flags(change, existing)?;
    check_progress(change, existing)?;
    check_target(change, existing)?;
    if let Some(row) = existing {
        for (name, edit) in change
            .fields
            .iter()
            .filter(|(n, _)| is_forward_only(table, n))
        {
            let Some(state) = row.fields.get(name.as_str()) else {
                continue;
            };
            let saw_current = edit.base == Some(state.at);
            if saw_current
                && !change.correction
                && rank(table, name, &edit.value) < rank(table, name, &state.value)
            {
                return Err(ValidationError::Backwards {
                    field: name.clone(),
                    from: state.value.as_str().unwrap_or("").to_string(),
                    to: edit.value.as_str().unwrap_or("none").to_string(),
                });
            }
        }
    }
    check_epochs(change, existing)
}

/// The rows a change's reference fields name (households: a visit's, a demolition's),
/// with the field naming each. A validator looks these up before validating.
pub fn references(change: &Change) -> Vec<(&str, RowId)> {
    change
        .fields
        .iter()
        .filter(|(name, _)| {
            field(change.table, name).is_some_and(|f| matches!(f.kind, Kind::Ref | Kind::OptRef))
        })
        .filter_map(|(name, edit)| {
            let id = uuid::Uuid::parse_str(edit.value.as_str()?).ok()?;
            Some((name.as_str(), RowId(id)))
        })
        .collect()
}

/// A reference names a known household of the change's own unit: a visit is to a
/// household of its village. (The unit itself is checked against the writer's scope
/// elsewhere.)
fn check_refs(change: &Change, ctx: &dyn Context) -> Result<(), ValidationError> {
    for (name, id) in references(change) {
        match ctx.household_unit(id) {
            None => {
                return Err(ValidationError::UnknownRef {
                    field: name.to_string(),
                    id: id.to_string(),
                })
            }
            Some(unit) if unit != change.unit => {
                return Err(ValidationError::RefElsewhere {
                    field: name.to_string(),
                    id: id.to_string(),
                    unit,
                    got: change.unit.clone(),
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The correction epoch decides a merge before anything else, so only a correction may
/// raise it, by one and on a forward-only field; and a correction moving such a field
/// back from the value its editor saw must raise it, or the merge would drop it unseen.
fn check_epochs(change: &Change, existing: Option<&Row>) -> Result<(), ValidationError> {
    for (name, edit) in &change.fields {
        let state = existing.and_then(|r| r.fields.get(name.as_str()));
        let current = state.map_or(0, |s| s.epoch);
        let raise = change.correction && is_forward_only(change.table, name);
        let most = current.saturating_add(u32::from(raise));
        let back = state.is_some_and(|s| {
            edit.base == Some(s.at)
                && rank(change.table, name, &edit.value) < rank(change.table, name, &s.value)
        });
        let least = if raise && back { most } else { 0 };
        if edit.epoch > most || edit.epoch < least {
            let (rule, rule_zh) = if least == most {
                (
                    format!("in correction epoch {most}"),
                    format!("应在更正代次 {most}"),
                )
            } else {
                (
                    format!("in correction epoch {least} to {most}"),
                    format!("应在更正代次 {least} 到 {most}"),
                )
            };
            return Err(ValidationError::Value {
                field: name.clone(),
                value: format!("epoch {}", edit.epoch),
                why: Invalid::Range { rule, rule_zh },
            });
        }
    }
    Ok(())
}

/// A unit's parent is exactly one level up (banner → township → village → hamlet).
/// Deeper than any real tree (banner → township → village → hamlet); bounds each walk.
const MAX_TREE_DEPTH: usize = 16;

fn check_parent_level(
    change: &Change,
    existing: Option<&Row>,
    ctx: &dyn Context,
) -> Result<(), ValidationError> {
    let field = |name: &str| {
        change
            .fields
            .get(name)
            .map(|e| e.value.clone())
            .or_else(|| existing.and_then(|r| r.value(name).cloned()))
    };
    let level = field("level").and_then(|v| v.as_str().and_then(|s| s.parse::<Level>().ok()));
    let parent = field("parent").and_then(|v| v.as_str().map(str::to_string));
    let (Some(level), Some(parent)) = (level, parent) else {
        return Ok(());
    };
    // The tree stays a tree: the new parent may not be the unit or lie below it.
    let mut at = Some(parent.clone());
    for _ in 0..MAX_TREE_DEPTH {
        let Some(code) = at else { break };
        if code == change.unit {
            return Err(ValidationError::Cycle {
                unit: change.unit.clone(),
                parent,
            });
        }
        at = ctx.unit_parent(&code);
    }
    let parent_level = ctx.unit_level(&parent);
    match parent_level {
        Some(pl) if pl.child() == Some(level) => Ok(()),
        Some(pl) => Err(ValidationError::ParentLevel {
            unit: change.unit.clone(),
            level: level.code(),
            parent,
            parent_level: pl.code(),
        }),
        None => Err(ValidationError::UnknownUnit(parent)),
    }
}

/// A household's insured members (养老 / 医疗) are at most its members, as the change
/// leaves them; checked when the change touches one of them.
fn check_insured(change: &Change, existing: Option<&Row>) -> Result<(), ValidationError> {
    let touched = ["members", "pension", "medical"]
        .iter()
        .any(|f| change.fields.contains_key(*f));
    if change.table != Table::Household || !touched {
        return Ok(());
    }
    let get = |name: &str| -> Option<u64> {
        match change.fields.get(name) {
            Some(edit) => edit.value.as_u64(),
            None => existing.and_then(|r| r.value(name)).and_then(Value::as_u64),
        }
    };
    let members = get("members").unwrap_or(1);
    for scheme in crate::model::Scheme::ALL {
        if let Some(insured) = get(scheme.field()).filter(|n| *n > members) {
            return Err(ValidationError::MoreThanMembers {
                field: scheme.field().to_string(),
                insured,
                members,
            });
        }
    }
    Ok(())
}

/// A village's flags (沿黄渗漏区, 重点村) are set on villages only.
fn check_flags(change: &Change, existing: Option<&Row>) -> Result<(), ValidationError> {
    if change.table != Table::OrgUnit {
        return Ok(());
    }
    let get = |name: &str| {
        change
            .fields
            .get(name)
            .map(|e| &e.value)
            .or_else(|| existing.and_then(|r| r.value(name)))
    };
    let level = get("level").and_then(|v| v.as_str()?.parse::<Level>().ok());
    for flag in VillageFlag::ALL {
        let set = get(flag_field(*flag)) == Some(&Value::Bool(true));
        match level {
            Some(level) if set && level != Level::Village => {
                return Err(ValidationError::FlagNotOnVillage {
                    unit: change.unit.clone(),
                    level,
                    flag: *flag,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// The org-unit field that holds a village's flag.
pub fn flag_field(flag: VillageFlag) -> &'static str {
    match flag {
        VillageFlag::Seepage => "seepage",
        VillageFlag::KeyVillage => "key_village",
    }
}

/// The most milestones one target may have.
pub const MAX_MILESTONES: usize = 24;

/// A target's period, pile kind and milestones fit its deadline and quantity, after the
/// change: the period starts before the deadline, a pile kind only for cleanup, each
/// milestone on its own day within the period and at most the target's quantity.
fn check_target(change: &Change, existing: Option<&Row>) -> Result<(), ValidationError> {
    if change.table != Table::Target {
        return Ok(());
    }
    let get = |name: &str| -> Option<&Value> {
        match change.fields.get(name) {
            Some(edit) => Some(&edit.value),
            None => existing.and_then(|r| r.value(name)),
        }
        .filter(|v| !v.is_null())
    };
    let date = |name: &str| {
        get(name)
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
    };
    let (from, deadline): (Option<NaiveDate>, Option<NaiveDate>) = (date("from"), date("deadline"));
    let quantity = get("quantity").and_then(Value::as_f64).unwrap_or(0.0);
    let range =
        |field: &str, value: String, rule: String, rule_zh: String| ValidationError::Value {
            field: field.to_string(),
            value,
            why: Invalid::Range { rule, rule_zh },
        };
    if let (Some(f), Some(d)) = (from, deadline) {
        if f >= d {
            return Err(range(
                "from",
                f.to_string(),
                format!("before the deadline {d}"),
                format!("应早于截止日期 {d}"),
            ));
        }
    }
    let metric = get("metric").and_then(Value::as_str);
    if let Some(pile) = get("pile").and_then(Value::as_str) {
        if metric != Some(Metric::CleanupTonnes.code()) {
            return Err(range(
                "pile",
                pile.to_string(),
                "only on a cleanup (t) target".into(),
                format!("只能用于{}指标", Metric::CleanupTonnes.zh()),
            ));
        }
    }
    let Some(list) = get("milestones") else {
        return Ok(());
    };
    let milestones: Vec<Milestone> = serde_json::from_value(list.clone()).unwrap_or_default();
    let mut days = std::collections::BTreeSet::new();
    for m in &milestones {
        let shown = format!("{}={}", m.date, crate::labels::num(m.quantity));
        if deadline.is_some_and(|d| m.date > d) || from.is_some_and(|f| m.date < f) {
            let (rule, rule_zh) = match (from, deadline) {
                (Some(f), Some(d)) => (format!("from {f} to {d}"), format!("应在 {f} 到 {d} 之间")),
                (_, Some(d)) => (
                    format!("on or before the deadline {d}"),
                    format!("不能晚于截止日期 {d}"),
                ),
                (Some(f), None) => (format!("on or after {f}"), format!("不能早于 {f}")),
                (None, None) => unreachable!("a bound was passed"),
            };
            return Err(range("milestones", shown, rule, rule_zh));
        }
        if m.quantity > quantity {
            return Err(range(
                "milestones",
                shown,
                format!(
                    "at most the target's quantity {}",
                    crate::labels::num(quantity)
                ),
                format!("不能超过指标数量 {}", crate::labels::num(quantity)),
            ));
        }
        if !days.insert(m.date) {
            return Err(range(
                "milestones",
                shown,
                "one milestone a day".into(),
                "同一天只能有一个节点".into(),
            ));
        }
    }
    Ok(())
}

/// A works item's progress entries that count (not withdrawn) add up to at most its
/// planned quantity, after the change.
fn check_progress(change: &Change, existing: Option<&Row>) -> Result<(), ValidationError> {
    let touched = change
        .fields
        .keys()
        .any(|f| f == "quantity" || progress_entry(f).is_some());
    if change.table != Table::Works || !touched {
        return Ok(());
    }
    let planned = match change.fields.get("quantity") {
        Some(edit) => edit.value.as_f64(),
        None => existing.and_then(|r| r.f64("quantity")),
    }
    .unwrap_or(0.0);
    let mut entries: std::collections::BTreeMap<&str, &Value> = existing
        .map(|r| {
            r.fields
                .iter()
                .filter(|(n, _)| progress_entry(n).is_some())
                .map(|(n, s)| (n.as_str(), &s.value))
                .collect()
        })
        .unwrap_or_default();
    for (name, edit) in change
        .fields
        .iter()
        .filter(|(n, _)| progress_entry(n).is_some())
    {
        entries.insert(name, &edit.value);
    }
    let done: f64 = entries
        .values()
        .filter(|v| v.get("withdrawn").is_none_or(Value::is_null))
        .filter_map(|v| v.get("quantity").and_then(Value::as_f64))
        .sum();
    // Within a thousandth (the ledger's resolution): 1.1 + 2.2 may add up to 3.3000000000000003.
    if crate::ledger::thousandths(done) > crate::ledger::thousandths(planned) {
        return Err(ValidationError::BeyondPlanned {
            done: crate::labels::num(done),
            planned: crate::labels::num(planned),
        });
    }
    Ok(())
}

fn check_unit(
    change: &Change,
    existing: Option<&Row>,
    ctx: &dyn Context,
) -> Result<(), ValidationError> {
    if change.table == Table::OrgUnit {
        if let Some(code) = change.fields.get("code").and_then(|e| e.value.as_str()) {
            if code != change.unit {
                return Err(ValidationError::UnitMismatch {
                    existing: change.unit.clone(),
                    got: code.to_string(),
                });
            }
        }
        let parent = change.fields.get("parent").and_then(|e| e.value.as_str());
        if let Some(p) = parent {
            if ctx.unit_level(p).is_none() {
                return Err(ValidationError::UnknownUnit(p.to_string()));
            }
        }
        if existing.is_none() && parent.is_none() {
            let level = change.fields.get("level").and_then(|e| e.value.as_str());
            if level.and_then(|l| l.parse::<Level>().ok()) != Some(Level::Banner) {
                return Err(ValidationError::Missing {
                    field: "parent".into(),
                });
            }
        }
        return check_parent_level(change, existing, ctx);
    }
    let level = ctx
        .unit_level(&change.unit)
        .ok_or_else(|| ValidationError::UnknownUnit(change.unit.clone()))?;
    let needs_village = !matches!(change.table, Table::Target);
    if needs_village && !matches!(level, Level::Village | Level::Hamlet) {
        return Err(ValidationError::WrongLevel {
            table: change.table.code(),
            unit: change.unit.clone(),
            level: level.code(),
        });
    }
    Ok(())
}

mod bounds;
mod labels;
mod typed;
mod value;
pub use bounds::{MAX_AUTHOR_CHARS, MAX_SAW, MAX_UNIT_CHARS};
pub use labels::field_zh;
pub use typed::{decimal, read_number, unusual};
pub use value::{check_value, id_number_ok};

#[cfg(test)]
mod tests;
