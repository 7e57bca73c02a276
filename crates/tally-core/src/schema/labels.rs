//! Codes and labels: which codes a code field takes, and the Chinese labels of field
//! names for the messages a cadre reads.

use crate::model::*;

/// The Chinese label of a field name.
pub fn field_zh(name: &str) -> &'static str {
    crate::labels::field(name, crate::labels::Lang::Zh)
}

/// Parse-check a code field: which enum it belongs to.
pub(super) fn check_code(table: Table, field: &str, s: &str) -> Result<(), String> {
    // Only the canonical code is stored (`C`, not `c` or `C级`), so equal values
    // compare equal in merges and conflicts.
    let r: Result<&str, String> = match (table, field) {
        (Table::OrgUnit, "level") => s.parse::<Level>().map(|v| v.code()),
        (Table::Household, "rating") => s.parse::<Rating>().map(|v| v.code()),
        (Table::Household, "renovation") => s.parse::<RenovationStatus>().map(|v| v.code()),
        (Table::Cleanup, "kind") => s.parse::<PileKind>().map(|v| v.code()),
        (Table::Works, "kind") => s.parse::<WorksKind>().map(|v| v.code()),
        (Table::Works, "status") => s.parse::<WorksStatus>().map(|v| v.code()),
        (Table::Target, "metric") => s.parse::<Metric>().map(|v| v.code()),
        (Table::Target, "pile") => s.parse::<PileKind>().map(|v| v.code()),
        _ => Err(format!("no codes for {field}")),
    };
    let allowed = || match (table, field) {
        (Table::OrgUnit, _) => Level::codes(),
        (Table::Household, "rating") => Rating::codes(),
        (Table::Household, _) => RenovationStatus::codes(),
        (Table::Cleanup, _) | (Table::Target, "pile") => PileKind::codes(),
        (Table::Works, "kind") => WorksKind::codes(),
        (Table::Works, _) => WorksStatus::codes(),
        _ => Metric::codes(),
    };
    match r {
        Ok(code) if code == s => Ok(()),
        _ => Err(allowed()),
    }
}
