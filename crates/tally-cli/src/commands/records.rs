//! Recording progress: renovation status, visits, demolitions, cleanup loads, works and
//! targets. Each command is one store edit (one transaction with its change).

use super::{saved, Ctx};
use crate::output::{self, Grid};
use crate::parse;
use anyhow::Result;
use chrono::NaiveDate;
use clap::Subcommand;
use tally_core::*;
use tally_store::{NewProgress, ProgressChanges, WorksAbout, WorksUpdate};

#[derive(Subcommand)]
pub enum RenovationCmd {
    /// Move a household's renovation to a status (forward only, unless --correction)
    Set {
        #[arg(long, value_name = "ID", value_parser = parse::row_id)]
        household: RowId,
        /// planned | started | completed | accepted
        #[arg(long, value_parser = parse::code::<RenovationStatus>)]
        status: RenovationStatus,
        /// The day it happened (default today)
        #[arg(long, value_parser = parse::date)]
        date: Option<NaiveDate>,
        /// A team leader's correction: may move the status back
        #[arg(long)]
        correction: bool,
    },
}

#[derive(Subcommand)]
pub enum VisitCmd {
    /// Record a visit to a household (prints its id)
    Add {
        #[arg(long, value_name = "ID", value_parser = parse::row_id)]
        household: RowId,
        /// Default today
        #[arg(long, value_parser = parse::date)]
        date: Option<NaiveDate>,
        /// What was found or done
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Correct a visit: only what is given changes
    Edit {
        #[arg(value_parser = parse::row_id)]
        id: RowId,
        #[arg(long, value_parser = parse::date)]
        date: Option<NaiveDate>,
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum DemolitionCmd {
    /// Record an abandoned house demolished (prints its id)
    Add {
        #[arg(long, value_name = "CODE")]
        village: String,
        /// The household it belonged to, if known
        #[arg(long, value_name = "ID", value_parser = parse::row_id)]
        household: Option<RowId>,
        /// Floor area in square metres
        #[arg(long, value_name = "M2", allow_negative_numbers = true, value_parser = parse::number)]
        area: Option<f64>,
        /// Default today
        #[arg(long, value_parser = parse::date)]
        date: Option<NaiveDate>,
    },
    /// Correct a demolition: only what is given changes
    Edit {
        #[arg(value_parser = parse::row_id)]
        id: RowId,
        #[arg(long, value_name = "ID", value_parser = parse::row_id)]
        household: Option<RowId>,
        #[arg(long, value_name = "M2", allow_negative_numbers = true, value_parser = parse::number)]
        area: Option<f64>,
        #[arg(long, value_parser = parse::date)]
        date: Option<NaiveDate>,
    },
}

#[derive(Subcommand)]
pub enum CleanupCmd {
    /// Record a cleanup load (prints its id)
    Add {
        #[arg(long, value_name = "CODE")]
        village: String,
        /// firewood | hay | manure | dirt | garbage (柴堆 草堆 粪堆 土堆 垃圾堆)
        #[arg(long, value_parser = parse::code::<PileKind>)]
        kind: PileKind,
        /// Tonnes cleared (more than 0, at most 2000: a load, or a day of loads as one entry)
        #[arg(long, value_name = "X", allow_negative_numbers = true, value_parser = parse::number)]
        tonnes: f64,
        /// Number of piles (default 1)
        #[arg(long, value_name = "N", value_parser = parse::count)]
        piles: Option<u32>,
        /// Default today
        #[arg(long, value_parser = parse::date)]
        date: Option<NaiveDate>,
    },
    /// Correct a cleanup load: only what is given changes
    Edit {
        #[arg(value_parser = parse::row_id)]
        id: RowId,
        #[arg(long, value_parser = parse::code::<PileKind>)]
        kind: Option<PileKind>,
        #[arg(long, value_name = "X", allow_negative_numbers = true, value_parser = parse::number)]
        tonnes: Option<f64>,
        #[arg(long, value_name = "N", value_parser = parse::count)]
        piles: Option<u32>,
        #[arg(long, value_parser = parse::date)]
        date: Option<NaiveDate>,
    },
}

#[derive(Subcommand)]
pub enum WorksCmd {
    /// Add a works item (prints its id)
    Add {
        #[arg(long, value_name = "CODE")]
        village: String,
        #[arg(long, value_parser = parse::code::<WorksKind>, help = parse::help_codes::<WorksKind>())]
        kind: WorksKind,
        /// In the kind's unit: km of road, water sites, hamlets, m² of school, trees …
        #[arg(long, value_name = "X", allow_negative_numbers = true, value_parser = parse::number)]
        quantity: f64,
        /// People served (water)
        #[arg(long, value_name = "N", value_parser = parse::count)]
        people: Option<u32>,
        /// planned (default) | started | completed | accepted
        #[arg(long, value_parser = parse::code::<WorksStatus>, default_value = "planned")]
        status: WorksStatus,
        /// The day it started / completed / was accepted (default today)
        #[arg(long, value_parser = parse::date)]
        date: Option<NaiveDate>,
        /// What people call it (名称), e.g. 村东主街
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
        /// Where it is, in words (地点)
        #[arg(long, value_name = "TEXT")]
        location: Option<String>,
        /// A note (备注)
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Latitude in degrees (纬度), e.g. 40.21
        #[arg(long, value_name = "DEG", allow_negative_numbers = true, value_parser = parse::number)]
        lat: Option<f64>,
        /// Longitude in degrees (经度), e.g. 111.03
        #[arg(long, value_name = "DEG", allow_negative_numbers = true, value_parser = parse::number)]
        lon: Option<f64>,
    },
    /// Record progress on a works item: this much more done on a day (prints the entry's
    /// id). A planned item starts with its first entry.
    Progress {
        #[arg(value_parser = parse::row_id)]
        id: RowId,
        /// Done, in the kind's unit (3.2 km of road)
        #[arg(long, value_name = "X", allow_negative_numbers = true, value_parser = parse::number)]
        quantity: f64,
        /// Default today
        #[arg(long, value_parser = parse::date)]
        date: Option<NaiveDate>,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Correct a works item: only what is given changes (its status: `works set`)
    Edit {
        #[arg(value_parser = parse::row_id)]
        id: RowId,
        #[arg(long, value_parser = parse::code::<WorksKind>)]
        kind: Option<WorksKind>,
        #[arg(long, value_name = "X", allow_negative_numbers = true, value_parser = parse::number)]
        quantity: Option<f64>,
        #[arg(long, value_name = "N", value_parser = parse::count)]
        people: Option<u32>,
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
        #[arg(long, value_name = "TEXT")]
        location: Option<String>,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        #[arg(long, value_name = "DEG", allow_negative_numbers = true, value_parser = parse::number)]
        lat: Option<f64>,
        #[arg(long, value_name = "DEG", allow_negative_numbers = true, value_parser = parse::number)]
        lon: Option<f64>,
    },
    /// Move a works item to a status (forward only, unless --correction), with new
    /// figures if given: one change, written whole or not at all
    Set {
        #[arg(value_parser = parse::row_id)]
        id: RowId,
        #[arg(long, value_parser = parse::code::<WorksStatus>)]
        status: WorksStatus,
        /// Default today
        #[arg(long, value_parser = parse::date)]
        date: Option<NaiveDate>,
        /// A team leader's correction: may move the status back
        #[arg(long)]
        correction: bool,
        /// A new quantity, in the kind's unit
        #[arg(long, value_name = "X", allow_negative_numbers = true, value_parser = parse::number)]
        quantity: Option<f64>,
        /// New people served (water)
        #[arg(long, value_name = "N", value_parser = parse::count)]
        people: Option<u32>,
    },
    /// List the works items of a unit and the units below it (all if none)
    List {
        #[arg(long, visible_alias = "unit", value_name = "CODE")]
        village: Option<String>,
        /// Only works of this kind
        #[arg(long, value_parser = parse::code::<WorksKind>)]
        kind: Option<WorksKind>,
    },
}

#[derive(Subcommand)]
pub enum ProgressCmd {
    /// Correct a progress entry of a works item: only what is given changes
    Edit {
        /// The entry's id (as `works progress` printed it)
        #[arg(value_parser = parse::uuid)]
        id: uuid::Uuid,
        #[arg(long, value_name = "X", allow_negative_numbers = true, value_parser = parse::number)]
        quantity: Option<f64>,
        #[arg(long, value_parser = parse::date)]
        date: Option<NaiveDate>,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TargetCmd {
    /// Set (or replace) the target of a unit for a metric
    Set {
        #[arg(long, value_name = "CODE")]
        unit: String,
        #[arg(long, value_parser = parse::code::<Metric>, help = parse::help_codes::<Metric>())]
        metric: Metric,
        /// A cleanup target of one pile kind (its breakdown row)
        #[arg(long, value_parser = parse::code::<PileKind>)]
        pile: Option<PileKind>,
        #[arg(long, value_name = "X", allow_negative_numbers = true, value_parser = parse::number)]
        quantity: f64,
        #[arg(long, value_parser = parse::date)]
        deadline: NaiveDate,
        /// The first day of its period (default: no start); each period its own target
        #[arg(long, value_parser = parse::date)]
        from: Option<NaiveDate>,
        /// A milestone (节点): this much completed by this day, e.g. 2016-06-30=50
        #[arg(long = "milestone", value_name = "DATE=QTY", value_parser = parse::milestone)]
        milestones: Vec<Milestone>,
    },
}

pub fn renovation(ctx: &Ctx, cmd: RenovationCmd) -> Result<()> {
    let RenovationCmd::Set {
        household,
        status,
        date,
        correction,
    } = cmd;
    let mut store = ctx.open()?;
    saved(
        ctx,
        store.set_renovation(household, status, date, correction),
    )
}

/// A given option as the value its field stores.
fn given<T: serde::Serialize>(v: Option<T>) -> Option<serde_json::Value> {
    v.map(|v| serde_json::json!(v))
}

pub fn visit(ctx: &Ctx, cmd: VisitCmd) -> Result<()> {
    let mut store = ctx.open()?;
    match cmd {
        VisitCmd::Add {
            household,
            date,
            note,
        } => {
            let id = store.add_visit(household, date, note.trim())?;
            output::created(ctx.json, &id.to_string())
        }
        VisitCmd::Edit { id, date, note } => {
            let wanted = [
                ("date", given(date)),
                ("note", given(note.as_deref().map(str::trim))),
            ];
            saved(ctx, store.correct(Table::Visit, id, &wanted))
        }
    }
}

pub fn demolition(ctx: &Ctx, cmd: DemolitionCmd) -> Result<()> {
    let mut store = ctx.open()?;
    match cmd {
        DemolitionCmd::Add {
            village,
            household,
            area,
            date,
        } => {
            let id = store.add_demolition(village.trim(), household, area, date)?;
            output::created(ctx.json, &id.to_string())
        }
        DemolitionCmd::Edit {
            id,
            household,
            area,
            date,
        } => {
            let wanted = [
                ("household", given(household)),
                ("area_m2", given(area)),
                ("date", given(date)),
            ];
            saved(ctx, store.correct(Table::Demolition, id, &wanted))
        }
    }
}

pub fn cleanup(ctx: &Ctx, cmd: CleanupCmd) -> Result<()> {
    let mut store = ctx.open()?;
    match cmd {
        CleanupCmd::Add {
            village,
            kind,
            tonnes,
            piles,
            date,
        } => {
            let id = store.add_cleanup(village.trim(), kind, tonnes, piles, date)?;
            output::created(ctx.json, &id.to_string())
        }
        CleanupCmd::Edit {
            id,
            kind,
            tonnes,
            piles,
            date,
        } => {
            let wanted = [
                ("kind", given(kind)),
                ("tonnes", given(tonnes)),
                ("piles", given(piles)),
                ("date", given(date)),
            ];
            saved(ctx, store.correct(Table::Cleanup, id, &wanted))
        }
    }
}

pub fn works(ctx: &Ctx, cmd: WorksCmd) -> Result<()> {
    let mut store = ctx.open()?;
    match cmd {
        WorksCmd::Add {
            village,
            kind,
            quantity,
            people,
            status,
            date,
            name,
            location,
            note,
            lat,
            lon,
        } => {
            let about = WorksAbout {
                name,
                location,
                note,
                lat,
                lon,
            };
            let id = store.add_works_with(
                village.trim(),
                kind,
                quantity,
                people,
                status,
                date,
                &about,
            )?;
            output::created(ctx.json, &id.to_string())
        }
        WorksCmd::Edit {
            id,
            kind,
            quantity,
            people,
            name,
            location,
            note,
            lat,
            lon,
        } => {
            let text = |t: Option<String>| {
                t.map(|t| serde_json::json!(Some(t.trim()).filter(|t| !t.is_empty())))
            };
            let wanted = [
                ("kind", given(kind)),
                ("quantity", given(quantity)),
                ("people", given(people)),
                ("name", text(name)),
                ("location", text(location)),
                ("note", text(note)),
                ("lat", given(lat)),
                ("lon", given(lon)),
            ];
            saved(ctx, store.correct(Table::Works, id, &wanted))
        }
        WorksCmd::Progress {
            id,
            quantity,
            date,
            note,
        } => {
            let p = NewProgress {
                quantity,
                date,
                note,
            };
            let entry = store.add_progress(id, &p)?;
            output::created(ctx.json, &entry.to_string())
        }
        WorksCmd::Set {
            id,
            status,
            date,
            correction,
            quantity,
            people,
        } => {
            let update = WorksUpdate {
                quantity,
                people: people.map(Some),
                ..WorksUpdate::status(status, date, correction)
            };
            saved(ctx, store.update_works(id, &update))
        }
        WorksCmd::List { village, kind } => {
            let mut works = store.works(village.as_deref().map(str::trim))?;
            works.retain(|w| kind.is_none_or(|k| w.kind == k));
            if ctx.json {
                return output::json(&works);
            }
            // Headers from core's labels (one word per idea: 竣工 as on every screen).
            let heads: Vec<&str> = [
                "id",
                "unit",
                "kind",
                "name",
                "quantity",
                "done",
                "people",
                "status",
                "started_on",
                "completed_on",
                "accepted_on",
                "location",
            ]
            .iter()
            .map(|f| tally_core::labels::field(f, Lang::Zh))
            .collect();
            let mut t = Grid::new(&heads).right(&[4, 5, 6]);
            for w in &works {
                let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
                t.row(vec![
                    w.id.to_string(),
                    w.unit.clone(),
                    w.kind.zh().to_string(),
                    w.name.clone().unwrap_or_default(),
                    format!("{} {}", output::num(w.quantity), w.kind.def().measure.zh()),
                    output::num(w.done()),
                    w.people.map(|p| p.to_string()).unwrap_or_default(),
                    w.status.zh().to_string(),
                    date(w.started_on),
                    date(w.completed_on),
                    date(w.accepted_on),
                    w.location.clone().unwrap_or_default(),
                ]);
            }
            t.print()
        }
    }
}

pub fn progress(ctx: &Ctx, cmd: ProgressCmd) -> Result<()> {
    let ProgressCmd::Edit {
        id,
        quantity,
        date,
        note,
    } = cmd;
    let mut store = ctx.open()?;
    let changes = ProgressChanges {
        quantity,
        date,
        note,
    };
    saved(ctx, store.correct_progress(id, &changes))
}

/// Withdraw a record or progress entry, saying why.
pub fn delete(ctx: &Ctx, id: uuid::Uuid, reason: &str) -> Result<()> {
    let mut store = ctx.open()?;
    let w = store.withdraw_record(id, reason)?;
    withdrawn(ctx, &w)
}

/// Withdraw the last entry made on this device.
pub fn undo(ctx: &Ctx) -> Result<()> {
    let mut store = ctx.open()?;
    match store.undo()? {
        Some(w) => withdrawn(ctx, &w),
        None if ctx.json => output::json(&serde_json::Value::Null),
        None => output::lines(["没有可撤销的录入 (nothing to undo)"]),
    }
}

fn withdrawn(ctx: &Ctx, w: &tally_store::Withdrawal) -> Result<()> {
    if ctx.json {
        return output::json(w);
    }
    let what = match &w.entry {
        Some(e) => format!(
            "{}·{} {e}",
            w.table.zh(),
            labels::field("progress", Lang::Zh)
        ),
        None => format!("{} {}", w.table.zh(), w.row),
    };
    output::lines([format!("已撤销 {what}（{}）：{}", w.unit, w.reason)])
}

pub fn target(ctx: &Ctx, cmd: TargetCmd) -> Result<()> {
    let TargetCmd::Set {
        unit,
        metric,
        pile,
        quantity,
        deadline,
        from,
        milestones,
    } = cmd;
    let mut store = ctx.open()?;
    let plan = tally_store::TargetPlan {
        unit: unit.trim().to_string(),
        metric,
        pile,
        quantity,
        deadline,
        from,
        milestones,
    };
    saved(ctx, store.set_target_plan(&plan))
}
