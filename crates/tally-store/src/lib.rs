//! The device database: every edit writes its row and its change (the outbox and the
//! audit trail) in one SQLite transaction; rows from elsewhere are merged with the same
//! core function the server uses; typed projections serve search and the ledger.

pub mod backup;
mod duplicates;
mod edit;
mod household;
pub mod key;
pub mod migrate;
mod project;
mod query;
mod review;
mod roster;
mod scope;
mod sums;
mod sync;
mod time;
mod tombstone;
mod unit;
mod village;
mod withdraw;
mod works;

pub use duplicates::{DuplicateGroup, MergeResult};
pub use edit::{Edit, Edited, NewHousehold, TargetPlan, WorksAbout};
pub use household::{HouseholdChanges, HouseholdDetail, TimelineItem, TimelineKind};
pub use key::{DbKey, KeyError, KeySource};
pub use query::{HistoryEntry, HouseholdFilter, HouseholdSummary};
pub use review::{Counts, Keep, Resolution};
pub use roster::{listed, LineProblem, RosterError, RosterImport, SHOWN_ERRORS};
pub use sync::{ApplyStats, OutboxEntry, OutboxState, Remote, SyncMeta};
pub use time::{FakeTime, SystemTime, TimeSource};
pub use tombstone::Withdrawal;
pub use village::{Candidate, Villages};
pub use works::{NewProgress, ProgressChanges, WorksUpdate};

use rusqlite::{Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use tally_core::{DeviceId, Explain, HlcClock, ValidationError};
use thiserror::Error;

/// What went wrong in the store, named for what the caller can do about it.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("no open conflict on {field} of {row}")]
    NoOpenConflict { row: String, field: String },
    #[error("{field} has {n} losing values: name the one to keep")]
    SeveralOthers { field: String, n: usize },
    /// What was typed for a village is blank, or no unit's code or name.
    #[error("{}", unknown_village_en(.0))]
    UnknownVillage(String),
    /// What was typed for a village is a unit above village level.
    #[error("{typed:?} is {}, a {}, not a village or hamlet", .unit.en(), .level.code())]
    NotAVillage {
        typed: String,
        unit: Candidate,
        level: tally_core::Level,
    },
    /// Several villages or hamlets have the name typed: the code says which.
    #[error("{} villages or hamlets are named {name:?}: {}; give the village code", .candidates.len(), candidates_en(.candidates))]
    AmbiguousVillage {
        name: String,
        candidates: Vec<Candidate>,
    },
    /// The unit is outside the logged-in account's units (it would be refused at sync).
    #[error("{name} ({unit}) is not among this account's units: nothing can be recorded or changed there")]
    OutOfScope { unit: String, name: String },
    /// Targets and org units are set by team leaders (and admins).
    #[error("{} can only be set by a team leader", .0.label(tally_core::Lang::En))]
    PlanningForbidden(tally_core::Table),
    /// Withdrawing a record, or correcting a visit, load or demolition, someone else
    /// entered is for them and for leaders (`tally_core::scope::may_retouch`).
    #[error("{author} entered this record: only they or a leader may withdraw or correct it")]
    NotTheAuthor { author: String },
    #[error("this device is not set up yet: run `tally init --device-name NAME` first")]
    NotInitialized,
    #[error("this device is already set up as {0:?}")]
    AlreadyInitialized(String),
    #[error("the database was written by a newer Tally (schema {found}, this build knows {supported}); please update Tally")]
    TooNew { found: usize, supported: usize },
    #[error("migration {name} failed: {source}")]
    Migration {
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot create the data folder {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The key does not open the database (or the file is not a Tally database).
    #[error("the key does not open {path} (a wrong key or passphrase, or not a Tally database)")]
    WrongKey { path: PathBuf },
    /// No key for the database: it is never opened (or made) unencrypted.
    #[error("no key for the device database: set TALLY_DB_KEY (64 hex digits or a passphrase of 8+ characters), or use a desktop with a keyring")]
    NoKey,
    /// A backup that cannot be written or restored.
    #[error("backup {path}: {why}")]
    Backup { path: PathBuf, why: String },
    /// `TALLY_DB_KEY` (or the keyring's entry) cannot be a key.
    #[error("{0}")]
    BadKey(String),
    /// Encrypting a plain database found a difference; the plain one is untouched.
    #[error("encrypting the database stopped: {0}; the database is unchanged")]
    Encryption(String),
}

/// The reason a backup is refused, in Chinese (the English reasons are fixed phrases).
fn backup_why_zh(why: &str) -> String {
    match why {
        "no such file" => "文件不存在".into(),
        "not a Tally device database" => "不是 Tally 的本机数据库".into(),
        "a database in memory has no file to back up" => "内存中的数据库没有文件可备份".into(),
        other => match other.strip_prefix("it is the backup of another device (") {
            Some(rest) => {
                let (theirs, ours) = rest
                    .split_once("), not of this one (")
                    .unwrap_or((rest, ""));
                format!(
                    "这是另一台设备（{theirs}）的备份，不是本机（{}）的",
                    ours.trim_end_matches(')')
                )
            }
            None => other.into(),
        },
    }
}

impl Explain for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::Invalid(v) => v.code(),
            StoreError::NotFound { .. } => "not_found",
            StoreError::NoOpenConflict { .. } => "no_open_conflict",
            StoreError::SeveralOthers { .. } => "several_losing_values",
            StoreError::UnknownVillage(_) => "unknown_village",
            StoreError::NotAVillage { .. } => "not_a_village",
            StoreError::AmbiguousVillage { .. } => "ambiguous_village",
            StoreError::OutOfScope { .. } => "out_of_scope",
            StoreError::PlanningForbidden(_) => "planning_forbidden",
            StoreError::NotTheAuthor { .. } => "forbidden",
            StoreError::NotInitialized => "not_initialized",
            StoreError::AlreadyInitialized(_) => "already_initialized",
            StoreError::TooNew { .. } => "database_too_new",
            StoreError::Migration { .. } => "migration_failed",
            StoreError::Corrupt(_) => "corrupt",
            StoreError::Sqlite(_) => "database",
            StoreError::Io { .. } => "data_folder",
            StoreError::WrongKey { .. } => "wrong_key",
            StoreError::NoKey => "no_key",
            StoreError::BadKey(_) => "bad_key",
            StoreError::Backup { .. } => "backup_refused",
            StoreError::Encryption(_) => "encryption_failed",
        }
    }

    fn zh(&self) -> String {
        match self {
            StoreError::Invalid(v) => v.zh(),
            StoreError::NotFound { what, id } => format!("找不到{}：{id}", what_zh(what)),
            StoreError::NoOpenConflict { row, field } => format!(
                "{row} 的{}没有待处理的冲突",
                tally_core::labels::field(field, tally_core::labels::Lang::Zh)
            ),
            StoreError::SeveralOthers { field, n } => format!(
                "{}有 {n} 个落选值：请写明保留哪一个",
                tally_core::labels::field(field, tally_core::labels::Lang::Zh)
            ),
            StoreError::UnknownVillage(typed) if typed.is_empty() => {
                "必须填写村（代码或名称）".into()
            }
            StoreError::UnknownVillage(typed) => {
                format!("本机没有代码或名称为“{typed}”的嘎查村或自然村")
            }
            StoreError::NotAVillage { typed, unit, level } => format!(
                "“{typed}”是{} {}，不是嘎查村或自然村",
                level.zh(),
                unit.zh()
            ),
            StoreError::AmbiguousVillage { name, candidates } => format!(
                "村“{name}”有 {} 个：{}；请填写村代码",
                candidates.len(),
                candidates
                    .iter()
                    .map(Candidate::zh)
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            StoreError::OutOfScope { unit, name } => {
                format!("{name}（{unit}）不在本账号负责的单位内，不能在这里登记或修改")
            }
            StoreError::PlanningForbidden(table) => {
                format!("{}只能由工作队长设定", table.label(tally_core::Lang::Zh))
            }
            StoreError::NotTheAuthor { author } => {
                format!("这条记录是 {author} 录入的，只有本人或队长可以撤销或更正")
            }
            StoreError::NotInitialized => {
                "本设备尚未初始化，请先运行 tally init --device-name 名称".into()
            }
            StoreError::AlreadyInitialized(name) => format!("本设备已初始化，设备名 {name}"),
            StoreError::TooNew { .. } => "数据库由更新版本的 Tally 写入，请先更新本程序".into(),
            StoreError::Migration { .. } => "数据库升级失败（升级前的备份仍在数据文件旁）".into(),
            StoreError::Corrupt(_) => "保存的数据已损坏".into(),
            StoreError::Sqlite(e) => format!("本机数据库出错：{e}"),
            StoreError::Io { path, .. } => format!("无法创建数据文件夹 {}", path.display()),
            // No path: a cadre reads it under the passphrase field (the English names it).
            StoreError::WrongKey { .. } => {
                "密钥或口令不对，打不开本机数据（或者这不是 Tally 的数据文件）".into()
            }
            StoreError::NoKey => "没有本机数据库的密钥：请设置环境变量 TALLY_DB_KEY（64 位十六进制或至少 8 个字的口令），或在有钥匙串的桌面上使用".into(),
            StoreError::Backup { path, why } => format!(
                "备份 {} 不能使用：{}",
                path.display(),
                backup_why_zh(why)
            ),
            StoreError::BadKey(_) => {
                "TALLY_DB_KEY 不能用作密钥：应为 64 位十六进制，或至少 8 个字的口令".into()
            }
            StoreError::Encryption(_) => "加密本机数据库时发现不一致，已停止；数据库保持原样".into(),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            StoreError::Invalid(v) => v.field(),
            StoreError::OutOfScope { .. } => Some("unit"),
            StoreError::WrongKey { .. } => Some("passphrase"),
            _ => None,
        }
    }
}

fn unknown_village_en(typed: &str) -> String {
    if typed.is_empty() {
        "a village (code or name) is required".into()
    } else {
        format!("no village or hamlet on this device has the code or name {typed:?}")
    }
}

fn candidates_en(candidates: &[Candidate]) -> String {
    candidates
        .iter()
        .map(Candidate::en)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Chinese name of what [`StoreError::NotFound`] did not find.
fn what_zh(what: &str) -> &str {
    match what {
        "org unit" => "组织单位",
        "rejected change" => "被拒绝的记录",
        "change" => "记录",
        other => other.parse::<tally_core::Table>().map_or(other, |t| t.zh()),
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who this device is, once initialised.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    pub id: DeviceId,
    pub name: String,
    /// The user edits are attributed to (the device name until someone logs in).
    pub author: String,
}

/// An open device database.
pub struct Store {
    conn: Connection,
    time: Box<dyn TimeSource + Send>,
    clock: HlcClock,
    /// Server minus device clock as last measured (kept here: every edit reads it).
    offset_ms: i64,
    device: Option<DeviceInfo>,
    path: Option<PathBuf>,
    /// The key the file was opened with (a backup is written with it).
    key: Option<DbKey>,
}

impl Store {
    /// Open (creating if needed) the encrypted database at `path` with `key` and bring
    /// its schema up to date. A plain database from before encryption is encrypted in
    /// place first (a backup beside it).
    pub fn open(path: &Path, key: &DbKey) -> Result<Store> {
        Self::open_with(path, key, Box::new(SystemTime))
    }

    /// Open with an injected time source (tests, simulations).
    pub fn open_with(path: &Path, key: &DbKey, time: Box<dyn TimeSource + Send>) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        if key::is_plain(path) {
            let bak = key::encrypt_in_place(path, key, &time::utc_stamp(time.now_ms()))?;
            tracing::info!(backup = %bak.display(), "device database encrypted");
        }
        let conn = Connection::open(path)?;
        key::unlock(&conn, key, path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a committed entry survives a power cut too (a laptop battery running flat).
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Copy the WAL back into the database every ~40 MB instead of every 4 MB: a big
        // pull commits pages of a few MB, and each copy rewrites the same index pages.
        // (Durability is the WAL's, fsynced at every commit either way.)
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        // Read the file through a memory map (up to 1 GiB) instead of a read() copy per
        // page: the ledger of a banner walks ~100 MB of index, in half the time. Writes
        // still go through the WAL with its fsync.
        conn.pragma_update(None, "mmap_size", 1_i64 << 30)?;
        // A pulled page (a few MB of rows and index entries) stays in the page cache
        // (64 MiB instead of 2) until its commit, instead of spilling to the WAL half-way;
        // the savepoint journal of a page is kept in memory, not in a temp file.
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        Self::setup(conn, Some((path.to_path_buf(), key.clone())), time)
    }

    /// A database in memory (tests).
    pub fn open_in_memory(time: Box<dyn TimeSource + Send>) -> Result<Store> {
        Self::setup(Connection::open_in_memory()?, None, time)
    }

    fn setup(
        mut conn: Connection,
        file: Option<(PathBuf, DbKey)>,
        time: Box<dyn TimeSource + Send>,
    ) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "foreign_keys", true)?;
        let stamp = time::utc_stamp(time.now_ms());
        let at = file.as_ref().map(|(p, k)| (p.as_path(), k));
        if let Some(bak) = migrate::migrate(&mut conn, at, &stamp)? {
            tracing::info!(backup = %bak.display(), "database backed up before migrating");
        }
        sums::rebuild_if_asked(&mut conn)?;
        let mut store = Store {
            conn,
            time,
            clock: HlcClock::default(),
            offset_ms: 0,
            device: None,
            path: file.as_ref().map(|(p, _)| p.clone()),
            key: file.map(|(_, k)| k),
        };
        store.load_identity()?;
        Ok(store)
    }

    /// Run `f` as one transaction: every edit inside lands, or none does (imports).
    pub fn batch<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        let clock = self.clock;
        self.conn.execute_batch("SAVEPOINT batch")?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("RELEASE batch")?;
                Ok(v)
            }
            Err(e) => {
                self.conn
                    .execute_batch("ROLLBACK TO batch; RELEASE batch")?;
                self.clock = clock;
                Err(e)
            }
        }
    }

    /// The database file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn load_identity(&mut self) -> Result<()> {
        let id = self.meta("device_id")?;
        self.device = match id {
            None => None,
            Some(id) => Some(DeviceInfo {
                id: id
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("device id {id:?}")))?,
                name: self.meta("device_name")?.unwrap_or_default(),
                author: self.meta("author")?.unwrap_or_default(),
            }),
        };
        if let Some(hlc) = self.meta("hlc")? {
            self.clock.last = hlc.parse().map_err(StoreError::Corrupt)?;
        }
        self.offset_ms = self
            .meta("clock_offset_ms")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok(())
    }

    /// Set this device up: a fresh device id and a name.
    pub fn init(&mut self, device_name: &str) -> Result<DeviceInfo> {
        let name = device_name.trim();
        let got = name.chars().count();
        if got == 0 || got > 60 {
            return Err(ValidationError::Value {
                field: "device-name".into(),
                value: format!("{device_name:?}"),
                why: tally_core::Invalid::Length {
                    min: 1,
                    max: 60,
                    got,
                },
            }
            .into());
        }
        if let Some(d) = &self.device {
            return Err(StoreError::AlreadyInitialized(d.name.clone()));
        }
        let id = DeviceId(self.new_uuid());
        let tx = self.conn.savepoint()?;
        for (k, v) in [
            ("device_id", id.to_string()),
            ("device_name", name.to_string()),
            ("author", name.to_string()),
        ] {
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                (k, v),
            )?;
        }
        tx.commit()?;
        self.load_identity()?;
        self.device.clone().ok_or(StoreError::NotInitialized)
    }

    /// This device, or an error telling the user to run `init`.
    pub fn device(&self) -> Result<&DeviceInfo> {
        self.device.as_ref().ok_or(StoreError::NotInitialized)
    }

    /// Attribute later edits to a user (after logging in).
    pub fn set_author(&mut self, author: &str) -> Result<()> {
        self.set_meta("author", author)?;
        self.load_identity()
    }

    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub(crate) fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            (key, value),
        )?;
        Ok(())
    }

    fn new_uuid(&self) -> uuid::Uuid {
        let bytes: [u8; 10] = rand::random();
        uuid::Builder::from_unix_timestamp_millis(self.corrected_ms(), &bytes).into_uuid()
    }

    /// The device clock as it is, uncorrected (for measuring the offset).
    pub fn device_ms(&self) -> u64 {
        self.time.now_ms()
    }

    /// Physical time corrected by the clock offset measured at the last sync.
    pub fn corrected_ms(&self) -> u64 {
        let offset = self.clock_offset_ms();
        self.time.now_ms().saturating_add_signed(offset)
    }

    /// The local calendar date now (corrected clock, device time zone).
    pub fn today(&self) -> chrono::NaiveDate {
        time::local_date(self.corrected_ms(), self.time.utc_offset_min())
    }

    /// Server time minus device time, as last measured (0 before the first sync).
    pub fn clock_offset_ms(&self) -> i64 {
        self.offset_ms
    }
}

#[cfg(test)]
mod plans {
    //! The reads the app makes after every command or on every screen use indexes: at
    //! banner scale a scan of the change log costs tens of milliseconds each time.
    use super::*;

    fn plan(store: &Store, sql: &str) -> String {
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let count = stmt.parameter_count();
        let args: Vec<String> = (0..count).map(|_| String::new()).collect();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
            .unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("; ")
    }

    #[test]
    fn counts_and_the_days_entries_read_no_whole_change_log() {
        let store = Store::open_in_memory(Box::new(crate::time::SystemTime)).unwrap();
        for sql in [crate::review::COUNTS, crate::sync::LOCAL_BETWEEN] {
            let plan = plan(&store, sql);
            // "SCAN change_log USING … INDEX" walks a (partial) index; a bare scan reads
            // every change.
            assert!(
                plan.split("; ").all(|step| step != "SCAN change_log"),
                "{sql}\n{plan}"
            );
        }
    }
}
