//! `tally bundle export FILE` and `tally bundle import-receipts FILE`: sync carried on a
//! USB stick when there is no network at all. The server imports the bundle
//! (`tally-server bundle import`) and writes the receipts this device imports.

use super::Ctx;
use crate::{output, Failure};
use anyhow::Result;
use clap::Subcommand;
use std::path::{Path, PathBuf};
use tally_sync::bundle;

#[derive(Subcommand)]
pub enum BundleCmd {
    /// Write the entries not yet sent, and where this device's sync stands, to FILE
    /// (导出同步包)
    Export {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Record the receipts the server wrote for a bundle (导入回执)
    ImportReceipts {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Carry another device's bundle to the server from this logged-in device (a
    /// leader's), and write its receipts to give back (代传同步包)
    Forward {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Where to write the receipts
        #[arg(long, value_name = "FILE")]
        receipts: PathBuf,
        /// Put the changes that device should receive into the receipts as well
        #[arg(long)]
        with_changes: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: BundleCmd) -> Result<()> {
    match cmd {
        BundleCmd::Export { file } => export(ctx, &file),
        BundleCmd::ImportReceipts { file } => import_receipts(ctx, &file),
        BundleCmd::Forward {
            file,
            receipts,
            with_changes,
        } => forward(ctx, &file, &receipts, with_changes),
    }
}

fn export(ctx: &Ctx, to: &Path) -> Result<()> {
    let store = ctx.open()?;
    let id = uuid::Uuid::now_v7().to_string();
    let done = bundle::export(&store, &id)?;
    write_whole(to, &done.file)?;
    if ctx.json {
        return output::json(&serde_json::json!({
            "bundle": to, "bundle_id": done.bundle_id, "changes": done.changes,
        }));
    }
    output::lines([
        format!(
            "已导出同步包 / bundle written: {} （{} 条待同步 / pending changes）",
            to.display(),
            done.changes
        ),
        "下一步 / next: 带到服务器运行 tally-server bundle import，再把回执带回来运行 tally bundle import-receipts".to_string(),
    ])
}

fn import_receipts(ctx: &Ctx, from: &Path) -> Result<()> {
    let bytes = read(from)?;
    let mut store = ctx.open()?;
    let done = bundle::import_receipts(&mut store, &bytes)?;
    if ctx.json {
        return output::json(&done);
    }
    let mut lines = vec![format!(
        "已导入回执 / receipts imported: 已接收 accepted {}, 被拒收 rejected {}, 收到 received {}",
        done.accepted, done.rejected, done.received
    )];
    if done.rejected > 0 {
        lines.push("被拒收的条目见 tally status / see `tally status` for the rejections".into());
    }
    if done.changed_since > 0 {
        lines.push(format!(
            "{} 条在导出后又改过，下次同步时再发送 / changed since the export, sent at the next sync",
            done.changed_since
        ));
    }
    if done.restamped > 0 {
        lines.push(format!(
            "{} 条因本机时钟偏快已重新盖时间 / re-stamped: this device's clock runs ahead",
            done.restamped
        ));
    }
    if done.pull_skipped {
        lines.push(
            "本设备导出后已同步过，回执中的下发内容不再需要 / synced since the export: the changes in the receipts were not needed".into(),
        );
    } else if done.more {
        lines.push("服务器还有更多内容，下次同步或导出时带回 / the server has more: they come with the next sync or bundle".into());
    }
    output::lines(lines)
}

fn read(from: &Path) -> Result<Vec<u8>> {
    Ok(std::fs::read(from).map_err(|e| {
        Failure::new(
            format!("无法读取文件 {}", from.display()),
            format!("cannot read {}: {e}", from.display()),
        )
    })?)
}

fn forward(ctx: &Ctx, from: &Path, to: &Path, with_changes: bool) -> Result<()> {
    let bytes = read(from)?;
    let store = ctx.open()?;
    let server = store
        .sync_meta()?
        .server
        .ok_or(tally_sync::SyncError::NotLoggedIn)?;
    let mut t = super::sync::transport(&server)?;
    let mut client = tally_sync::Client::new(&mut t, tally_sync::SyncOptions::default());
    let done = bundle::forward(&mut client, &store, &bytes, with_changes)?;
    write_whole(to, &done.receipts)?;
    if ctx.json {
        return output::json(&done);
    }
    output::lines([
        format!(
            "已代传同步包 / bundle forwarded: 设备 device {}: 接收 accepted {}, 拒收 rejected {}",
            done.device, done.accepted, done.rejected
        ),
        format!(
            "回执 / receipts: {} （下发 / changes for the device: {}）；请交给该设备运行 tally bundle import-receipts",
            to.display(),
            done.received
        ),
    ])
}

/// Write the bundle whole or not at all.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    tally_protocol::bundle::write_file(path, bytes).map_err(|e| {
        Failure::new(
            format!("无法写入文件 {}", path.display()),
            format!("cannot write {}: {e}", path.display()),
        )
    })?;
    Ok(())
}
