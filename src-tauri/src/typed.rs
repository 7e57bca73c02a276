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
}
