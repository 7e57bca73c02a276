//! Codes and labels: which codes a code field takes, and the Chinese labels of field
//! names for the messages a cadre reads.

use crate::model::*;

/// The Chinese label of a field name.
pub fn field_zh(name: &str) -> &'static str {
    match name {
        "code" => "编码",
        "name" => "名称",
        "level" => "级别",
        "parent" => "上级",
        "head" => "户主",
        "members" => "人口",
        "phone" => "电话",
        "categories" => "户类别",
        "seepage" => "黄河渗漏区",
        "rating" => "危房等级",
        "renovation" => "改造状态",
        "planned_on" => "计划日期",
        "started_on" => "开工日期",
        "completed_on" => "竣工日期",
        "accepted_on" => "验收日期",
        "cadre" => "包户干部",
        "household" => "农户",
        "date" => "日期",
        "note" => "备注",
        "area_m2" => "面积(平方米)",
        "kind" => "类别",
        "tonnes" => "吨数",
        "piles" => "堆数",
        "quantity" => "数量",
        "people" => "受益人数",
        "status" => "状态",
        "metric" => "指标项",
        "deadline" => "截止日期",
        "deleted" => "已删除",
        _ => "字段",
    }
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
        _ => Err(format!("no codes for {field}")),
    };
    let allowed = || match (table, field) {
        (Table::OrgUnit, _) => Level::codes(),
        (Table::Household, "rating") => Rating::codes(),
        (Table::Household, _) => RenovationStatus::codes(),
        (Table::Cleanup, _) => PileKind::codes(),
        (Table::Works, "kind") => WorksKind::codes(),
        (Table::Works, _) => WorksStatus::codes(),
        _ => Metric::codes(),
    };
    match r {
        Ok(code) if code == s => Ok(()),
        _ => Err(allowed()),
    }
}
