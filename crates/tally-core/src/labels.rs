//! What users read, by language: the labels of field names and of stored values. The
//! labels of codes are declared with the codes (`model.rs`); the UI's are generated
//! from both, so a label is written once.

use crate::model::*;
use serde_json::Value;

/// A language users read Tally in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub const ALL: &'static [Lang] = &[Lang::Zh, Lang::En];

    /// The locale tag the UI uses.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// Every field name of the synced tables with its Chinese and English label, and the
/// few names pages show beside them (a row's id and unit, a household's last visit, its
/// timeline and its history).
pub const FIELDS: &[(&str, &str, &str)] = &[
    ("id", "编号", "Id"),
    ("unit", "所在村", "Village"),
    ("last_visit", "最近走访", "Last visit"),
    ("timeline", "走访与进展", "Timeline"),
    ("history", "修改记录", "History"),
    ("code", "编码", "Code"),
    ("name", "名称", "Name"),
    ("level", "级别", "Level"),
    ("parent", "上级", "Parent"),
    ("head", "户主姓名", "Head of household"),
    ("members", "人口", "Members"),
    ("phone", "电话", "Phone"),
    ("id_number", "身份证号", "ID number"),
    ("merged_into", "合并到", "Merged into"),
    ("categories", "户类别", "Categories"),
    ("seepage", "沿黄渗漏区", "Seepage zone"),
    ("key_village", "重点村", "Key village"),
    ("rating", "危房等级", "House rating"),
    ("renovation", "改造状态", "Renovation"),
    ("planned_on", "计划日期", "Planned on"),
    ("started_on", "开工日期", "Started on"),
    ("completed_on", "竣工日期", "Completed on"),
    ("accepted_on", "验收日期", "Accepted on"),
    ("cadre", "包户干部", "Cadre"),
    ("pension", "养老保险人数", "Pension-insured members"),
    ("medical", "医疗保险人数", "Medical-insured members"),
    ("household", "农户", "Household"),
    ("date", "日期", "Date"),
    ("note", "备注", "Note"),
    ("location", "地点", "Location"),
    ("area_m2", "面积", "Area"),
    ("kind", "类别", "Kind"),
    ("tonnes", "吨数", "Tonnes"),
    ("piles", "堆数", "Piles"),
    ("quantity", "数量", "Quantity"),
    ("people", "受益人数", "People served"),
    ("status", "状态", "Status"),
    ("metric", "指标项", "Metric"),
    ("deadline", "截止日期", "Deadline"),
    ("from", "起始日期", "From"),
    ("milestones", "节点", "Milestones"),
    ("pile", "堆类", "Pile kind"),
    ("accepted", "已验收", "Accepted"),
    ("lat", "纬度", "Latitude"),
    ("lon", "经度", "Longitude"),
    ("progress", "完成进度", "Progress"),
    ("done", "已完成", "Done"),
    ("withdrawn", "撤销原因", "Withdrawn because"),
    ("deleted", "已撤销", "Withdrawn"),
    ("deleted_reason", "撤销原因", "Withdrawn because"),
    ("group", "分类", "Group"),
    ("households", "户数", "Households"),
    ("renovated", "已改造", "Renovated"),
    ("backlog", "待改造", "Still to renovate"),
    ("only", "只看", "Only"),
];

/// The reason a withdrawal by `undo` records.
pub const UNDO_REASON: &str = "撤销上一条录入";

/// The label of a field name (`字段` / `field` for a name no table has).
pub fn field(name: &str, lang: Lang) -> &'static str {
    // Every progress entry of a works item (`progress:<id>`) is "progress".
    let name = if crate::schema::progress_entry(name).is_some() {
        "progress"
    } else {
        name
    };
    let found = FIELDS.iter().find(|(n, ..)| *n == name);
    match (found, lang) {
        (Some((_, zh, _)), Lang::Zh) => zh,
        (Some((_, _, en)), Lang::En) => en,
        (None, Lang::Zh) => "字段",
        (None, Lang::En) => "field",
    }
}

/// The unit of each number field that does not depend on a kind: `(table, field, unit)`.
const FIELD_UNITS: &[(Table, &str, Measure)] = &[
    (Table::Household, "members", Measure::People),
    (Table::Household, "pension", Measure::People),
    (Table::Household, "medical", Measure::People),
    (Table::Cleanup, "tonnes", Measure::Tonnes),
    (Table::Demolition, "area_m2", Measure::SquareMetres),
    (Table::Works, "people", Measure::People),
    (Table::Works, "lat", Measure::Degrees),
    (Table::Works, "lon", Measure::Degrees),
];

/// The unit each number field is counted in, per works kind or target metric where it
/// depends on them (from their declarations, `crate::metrics`): `(table, field, kind,
/// 中文, English)`. Piles are counted in 堆.
pub fn units() -> Vec<(
    Table,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
)> {
    let mut out: Vec<_> = FIELD_UNITS
        .iter()
        .map(|&(t, f, m)| (t, f, None, m.zh(), m.en()))
        .collect();
    out.push((Table::Cleanup, "piles", None, "堆", "piles"));
    out.extend(WorksKind::ALL.iter().map(|k| {
        let m = k.def().measure;
        (Table::Works, "quantity", Some(k.code()), m.zh(), m.en())
    }));
    // A works item whose kind is not known yet (a form before the kind is chosen).
    out.push((Table::Works, "quantity", None, "处", "sites"));
    out.extend(Metric::ALL.iter().map(|k| {
        let m = k.measure();
        (Table::Target, "quantity", Some(k.code()), m.zh(), m.en())
    }));
    out
}

/// The unit a number field is counted in (`kind`: the works kind or target metric).
pub fn unit(table: Table, field: &str, kind: Option<&str>, lang: Lang) -> Option<&'static str> {
    units()
        .into_iter()
        .find(|(t, f, k, ..)| *t == table && *f == field && (k.is_none() || *k == kind))
        .map(|(.., zh, en)| if lang == Lang::Zh { zh } else { en })
}

/// A field's label in both languages, Chinese first: `户主姓名 Head of household`.
pub fn field_both(name: &str) -> String {
    format!("{} {}", field(name, Lang::Zh), field(name, Lang::En))
}

/// A number without needless decimals: 3, 2.5, 0.333.
pub fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The label of a code stored in a field of a table, if the field holds codes.
pub fn code(table: Table, field: &str, code: &str, lang: Lang) -> Option<&'static str> {
    fn l<T: std::str::FromStr>(s: &str, f: impl Fn(T) -> &'static str) -> Option<&'static str> {
        s.parse::<T>().ok().map(f)
    }
    match (table, field) {
        (Table::Household, "rating") => l(code, |c: Rating| c.label(lang)),
        (Table::Household, "renovation") => l(code, |c: RenovationStatus| c.label(lang)),
        (Table::Household, "categories") => l(code, |c: Category| c.label(lang)),
        (Table::OrgUnit, "level") => l(code, |c: Level| c.label(lang)),
        (Table::Cleanup, "kind") => l(code, |c: PileKind| c.label(lang)),
        (Table::Works, "kind") => l(code, |c: WorksKind| c.label(lang)),
        (Table::Works, "status") => l(code, |c: WorksStatus| c.label(lang)),
        (Table::Target, "metric") => l(code, |c: Metric| c.label(lang)),
        (Table::Target, "pile") => l(code, |c: PileKind| c.label(lang)),
        _ => None,
    }
}

/// A stored field value as a person reads it: codes by their label, lists joined,
/// booleans as yes/no, null as empty.
pub fn value(table: Table, field: &str, v: &Value, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match v {
        Value::Null => if zh { "（空）" } else { "(empty)" }.into(),
        Value::Bool(b) => match (b, zh) {
            (true, true) => "是",
            (false, true) => "否",
            (true, false) => "yes",
            (false, false) => "no",
        }
        .into(),
        Value::Array(items) if items.is_empty() => if zh { "（无）" } else { "(none)" }.into(),
        Value::Array(items) => items
            .iter()
            .map(|i| value(table, field, i, lang))
            .collect::<Vec<_>>()
            .join(if zh { "、" } else { ", " }),
        Value::String(s) => code(table, field, s, lang).map_or_else(|| s.clone(), str::to_string),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), num),
        Value::Object(_) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_read_as_their_labels_in_both_languages() {
        let cases = [
            (
                Table::Household,
                "renovation",
                json!("started"),
                "已开工",
                "Started",
            ),
            (Table::Household, "rating", json!("D"), "D级", "D"),
            (Table::Cleanup, "kind", json!("manure"), "粪堆", "Manure"),
            (
                Table::Works,
                "kind",
                json!("road"),
                "街巷硬化",
                "Street hardening",
            ),
            (
                Table::Household,
                "categories",
                json!(["five-guarantee", "subsistence"]),
                "五保户、低保户",
                "Five-guarantee, Subsistence allowance",
            ),
            (
                Table::Household,
                "categories",
                json!([]),
                "（无）",
                "(none)",
            ),
            (Table::Household, "seepage", json!(true), "是", "yes"),
            (Table::Cleanup, "tonnes", json!(3.5), "3.5", "3.5"),
            (Table::Cleanup, "tonnes", json!(3.0), "3", "3"),
            (Table::Household, "cadre", json!(null), "（空）", "(empty)"),
            (Table::Household, "head", json!("张三"), "张三", "张三"),
        ];
        for (table, f, v, zh, en) in cases {
            assert_eq!(value(table, f, &v, Lang::Zh), zh, "{f} {v}");
            assert_eq!(value(table, f, &v, Lang::En), en, "{f} {v}");
        }
    }

    #[test]
    fn every_field_of_every_table_has_both_labels() {
        for t in Table::ALL {
            for f in crate::schema::fields(*t) {
                assert_ne!(field(f.name, Lang::Zh), "字段", "{}", f.name);
                assert_ne!(field(f.name, Lang::En), "field", "{}", f.name);
            }
        }
        assert_eq!(num(1.0 / 3.0), "0.333");
    }

    #[test]
    fn every_number_field_and_every_target_metric_has_a_unit() {
        use crate::schema::Kind;
        for t in Table::ALL {
            for f in crate::schema::fields(*t) {
                let number = matches!(
                    f.kind,
                    Kind::Int { .. } | Kind::OptInt { .. } | Kind::Num { .. } | Kind::OptNum { .. }
                );
                if number && *t != Table::Target {
                    assert!(unit(*t, f.name, None, Lang::Zh).is_some(), "{}", f.name);
                    assert!(unit(*t, f.name, None, Lang::En).is_some(), "{}", f.name);
                }
            }
        }
        for m in Metric::ALL {
            assert!(
                unit(Table::Target, "quantity", Some(m.code()), Lang::Zh).is_some(),
                "{m:?}"
            );
        }
        assert_eq!(
            unit(Table::Works, "quantity", Some("road"), Lang::Zh),
            Some("公里")
        );
        assert_eq!(
            unit(Table::Works, "quantity", Some("clinic"), Lang::En),
            Some("sites")
        );
        for (kind, zh) in [
            ("school", "平方米"),
            ("power", "个自然村"),
            ("greening", "株"),
        ] {
            assert_eq!(
                unit(Table::Works, "quantity", Some(kind), Lang::Zh),
                Some(zh)
            );
        }
        assert_eq!(
            unit(Table::Target, "quantity", Some("medical"), Lang::Zh),
            Some("人")
        );
    }
}
