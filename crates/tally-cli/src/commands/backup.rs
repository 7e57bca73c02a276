//! `tally backup FILE` and `tally restore FILE`: an encrypted, consistent copy of the
//! device database, and putting one back (the database's own key opens both).

use super::Ctx;
use crate::{output, Failure};
use anyhow::Result;
use std::io::BufRead;
use std::path::Path;
use tally_store::{backup, DbKey};

/// `tally backup FILE`: write the copy (a new file) while nothing else changes.
pub fn backup(ctx: &Ctx, to: &Path) -> Result<()> {
    let store = ctx.open()?;
    store.backup_to(to)?;
    let key = store.key().ok_or(tally_store::StoreError::NoKey)?;
    let info = backup::inspect(to, key)?;
    if ctx.json {
        return output::json(&serde_json::json!({
            "backup": to, "device": info.device_name, "changes": info.changes,
        }));
    }
    output::lines([format!(
        "已备份 backed up: {} （设备 device {}，{} 条记录 changes；已加密 encrypted）",
        to.display(),
        info.device_name,
        info.changes
    )])
}

/// `tally restore FILE`: put the backup in place of the database (the one there is kept
/// beside it); the next `tally sync` sends again what the backup had pending (the server
/// answers with the receipts it gave) and receives what came since. With
/// `--backup-key-stdin`, the backup was made on another computer, whose key (as `tally
/// key show` printed it) is read from standard input.
pub fn restore(ctx: &Ctx, from: &Path, backup_key_stdin: bool) -> Result<()> {
    let (key, _) = tally_store::key::resolve(&ctx.db)?;
    let backup_key = if backup_key_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        DbKey::parse(line.trim_end_matches(['\r', '\n'])).map_err(|_| {
            Failure::usage(
                format!(
                    "标准输入中的密钥不对：应为 64 位十六进制数（tally key show 显示的），或至少 {} 个字的口令",
                    tally_store::key::MIN_PASSPHRASE
                ),
                "the key on standard input must be 64 hex digits (as `tally key show` printed it) or a passphrase",
            )
        })?
    } else {
        key.clone()
    };
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let info = backup::restore(&ctx.db, from, &backup_key, &key, &stamp)?;
    if ctx.json {
        return output::json(&serde_json::json!({
            "restored": from, "db": ctx.db, "device": info.device_name, "changes": info.changes,
        }));
    }
    output::lines([
        format!(
            "已恢复 restored: {} → {} （设备 device {}，{} 条记录 changes）",
            from.display(),
            ctx.db.display(),
            info.device_name,
            info.changes
        ),
        "请运行 tally sync：备份之后的内容会从服务器收回 / run `tally sync` to receive what came after the backup".to_string(),
    ])
}

/// `tally key show`: this device database's key, to write down and keep apart from the
/// laptop: a backup restored on another computer needs it.
pub fn show_key(ctx: &Ctx) -> Result<()> {
    let store = ctx.open()?;
    let key = store.key().ok_or(tally_store::StoreError::NoKey)?;
    let hex = key.hex();
    if ctx.json {
        return output::json(&serde_json::json!({
            "kind": if hex.is_some() { "key" } else { "passphrase" }, "key": hex,
        }));
    }
    match hex {
        Some(hex) => output::lines([
            format!("本机数据库密钥 / this device's database key: {hex}"),
            "请抄下来，与电脑分开保存：在别的电脑上恢复本机的备份时要用（tally restore 文件 --backup-key-stdin）".into(),
            "write it down and keep it apart from the laptop: restoring this device's backup on another computer needs it".into(),
        ]),
        None => output::lines([
            "本机数据库用口令加密，口令就是密钥 / this database is encrypted with a passphrase: the passphrase is its key".to_string(),
        ]),
    }
}
