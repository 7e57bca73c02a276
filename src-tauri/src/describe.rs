//! One-line Chinese descriptions of entries and conflict values, for the lists of the
//! home, sync and conflict screens.

use crate::dto::{ConflictView, EntryView};
use serde_json::Value;
use std::collections::HashMap;
use tally_core::schema::field_zh;
use tally_core::*;
use tally_store::{OutboxEntry, Store};

/// Names the UI shows for units and households, read once per list.
pub struct Names<'a> {
    store: &'a Store,
    units: HashMap<String, String>,
}

impl<'a> Names<'a> {
    pub fn new(store: &'a Store) -> Names<'a> {
        let units = store
            .units()
            .unwrap_or_default()
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect();
        Names { store, units }
    }

    pub fn unit(&self, code: &str) -> String {
        self.units
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    pub fn household(&self, id: RowId) -> String {
        self.store
            .row(Table::Household, id)
            .ok()
            .flatten()
            .and_then(|r| r.str("head").map(str::to_string))
            .unwrap_or_else(|| "（未知农户）".into())
    }
}

/// A stored value as a person reads it: codes by their Chinese label.
pub fn display_value(field: &str, value: &Value) -> String {
    let zh = |s: &str| -> Option<String> {
        let label = match field {
            "rating" => s.parse::<Rating>().ok().map(Rating::zh),
            "renovation" => s.parse::<RenovationStatus>().ok().map(RenovationStatus::zh),
            "status" => s.parse::<WorksStatus>().ok().map(WorksStatus::zh),
            "level" => s.parse::<Level>().ok().map(Level::zh),
            "metric" => s.parse::<Metric>().ok().map(Metric::zh),
            "kind" => s
                .parse::<PileKind>()
                .ok()
                .map(PileKind::zh)
                .or_else(|| s.parse::<WorksKind>().ok().map(WorksKind::zh)),
            _ => None,
        };
        label.map(str::to_string)
    };
    match value {
        Value::Null => "（空）".into(),
        Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => zh(s).unwrap_or_else(|| s.clone()),
        Value::Array(items) => items
            .iter()
            .map(|v| match v.as_str() {
                Some(s) if field == "categories" => s
                    .parse::<Category>()
                    .map_or_else(|_| s.to_string(), |c| c.zh().to_string()),
                _ => display_value(field, v),
            })
            .collect::<Vec<_>>()
            .join("、"),
        Value::Object(_) => value.to_string(),
    }
}

fn field<'c>(change: &'c Change, name: &str) -> Option<&'c Value> {
    change.fields.get(name).map(|f| &f.value)
}

fn text(change: &Change, name: &str) -> String {
    field(change, name)
        .map(|v| display_value(name, v))
        .unwrap_or_default()
}

/// The household an entry is about.
pub fn household_of(change: &Change) -> Option<RowId> {
    match change.table {
        Table::Household => Some(change.row),
        Table::Visit | Table::Demolition => field(change, "household")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok()),
        _ => None,
    }
}

/// One line describing a change.
pub fn summary(change: &Change, names: &Names) -> String {
    // A household is new when its head is set for the first time.
    let is_new = change.fields.get("head").is_some_and(|f| f.base.is_none());
    let date = field(change, "date")
        .and_then(Value::as_str)
        .map(|d| format!("（{d}）"))
        .unwrap_or_default();
    let who = || household_of(change).map(|h| names.household(h));
    match change.table {
        Table::Visit => {
            let note = text(change, "note");
            let name = who().unwrap_or_default();
            if note.is_empty() {
                format!("走访 {name}{date}")
            } else {
                format!("走访 {name}{date}：{note}")
            }
        }
        Table::Cleanup => format!(
            "清理 {} {} 吨，{} 堆{date}",
            text(change, "kind"),
            text(change, "tonnes"),
            field(change, "piles").map_or("1".into(), |v| display_value("piles", v)),
        ),
        Table::Demolition => {
            let area = field(change, "area_m2")
                .filter(|v| !v.is_null())
                .map(|v| format!(" {} 平方米", display_value("area_m2", v)))
                .unwrap_or_default();
            format!("拆除 {}{area}{date}", who().unwrap_or_default())
        }
        Table::Works => format!(
            "工程 {} {} {}",
            text(change, "kind"),
            text(change, "quantity"),
            text(change, "status")
        )
        .trim_end()
        .to_string(),
        Table::Target => format!(
            "指标 {} {}，截止 {}",
            text(change, "metric"),
            text(change, "quantity"),
            text(change, "deadline")
        ),
        Table::OrgUnit => format!("组织单位 {}", text(change, "name")),
        Table::Household => {
            let name = who().unwrap_or_default();
            if is_new {
                format!("新增农户 {name}")
            } else {
                let parts: Vec<String> = change
                    .fields
                    .iter()
                    .map(|(f, e)| format!("{}→{}", field_zh(f), display_value(f, &e.value)))
                    .collect();
                format!("农户 {name}：{}", parts.join("，"))
            }
        }
    }
}

pub fn entry_view(entry: OutboxEntry, names: &Names) -> EntryView {
    let change = &entry.change;
    EntryView {
        change_id: change.id,
        table: change.table,
        row: change.row,
        unit_name: names.unit(&change.unit),
        unit: change.unit.clone(),
        household: household_of(change),
        summary: summary(change, names),
        state: entry.state,
        receipt: entry.receipt,
        reject_code: entry.reject_code,
        reject_reason: entry.reject_reason,
        reject_reason_zh: entry.reject_reason_zh,
        recorded_at: entry.recorded_at,
    }
}

fn hlc_time(v: &Version) -> String {
    chrono::DateTime::from_timestamp_millis(i64::try_from(v.hlc.ms).unwrap_or(0))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

pub fn conflict_view(conflict: Conflict, names: &Names) -> ConflictView {
    let record = match conflict.table {
        Table::Household => format!("农户 {}", names.household(conflict.row)),
        t => format!("{} {}", t.zh(), &conflict.row.to_string()[..8]),
    };
    ConflictView {
        record,
        unit_name: names.unit(&conflict.unit),
        field_zh: field_zh(&conflict.field).to_string(),
        winner_display: display_value(&conflict.field, &conflict.winner_value),
        loser_display: display_value(&conflict.field, &conflict.loser.value),
        winner_time: hlc_time(&conflict.winner_at),
        loser_time: hlc_time(&conflict.loser.at),
        conflict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_read_as_their_chinese_labels() {
        let cases = [
            ("renovation", json!("started"), "已开工"),
            ("rating", json!("D"), "D级"),
            ("kind", json!("manure"), "粪堆"),
            ("kind", json!("road"), "街巷硬化"),
            (
                "categories",
                json!(["five-guarantee", "subsistence"]),
                "五保户、低保户",
            ),
            ("seepage", json!(true), "是"),
            ("tonnes", json!(3.5), "3.5"),
            ("cadre", json!(null), "（空）"),
            ("head", json!("张三"), "张三"),
        ];
        for (field, value, want) in cases {
            assert_eq!(display_value(field, &value), want, "{field} {value}");
        }
    }
}
