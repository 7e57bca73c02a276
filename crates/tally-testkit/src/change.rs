//! Changes made by hand for tests: fields from a JSON object, no bases (or, for an
//! edit, the version of the change its editor saw), made by a test's device that says
//! who it is and when.

use serde_json::Value;
use tally_core::{Change, ChangeId, DeviceId, FieldEdit, Hlc, RowId, Table};

/// A test's device (the API tests' and the storage tests') that makes changes by hand.
pub trait MakesChanges {
    /// The HLC, device and author of its next change.
    fn next(&mut self) -> (Hlc, DeviceId, &str);

    /// A fresh change of `row` setting `fields` (a JSON object of values, no bases).
    fn change(&mut self, table: Table, row: RowId, unit: &str, fields: Value) -> Change {
        change(table, row, unit, fields, self.next())
    }

    /// An edit of `seen` (same table, row and unit) setting `fields`, every field's base
    /// the version of `seen`: what an editor who had `seen` sends.
    fn edit(&mut self, seen: &Change, fields: Value) -> Change {
        let mut edit = change(seen.table, seen.row, &seen.unit, fields, self.next());
        for field in edit.fields.values_mut() {
            field.base = Some(seen.version());
        }
        edit
    }
}

fn change(
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
