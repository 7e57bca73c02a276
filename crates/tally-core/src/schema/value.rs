//! One value against its field's spec: its type, its range, its length, a date within
//! the horizon, a code of its enum; and how a wrong value is shown in the message.

use super::labels::check_code;
use super::{Field, Kind};
use crate::error::{Invalid, ValidationError};
use crate::model::*;
use chrono::{Days, NaiveDate};
use serde_json::Value;

/// A text as a message shows it: quoted, and cut when long (a 7 MB value is not
/// repeated back in full).
pub(super) fn shown(s: &str) -> String {
    const SHOWN: usize = 40;
    let n = s.chars().count();
    if n <= SHOWN {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(SHOWN).collect();
        format!("{head:?}… ({n} chars)")
    }
}

pub(super) fn bad(field: &str, value: &Value, why: Invalid) -> ValidationError {
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

/// The last day a plan may name: ten years on.
fn plan_horizon(latest_event: NaiveDate) -> NaiveDate {
    latest_event
        .checked_add_days(Days::new(3653))
        .unwrap_or(latest_event)
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
        OptText { .. }
        | OptInt { .. }
        | OptNum { .. }
        | OptDate
        | OptPlanDate
        | OptCode
        | OptRef
        | Phone
        | IdNumber
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
        IdNumber => {
            let s = v.as_str().ok_or_else(|| ty("text"))?;
            if id_number_ok(s) {
                Ok(())
            } else {
                Err(bad(
                    name,
                    v,
                    Invalid::Range {
                        rule: "18 characters (17 digits and a matching check digit or X) or 15 digits"
                            .into(),
                        rule_zh: "应为 18 位（17 位数字加校验位，校验位须与前 17 位相符，可为 X）或 15 位数字"
                            .into(),
                    },
                ))
            }
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
        PlanDate | OptPlanDate => date_in(plan_horizon(latest_event)),
        Milestones => {
            let items = v
                .as_array()
                .ok_or_else(|| ty("a list of milestones {date, quantity}"))?;
            if items.len() > super::MAX_MILESTONES {
                return Err(bad(
                    name,
                    &Value::String(format!("{} milestones", items.len())),
                    Invalid::Range {
                        rule: format!("at most {}", super::MAX_MILESTONES),
                        rule_zh: format!("最多 {} 个节点", super::MAX_MILESTONES),
                    },
                ));
            }
            for item in items {
                let parts = item
                    .as_object()
                    .filter(|o| o.len() == 2)
                    .ok_or_else(|| ty("a list of milestones {date, quantity}"))?;
                let date = Field {
                    name: "milestones",
                    kind: Kind::PlanDate,
                    required: true,
                };
                let quantity = Field {
                    name: "milestones",
                    kind: Kind::Num {
                        min: 0.0,
                        max: 100_000_000.0,
                    },
                    required: true,
                };
                let missing = || ty("a list of milestones {date, quantity}");
                check_value(
                    table,
                    &date,
                    parts.get("date").ok_or_else(missing)?,
                    latest_event,
                )?;
                check_value(
                    table,
                    &quantity,
                    parts.get("quantity").ok_or_else(missing)?,
                    latest_event,
                )?;
            }
            Ok(())
        }
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
        ProgressEntry => check_progress_entry(table, v, latest_event),
    }
}

/// The parts of a progress entry, each checked as a field of its own.
const ENTRY_PARTS: &[Field] = &[
    Field {
        name: "date",
        kind: Kind::Date,
        required: true,
    },
    Field {
        name: "quantity",
        kind: Kind::Num {
            min: 0.0,
            max: 1_000_000.0,
        },
        required: true,
    },
    Field {
        name: "note",
        kind: Kind::OptText { max: 500 },
        required: false,
    },
    Field {
        name: "withdrawn",
        kind: Kind::OptText { max: 200 },
        required: false,
    },
];

fn check_progress_entry(
    table: Table,
    v: &Value,
    latest_event: NaiveDate,
) -> Result<(), ValidationError> {
    let expected = "a progress entry {date, quantity, note}";
    let parts = v
        .as_object()
        .ok_or_else(|| bad("progress", v, Invalid::Type { expected }))?;
    if let Some(unknown) = parts
        .keys()
        .find(|k| !ENTRY_PARTS.iter().any(|p| p.name == k.as_str()))
    {
        return Err(ValidationError::UnknownField {
            table: table.code(),
            field: format!("progress.{unknown}"),
        });
    }
    for part in ENTRY_PARTS {
        match parts.get(part.name) {
            None | Some(Value::Null) if part.required => {
                return Err(ValidationError::Missing {
                    field: part.name.to_string(),
                })
            }
            None => {}
            Some(value) => check_value(table, part, value, latest_event)?,
        }
    }
    Ok(())
}

/// A resident identity card number: 15 digits, or 17 digits and the ISO 7064 MOD 11-2
/// check character (0–9 or upper-case X).
pub fn id_number_ok(s: &str) -> bool {
    let b = s.as_bytes();
    match b.len() {
        15 => b.iter().all(u8::is_ascii_digit),
        18 if b[..17].iter().all(u8::is_ascii_digit) => {
            const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
            let sum: u32 = b[..17]
                .iter()
                .zip(WEIGHTS)
                .map(|(d, w)| u32::from(d - b'0') * w)
                .sum();
            let check = b"10X98765432"[(sum % 11) as usize];
            b[17] == check
        }
        _ => false,
    }
}
