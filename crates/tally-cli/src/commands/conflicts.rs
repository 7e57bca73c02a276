//! `tally conflicts`: the open conflicts — concurrent edits of one field where one value
//! won and the other was kept for a team leader to review — and their resolution.

use super::Ctx;
use crate::output::{self, Grid};
use crate::parse;
use anyhow::Result;
use clap::{ArgGroup, Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::Value;
use tally_core::{Conflict, Household, RowId, Table as Tbl, Version};
use tally_store::Store;

#[derive(Subcommand)]
pub enum ConflictsCmd {
    /// Decide a conflict: keep one value (or type another), having seen the other
    #[command(group(ArgGroup::new("choice").required(true).args(["keep", "value"])))]
    Resolve {
        /// The row (the id `tally conflicts` shows)
        #[arg(value_parser = parse::row_id)]
        row: RowId,
        /// The field in conflict (as `tally conflicts --json` names it)
        field: String,
        /// current: the value that applies now; other: the value that lost
        #[arg(long, value_enum)]
        keep: Option<Keep>,
        /// Another value (JSON, or plain text)
        #[arg(long)]
        value: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Keep {
    Current,
    Other,
}

pub fn run(ctx: &Ctx, cmd: Option<ConflictsCmd>) -> Result<()> {
    match cmd {
        None => conflicts(ctx),
        Some(ConflictsCmd::Resolve {
            row,
            field,
            keep,
            value,
        }) => resolve(ctx, row, &field, keep, value),
    }
}

fn resolve(
    ctx: &Ctx,
    row: RowId,
    field: &str,
    keep: Option<Keep>,
    value: Option<String>,
) -> Result<()> {
    let keep = match (keep, value) {
        (Some(Keep::Current), _) => tally_store::Keep::Current,
        (Some(Keep::Other), _) => tally_store::Keep::Other,
        (None, Some(v)) => {
            tally_store::Keep::Value(serde_json::from_str(&v).unwrap_or(Value::String(v)))
        }
        (None, None) => tally_store::Keep::Value(Value::Null),
    };
    let mut store = ctx.open()?;
    super::saved(ctx, store.resolve_field(row, field, keep))
}

/// One side of a conflict: the value, who wrote it and when.
#[derive(Serialize)]
struct Side {
    value: Value,
    author: String,
    at: String,
    device: String,
}

/// A conflict as `--json` prints it.
#[derive(Serialize)]
struct ConflictJson {
    table: Tbl,
    row: String,
    unit: String,
    field: String,
    /// The value that applies now.
    winner: Side,
    /// The concurrent value that lost and waits for review.
    loser: Side,
}

fn side(value: &Value, author: &str, at: Version) -> Side {
    Side {
        value: value.clone(),
        author: author.to_string(),
        at: output::ms_rfc3339(at.hlc.ms),
        device: at.device.to_string(),
    }
}

/// A row as a person recognises it: the household head, or the row id.
fn row_label(store: &Store, c: &Conflict) -> Result<String> {
    let head = match c.table {
        Tbl::Household => store
            .row(Tbl::Household, c.row)?
            .as_ref()
            .and_then(Household::from_row)
            .map(|h| h.head),
        _ => None,
    };
    Ok(match head {
        Some(h) => format!("{h} {}", c.row),
        None => c.row.to_string(),
    })
}

pub fn conflicts(ctx: &Ctx) -> Result<()> {
    let store = ctx.open()?;
    let list = store.conflicts()?;
    if ctx.json {
        let rows: Vec<ConflictJson> = list
            .iter()
            .map(|c| ConflictJson {
                table: c.table,
                row: c.row.to_string(),
                unit: c.unit.clone(),
                field: c.field.clone(),
                winner: side(&c.winner_value, &c.winner_author, c.winner_at),
                loser: side(&c.loser.value, &c.loser.author, c.loser.at),
            })
            .collect();
        return output::json(&rows);
    }
    if list.is_empty() {
        output::note("没有待处理的冲突", "no open conflicts");
        return Ok(());
    }
    let mut t = Grid::new(&[
        "表",
        "记录",
        "字段",
        "现值",
        "写入人",
        "时间",
        "另一值",
        "写入人",
        "时间",
    ]);
    for c in &list {
        let text = |v: &Value| output::value_text(c.table, &c.field, v);
        t.row(vec![
            c.table.zh().to_string(),
            row_label(&store, c)?,
            tally_core::schema::field_zh(&c.field).to_string(),
            text(&c.winner_value),
            c.winner_author.clone(),
            output::ms_time(c.winner_at.hlc.ms),
            text(&c.loser.value),
            c.loser.author.clone(),
            output::ms_time(c.loser.at.hlc.ms),
        ]);
    }
    t.print()
}
