//! `tally import households FILE`: a roster (.xlsx or CSV) through the store's use-case
//! (`Store::import_roster`), its outcome or every problem printed.

use crate::commands::Ctx;
use crate::{output, Failure};
use anyhow::Result;
use clap::Subcommand;
use std::path::PathBuf;
use tally_store::RosterError;

#[derive(Subcommand)]
pub enum ImportCmd {
    /// Households from an Excel workbook (.xlsx: its first sheet) or a CSV file (UTF-8 or
    /// GBK). Columns: 村/village (a village or
    /// hamlet code, or its name if no other village or hamlet has it), 户主/head,
    /// 人口/members, 类别/categories, 渗漏区/seepage, 危房等级/rating, 电话/phone,
    /// 身份证号/id_number, 包户干部/cadre.
    ///
    /// A file with any error imports nothing: the first 50 errors are listed on stderr
    /// (by line), then how many more there are. A household already here (same village
    /// and head, and the same ID number or phone) is updated from its line, not added
    /// again. With --json the success is {"imported": N, "added": A, "updated": U}; errors
    /// are listed on stderr the same way.
    Households {
        /// The .xlsx or CSV file
        file: PathBuf,
    },
}

pub fn run(ctx: &Ctx, cmd: ImportCmd) -> Result<()> {
    let ImportCmd::Households { file } = cmd;
    let mut store = ctx.open()?;
    let bytes = std::fs::read(&file).map_err(|e| {
        Failure::new(
            format!("无法读取文件 {}：{e}", file.display()),
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    match store.import_roster(&bytes) {
        Ok(done) => {
            if !done.ignored_columns.is_empty() {
                let list = done.ignored_columns.join("、");
                output::note(
                    &format!("提示：忽略未知的列 {list}"),
                    &format!("note: ignored unknown columns {list}"),
                );
            }
            let (added, updated) = (done.added, done.updated);
            if ctx.json {
                return output::json(&serde_json::json!({
                    "imported": added + updated,
                    "added": added,
                    "updated": updated,
                }));
            }
            output::lines([format!(
                "已导入 {} 户（新增 {added} 户，更新 {updated} 户） / imported {} households ({added} new, {updated} updated)",
                added + updated,
                added + updated
            )])
        }
        Err(RosterError::File { zh, en }) => Err(Failure::new(zh, en).into()),
        Err(RosterError::Lines(problems)) => {
            let n = problems.len();
            output::problems(tally_store::listed(problems));
            let plural = if n == 1 { "" } else { "s" };
            Err(Failure::new(
                format!("文件中有 {n} 处错误，未导入任何农户"),
                format!("{n} error{plural} in the file, nothing was imported"),
            )
            .into())
        }
        Err(RosterError::Store(e)) => Err(e.into()),
    }
}
