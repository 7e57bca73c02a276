//! `tally household`: add, list (search by name or pinyin initials, filters), show (with
//! visits and the history of every change) and edit households; list likely duplicates
//! and merge them.

use super::Ctx;
use crate::output::{self, Grid};
use crate::parse;
use anyhow::Result;
use chrono::NaiveDate;
use clap::{ArgGroup, Args, Subcommand};
use serde::Serialize;
use tally_core::labels::{field, field_both, unit};
use tally_core::*;
use tally_store::{
    HistoryEntry, HouseholdChanges, HouseholdDetail, HouseholdFilter, NewHousehold, TimelineKind,
};

// Aliases keep clap from reading `Option<Option<_>>` and `Vec<Vec<_>>` as its special
// shapes (optional value, grouped occurrences): here the inner type is the value.
type MaybeStatus = Option<RenovationStatus>;
type MaybeRating = Option<Rating>;
type MaybeCount = Option<u32>;
type Categories = Vec<Category>;

#[derive(Subcommand)]
pub enum HouseholdCmd {
    /// Add a household (prints its id)
    Add(AddArgs),
    /// List households, optionally filtered
    List(ListArgs),
    /// Show one household with its visits and history
    Show {
        #[arg(value_parser = parse::row_id)]
        id: RowId,
    },
    /// Change some fields of a household
    Edit(EditArgs),
    /// List likely duplicates: the same ID number, or the same head in one village
    Duplicates {
        /// Only this unit and the units below it
        #[arg(long, visible_alias = "unit", value_name = "CODE")]
        village: Option<String>,
    },
    /// Merge a duplicate into the household kept: its visits and demolitions move, the
    /// kept one's empty fields are filled from it, and it is withdrawn as merged
    Merge {
        /// The household kept
        #[arg(value_parser = parse::row_id)]
        keep: RowId,
        /// The duplicate (withdrawn, its history kept)
        #[arg(value_parser = parse::row_id)]
        duplicate: RowId,
    },
}

#[derive(Args)]
pub struct AddArgs {
    /// Code of the village (or hamlet)
    #[arg(long, value_name = "CODE")]
    village: String,
    /// Head of household (户主)
    #[arg(long, value_name = "NAME")]
    head: String,
    /// Number of members (人口), default 1
    #[arg(long, value_name = "N", value_parser = parse::count)]
    members: Option<u32>,
    /// five-guarantee | subsistence | disabled-poor (五保户 / 低保户 / 残疾人贫困户); repeat for several
    #[arg(long, value_name = "C", value_parser = parse::categories)]
    category: Vec<Categories>,
    /// In the Yellow River seepage zone (沿黄渗漏区)
    #[arg(long)]
    seepage: bool,
    /// House rating A | B | C | D (C and D need renovation)
    #[arg(long, value_name = "R", value_parser = parse::code::<Rating>)]
    rating: Option<Rating>,
    /// Phone number
    #[arg(long)]
    phone: Option<String>,
    /// The head's identity card number (身份证号): 18 characters or the old 15 digits
    #[arg(long, value_name = "ID")]
    id_number: Option<String>,
    /// Members with pension insurance (养老保险人数), at most the members
    #[arg(long, value_name = "N", value_parser = parse::count)]
    pension: Option<u32>,
    /// Members with medical insurance (医疗保险人数), at most the members
    #[arg(long, value_name = "N", value_parser = parse::count)]
    medical: Option<u32>,
    /// Responsible cadre (包户干部)
    #[arg(long, value_name = "NAME")]
    cadre: Option<String>,
}

#[derive(Args)]
pub struct ListArgs {
    /// Only this unit and the units below it (any level)
    #[arg(long, visible_alias = "unit", value_name = "CODE")]
    village: Option<String>,
    /// Part of the head's name, or pinyin initials / spelling (zs, zhang)
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// Only households of this category (five-guarantee | subsistence | disabled-poor)
    #[arg(long, value_name = "C", value_parser = parse::code::<Category>)]
    category: Option<Category>,
    /// Only houses with this rating (A | B | C | D)
    #[arg(long, value_name = "R", value_parser = parse::code::<Rating>)]
    rating: Option<Rating>,
    /// planned | started | completed | accepted, or none (no renovation recorded)
    #[arg(long, value_name = "STATUS", value_parser = parse::code_or_none::<RenovationStatus>)]
    renovation: Option<MaybeStatus>,
    /// Not visited on or after this date (never visited included)
    #[arg(long, value_name = "DATE", value_parser = parse::date)]
    not_visited_since: Option<NaiveDate>,
    /// Only households with no responsible cadre
    #[arg(long)]
    no_cadre: bool,
    /// At most this many
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
}

#[derive(Args)]
#[command(group(ArgGroup::new("fields").required(true).multiple(true)
    .args(["head", "members", "phone", "id_number", "category", "seepage", "rating", "cadre", "pension", "medical"])))]
pub struct EditArgs {
    #[arg(value_parser = parse::row_id)]
    id: RowId,
    #[arg(long, value_name = "NAME")]
    head: Option<String>,
    #[arg(long, value_name = "N", value_parser = parse::count)]
    members: Option<u32>,
    /// Phone number ("" clears it)
    #[arg(long)]
    phone: Option<String>,
    /// Identity card number (身份证号; "" clears it)
    #[arg(long, value_name = "ID")]
    id_number: Option<String>,
    /// Replaces the list; repeat for several, `none` for no category
    #[arg(long, value_name = "C", value_parser = parse::categories)]
    category: Vec<Categories>,
    /// true | false (是 / 否)
    #[arg(long, value_name = "BOOL", value_parser = parse::yes_no)]
    seepage: Option<bool>,
    /// A | B | C | D, or none
    #[arg(long, value_name = "R", value_parser = parse::code_or_none::<Rating>)]
    rating: Option<MaybeRating>,
    /// Responsible cadre ("" clears it)
    #[arg(long, value_name = "NAME")]
    cadre: Option<String>,
    /// Members with pension insurance (养老保险人数), at most the members; none clears it
    #[arg(long, value_name = "N", value_parser = parse::count_or_none)]
    pension: Option<MaybeCount>,
    /// Members with medical insurance (医疗保险人数), at most the members; none clears it
    #[arg(long, value_name = "N", value_parser = parse::count_or_none)]
    medical: Option<MaybeCount>,
}

pub fn run(ctx: &Ctx, cmd: HouseholdCmd) -> Result<()> {
    match cmd {
        HouseholdCmd::Add(a) => {
            let mut store = ctx.open()?;
            let id = store.add_household(&NewHousehold {
                village: a.village.trim().to_string(),
                head: a.head,
                members: a.members,
                phone: a.phone,
                id_number: a.id_number,
                categories: parse::unique(a.category.into_iter().flatten()),
                seepage: a.seepage,
                rating: a.rating,
                cadre: a.cadre,
                pension: a.pension,
                medical: a.medical,
            })?;
            output::created(ctx.json, &id.to_string())
        }
        HouseholdCmd::List(a) => list(ctx, a),
        HouseholdCmd::Show { id } => show(ctx, id),
        HouseholdCmd::Edit(a) => edit(ctx, a),
        HouseholdCmd::Duplicates { village } => duplicates(ctx, village.as_deref()),
        HouseholdCmd::Merge { keep, duplicate } => {
            let mut store = ctx.open()?;
            let merged = store.merge_households(keep, duplicate)?;
            if ctx.json {
                return output::json(&merged);
            }
            let filled: Vec<&str> = merged.filled.iter().map(|f| field(f, Lang::Zh)).collect();
            // "（无）" as every empty list reads (core's labels).
            let none = tally_core::labels::value(
                Table::Household,
                "categories",
                &serde_json::json!([]),
                Lang::Zh,
            );
            output::lines([format!(
                "已合并：{} 条走访和拆除记录移到保留的农户，补全了 {}；重复的农户已撤销 / merged: {} records moved, {} filled, the duplicate withdrawn",
                merged.moved,
                if filled.is_empty() { none } else { filled.join("、") },
                merged.moved,
                merged.filled.len()
            )])
        }
    }
}

fn duplicates(ctx: &Ctx, village: Option<&str>) -> Result<()> {
    let store = ctx.open()?;
    let groups = store.duplicate_households(village.map(str::trim))?;
    if ctx.json {
        return output::json(&groups);
    }
    if groups.is_empty() {
        output::note("没有疑似重复的农户", "no likely duplicates");
        return Ok(());
    }
    for g in &groups {
        let mut t = Grid::new(&[
            field("id", Lang::Zh),
            field("head", Lang::Zh),
            field("unit", Lang::Zh),
            field("phone", Lang::Zh),
            field("id_number", Lang::Zh),
            field("members", Lang::Zh),
            field("last_visit", Lang::Zh),
        ]);
        for s in &g.households {
            let h = &s.household;
            t.row(vec![
                h.id.to_string(),
                h.head.clone(),
                s.unit_name.clone().unwrap_or_else(|| h.unit.clone()),
                h.phone.clone().unwrap_or_default(),
                h.id_number.clone().unwrap_or_default(),
                h.members.to_string(),
                s.last_visit.map(|d| d.to_string()).unwrap_or_default(),
            ]);
        }
        let mut lines = vec![format!("{}（{}）", g.reason.zh(), g.reason.en())];
        lines.extend(t.render());
        lines.push(String::new());
        output::lines(lines)?;
    }
    output::note(
        &format!(
            "共 {} 组；合并：tally household merge 保留的编号 重复的编号",
            groups.len()
        ),
        &format!(
            "{} groups; merge with: tally household merge KEEP DUPLICATE",
            groups.len()
        ),
    );
    Ok(())
}

fn list(ctx: &Ctx, a: ListArgs) -> Result<()> {
    let store = ctx.open()?;
    let found = store.households(&HouseholdFilter {
        unit: a.village,
        search: a.search,
        category: a.category,
        rating: a.rating,
        renovation: a.renovation,
        not_visited_since: a.not_visited_since,
        no_cadre: a.no_cadre,
        limit: a.limit,
    })?;
    if ctx.json {
        return output::json(&found);
    }
    if found.is_empty() {
        output::note("没有符合条件的农户", "no household matches");
        return Ok(());
    }
    let mut t = Grid::new(&[
        "编号",
        "户主",
        "所在村",
        "人口",
        "类别",
        "渗漏区",
        "等级",
        "改造",
        "最近走访",
        "包户干部",
    ])
    .right(&[3]);
    for s in &found {
        let h = &s.household;
        t.row(vec![
            h.id.to_string(),
            h.head.clone(),
            s.unit_name.clone().unwrap_or_else(|| h.unit.clone()),
            h.members.to_string(),
            output::categories(&h.categories),
            if h.seepage { "是" } else { "" }.to_string(),
            h.rating.map(|r| r.code()).unwrap_or_default().to_string(),
            h.renovation.map(|r| r.zh()).unwrap_or_default().to_string(),
            s.last_visit.map(|d| d.to_string()).unwrap_or_default(),
            h.cadre.clone().unwrap_or_default(),
        ]);
    }
    t.print()?;
    output::note(
        &format!("共 {} 户", found.len()),
        &format!("{} households", found.len()),
    );
    Ok(())
}

/// `household show --json`: the household page (the same the desktop shows) and the
/// history of every change.
#[derive(Serialize)]
struct Shown {
    #[serde(flatten)]
    page: HouseholdDetail,
    history: Vec<HistoryEntry>,
}

fn show(ctx: &Ctx, id: RowId) -> Result<()> {
    let store = ctx.open()?;
    let shown = Shown {
        page: store.household_page(id)?,
        history: store.history(Table::Household, id)?,
    };
    if ctx.json {
        return output::json(&shown);
    }
    let mut out = page_lines(&shown.page);
    out.push(String::new());
    out.push(format!(
        "{} ({})",
        field_both("history"),
        shown.history.len()
    ));
    for e in &shown.history {
        out.push(format!(
            "  {}  {}  {}  [{}]",
            output::local_time(&e.recorded_at, e.utc_offset_min),
            e.change.author,
            output::change_text(&e.change),
            sync_state(e)
        ));
    }
    output::lines(out)
}

/// The household page as text: the household, then its timeline.
pub fn page_lines(page: &HouseholdDetail) -> Vec<String> {
    let h = &page.summary.household;
    let opt = |s: Option<String>| s.unwrap_or_else(|| "—".to_string());
    let date = |d: Option<NaiveDate>| opt(d.map(|d| d.to_string()));
    // Labels from core (`labels::FIELDS`), each line `中文 English  value`.
    let line = |name: &str, value: String| {
        let label = field_both(name);
        let pad = 30usize.saturating_sub(output::width(&label));
        format!("{label}{}{value}", " ".repeat(pad))
    };
    let mut out = vec![];
    if let Some(head) = &page.merged_into {
        out.push(line(
            "merged_into",
            format!("{head}（重复录入，已合并） / {head} (entered twice, merged)"),
        ));
    } else if let Some(why) = &page.withdrawn {
        out.push(line("deleted", why.clone()));
    }
    out.extend([
        line("head", h.head.clone()),
        line("id", h.id.to_string()),
        line(
            "unit",
            format!(
                "{} {}",
                h.unit,
                page.summary.unit_name.clone().unwrap_or_default()
            ),
        ),
        line("members", h.members.to_string()),
        line("phone", opt(h.phone.clone())),
        line(
            "categories",
            opt(Some(output::categories(&h.categories)).filter(|c| !c.is_empty())),
        ),
        line("seepage", output::yes_no(h.seepage).to_string()),
        line("rating", opt(h.rating.map(|r| r.zh().to_string()))),
        line("renovation", opt(h.renovation.map(|r| r.zh().to_string()))),
    ]);
    for name in ["planned_on", "started_on", "completed_on", "accepted_on"] {
        let day = match name {
            "planned_on" => h.planned_on,
            "started_on" => h.started_on,
            "completed_on" => h.completed_on,
            _ => h.accepted_on,
        };
        out.push(format!("  {}", line(name, date(day))));
    }
    out.push(line("cadre", opt(h.cadre.clone())));
    out.push(line("pension", opt(h.pension.map(|n| n.to_string()))));
    out.push(line("medical", opt(h.medical.map(|n| n.to_string()))));
    out.push(line("last_visit", date(page.summary.last_visit)));
    out.push(String::new());
    out.push(format!(
        "{} ({})",
        field_both("timeline"),
        page.timeline.len()
    ));
    out.extend(page.timeline.iter().map(|t| {
        let what = match t.kind {
            TimelineKind::Visit => Table::Visit.label(Lang::Zh).to_string(),
            TimelineKind::Renovation => format!(
                "{}：{}",
                field("renovation", Lang::Zh),
                t.status.map(|s| s.zh()).unwrap_or_default()
            ),
            TimelineKind::Demolition => Table::Demolition.label(Lang::Zh).to_string(),
        };
        let detail = match (&t.note, t.area_m2) {
            (Some(note), _) => format!("  {note}"),
            (None, Some(a)) => format!(
                "  {} {}",
                output::num(a),
                unit(Table::Demolition, "area_m2", None, Lang::Zh).unwrap_or_default()
            ),
            (None, None) => String::new(),
        };
        let id = t.id.map(|id| format!("  [{id}]")).unwrap_or_default();
        let withdrawn = t
            .withdrawn
            .as_ref()
            .map(|why| format!("  （{}：{why}）", field("deleted", Lang::Zh)))
            .unwrap_or_default();
        format!("  {}  {what}{detail}{withdrawn}{id}", t.date)
    }));
    out
}

/// Where a change stands, for a person.
fn sync_state(e: &HistoryEntry) -> String {
    match e.state.as_str() {
        "pending" => "待同步".to_string(),
        "accepted" => format!("已同步 #{}", e.receipt.unwrap_or_default()),
        "rejected" => format!(
            "被拒绝 / rejected: {} / {}",
            e.reject_reason_zh.as_deref().unwrap_or_default(),
            e.reject_reason.as_deref().unwrap_or_default()
        ),
        "remote" => "来自同步".to_string(),
        other => other.to_string(),
    }
}

fn edit(ctx: &Ctx, a: EditArgs) -> Result<()> {
    let mut store = ctx.open()?;
    let changes = HouseholdChanges {
        head: a.head,
        members: a.members,
        phone: a.phone,
        id_number: a.id_number,
        categories: (!a.category.is_empty())
            .then(|| parse::unique(a.category.into_iter().flatten())),
        seepage: a.seepage,
        rating: a.rating,
        cadre: a.cadre,
        pension: a.pension,
        medical: a.medical,
    };
    super::saved(ctx, store.edit_household(a.id, &changes))
}
