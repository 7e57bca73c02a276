//! `tally backup FILE` and `tally restore FILE`: an encrypted, consistent copy of the
//! device database, and putting one back (the database's own key opens both).

use super::Ctx;
use crate::output;
use anyhow::Result;
use std::path::Path;
use tally_store::backup;

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
/// answers with the receipts it gave) and receives what came since.
pub fn restore(ctx: &Ctx, from: &Path) -> Result<()> {
    let (key, _) = tally_store::key::resolve(&ctx.db)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let info = backup::restore(&ctx.db, from, &key, &stamp)?;
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
