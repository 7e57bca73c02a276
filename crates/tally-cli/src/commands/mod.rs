//! The commands, one module per noun, and what they share: the context (database path,
//! output format) and opening the store.

pub mod backup;
pub mod bundle;
pub mod conflicts;
pub mod household;
pub mod ledger;
pub mod records;
pub mod sync;
pub mod unit;

use crate::{output, Failure};
use anyhow::Result;
use std::path::PathBuf;
use tally_store::Store;

/// What every command gets from the global options.
pub struct Ctx {
    pub db: PathBuf,
    pub json: bool,
}

impl Ctx {
    /// Open the database of an initialised device. A missing file is not created (a
    /// mistyped `--db` must not start an empty database).
    pub fn open(&self) -> Result<Store> {
        if !self.db.exists() {
            return Err(Failure::new(
                format!("没有数据库 {}：请先运行 tally init --device-name 名称（或用 --db 指定已有的数据库）", self.db.display()),
                format!("no database at {}: run `tally init --device-name NAME` first (or pass --db with an existing one)", self.db.display()),
            )
            .into());
        }
        let (key, _) = tally_store::key::resolve(&self.db)?;
        let store = Store::open(&self.db, &key)?;
        store.device()?;
        Ok(store)
    }
}

/// `tally init`: create the database and give this device its id and name.
pub fn init(ctx: &Ctx, device_name: &str) -> Result<()> {
    let (key, _) = tally_store::key::resolve(&ctx.db)?;
    let mut store = Store::open(&ctx.db, &key)?;
    let device = store.init(device_name)?;
    if ctx.json {
        return output::json(&serde_json::json!({ "device": device, "db": ctx.db }));
    }
    output::lines([
        format!(
            "已初始化本设备 / device set up: {} ({})",
            device.name, device.id
        ),
        format!("数据库 / database: {}", ctx.db.display()),
    ])
}

/// Print the result of an edit of an existing row; "nothing to change" is not a failure
/// (running the same command twice is fine).
pub fn saved(ctx: &Ctx, result: tally_store::Result<tally_store::Edited>) -> Result<()> {
    output::saved(ctx.json, result?.change())
}
