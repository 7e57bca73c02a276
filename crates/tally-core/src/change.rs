//! The change (one edit of one row, the unit of sync and of the audit trail) and the
//! merged row state it is applied to.

use crate::hlc::Hlc;
use crate::ids::{ChangeId, DeviceId, RowId};
use crate::model::Table;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The identity of one field edit: when (HLC) and where (device). Unique, because a
/// device never issues the same HLC twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Version {
    pub hlc: Hlc,
    pub device: DeviceId,
}

/// The new value of one field, with what the editor had seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldEdit {
    pub value: Value,
    /// The version the field had on the editing device; `None` for a new field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Version>,
    /// Losing versions the editor reviewed and settled (a conflict resolution).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub saw: Vec<Version>,
    /// Correction generation of a forward-only field: a leader's correction is one
    /// more than the generation it corrects, and wins over everything before it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub epoch: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl FieldEdit {
    pub fn new(value: Value) -> Self {
        Self {
            value,
            base: None,
            saw: Vec::new(),
            epoch: 0,
        }
    }
}

/// One edit of one row: written with the row in one transaction, pushed, merged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub id: ChangeId,
    pub table: Table,
    pub row: RowId,
    /// The owning org unit (the village): the scope of authorization and replication.
    pub unit: String,
    pub fields: BTreeMap<String, FieldEdit>,
    pub hlc: Hlc,
    pub device: DeviceId,
    pub author: String,
    /// A leader's explicit correction: a forward-only status may move backwards.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub correction: bool,
}

impl Change {
    /// The fields a person changed: all but the `deleted: false` every edit of a record
    /// carries to say the record stays (so a withdrawal it never saw is a conflict).
    pub fn edited_fields(&self) -> impl Iterator<Item = (&String, &FieldEdit)> {
        self.fields
            .iter()
            .filter(|(f, e)| !(f.as_str() == "deleted" && e.value == Value::Bool(false)))
    }

    pub fn version(&self) -> Version {
        Version {
            hlc: self.hlc,
            device: self.device,
        }
    }
}

/// A value that lost a field merge and that nobody has reviewed yet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Loser {
    pub value: Value,
    pub at: Version,
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(feature = "ts", ts(as = "Option<u32>", optional))]
    pub epoch: u32,
    pub author: String,
    pub change: ChangeId,
}

/// The merged state of one field: the winning value and what is known about the rest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldState {
    pub value: Value,
    pub at: Version,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub epoch: u32,
    pub author: String,
    pub change: ChangeId,
    /// Versions some editor had seen (bases and settled conflicts): never conflicts.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub seen: BTreeSet<Version>,
    /// Concurrent values that lost and were not seen by anyone, ordered by version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub losers: Vec<Loser>,
}

/// The merged state of one synced row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub table: Table,
    pub id: RowId,
    pub unit: String,
    pub fields: BTreeMap<String, FieldState>,
}

impl Row {
    pub fn value(&self, field: &str) -> Option<&Value> {
        self.fields
            .get(field)
            .map(|f| &f.value)
            .filter(|v| !v.is_null())
    }

    pub fn str(&self, field: &str) -> Option<&str> {
        self.value(field).and_then(Value::as_str)
    }

    pub fn f64(&self, field: &str) -> Option<f64> {
        self.value(field).and_then(Value::as_f64)
    }

    pub fn u32(&self, field: &str) -> Option<u32> {
        self.value(field)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    }

    pub fn bool(&self, field: &str) -> bool {
        self.value(field).and_then(Value::as_bool).unwrap_or(false)
    }

    pub fn date(&self, field: &str) -> Option<NaiveDate> {
        self.str(field).and_then(|s| s.parse().ok())
    }

    pub fn parsed<T: std::str::FromStr>(&self, field: &str) -> Option<T> {
        self.str(field).and_then(|s| s.parse().ok())
    }

    pub fn row_id(&self, field: &str) -> Option<RowId> {
        self.parsed(field)
    }

    pub fn deleted(&self) -> bool {
        self.bool("deleted")
    }

    /// The latest version of any field: when the row last changed.
    pub fn updated(&self) -> Option<Version> {
        self.fields.values().map(|f| f.at).max()
    }
}
