//! Backups of the device database, and restoring one: a laptop that dies or is lost
//! takes nothing with it that a backup holds. A backup is an online, consistent copy,
//! encrypted with the database's key. A restored device syncs on as before: what it had
//! sent again is answered with the receipts the server already gave (a replay), and
//! what it missed since the backup comes back in the next pull.

use crate::{key, DbKey, Result, Store, StoreError};
use rusqlite::{Connection, OptionalExtension};
use std::path::{Path, PathBuf};

/// Daily backups the desktop keeps.
pub const KEEP_DAILY: usize = 7;

impl Store {
    /// The key this database was opened with (`None` in memory): its backups open with it.
    pub fn key(&self) -> Option<&DbKey> {
        self.key.as_ref()
    }

    /// Write an encrypted, consistent copy of this database to `dest` (a new file),
    /// while the store stays usable.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        let key = self.key.as_ref().ok_or_else(|| StoreError::Backup {
            path: dest.to_path_buf(),
            why: "a database in memory has no file to back up".into(),
        })?;
        key::copy_to(&self.conn, dest, key)
    }

    /// Today's backup in `dir` (`tally-YYYY-MM-DD.db`, the device's local day) unless
    /// it exists, keeping the newest [`KEEP_DAILY`]; the path written, if any.
    pub fn daily_backup(&self, dir: &Path) -> Result<Option<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let today = dir.join(format!("tally-{}.db", self.today()));
        let written = if today.exists() {
            None
        } else {
            self.backup_to(&today)?;
            Some(today)
        };
        let mut all = daily_backups(dir);
        while all.len() > KEEP_DAILY {
            let oldest = all.remove(0);
            let _ = std::fs::remove_file(oldest);
        }
        Ok(written)
    }
}

/// The daily backups in `dir`, oldest first.
pub fn daily_backups(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                        n.starts_with("tally-") && n.ends_with(".db") && n.len() == 19
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    all.sort();
    all
}

/// What a backup holds: its device and how much.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupInfo {
    pub device_id: String,
    pub device_name: String,
    pub changes: i64,
}

/// Read a backup (it must open with `key` and be a Tally device database).
pub fn inspect(from: &Path, key: &DbKey) -> Result<BackupInfo> {
    let bad = |why: &str| StoreError::Backup {
        path: from.to_path_buf(),
        why: why.into(),
    };
    if !from.is_file() {
        return Err(bad("no such file"));
    }
    let conn = Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    key::unlock(&conn, key, from)?;
    let meta = |k: &str| -> Result<Option<String>> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
            .optional()
            .map_err(|_| bad("not a Tally device database"))
    };
    let device_id = meta("device_id")?.ok_or_else(|| bad("not a Tally device database"))?;
    let device_name = meta("device_name")?.unwrap_or_default();
    let changes = conn
        .query_row("SELECT count(*) FROM change_log", [], |r| r.get(0))
        .map_err(|_| bad("not a Tally device database"))?;
    Ok(BackupInfo {
        device_id,
        device_name,
        changes,
    })
}

/// Put the backup `from` in place of the database at `path` (closed: no store may be
/// open on it). The backup must open with `backup_key`: this device's own `key`, or, for
/// a backup brought to another computer, the key of the one it was made on (as `tally
/// key show` printed it); it is then re-encrypted with `key`. A database already at
/// `path` must be the same device's (another device's would be overwritten by mistake)
/// and is kept beside it as `….before-restore-STAMP.bak`. Returns what was restored.
pub fn restore(
    path: &Path,
    from: &Path,
    backup_key: &DbKey,
    key: &DbKey,
    stamp: &str,
) -> Result<BackupInfo> {
    let info = inspect(from, backup_key)?;
    let sibling = |suffix: &str| {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(suffix);
        path.with_file_name(name)
    };
    if path.exists() {
        let current = Store::open(path, key)?;
        if let Ok(device) = current.device() {
            if device.id.to_string() != info.device_id {
                return Err(StoreError::Backup {
                    path: from.to_path_buf(),
                    why: format!(
                        "it is the backup of another device ({}), not of this one ({})",
                        info.device_name, device.name
                    ),
                });
            }
        }
        current.backup_to(&sibling(&format!(".before-restore-{stamp}.bak")))?;
        drop(current);
    }
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let incoming = sibling(".restoring");
    let _ = std::fs::remove_file(&incoming);
    std::fs::copy(from, &incoming).map_err(io)?;
    if backup_key != key {
        let conn = Connection::open(&incoming)?;
        key::unlock(&conn, backup_key, &incoming)?;
        key::rekey(&conn, key)?;
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(sibling(suffix));
    }
    std::fs::rename(&incoming, path).map_err(io)?;
    // Opening it brings the schema up to date (a backup from an older build).
    Store::open(path, key)?;
    Ok(info)
}
