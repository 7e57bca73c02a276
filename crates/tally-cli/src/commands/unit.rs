//! `tally unit`: add and list org units (banner → township → village → hamlet), and set
//! the flags leaders give villages (沿黄渗漏区, 重点村).

use super::Ctx;
use crate::output::{self, Grid};
use crate::parse;
use anyhow::Result;
use clap::Subcommand;
use tally_core::{Level, OrgUnit, VillageFlag};

#[derive(Subcommand)]
pub enum UnitCmd {
    /// Add an org unit (prints its code)
    Add {
        /// Official code, e.g. 150625100201
        #[arg(long)]
        code: String,
        /// Name, e.g. 阿斯尔嘎查
        #[arg(long)]
        name: String,
        /// banner | township | village | hamlet (or 旗 / 苏木镇 / 嘎查村 / 自然村)
        #[arg(long, value_parser = parse::code::<Level>)]
        level: Level,
        /// Code of the unit one level up (every level but a banner has one)
        #[arg(long, value_name = "CODE")]
        parent: Option<String>,
    },
    /// List the org units as a tree, with their flags
    List,
    /// Flag a village (leaders): seepage (沿黄渗漏区) or key-village (重点村); --off clears it
    Flag {
        /// The village: its code or its name
        village: String,
        /// seepage | key-village (or 沿黄渗漏区 / 重点村)
        #[arg(value_parser = parse::code::<VillageFlag>)]
        flag: VillageFlag,
        /// Clear the flag instead of setting it
        #[arg(long)]
        off: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: UnitCmd) -> Result<()> {
    match cmd {
        UnitCmd::Add {
            code,
            name,
            level,
            parent,
        } => {
            let mut store = ctx.open()?;
            let code = code.trim().to_string();
            let parent = parent
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty());
            store.add_unit(&OrgUnit {
                code: code.clone(),
                name: name.trim().to_string(),
                level,
                parent,
                seepage: false,
                key_village: false,
            })?;
            output::created(ctx.json, &code)
        }
        UnitCmd::Flag { village, flag, off } => {
            let mut store = ctx.open()?;
            let unit = store.find_village(&village)?;
            store.flag_village(&unit.code, flag, !off)?;
            let unit = store.unit(&unit.code)?;
            if ctx.json {
                return output::json(&unit);
            }
            let (zh, en) = match unit.has(flag) {
                true => ("已标记为", "is now flagged"),
                false => ("不再标记为", "is no longer flagged"),
            };
            output::lines(vec![format!(
                "{} {} {zh}{}（{} {en} {}）",
                unit.code,
                unit.name,
                flag.zh(),
                unit.name,
                flag.en()
            )])
        }
        UnitCmd::List => {
            let store = ctx.open()?;
            let units = store.units()?;
            if ctx.json {
                return output::json(&units);
            }
            if units.is_empty() {
                output::note(
                    "还没有组织单位：用 tally unit add 添加",
                    "no org units yet: add one with `tally unit add`",
                );
                return Ok(());
            }
            let mut t = Grid::new(&["编码", "名称", "级别", "上级", "标记"]);
            for (depth, u) in tree(&units) {
                let flags: Vec<&str> = VillageFlag::ALL
                    .iter()
                    .filter(|f| u.has(**f))
                    .map(|f| f.zh())
                    .collect();
                t.row(vec![
                    format!("{}{}", "  ".repeat(depth), u.code),
                    u.name.clone(),
                    u.level.zh().to_string(),
                    u.parent.clone().unwrap_or_default(),
                    flags.join("、"),
                ]);
            }
            t.print()
        }
    }
}

/// Units in tree order (each followed by its children) with their depth; units whose
/// parent is unknown here are roots.
fn tree(units: &[OrgUnit]) -> Vec<(usize, &OrgUnit)> {
    let known = |code: &str| units.iter().any(|u| u.code == code);
    let mut out = Vec::new();
    let mut stack: Vec<(usize, &OrgUnit)> = units
        .iter()
        .filter(|u| u.parent.as_deref().is_none_or(|p| !known(p)))
        .rev()
        .map(|u| (0, u))
        .collect();
    while let Some((depth, u)) = stack.pop() {
        if out.len() > units.len() {
            break; // a parent cycle in bad data
        }
        out.push((depth, u));
        let kids = units
            .iter()
            .filter(|k| k.parent.as_deref() == Some(&u.code))
            .rev();
        stack.extend(kids.map(|k| (depth + 1, k)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_lists_children_under_their_parent() {
        let u = |code: &str, level, parent: Option<&str>| OrgUnit::new(code, code, level, parent);
        let units = [
            u("1", Level::Banner, None),
            u("11", Level::Township, Some("1")),
            u("12", Level::Township, Some("1")),
            u("111", Level::Village, Some("11")),
            u("121", Level::Village, Some("12")),
            u("9", Level::Village, Some("unknown")),
        ];
        let got: Vec<(usize, &str)> = tree(&units)
            .into_iter()
            .map(|(d, u)| (d, u.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (0, "1"),
                (1, "11"),
                (2, "111"),
                (1, "12"),
                (2, "121"),
                (0, "9")
            ]
        );
    }
}
