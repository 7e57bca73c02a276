//! `tally conflicts`: the open conflicts — concurrent edits of one field where one value
//! won and the other was kept for a team leader to review.

use super::Ctx;
use crate::output::{self, Grid};
use anyhow::Result;
use serde::Serialize;
use serde_json::Value;
use tally_core::{Conflict, Household, Table as Tbl, Version};
use tally_store::Store;

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
