//! The device database is encrypted at rest (SQLCipher): names, phones and poverty
//! categories of households must not be readable from a lost laptop. A store opens only
//! with its key; a database written before encryption is encrypted in place the first
//! time it is opened with a key, losing nothing.

use crate::StoreError;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// The environment variable a key can come from (scripts, CI, a headless box): 64 hex
/// digits for a raw 256-bit key, or a passphrase of at least [`MIN_PASSPHRASE`] chars.
pub const ENV: &str = "TALLY_DB_KEY";
/// The shortest passphrase accepted.
pub const MIN_PASSPHRASE: usize = 8;

/// What unlocks a device database.
#[derive(Clone, PartialEq, Eq)]
pub enum DbKey {
    /// A random 256-bit key (the OS keyring holds it, or `TALLY_DB_KEY` as hex).
    Raw([u8; 32]),
    /// A passphrase the user types; SQLCipher derives the key from it (PBKDF2).
    Passphrase(String),
}

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbKey::Raw(_) => f.write_str("DbKey::Raw(…)"),
            DbKey::Passphrase(_) => f.write_str("DbKey::Passphrase(…)"),
        }
    }
}

/// A key that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the database key (TALLY_DB_KEY) must be 64 hex digits or a passphrase of at least {MIN_PASSPHRASE} characters")]
    TooShort,
}

impl DbKey {
    /// A fresh random key (a new device whose keyring will hold it).
    pub fn random() -> DbKey {
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        DbKey::Raw(bytes)
    }

    /// Read a key as `TALLY_DB_KEY` holds it: 64 hex digits, or a passphrase.
    pub fn parse(text: &str) -> Result<DbKey, KeyError> {
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut bytes = [0u8; 32];
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
                    .map_err(|_| KeyError::TooShort)?;
            }
            return Ok(DbKey::Raw(bytes));
        }
        if text.chars().count() < MIN_PASSPHRASE {
            return Err(KeyError::TooShort);
        }
        Ok(DbKey::Passphrase(text.to_string()))
    }

    /// `TALLY_DB_KEY` if it is set.
    pub fn from_env() -> Option<Result<DbKey, KeyError>> {
        std::env::var(ENV).ok().map(|v| DbKey::parse(&v))
    }

    /// The key as hex (what a keyring stores); `None` for a passphrase.
    pub fn hex(&self) -> Option<String> {
        match self {
            DbKey::Raw(b) => Some(b.iter().map(|x| format!("{x:02x}")).collect()),
            DbKey::Passphrase(_) => None,
        }
    }

    /// The value of `PRAGMA key` (and of `ATTACH … KEY`).
    fn pragma(&self) -> String {
        match self {
            DbKey::Raw(_) => format!("x'{}'", self.hex().unwrap_or_default()),
            DbKey::Passphrase(p) => p.clone(),
        }
    }
}

/// Where a key came from (said in logs and by `tally status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    Keyring,
    /// Made now for a new (or not yet encrypted) database and put in the keyring.
    NewInKeyring,
}

/// The key of the database at `path`: `TALLY_DB_KEY` if set; else the OS keyring's
/// (service `tally`, the database's full path as the account); else, for a database
/// that is new or not yet encrypted, a fresh random key put in the keyring. Without
/// either, the database is not opened (never silently unencrypted).
pub fn resolve(path: &Path) -> Result<(DbKey, KeySource), StoreError> {
    if let Some(key) = DbKey::from_env() {
        return key
            .map(|k| (k, KeySource::Environment))
            .map_err(|e| StoreError::BadKey(e.to_string()));
    }
    let account = std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned();
    let entry = keyring::Entry::new("tally", &account).map_err(|_| StoreError::NoKey)?;
    match entry.get_password() {
        Ok(hex) => DbKey::parse(&hex)
            .map(|k| (k, KeySource::Keyring))
            .map_err(|e| StoreError::BadKey(e.to_string())),
        Err(keyring::Error::NoEntry) if !path.exists() || is_plain(path) => {
            let key = DbKey::random();
            let hex = key.hex().unwrap_or_default();
            entry.set_password(&hex).map_err(|_| StoreError::NoKey)?;
            // Only a key the keyring gives back is used: one it lost would lock us out.
            match entry.get_password() {
                Ok(back) if back == hex => Ok((key, KeySource::NewInKeyring)),
                _ => Err(StoreError::NoKey),
            }
        }
        Err(_) => Err(StoreError::NoKey),
    }
}

/// Key a freshly opened connection and check the key opens the file.
pub(crate) fn unlock(conn: &Connection, key: &DbKey, path: &Path) -> Result<(), StoreError> {
    conn.pragma_update(None, "key", key.pragma())?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Err(StoreError::WrongKey {
                path: path.to_path_buf(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Encrypt the database open on `conn` with `key` from now on (SQLCipher re-encrypts every
/// page).
pub(crate) fn rekey(conn: &Connection, key: &DbKey) -> Result<(), StoreError> {
    conn.pragma_update(None, "rekey", key.pragma())?;
    Ok(())
}

/// A consistent copy of the open database at `dest` (which must not exist), encrypted
/// with `key`: SQLite's online backup, page by page, while the store stays usable.
pub fn copy_to(conn: &Connection, dest: &Path, key: &DbKey) -> Result<(), StoreError> {
    if dest.exists() {
        return Err(StoreError::Io {
            path: dest.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "the file exists"),
        });
    }
    let mut copy = Connection::open(dest)?;
    unlock(&copy, key, dest)?;
    rusqlite::backup::Backup::new(conn, &mut copy)?.run_to_completion(
        1024,
        std::time::Duration::ZERO,
        None,
    )?;
    Ok(())
}

/// Whether the file at `path` is a plain (unencrypted) SQLite database: its first bytes
/// are SQLite's own header, which an encrypted file never shows.
pub(crate) fn is_plain(path: &Path) -> bool {
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| &head == b"SQLite format 3\0")
}

/// Encrypt the plain database at `path` in place: an encrypted copy is written beside
/// it and checked (same tables, same rows, same schema version), kept as a backup,
/// and put in the database's place; only then is the plain file overwritten and
/// removed. Returns the backup's path.
pub(crate) fn encrypt_in_place(
    path: &Path,
    key: &DbKey,
    stamp: &str,
) -> Result<PathBuf, StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let sibling = |suffix: &str| {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(suffix);
        path.with_file_name(name)
    };
    let fresh = sibling(".encrypting");
    let backup = sibling(&format!(".before-encryption-{stamp}.bak"));
    let _ = std::fs::remove_file(&fresh);
    {
        let plain = Connection::open(path)?;
        // Everything into the main file first (the WAL is not copied by the export).
        plain.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let version: i64 = plain.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        plain.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            [fresh.to_string_lossy().to_string(), key.pragma()],
        )?;
        plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        plain.pragma_update(
            Some(rusqlite::DatabaseName::Attached("encrypted")),
            "user_version",
            version,
        )?;
        plain.execute_batch("DETACH DATABASE encrypted")?;
        let copy = Connection::open(&fresh)?;
        unlock(&copy, key, &fresh)?;
        same_content(&plain, &copy)?;
    }
    std::fs::copy(&fresh, &backup).map_err(io)?;
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(sibling(suffix));
    }
    let plain_old = sibling(".plain");
    std::fs::rename(path, &plain_old).map_err(io)?;
    std::fs::rename(&fresh, path).map_err(io)?;
    shred(&plain_old).map_err(io)?;
    Ok(backup)
}

/// Every table holds the same number of rows in both, and the schema version agrees.
fn same_content(a: &Connection, b: &Connection) -> Result<(), StoreError> {
    let tables: Vec<String> = a
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let count = |c: &Connection, t: &str| -> Result<i64, StoreError> {
        Ok(c.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))?)
    };
    for t in &tables {
        if count(a, t)? != count(b, t)? {
            return Err(StoreError::Encryption(format!(
                "table {t} differs in the encrypted copy"
            )));
        }
    }
    let version = |c: &Connection| -> Result<i64, StoreError> {
        Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    };
    if version(a)? != version(b)? {
        return Err(StoreError::Encryption(
            "the schema version differs in the encrypted copy".into(),
        ));
    }
    Ok(())
}

/// Overwrite a file with zeros, then remove it.
fn shred(path: &Path) -> std::io::Result<()> {
    let len = std::fs::metadata(path)?.len();
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    let zeros = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        std::io::Write::write_all(&mut f, &zeros[..n])?;
        left -= n as u64;
    }
    f.sync_all()?;
    drop(f);
    std::fs::remove_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_as_hex_or_passphrase() {
        let hex = "00".repeat(31) + "ff";
        let raw = DbKey::parse(&hex).unwrap();
        assert!(matches!(raw, DbKey::Raw(b) if b[31] == 0xff && b[0] == 0));
        assert_eq!(raw.hex().as_deref(), Some(hex.as_str()));
        assert_eq!(raw.pragma(), format!("x'{hex}'"));
        assert_eq!(
            DbKey::parse("驻村干部的口令很长").unwrap(),
            DbKey::Passphrase("驻村干部的口令很长".into())
        );
        for short in ["", "short", "1234567"] {
            assert_eq!(DbKey::parse(short), Err(KeyError::TooShort), "{short:?}");
        }
        // 64 characters that are not all hex digits: a passphrase.
        assert!(matches!(
            DbKey::parse(&"g".repeat(64)),
            Ok(DbKey::Passphrase(_))
        ));
        assert_ne!(DbKey::random(), DbKey::random());
        assert_eq!(
            format!("{:?}", DbKey::random()),
            "DbKey::Raw(…)",
            "never printed"
        );
    }
}
