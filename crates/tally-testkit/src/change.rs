//! Changes made by hand for tests: fields from a JSON object, no bases.

use serde_json::Value;
use tally_core::{Change, ChangeId, DeviceId, FieldEdit, Hlc, RowId, Table};

/// A fresh change of `row` setting `fields` (a JSON object of values, no bases), made
/// on `device` by `author` at `hlc`.
pub fn change(
    table: Table,
    row: RowId,
    unit: &str,
    fields: Value,
    (hlc, device, author): (Hlc, DeviceId, &str),
) -> Change {
    let fields = fields
        .as_object()
        .expect("fields as a JSON object")
        .iter()
        .map(|(k, v)| (k.clone(), FieldEdit::new(v.clone())))
        .collect();
    Change {
        id: ChangeId(uuid::Uuid::now_v7()),
        table,
        row,
        unit: unit.to_string(),
        fields,
        hlc,
        device,
        author: author.to_string(),
        correction: false,
    }
}
