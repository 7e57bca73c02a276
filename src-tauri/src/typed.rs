//! The number fields of a form arrive as the text the person typed, so nothing typed is
//! silently changed on the way: core reads it by the field's type and range
//! (`schema::read_number`) and says what is wrong beside the field; a value above what is
//! usual for the field (`schema::unusual`) is saved only once the person confirmed it.

use crate::error::{IpcError, IpcResult};
use chrono::NaiveDate;
use tally_core::{schema, Table, ValidationError};
use tally_store::StoreError;

/// Reads the number fields of one form for `table`.
pub struct Typed<'a> {
    pub table: Table,
    /// The works kind or target metric, where a field's unit and usual size depend on it.
    pub kind: Option<&'a str>,
    /// The person confirmed the unusual values of this form.
    pub confirmed: bool,
    /// The device's local day (the last day an event may be dated).
    pub today: NaiveDate,
}

fn invalid(e: ValidationError) -> IpcError {
    StoreError::Invalid(e).into()
}

impl Typed<'_> {
    fn read(&self, field: &str, text: &str) -> IpcResult<serde_json::Value> {
        let value = schema::read_number(self.table, field, text, self.today).map_err(invalid)?;
        if !self.confirmed {
            if let Some(e) = schema::unusual(self.table, field, self.kind, &value) {
                return Err(invalid(e));
            }
        }
        Ok(value)
    }

    /// A number; `None` when left blank and the field may be.
    pub fn number(&self, field: &str, text: &str) -> IpcResult<Option<f64>> {
        Ok(self.read(field, text)?.as_f64())
    }

    /// A whole number; `None` when left blank and the field may be.
    pub fn count(&self, field: &str, text: &str) -> IpcResult<Option<u32>> {
        Ok(self
            .read(field, text)?
            .as_u64()
            .and_then(|n| u32::try_from(n).ok()))
    }

    /// A date as typed (`YYYY-MM-DD`); blank: none.
    pub fn date(&self, field: &str, text: &str) -> IpcResult<Option<NaiveDate>> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse().map(Some).map_err(|_| {
            invalid(ValidationError::Value {
                field: field.to_string(),
                value: format!("{t:?}"),
                why: tally_core::Invalid::Type {
                    expected: "a date (YYYY-MM-DD)",
                },
            })
        })
    }

    /// The stored value of any field of the form's table from what was typed: numbers by
    /// their type and range, dates read, text and codes as given (blank: none); the store
    /// validates the rest.
    pub fn value(&self, spec: &schema::Field, text: &str) -> IpcResult<serde_json::Value> {
        use schema::Kind;
        let blank = text.trim().is_empty();
        Ok(match spec.kind {
            Kind::Int { .. } | Kind::OptInt { .. } | Kind::Num { .. } | Kind::OptNum { .. } => {
                self.read(spec.name, text)?
            }
            Kind::Date | Kind::OptDate => match self.date(spec.name, text)? {
                Some(d) => serde_json::json!(d),
                None if spec.required => {
                    return Err(invalid(ValidationError::Missing {
                        field: spec.name.to_string(),
                    }))
                }
                None => serde_json::Value::Null,
            },
            _ if blank && !spec.required => serde_json::Value::Null,
            _ => serde_json::json!(text.trim()),
        })
    }

    /// A number the field requires (blank is refused by `read_number`).
    pub fn required(&self, field: &str, text: &str) -> IpcResult<f64> {
        self.number(field, text)?.ok_or_else(|| {
            invalid(ValidationError::Missing {
                field: field.to_string(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(table: Table, kind: Option<&'static str>, confirmed: bool) -> Typed<'static> {
        Typed {
            table,
            kind,
            confirmed,
            today: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        }
    }

    #[test]
    fn typed_numbers_become_values_or_errors_beside_their_field() {
        let cleanup = typed(Table::Cleanup, None, false);
        assert_eq!(cleanup.required("tonnes", "12.5").unwrap(), 12.5);
        assert_eq!(cleanup.count("piles", "").unwrap(), None);
        assert_eq!(cleanup.count("piles", "３").unwrap(), Some(3));
        for (field, text, code) in [
            ("tonnes", "", "missing_field"),
            ("tonnes", "12.5吨", "invalid_value"),
            ("tonnes", "-2", "invalid_value"),
            ("tonnes", "350", "unusual_value"),
            ("tonnes", "2500", "invalid_value"),
            ("piles", "-2", "invalid_value"),
            ("piles", "x", "invalid_value"),
        ] {
            let e = if field == "piles" {
                cleanup.count(field, text).map(drop).unwrap_err()
            } else {
                cleanup.required(field, text).map(drop).unwrap_err()
            };
            assert_eq!(
                (e.code.as_str(), e.field.as_deref()),
                (code, Some(field)),
                "{text:?}"
            );
            assert!(
                !e.message_zh.is_empty() && !e.message_zh.is_ascii(),
                "{}",
                e.message_zh
            );
        }
        let confirmed = typed(Table::Cleanup, None, true);
        assert_eq!(confirmed.required("tonnes", "350").unwrap(), 350.0);
        let road = typed(Table::Works, Some("road"), false);
        let e = road.required("quantity", "1200").unwrap_err();
        assert!(e.message_zh.contains("1200 公里"), "{}", e.message_zh);
        assert_eq!(
            typed(Table::Works, Some("road"), true)
                .required("quantity", "1200")
                .unwrap(),
            1200.0
        );
    }

    /// A correction's fields as typed: numbers by their range, dates read, text and codes
    /// as given, blank clearing what may be cleared; each bad one named beside its field.
    #[test]
    fn a_correction_reads_every_kind_of_field() {
        use serde_json::json;
        let spec = |table, name| *schema::field(table, name).unwrap();
        let visit = typed(Table::Visit, None, false);
        assert_eq!(
            visit
                .value(&spec(Table::Visit, "date"), " 2026-11-20 ")
                .unwrap(),
            json!("2026-11-20")
        );
        assert_eq!(
            visit
                .value(&spec(Table::Visit, "note"), "  墙体裂缝 ")
                .unwrap(),
            json!("墙体裂缝")
        );
        assert_eq!(
            visit.value(&spec(Table::Visit, "note"), "  ").unwrap(),
            serde_json::Value::Null
        );
        let cleanup = typed(Table::Cleanup, None, false);
        assert_eq!(
            cleanup
                .value(&spec(Table::Cleanup, "tonnes"), "12.5")
                .unwrap(),
            json!(12.5)
        );
        assert_eq!(
            cleanup.value(&spec(Table::Cleanup, "kind"), "hay").unwrap(),
            json!("hay")
        );
        let demolition = typed(Table::Demolition, None, false);
        assert_eq!(
            demolition
                .value(&spec(Table::Demolition, "area_m2"), "")
                .unwrap(),
            serde_json::Value::Null
        );
        for (table, field, text, code) in [
            (Table::Visit, "date", "", "missing_field"),
            (Table::Visit, "date", "11月20日", "invalid_value"),
            (Table::Cleanup, "tonnes", "三吨", "invalid_value"),
            (Table::Cleanup, "tonnes", "350", "unusual_value"),
            (Table::Cleanup, "piles", "0", "invalid_value"),
        ] {
            let e = typed(table, None, false)
                .value(&spec(table, field), text)
                .unwrap_err();
            assert_eq!(
                (e.code.as_str(), e.field.as_deref()),
                (code, Some(field)),
                "{field} {text:?}"
            );
        }
    }
}
