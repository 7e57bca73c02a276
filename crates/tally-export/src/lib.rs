//! Reports as a township office sends them upward: the progress ledger of a unit and of
//! the units directly below it, then one table per record kind, with Chinese headers.
//! `report` reads the store into plain tables; `write_xlsx` and `write_csv` lay them out.

mod write;

pub use write::{write_csv, write_xlsx};

use chrono::NaiveDate;
use std::collections::{BTreeSet, HashMap};
use tally_core::*;
use tally_store::{HouseholdFilter, Store, StoreError};
use thiserror::Error;

/// Why an export failed.
#[derive(Debug, Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
}

impl tally_core::Explain for ExportError {
    fn code(&self) -> &'static str {
        match self {
            ExportError::Store(e) => e.code(),
            ExportError::Write { .. } => "export_write",
        }
    }

    fn zh(&self) -> String {
        match self {
            ExportError::Store(e) => e.zh(),
            ExportError::Write { path, .. } => format!("导出文件写入失败：{path}"),
        }
    }
}

/// One cell of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<f64> for Cell {
    fn from(n: f64) -> Cell {
        Cell::Number(n)
    }
}

impl From<u32> for Cell {
    fn from(n: u32) -> Cell {
        Cell::Number(f64::from(n))
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map_or(Cell::Empty, Into::into)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Cell {
        Cell::Date(d)
    }
}

/// One sheet (XLSX) or one file (CSV).
#[derive(Clone, Debug, PartialEq)]
pub struct Sheet {
    /// The sheet name, also the CSV file name: `台账`, `农户`, …
    pub name: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// A whole report of one unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The title line, e.g. `锡尼镇 十个全覆盖 对账销号台账（截至 2026-11-27）`.
    pub title: String,
    pub unit: String,
    pub as_of: NaiveDate,
    pub sheets: Vec<Sheet>,
}

fn joined<T: Copy>(items: &[T], zh: fn(T) -> &'static str) -> String {
    items.iter().map(|c| zh(*c)).collect::<Vec<_>>().join("、")
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Read the ledger and the records of `unit` and everything below it.
pub fn report(store: &Store, unit: &str, as_of: Option<NaiveDate>) -> Result<Report, ExportError> {
    let as_of = as_of.unwrap_or_else(|| store.today());
    let units = store.units()?;
    let root = store.unit(unit)?;
    let names: HashMap<&str, &str> = units
        .iter()
        .map(|u| (u.code.as_str(), u.name.as_str()))
        .collect();
    let name = |code: &str| names.get(code).copied().unwrap_or(code).to_string();
    let scope: BTreeSet<String> = store.subtree(unit)?.into_iter().collect();
    let records = store.records()?;
    let households = store.households(&HouseholdFilter {
        unit: Some(unit.to_string()),
        ..HouseholdFilter::default()
    })?;
    let heads: HashMap<RowId, &str> = households
        .iter()
        .map(|h| (h.household.id, h.household.head.as_str()))
        .collect();
    let head = |id: Option<RowId>| -> Cell {
        id.and_then(|id| heads.get(&id).map(|h| Cell::from(*h)))
            .unwrap_or(Cell::Empty)
    };

    let mut ledger_rows = Vec::new();
    let mut group_rows = Vec::new();
    let mut ledger_units = vec![root.clone()];
    ledger_units.extend(
        units
            .iter()
            .filter(|u| u.parent.as_deref() == Some(unit))
            .cloned(),
    );
    for u in &ledger_units {
        let ledger = store.ledger(&u.code, Some(as_of))?;
        for g in &ledger.groups {
            group_rows.push(vec![
                Cell::from(u.name.as_str()),
                Cell::from(g.group.zh()),
                Cell::from(g.households as f64),
                Cell::from(g.renovated as f64),
                Cell::from(g.backlog as f64),
            ]);
        }
        for r in &ledger.rows {
            ledger_rows.push(vec![
                Cell::from(u.name.as_str()),
                Cell::from(r.key.label(Lang::Zh)),
                Cell::from(r.target),
                Cell::from(round2(r.started)),
                Cell::from(round2(r.completed)),
                Cell::from(r.accepted.map(round2)),
                Cell::from(r.percent.map(round2)),
                Cell::from(r.remaining.map(round2)),
                Cell::from(r.deadline),
                Cell::from(r.required_per_day.map(round2)),
                Cell::from(round2(r.last_7_days_per_day)),
                Cell::from(if r.behind_pace() { "滞后" } else { "" }),
            ]);
        }
    }
    let ledger = Sheet {
        name: "台账",
        headers: vec![
            "单位",
            "项目",
            "指标",
            "已开工",
            "已完成",
            "已验收",
            "完成率(%)",
            "剩余",
            "截止日期",
            "每日需完成",
            "近7日日均完成",
            "进度",
        ],
        rows: ledger_rows,
    };

    let field = |name: &str| tally_core::labels::field(name, Lang::Zh);
    let group_sheet = Sheet {
        name: "分类统计",
        headers: vec![
            "单位",
            field("group"),
            field("households"),
            field("renovated"),
            field("backlog"),
        ],
        rows: group_rows,
    };

    let household_sheet = Sheet {
        name: "农户",
        headers: vec![
            "所属村",
            "户主",
            "人口",
            "电话",
            "类别",
            "沿黄渗漏区",
            "危房等级",
            "改造状态",
            "计划日期",
            "开工日期",
            "竣工日期",
            "验收日期",
            "包户干部",
            "最近走访",
        ],
        rows: households
            .iter()
            .map(|s| {
                let h = &s.household;
                vec![
                    Cell::from(name(&h.unit)),
                    Cell::from(h.head.as_str()),
                    Cell::from(h.members),
                    Cell::from(h.phone.clone()),
                    Cell::from(joined(&h.categories, Category::zh)),
                    // As every screen words them: 是/否, D级.
                    Cell::from(if h.seepage { "是" } else { "否" }),
                    Cell::from(h.rating.map(|r| r.zh())),
                    Cell::from(h.renovation.map(|r| r.zh())),
                    Cell::from(h.planned_on),
                    Cell::from(h.started_on),
                    Cell::from(h.completed_on),
                    Cell::from(h.accepted_on),
                    Cell::from(h.cadre.clone()),
                    Cell::from(s.last_visit),
                ]
            })
            .collect(),
    };

    let in_scope = |u: &str| scope.contains(u);
    let mut visits: Vec<Visit> = store
        .rows(Table::Visit)?
        .iter()
        .filter_map(Visit::from_row)
        .filter(|v| !v.deleted && in_scope(&v.unit))
        .collect();
    visits.sort_by(|a, b| (&a.unit, a.date).cmp(&(&b.unit, b.date)));
    let visit_sheet = Sheet {
        name: "走访",
        headers: vec!["所属村", "户主", "走访日期", "走访情况"],
        rows: visits
            .iter()
            .map(|v| {
                vec![
                    Cell::from(name(&v.unit)),
                    head(Some(v.household)),
                    Cell::from(v.date),
                    Cell::from(v.note.as_str()),
                ]
            })
            .collect(),
    };

    let mut demolitions: Vec<&Demolition> = records
        .demolitions
        .iter()
        .filter(|d| !d.deleted && in_scope(&d.unit))
        .collect();
    demolitions.sort_by(|a, b| (&a.unit, a.date).cmp(&(&b.unit, b.date)));
    let demolition_sheet = Sheet {
        name: "拆除",
        headers: vec!["所属村", "户主", "面积(平方米)", "拆除日期"],
        rows: demolitions
            .iter()
            .map(|d| {
                vec![
                    Cell::from(name(&d.unit)),
                    head(d.household),
                    Cell::from(d.area_m2),
                    Cell::from(d.date),
                ]
            })
            .collect(),
    };

    let mut cleanups: Vec<&Cleanup> = records
        .cleanups
        .iter()
        .filter(|c| !c.deleted && in_scope(&c.unit))
        .collect();
    cleanups.sort_by(|a, b| (&a.unit, a.date).cmp(&(&b.unit, b.date)));
    let cleanup_sheet = Sheet {
        name: "清理",
        headers: vec!["所属村", "堆类", "吨数", "堆数", "清理日期"],
        rows: cleanups
            .iter()
            .map(|c| {
                vec![
                    Cell::from(name(&c.unit)),
                    Cell::from(c.kind.zh()),
                    Cell::from(c.tonnes),
                    Cell::from(c.piles),
                    Cell::from(c.date),
                ]
            })
            .collect(),
    };

    let mut works: Vec<&Works> = records
        .works
        .iter()
        .filter(|w| !w.deleted && in_scope(&w.unit))
        .collect();
    works.sort_by(|a, b| (&a.unit, a.kind).cmp(&(&b.unit, b.kind)));
    let works_sheet = Sheet {
        name: "工程",
        headers: vec![
            "所属村",
            "工程类别",
            "名称",
            "数量",
            "单位",
            "已完成",
            "受益人数",
            "状态",
            "开工日期",
            "完工日期",
            "验收日期",
            "地点",
            "备注",
        ],
        rows: works
            .iter()
            .map(|w| {
                vec![
                    Cell::from(name(&w.unit)),
                    Cell::from(w.kind.zh()),
                    Cell::from(w.name.as_deref()),
                    Cell::from(w.quantity),
                    Cell::from(w.kind.def().measure.zh()),
                    Cell::from(w.done()),
                    Cell::from(w.people),
                    Cell::from(w.status.zh()),
                    Cell::from(w.started_on),
                    Cell::from(w.completed_on),
                    Cell::from(w.accepted_on),
                    Cell::from(w.location.as_deref()),
                    Cell::from(w.note.as_deref()),
                ]
            })
            .collect(),
    };

    let mut targets: Vec<&Target> = records
        .targets
        .iter()
        .filter(|t| !t.deleted && in_scope(&t.unit))
        .collect();
    targets.sort_by(|a, b| (&a.unit, a.metric).cmp(&(&b.unit, b.metric)));
    let target_sheet = Sheet {
        name: "指标",
        headers: vec!["单位", "指标", "数量", "截止日期"],
        rows: targets
            .iter()
            .map(|t| {
                vec![
                    Cell::from(name(&t.unit)),
                    Cell::from(t.metric.zh()),
                    Cell::from(t.quantity),
                    Cell::from(t.deadline),
                ]
            })
            .collect(),
    };

    Ok(Report {
        title: format!("{} 十个全覆盖 对账销号台账（截至 {as_of}）", root.name),
        unit: unit.to_string(),
        as_of,
        sheets: vec![
            ledger,
            group_sheet,
            household_sheet,
            visit_sheet,
            demolition_sheet,
            cleanup_sheet,
            works_sheet,
            target_sheet,
        ],
    })
}

/// The file name stem of a report: `台账_锡尼镇_150622100_2026-11-27`.
pub fn file_stem(report: &Report, unit_name: &str) -> String {
    let clean: String = unit_name
        .chars()
        .filter(|c| !matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        .collect();
    format!("台账_{clean}_{}_{}", report.unit, report.as_of)
}
