//! What a person typed into a number field, read as the field's value (the text as it was
//! typed is kept until then, so a mistake is shown, never silently changed); and values
//! the schema allows but that are unusual enough to be confirmed before they are saved
//! (a load of 150 t is more often 15 t mistyped, a street of 1 200 km is 1 200 m).

use super::value::{bad, check_value};
use super::{field, Kind};
use crate::error::{Invalid, ValidationError};
use crate::labels::{self, Lang};
use crate::model::Table;
use chrono::NaiveDate;
use serde_json::Value;

/// Read the text typed into a number field of `table` as that field's value, checked
/// against the field's type and range. Blank text is no value (an error if the field is
/// required); `today` is the last day an event may be dated. Full-width digits count as digits; units, letters and thousands
/// separators are refused with a message saying so.
pub fn read_number(
    table: Table,
    name: &str,
    text: &str,
    today: NaiveDate,
) -> Result<Value, ValidationError> {
    let spec = field(table, name).ok_or_else(|| ValidationError::UnknownField {
        table: table.code(),
        field: name.to_string(),
    })?;
    // A field not required when a row is created may be left blank (no value given).
    let (whole, optional) = match spec.kind {
        Kind::Int { .. } => (true, !spec.required),
        Kind::OptInt { .. } => (true, true),
        Kind::Num { .. } => (false, !spec.required),
        Kind::OptNum { .. } => (false, true),
        _ => {
            return Err(ValidationError::Other(format!(
                "{name} of {} is not a number field",
                table.code()
            )))
        }
    };
    let typed = text.trim();
    if typed.is_empty() {
        return if optional {
            Ok(Value::Null)
        } else {
            Err(ValidationError::Missing {
                field: name.to_string(),
            })
        };
    }
    let expected = if whole { "a whole number" } else { "a number" };
    let not_a_number = || {
        bad(
            name,
            &Value::String(text.trim().to_string()),
            Invalid::Type { expected },
        )
    };
    let value = decimal(typed).ok_or_else(not_a_number)?;
    // The value in the message as it was typed (`99999999999999999999999`, not `1e23`).
    check_value(table, spec, &value, today).map_err(|e| match e {
        ValidationError::Value { field, why, .. } => ValidationError::Value {
            field,
            value: text.trim().to_string(),
            why,
        },
        other => other,
    })?;
    Ok(value)
}

/// A number as people type it: digits with at most one decimal point and a sign, also in
/// full-width (`１２．５`); a whole number as an integer value. `None` for anything else
/// (`1e3`, `inf`, `1,200`, `12.5吨`). The CLI reads its number options with it too.
pub fn decimal(text: &str) -> Option<Value> {
    let typed: String = text.trim().chars().map(half_width).collect();
    if !is_decimal(&typed) {
        return None;
    }
    match typed.parse::<i64>() {
        Ok(n) => Some(Value::from(n)),
        Err(_) => typed
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
    }
}

/// `１２．５` as `12.5`: what a Chinese input method types in full-width mode.
fn half_width(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '．' => '.',
        '－' => '-',
        '＋' => '+',
        other => other,
    }
}

/// Digits with at most one decimal point and an optional sign: nothing else (not `1e3`,
/// `inf`, `1,200` or `12.5吨`).
fn is_decimal(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    digits(int) && frac.is_none_or(|f| digits(f) && !f.is_empty()) && !int.is_empty()
}

/// The largest usual value of a number field (per works kind or target metric where
/// that matters): above it the value is allowed but must be confirmed.
const USUAL: &[(Table, &str, Option<&str>, f64)] = &[
    (Table::Household, "members", None, 15.0),
    (Table::Cleanup, "tonnes", None, 200.0),
    (Table::Cleanup, "piles", None, 100.0),
    (Table::Demolition, "area_m2", None, 1_000.0),
    (Table::Works, "quantity", Some("road"), 30.0),
    (Table::Works, "quantity", Some("school"), 2_000.0),
    (Table::Works, "quantity", Some("greening"), 10_000.0),
    (Table::Works, "quantity", None, 20.0),
    (Table::Works, "people", None, 5_000.0),
];

/// Whether `value` of a number field is above what is usual for it: the error to show
/// (asking the person to check and confirm), or `None`. `kind` is the works kind or the
/// target metric where the usual size depends on it.
pub fn unusual(
    table: Table,
    name: &str,
    kind: Option<&str>,
    value: &Value,
) -> Option<ValidationError> {
    let x = value.as_f64()?;
    let most = USUAL
        .iter()
        .find(|(t, f, k, _)| *t == table && *f == name && (k.is_none() || *k == kind))
        .map(|&(.., most)| most)?;
    (x > most).then(|| ValidationError::Unusual {
        field: name.to_string(),
        value: labels::num(x),
        most: labels::num(most),
        unit_zh: labels::unit(table, name, kind, Lang::Zh).unwrap_or(""),
        unit_en: labels::unit(table, name, kind, Lang::En).unwrap_or(""),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    /// What each text typed into a number field becomes: a value, or the error code and
    /// the plain Chinese message the cadre reads beside the field.
    #[test]
    fn typed_text_reads_as_a_value_or_a_plain_message() {
        let ok = [
            (Table::Cleanup, "tonnes", "12.5", json!(12.5)),
            (Table::Cleanup, "tonnes", " 3 ", json!(3)),
            (Table::Cleanup, "tonnes", "１２．５", json!(12.5)),
            (Table::Cleanup, "piles", "", json!(null)),
            (Table::Cleanup, "piles", "7", json!(7)),
            (Table::Demolition, "area_m2", "", json!(null)),
            (Table::Works, "people", "0", json!(0)),
            (Table::Target, "quantity", "330", json!(330)),
        ];
        for (table, f, text, want) in ok {
            let got =
                read_number(table, f, text, today()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(got, want, "{f} {text:?}");
        }
        let bad = [
            (Table::Cleanup, "tonnes", "", "missing_field", "请填写吨数"),
            (
                Table::Cleanup,
                "tonnes",
                "12.5吨",
                "invalid_value",
                "吨数请只填数字，例如 12.5，不带单位（填的是 \"12.5吨\"）",
            ),
            (
                Table::Cleanup,
                "tonnes",
                "abc",
                "invalid_value",
                "吨数请只填数字，例如 12.5，不带单位（填的是 \"abc\"）",
            ),
            (
                Table::Cleanup,
                "tonnes",
                "1,200",
                "invalid_value",
                "吨数请只填数字，例如 12.5，不带单位（填的是 \"1,200\"）",
            ),
            (
                Table::Cleanup,
                "tonnes",
                "inf",
                "invalid_value",
                "吨数请只填数字，例如 12.5，不带单位（填的是 \"inf\"）",
            ),
            (
                Table::Cleanup,
                "tonnes",
                "1e3",
                "invalid_value",
                "吨数请只填数字，例如 12.5，不带单位（填的是 \"1e3\"）",
            ),
            (
                Table::Cleanup,
                "tonnes",
                "0",
                "invalid_value",
                "吨数应大于 0、不超过 2000（填的是 0）",
            ),
            (
                Table::Cleanup,
                "tonnes",
                "-2",
                "invalid_value",
                "吨数应大于 0、不超过 2000（填的是 -2）",
            ),
            (
                Table::Cleanup,
                "tonnes",
                "99999999999999999999999",
                "invalid_value",
                "吨数应大于 0、不超过 2000（填的是 99999999999999999999999）",
            ),
            (
                Table::Cleanup,
                "piles",
                "-2",
                "invalid_value",
                "堆数应为 1 到 10000 的整数（填的是 -2）",
            ),
            (
                Table::Cleanup,
                "piles",
                "2.5",
                "invalid_value",
                "堆数应为 1 到 10000 的整数（填的是 2.5）",
            ),
            (
                Table::Cleanup,
                "piles",
                "两",
                "invalid_value",
                "堆数请只填整数，例如 3（填的是 \"两\"）",
            ),
            (
                Table::Household,
                "members",
                "0",
                "invalid_value",
                "人口应为 1 到 50 的整数（填的是 0）",
            ),
        ];
        for (table, f, text, code, zh) in bad {
            let e = read_number(table, f, text, today()).expect_err(text);
            assert_eq!(
                (e.code(), e.field(), e.zh().as_str()),
                (code, Some(f), zh),
                "{text:?}"
            );
        }
        assert_eq!(
            read_number(Table::Cleanup, "kind", "3", today()).map_err(|e| e.code()),
            Err("invalid")
        );
    }

    #[test]
    fn unusual_values_ask_to_be_confirmed_with_their_unit() {
        let road = unusual(Table::Works, "quantity", Some("road"), &json!(1200)).unwrap();
        assert_eq!(road.code(), "unusual_value");
        assert_eq!(road.field(), Some("quantity"));
        assert_eq!(
            road.zh(),
            "数量 1200 公里比一般多（通常不超过 30 公里），请核对；确实无误请确认保存"
        );
        assert_eq!(
            crate::Explain::en(&road),
            "Quantity 1200 km is more than usual (usually at most 30 km): please check it, and confirm to save it if it is right"
        );
        let cases = [
            (Table::Works, "quantity", Some("road"), json!(12.5), false),
            (Table::Works, "quantity", Some("water"), json!(25), true),
            (Table::Works, "quantity", Some("water"), json!(3), false),
            (Table::Cleanup, "tonnes", None, json!(250), true),
            (Table::Cleanup, "tonnes", None, json!(150), false),
            (Table::Works, "quantity", Some("school"), json!(1500), false),
            (Table::Works, "quantity", Some("school"), json!(2500), true),
            (
                Table::Works,
                "quantity",
                Some("greening"),
                json!(5000),
                false,
            ),
            (Table::Cleanup, "piles", None, json!(null), false),
            (Table::Household, "members", None, json!(16), true),
            (Table::Demolition, "area_m2", None, json!(90), false),
            (
                Table::Target,
                "quantity",
                Some("road-km"),
                json!(330),
                false,
            ),
        ];
        for (table, f, kind, v, flagged) in cases {
            assert_eq!(
                unusual(table, f, kind, &v).is_some(),
                flagged,
                "{f} {kind:?} {v}"
            );
        }
    }
}
