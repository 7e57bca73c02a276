//! `tally ledger`: the progress ledger (对账销号) of a unit's whole subtree — target,
//! started, completed and the pace the deadline needs — as a table, JSON or CSV.

use super::Ctx;
use crate::output::{self, Grid};
use crate::parse;
use anyhow::Result;
use chrono::NaiveDate;
use clap::Args;
use serde::Serialize;
use std::collections::BTreeMap;
use tally_core::ledger::GroupRow;
use tally_core::{Lang, LedgerRow, Metric, MilestoneStatus, PileKind, RowKey, VillageFlag};

#[derive(Args)]
pub struct LedgerArgs {
    /// The unit (banner, township, village or hamlet) whose subtree is rolled up
    #[arg(long, value_name = "CODE")]
    unit: String,
    /// The day the ledger is computed for (default today)
    #[arg(long, value_name = "DATE", value_parser = parse::date)]
    as_of: Option<NaiveDate>,
    /// CSV: a header line with the JSON key names, one line per row
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// Only the villages with this flag: seepage (沿黄渗漏区) | key-village (重点村)
    #[arg(long, value_name = "FLAG", value_parser = parse::code::<VillageFlag>)]
    only: Option<VillageFlag>,
}

/// The JSON (and CSV) shape of a ledger: exactly these keys, in this order.
#[derive(Serialize)]
struct LedgerJson<'a> {
    unit: &'a str,
    as_of: NaiveDate,
    /// The village flag the ledger was limited to, or null.
    only: Option<VillageFlag>,
    rows: Vec<RowJson<MilestoneList<'a>>>,
    /// The households by group: all, 五保户, 低保户, 残疾人贫困户, 沿黄渗漏区, 重点村.
    groups: &'a [GroupRow],
}

/// A ledger row: `M` is how its milestones are written (a list in JSON, one cell of
/// `2016-06-30=50:met;…` in CSV).
#[derive(Serialize)]
struct RowJson<M> {
    metric: Metric,
    /// The pile kind of a cleanup row per pile kind, empty otherwise.
    pile: Option<PileKind>,
    target: Option<f64>,
    started: f64,
    completed: f64,
    percent: Option<f64>,
    remaining: Option<f64>,
    required_per_day: Option<f64>,
    last_7_days_per_day: f64,
    /// Accepted (验收), for renovation and works; empty for the other metrics.
    accepted: Option<f64>,
    /// The deadline of the unit's own target.
    deadline: Option<NaiveDate>,
    /// The first day of its target's period.
    from: Option<NaiveDate>,
    /// Its target's milestones, each met / on-track / at-risk / missed.
    milestones: M,
}

impl<'a, M: From<&'a [MilestoneStatus]>> From<&'a LedgerRow> for RowJson<M> {
    fn from(r: &'a LedgerRow) -> Self {
        RowJson {
            metric: r.key.metric,
            pile: r.key.pile,
            target: r.target,
            started: r.started,
            completed: r.completed,
            percent: r.percent,
            remaining: r.remaining,
            required_per_day: r.required_per_day,
            last_7_days_per_day: r.last_7_days_per_day,
            accepted: r.accepted,
            deadline: r.deadline,
            from: r.from,
            milestones: M::from(&r.milestones),
        }
    }
}

/// The milestones of a row as a JSON list.
#[derive(Serialize)]
#[serde(transparent)]
struct MilestoneList<'a>(&'a [MilestoneStatus]);

impl<'a> From<&'a [MilestoneStatus]> for MilestoneList<'a> {
    fn from(m: &'a [MilestoneStatus]) -> Self {
        MilestoneList(m)
    }
}

/// The milestones of a row as one CSV cell: `2016-06-30=50:met;2016-09-30=80:at-risk`.
struct MilestonesCell(String);

impl From<&[MilestoneStatus]> for MilestonesCell {
    fn from(ms: &[MilestoneStatus]) -> Self {
        let cells: Vec<String> = ms
            .iter()
            .map(|m| {
                let state = serde_json::to_value(m.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                format!("{}={}:{state}", m.date, output::num(m.quantity))
            })
            .collect();
        MilestonesCell(cells.join(";"))
    }
}

impl Serialize for MilestonesCell {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// The Chinese label of a ledger row: the metric, or the pile kind under cleanup.
fn label(key: RowKey) -> String {
    match key.pile {
        Some(p) => format!("  其中 {}", p.zh()),
        None => key.metric.zh().to_string(),
    }
}

pub fn run(ctx: &Ctx, args: LedgerArgs) -> Result<()> {
    let store = ctx.open()?;
    let code = args.unit.trim();
    let ledger = store.ledger_of(code, args.as_of, args.only)?;
    if ctx.json {
        return output::json(&LedgerJson {
            unit: &ledger.unit,
            as_of: ledger.as_of,
            only: ledger.only,
            rows: ledger.rows.iter().map(RowJson::from).collect(),
            groups: &ledger.groups,
        });
    }
    if args.csv {
        return output::csv(ledger.rows.iter().map(RowJson::<MilestonesCell>::from));
    }
    let unit = store.unit(code)?;
    let mut t = Grid::new(&[
        "指标",
        "目标",
        "已开工",
        "已完成",
        tally_core::labels::field("accepted", Lang::Zh),
        "完成率",
        "剩余",
        "每日需完成",
        "近7日日均",
        "",
    ])
    .right(&[1, 2, 3, 4, 5, 6, 7, 8]);
    for r in &ledger.rows {
        t.row(vec![
            label(r.key),
            output::opt_num(r.target),
            output::num(r.started),
            output::num(r.completed),
            output::opt_num(r.accepted),
            r.percent
                .map_or_else(|| "—".to_string(), |p| format!("{}%", output::num(p))),
            output::opt_num(r.remaining),
            output::opt_num(r.required_per_day),
            output::num(r.last_7_days_per_day),
            if r.behind_pace() {
                "⚠ 进度落后"
            } else {
                ""
            }
            .to_string(),
        ]);
    }
    let only = ledger
        .only
        .map(|f| format!("  只看{}", f.zh()))
        .unwrap_or_default();
    let mut out = vec![format!(
        "{} {}（{}）进度台账  截至 {}{only}",
        unit.level.zh(),
        unit.name,
        unit.code,
        ledger.as_of
    )];
    out.extend(t.render());
    out.push(String::new());
    out.extend(groups(&ledger.groups).render());
    // Deadlines, each with the rows due then.
    let mut due: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    for r in &ledger.rows {
        if let Some(d) = r.deadline {
            due.entry(d).or_default().push(label(r.key));
        }
    }
    if !due.is_empty() {
        let parts: Vec<String> = due
            .iter()
            .map(|(d, rows)| format!("{d}（{}）", rows.join("、")))
            .collect();
        out.push(format!("截止日期 deadlines: {}", parts.join("；")));
    }
    // Milestones (节点), each with what was completed by its day and where it stands.
    for r in ledger.rows.iter().filter(|r| !r.milestones.is_empty()) {
        let parts: Vec<String> = r.milestones.iter().map(|m| m.describe(Lang::Zh)).collect();
        let from = r
            .from
            .map(|f| format!("（{}）", tally_core::ledger::period_start(f, Lang::Zh)))
            .unwrap_or_default();
        out.push(format!(
            "{} milestones {}{from}: {}",
            tally_core::labels::field("milestones", Lang::Zh),
            label(r.key).trim(),
            parts.join("；")
        ));
    }
    output::lines(out)
}

/// The breakdowns (分类统计) as a table.
fn groups(rows: &[GroupRow]) -> Grid {
    let col = |name: &str| tally_core::labels::field(name, Lang::Zh);
    let mut t = Grid::new(&[
        col("group"),
        col("households"),
        col("renovated"),
        col("backlog"),
    ])
    .right(&[1, 2, 3]);
    for g in rows {
        t.row(vec![
            g.group.zh().to_string(),
            g.households.to_string(),
            g.renovated.to_string(),
            g.backlog.to_string(),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::label;
    use tally_core::{Metric, PileKind, RowKey};

    #[test]
    fn rows_are_labelled_in_chinese() {
        assert_eq!(label(RowKey::metric(Metric::Renovation)), "危房改造(户)");
        let manure = RowKey {
            metric: Metric::CleanupTonnes,
            pile: Some(PileKind::Manure),
        };
        assert_eq!(label(manure), "  其中 粪堆");
    }
}
