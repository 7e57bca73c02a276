//! The SQLite backend (rusqlite, WAL): one writer connection behind a mutex and a small
//! pool of readers, all used from `spawn_blocking`. Writers are serialised (`BEGIN
//! IMMEDIATE`, also across processes), so seq order is commit order and the pull
//! cursor is simply the last seq.

use super::{
    next_hlcs, parse_device, to_i64, Held, PageSize, PullPage, PushMode, Pushed, ServerDb,
};
use crate::error::DbError;
use crate::push::{self, Author, Loaded, Plan};
use crate::scope::{ReadFilter, UnitInfo, UnitTree};
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tally_core::ledger::{DaySums, Totals};
use tally_core::{Change, Conflict, DeviceId, Hlc, Row, RowId, Target};

mod accounts;
mod group;
mod pull;
mod sums;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "0001_init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "0002_changes_by_unit",
        include_str!("../../migrations/sqlite/0002_changes_by_unit.sql"),
    ),
    (
        3,
        "0003_day_sums",
        include_str!("../../migrations/sqlite/0003_day_sums.sql"),
    ),
    (
        4,
        "0004_drop_unused_indexes",
        include_str!("../../migrations/sqlite/0004_drop_unused_indexes.sql"),
    ),
    (
        5,
        "0005_change_versions",
        include_str!("../../migrations/sqlite/0005_change_versions.sql"),
    ),
    (
        6,
        "0006_login_sources",
        include_str!("../../migrations/sqlite/0006_login_sources.sql"),
    ),
    (
        7,
        "0007_day_sums_accepted",
        include_str!("../../migrations/sqlite/0007_day_sums_accepted.sql"),
    ),
    (
        8,
        "0008_village_flags",
        include_str!("../../migrations/sqlite/0008_village_flags.sql"),
    ),
];

/// Idle reader connections kept open.
/// Reader connections at most: reads beyond wait for one (asynchronously) instead of
/// opening a connection (its pragmas, its schema parse) and a blocking thread each.
const MAX_READERS: usize = 4;

/// A server database in one SQLite file.
#[derive(Clone)]
pub struct SqliteDb {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// One permit per reader connection that may be open.
    reader_slots: tokio::sync::Semaphore,
    /// Whether a blocking thread is running the write queue (see `group`).
    draining: std::sync::atomic::AtomicBool,
    /// Writes waiting to be committed together (see `group`).
    queue: Mutex<Vec<group::Job>>,
    /// The org-unit tree as last read, with the `units_version` it was read at.
    tree: Mutex<Option<(String, Arc<UnitTree>)>>,
}

fn connect(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    // A seq is a receipt: the device stops resending what it covers, so a committed
    // push must survive a power cut (NORMAL could lose the last commits in WAL mode).
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Copy the WAL back every ~40 MB instead of every 4 MB: pushes commit in groups of
    // a few MB, and each copy rewrites the same index pages (durability is the WAL's).
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    // Reads through a memory map (up to 1 GiB) instead of a read() copy per page.
    conn.pragma_update(None, "mmap_size", 1_i64 << 30)?;
    // A group commit (thousands of changes) stays in the page cache (64 MiB instead of
    // 2) until it commits instead of spilling to the WAL half-way; each push's savepoint
    // journal is kept in memory, not in a temp file.
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, now_ms: u64) -> Result<(), DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)",
    )?;
    for (version, name, sql) in MIGRATIONS {
        let done: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
            [version],
            |r| r.get(0),
        )?;
        if done {
            continue;
        }
        tracing::info!(migration = name, "applying sqlite migration");
        tx.execute_batch(sql).map_err(|e| DbError::Migration {
            name: name.to_string(),
            message: e.to_string(),
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?1, ?2, ?3)",
            params![version, name, to_i64(now_ms)],
        )?;
    }
    sums::rebuild_if_asked(&tx)?;
    tx.execute(
        "INSERT OR IGNORE INTO server_meta (key, value) VALUES ('server_device', ?1)",
        [uuid::Uuid::now_v7().to_string()],
    )?;
    tx.commit()?;
    Ok(())
}

fn now_ms() -> u64 {
    use crate::WallClock;
    crate::SystemClock.now_ms()
}

impl SqliteDb {
    /// Open (creating) the file, switch it to WAL and run the migrations.
    pub async fn open(path: impl Into<PathBuf>) -> Result<Self, DbError> {
        let path = path.into();
        tokio::task::spawn_blocking(move || {
            let mut writer = connect(&path)?;
            migrate(&mut writer, now_ms())?;
            Ok(SqliteDb {
                inner: Arc::new(Inner {
                    path,
                    writer: Mutex::new(writer),
                    readers: Mutex::new(Vec::new()),
                    reader_slots: tokio::sync::Semaphore::new(MAX_READERS),
                    draining: std::sync::atomic::AtomicBool::new(false),
                    queue: Mutex::new(Vec::new()),
                    tree: Mutex::new(None),
                }),
            })
        })
        .await?
    }

    async fn write<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn)
        })
        .await?
    }

    async fn read<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    {
        let inner = self.inner.clone();
        let _slot = self
            .inner
            .reader_slots
            .acquire()
            .await
            .map_err(|_| DbError::Corrupt("the reader pool is closed".into()))?;
        tokio::task::spawn_blocking(move || {
            let idle = inner
                .readers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let conn = match idle {
                Some(c) => c,
                None => connect(&inner.path)?,
            };
            let result = f(&conn);
            inner
                .readers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            result
        })
        .await?
    }
}

#[async_trait::async_trait]
impl ServerDb for SqliteDb {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn server_device(&self) -> Result<DeviceId, DbError> {
        self.read(|c| {
            let s: String = c.query_row(
                "SELECT value FROM server_meta WHERE key = 'server_device'",
                [],
                |r| r.get(0),
            )?;
            parse_device(&s)
        })
        .await
    }

    async fn tick_server_hlc(&self, now_ms: u64, n: usize) -> Result<Vec<Hlc>, DbError> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let last: Option<String> = tx
                .query_row(
                    "SELECT value FROM server_meta WHERE key = 'server_hlc'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            let last = match last {
                Some(s) => s.parse().map_err(DbError::Corrupt)?,
                None => Hlc::ZERO,
            };
            let hlcs = next_hlcs(last, now_ms, n);
            if let Some(end) = hlcs.last() {
                tx.execute(
                    "INSERT INTO server_meta (key, value) VALUES ('server_hlc', ?1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [end.to_string()],
                )?;
            }
            tx.commit()?;
            Ok(hlcs)
        })
        .await
    }

    async fn unit_tree(&self) -> Result<Arc<UnitTree>, DbError> {
        let inner = self.inner.clone();
        self.read(move |c| {
            let version = units_version(c)?;
            if let Some(tree) = inner.cached_tree(&version) {
                return Ok(tree);
            }
            let tree = Arc::new(load_tree(c)?);
            *inner.tree.lock().unwrap_or_else(PoisonError::into_inner) =
                Some((version, tree.clone()));
            Ok(tree)
        })
        .await
    }

    #[tracing::instrument(skip_all, err, fields(n = changes.len(), device = %who.device))]
    async fn push(
        &self,
        changes: Vec<Change>,
        who: Author,
        now_ms: u64,
        mode: PushMode,
    ) -> Result<Pushed, DbError> {
        let inner = self.inner.clone();
        group::write(&self.inner, move |tx| {
            let mut loaded = load(&inner, tx, &changes)?;
            let plan = push::plan(&changes, &who, &mut loaded, now_ms);
            let all_out_of_scope = plan.all_out_of_scope();
            let skip = all_out_of_scope || (mode == PushMode::AllOrNothing && plan.any_rejected());
            if skip || plan.stores_nothing() {
                let pushed = Pushed {
                    results: plan.results(&changes, &[]),
                    stored: false,
                    all_out_of_scope,
                };
                return Ok((pushed, group::Keep::No));
            }
            let seqs = write_plan(tx, &changes, &plan, now_ms)?;
            let pushed = Pushed {
                results: plan.results(&changes, &seqs),
                stored: true,
                all_out_of_scope,
            };
            Ok((pushed, group::Keep::Yes))
        })
        .await
    }

    async fn conflicts(&self, units: Option<Vec<String>>) -> Result<Vec<Conflict>, DbError> {
        let units = units.as_ref().map(serde_json::to_string).transpose()?;
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT body FROM conflicts
                 WHERE ?1 IS NULL OR unit IN (SELECT value FROM json_each(?1))
                 ORDER BY unit, row_id, field, rowid",
            )?;
            let bodies = stmt.query_map([units], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for body in bodies {
                out.push(serde_json::from_str(&body?)?);
            }
            Ok(out)
        })
        .await
    }

    async fn row(&self, id: RowId) -> Result<Option<Row>, DbError> {
        self.read(move |c| load_row(c, id)).await
    }

    async fn targets(&self) -> Result<Vec<Target>, DbError> {
        self.read(sums::targets).await
    }

    async fn totals(
        &self,
        as_of: NaiveDate,
        window: tally_core::ledger::Window,
    ) -> Result<Vec<Totals>, DbError> {
        self.read(move |c| sums::totals(c, as_of, &window)).await
    }

    async fn day_sums_and_rows(&self) -> Result<(DaySums, Vec<String>), DbError> {
        self.read(sums::stored_and_rows).await
    }

    #[tracing::instrument(skip_all, err, fields(cursor))]
    async fn pull(
        &self,
        filter: ReadFilter,
        cursor: &str,
        size: PageSize,
        held: Held,
    ) -> Result<PullPage, DbError> {
        pull::pull(self, filter, cursor, size, held).await
    }
}

fn load_tree(c: &Connection) -> Result<UnitTree, DbError> {
    let mut stmt = c.prepare_cached(
        "SELECT code, name, level, parent, deleted, seepage, key_village FROM org_units",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            (
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ),
            (
                r.get::<_, bool>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, bool>(6)?,
            ),
        ))
    })?;
    let mut units = Vec::new();
    for row in rows {
        let ((code, name, level, parent), (deleted, seepage, key_village)) = row?;
        let level = level
            .parse()
            .map_err(|e: String| DbError::Corrupt(format!("org_units.level: {e}")))?;
        units.push(UnitInfo {
            code,
            name,
            level,
            parent,
            deleted,
            seepage,
            key_village,
        });
    }
    Ok(UnitTree::new(units))
}

fn load_row(c: &Connection, id: RowId) -> Result<Option<Row>, DbError> {
    let body: Option<String> = c
        .prepare_cached("SELECT body FROM rows WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?;
    body.map(|b| serde_json::from_str(&b).map_err(DbError::from))
        .transpose()
}

impl Inner {
    fn cached_tree(&self, version: &str) -> Option<Arc<UnitTree>> {
        let cache = self.tree.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .as_ref()
            .filter(|(v, _)| v == version)
            .map(|(_, t)| t.clone())
    }
}

/// Moves whenever org units are written (absent: never since this was introduced).
fn units_version(c: &Connection) -> Result<String, DbError> {
    Ok(
        c.prepare_cached("SELECT value FROM server_meta WHERE key = 'units_version'")?
            .query_row([], |r| r.get::<_, String>(0))
            .optional()?
            .unwrap_or_default(),
    )
}

/// What a push reads first. The tree comes from the cache when it is current; the
/// writer never fills the cache (its transaction may still roll back).
fn load(inner: &Inner, tx: &Connection, changes: &[Change]) -> Result<Loaded, DbError> {
    let tree = match inner.cached_tree(&units_version(tx)?) {
        Some(tree) => tree,
        None => Arc::new(load_tree(tx)?),
    };
    let mut loaded = Loaded {
        tree,
        ..Loaded::default()
    };
    let mut seq_of = tx.prepare_cached("SELECT seq, body FROM changes WHERE id = ?1")?;
    let mut holder = tx.prepare_cached("SELECT id FROM changes WHERE device = ?1 AND hlc = ?2")?;
    let mut creator =
        tx.prepare_cached("SELECT author FROM changes WHERE row_id = ?1 ORDER BY seq LIMIT 1")?;
    for change in changes {
        if let std::collections::hash_map::Entry::Vacant(slot) =
            loaded.versions.entry(change.version())
        {
            let id: Option<String> = holder
                .query_row(
                    params![change.device.to_string(), change.hlc.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = id {
                let id = id
                    .parse()
                    .map_err(|_| DbError::Corrupt(format!("change id {id:?}")))?;
                slot.insert(id);
            }
        }
        if loaded.known.contains_key(&change.id) {
            continue;
        }
        let stored: Option<(i64, String)> = seq_of
            .query_row([change.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((seq, body)) = stored {
            loaded
                .known
                .insert(change.id, (seq, serde_json::from_str(&body)?));
        }
        // The change's row, and the households it references (validation looks there).
        let refs = tally_core::schema::references(change);
        for id in std::iter::once(change.row).chain(refs.into_iter().map(|(_, id)| id)) {
            if let std::collections::hash_map::Entry::Vacant(slot) = loaded.rows.entry(id) {
                if let Some(row) = load_row(tx, id)? {
                    slot.insert(row);
                }
            }
        }
        // Who entered the change's row, if it exists: the author of its first change.
        if loaded.rows.contains_key(&change.row) && !loaded.creators.contains_key(&change.row) {
            let author: Option<String> = creator
                .query_row([change.row.to_string()], |r| r.get(0))
                .optional()?;
            if let Some(author) = author {
                loaded.creators.insert(change.row, author);
            }
        }
    }
    Ok(loaded)
}

fn write_plan(
    tx: &Connection,
    changes: &[Change],
    plan: &Plan,
    now_ms: u64,
) -> Result<Vec<i64>, DbError> {
    let mut seqs = Vec::new();
    let mut insert = tx.prepare_cached(
        "INSERT INTO changes (id, tbl, row_id, unit, device, author, body, received_ms, hlc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (change, outcome) in changes.iter().zip(&plan.outcomes) {
        if *outcome != push::Outcome::Store {
            continue;
        }
        insert.execute(params![
            change.id.to_string(),
            change.table.code(),
            change.row.to_string(),
            change.unit,
            change.device.to_string(),
            change.author,
            serde_json::to_string(change)?,
            to_i64(now_ms),
            change.hlc.to_string(),
        ])?;
        seqs.push(tx.last_insert_rowid());
    }
    let mut upsert_row = tx.prepare_cached(
        "INSERT INTO rows (id, tbl, unit, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET tbl = excluded.tbl, unit = excluded.unit,
                                        body = excluded.body",
    )?;
    let mut clear = tx.prepare_cached("DELETE FROM conflicts WHERE row_id = ?1")?;
    let mut add_conflict = tx.prepare_cached(
        "INSERT INTO conflicts (row_id, unit, field, body) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (row_id, row) in &plan.rows {
        let id = row_id.to_string();
        upsert_row.execute(params![
            id,
            row.table.code(),
            row.unit,
            serde_json::to_string(row)?
        ])?;
        if !plan.fresh.contains(row_id) {
            clear.execute([&id])?;
        }
        for conflict in row.conflicts() {
            add_conflict.execute(params![
                id,
                conflict.unit,
                conflict.field,
                serde_json::to_string(&conflict)?
            ])?;
        }
    }
    let mut upsert_unit = tx.prepare_cached(
        "INSERT INTO org_units (code, name, level, parent, deleted, seepage, key_village)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,
                                          parent = excluded.parent, deleted = excluded.deleted,
                                          seepage = excluded.seepage,
                                          key_village = excluded.key_village",
    )?;
    for u in &plan.units {
        upsert_unit.execute(params![
            u.code,
            u.name,
            u.level.code(),
            u.parent,
            u.deleted,
            u.seepage,
            u.key_village
        ])?;
    }
    sums::add(tx, &plan.sums)?;
    if !plan.units.is_empty() {
        tx.prepare_cached(
            "INSERT INTO server_meta (key, value) VALUES ('units_version', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?
        .execute([uuid::Uuid::now_v7().to_string()])?;
    }
    Ok(seqs)
}
