//! What each synced table may contain: its fields, their types and ranges, which fields
//! move forward only, and the validation of a change against them.

use crate::change::{Change, Row};
use crate::error::{Invalid, ValidationError};
use crate::model::*;
use chrono::{Days, NaiveDate};
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
    /// A code of the enum named by the table and field.
    Code,
    /// An optional code.
    OptCode,
    /// A list of household categories.
    Categories,
    /// The id of another row.
    Ref,
    OptRef,
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

const DELETED: Field = f("deleted", Kind::Bool, false);

const ORG_UNIT_FIELDS: &[Field] = &[
    f("code", Kind::Text { min: 1, max: 32 }, true),
    f("name", Kind::Text { min: 1, max: 60 }, true),
    f("level", Kind::Code, true),
    f("parent", Kind::OptText { max: 32 }, false),
    DELETED,
];
const HOUSEHOLD_FIELDS: &[Field] = &[
    f("head", Kind::Text { min: 1, max: 40 }, true),
    f("members", Kind::Int { min: 1, max: 50 }, false),
    f("phone", Kind::Phone, false),
    f("categories", Kind::Categories, false),
    f("seepage", Kind::Bool, false),
    f("rating", Kind::OptCode, false),
    f("renovation", Kind::OptCode, false),
    f("planned_on", Kind::OptDate, false),
    f("started_on", Kind::OptDate, false),
    f("completed_on", Kind::OptDate, false),
    f("accepted_on", Kind::OptDate, false),
    f("cadre", Kind::OptText { max: 40 }, false),
    DELETED,
];
const VISIT_FIELDS: &[Field] = &[
    f("household", Kind::Ref, true),
    f("date", Kind::Date, true),
    f("note", Kind::OptText { max: 2000 }, false),
    DELETED,
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
];
const CLEANUP_FIELDS: &[Field] = &[
    f("kind", Kind::Code, true),
    f(
        "tonnes",
        Kind::Num {
            min: 0.0,
            max: 200.0,
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
];
const WORKS_FIELDS: &[Field] = &[
    f("kind", Kind::Code, true),
    f(
        "quantity",
        Kind::Num {
            min: 0.0,
            max: 10_000.0,
        },
        true,
    ),
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
    DELETED,
];
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
    DELETED,
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

/// The field spec, if the table has that field.
pub fn field(table: Table, name: &str) -> Option<&'static Field> {
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
}

/// A text as a message shows it: quoted, and cut when long (a 7 MB value is not
/// repeated back in full).
fn shown(s: &str) -> String {
    const SHOWN: usize = 40;
    let n = s.chars().count();
    if n <= SHOWN {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(SHOWN).collect();
        format!("{head:?}… ({n} chars)")
    }
}

fn bad(field: &str, value: &Value, why: Invalid) -> ValidationError {
    let shown = match value {
        Value::String(s) => shown(s),
        // 500, not 500.0: the number as a person typed it.
        Value::Number(n)
            if n.as_f64()
                .is_some_and(|x| x.fract() == 0.0 && x.abs() < 1e15) =>
        {
            format!("{}", n.as_f64().unwrap_or_default() as i64)
        }
        other => other.to_string(),
    };
    ValidationError::Value {
        field: field.to_string(),
        value: shown,
        why,
    }
}

fn earliest() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date")
}

fn check_len(name: &str, v: &Value, min: usize, max: usize) -> Result<(), ValidationError> {
    let s = v
        .as_str()
        .ok_or_else(|| bad(name, v, Invalid::Type { expected: "text" }))?;
    let (kept, got) = (s.trim().chars().count(), s.chars().count());
    if kept < min {
        return Err(bad(
            name,
            v,
            Invalid::Length {
                min,
                max,
                got: kept,
            },
        ));
    }
    if got > max {
        return Err(bad(name, v, Invalid::Length { min, max, got }));
    }
    Ok(())
}

/// Check one value against its field spec; `latest_event` is the last day an event may
/// be dated (see [`Context::latest_event_day`]).
pub fn check_value(
    table: Table,
    spec: &Field,
    v: &Value,
    latest_event: NaiveDate,
) -> Result<(), ValidationError> {
    use Kind::*;
    let name = spec.name;
    let ty = |expected| bad(name, v, Invalid::Type { expected });
    let date_in = |latest: NaiveDate| -> Result<(), ValidationError> {
        let s = v.as_str().ok_or_else(|| ty("a date YYYY-MM-DD"))?;
        let d: NaiveDate = s.parse().map_err(|_| ty("a date YYYY-MM-DD"))?;
        if d > latest {
            return Err(bad(
                name,
                v,
                Invalid::Future {
                    latest: latest.to_string(),
                },
            ));
        }
        if d < earliest() {
            return Err(bad(name, v, Invalid::Past));
        }
        Ok(())
    };
    match spec.kind {
        OptText { .. } | OptInt { .. } | OptNum { .. } | OptDate | OptCode | OptRef | Phone
            if v.is_null() =>
        {
            Ok(())
        }
        Text { min, max } => check_len(name, v, min, max),
        OptText { max } => check_len(name, v, 0, max),
        Phone => {
            let s = v.as_str().ok_or_else(|| ty("text"))?;
            if s.chars().count() > 32 {
                return Err(bad(
                    name,
                    v,
                    Invalid::Length {
                        min: 0,
                        max: 32,
                        got: s.chars().count(),
                    },
                ));
            }
            let digits = s
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '+'))
                .collect::<String>();
            if !(7..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(bad(
                    name,
                    v,
                    Invalid::Range {
                        rule: "7 to 15 digits".into(),
                        rule_zh: "应为 7 到 15 位数字".into(),
                    },
                ));
            }
            Ok(())
        }
        Int { min, max } | OptInt { min, max } => {
            let n = v.as_u64().ok_or_else(|| {
                if v.as_i64().is_some() || v.as_f64().is_some() {
                    bad(
                        name,
                        v,
                        Invalid::Range {
                            rule: format!("a whole number from {min} to {max}"),
                            rule_zh: format!("应为 {min} 到 {max} 的整数"),
                        },
                    )
                } else {
                    ty("a whole number")
                }
            })?;
            if n < min || n > max {
                return Err(bad(
                    name,
                    v,
                    Invalid::Range {
                        rule: format!("a whole number from {min} to {max}"),
                        rule_zh: format!("应为 {min} 到 {max} 的整数"),
                    },
                ));
            }
            Ok(())
        }
        Num { min, max } | OptNum { min, max } => {
            let x = v.as_f64().ok_or_else(|| ty("a number"))?;
            if !x.is_finite() || x <= min || x > max {
                return Err(bad(
                    name,
                    v,
                    Invalid::Range {
                        rule: format!("more than {min} and at most {max}"),
                        rule_zh: format!("应大于 {min}、不超过 {max}"),
                    },
                ));
            }
            Ok(())
        }
        Bool => v.as_bool().map(drop).ok_or_else(|| ty("true or false")),
        Date | OptDate => date_in(latest_event),
        PlanDate => date_in(
            latest_event
                .checked_add_days(Days::new(3653))
                .unwrap_or(latest_event),
        ),
        Code | OptCode => {
            let s = v.as_str().ok_or_else(|| ty("text"))?;
            check_code(table, name, s).map_err(|allowed| bad(name, v, Invalid::Code { allowed }))
        }
        Categories => {
            let items = v.as_array().ok_or_else(|| ty("a list of categories"))?;
            let distinct: std::collections::BTreeSet<String> =
                items.iter().map(Value::to_string).collect();
            if items.len() > Category::ALL.len() || distinct.len() != items.len() {
                return Err(bad(
                    name,
                    &Value::String(format!("{} items", items.len())),
                    Invalid::Range {
                        rule: format!("at most {} different categories", Category::ALL.len()),
                        rule_zh: format!("应为最多 {} 个不同的户类别", Category::ALL.len()),
                    },
                ));
            }
            for item in items {
                let s = item.as_str().ok_or_else(|| ty("a list of categories"))?;
                s.parse::<Category>().map_err(|_| {
                    bad(
                        name,
                        item,
                        Invalid::Code {
                            allowed: Category::codes(),
                        },
                    )
                })?;
            }
            Ok(())
        }
        Ref | OptRef => {
            let s = v.as_str().ok_or_else(|| ty("a row id"))?;
            uuid::Uuid::parse_str(s)
                .map(drop)
                .map_err(|_| ty("a row id"))
        }
    }
}

/// Validate a change: known fields, types and ranges, a known unit of the right level,
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
    check_unit(change, existing, ctx)?;
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
pub use bounds::{MAX_AUTHOR_CHARS, MAX_SAW, MAX_UNIT_CHARS};
use labels::check_code;
pub use labels::field_zh;
pub use typed::{decimal, read_number, unusual};

#[cfg(test)]
mod tests;
