//! The PostgreSQL backend (tokio-postgres + deadpool-postgres), for several server
//! processes over one database.
//!
//! The pull cursor: concurrent transactions commit identity (seq) values out of order,
//! so a cursor of "the last seq" could pass a change that commits late. Each change
//! stores the id of its writing transaction (`txid xid8 DEFAULT pg_current_xact_id()`);
//! a pull returns only changes with `txid < pg_snapshot_xmin(pg_current_snapshot())`
//! (every transaction below the horizon has finished), ordered by `(txid, seq)`, and
//! the cursor is the last `(txid, seq)`. A change that becomes visible later belongs to
//! a transaction that was running at the earlier pull, so its txid is at least that
//! pull's horizon, above every cursor it issued: it sorts after the cursor.
//!
//! Pushes to the same row are serialised with transaction-scoped advisory locks on the
//! row ids, taken in sorted order before anything is read.

use super::{
    next_hlcs, parse_device, to_i64, Held, PageSize, PullPage, PushMode, Pushed, ServerDb,
};
use crate::error::DbError;
use crate::push::{self, Author, Loaded, Outcome};
use crate::scope::{ReadFilter, UnitInfo, UnitTree};
use chrono::NaiveDate;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use tally_core::ledger::{DaySums, Totals};
use tally_core::{Change, ChangeId, Conflict, DeviceId, Hlc, Row, RowId, Target, Version};
use tokio_postgres::{Config, GenericClient, NoTls};

mod accounts;
mod pull;
mod sums;
mod tls;

const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "0001_init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "0002_changes_by_unit",
        include_str!("../../migrations/postgres/0002_changes_by_unit.sql"),
    ),
    (
        3,
        "0003_day_sums",
        include_str!("../../migrations/postgres/0003_day_sums.sql"),
    ),
    (
        4,
        "0004_drop_unused_indexes",
        include_str!("../../migrations/postgres/0004_drop_unused_indexes.sql"),
    ),
    (
        5,
        "0005_change_versions",
        include_str!("../../migrations/postgres/0005_change_versions.sql"),
    ),
    (
        6,
        "0006_login_sources",
        include_str!("../../migrations/postgres/0006_login_sources.sql"),
    ),
    (
        7,
        "0007_day_sums_accepted",
        include_str!("../../migrations/postgres/0007_day_sums_accepted.sql"),
    ),
    (
        8,
        "0008_village_flags",
        include_str!("../../migrations/postgres/0008_village_flags.sql"),
    ),
];

/// Connections per server process.
const POOL_SIZE: usize = 16;
/// The advisory lock key that serialises migrations.
const MIGRATION_LOCK: i64 = 0x7461_6c6c_795f_6d69;

/// The org-unit tree as last read, with the `units_version` it was read at.
type TreeCache = Arc<std::sync::Mutex<Option<(String, Arc<UnitTree>)>>>;

/// A server database in PostgreSQL.
#[derive(Clone)]
pub struct PgDb {
    pool: Pool,
    tree: TreeCache,
}

/// Run `sql` on a connection of its own.
async fn once<T>(config: &Config, tls: T, sql: &str) -> Result<(), DbError>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await?;
    let task = tokio::spawn(connection);
    client.batch_execute(sql).await?;
    drop(client);
    let _ = task.await;
    Ok(())
}

fn now_ms() -> u64 {
    use crate::WallClock;
    crate::SystemClock.now_ms()
}

impl PgDb {
    /// Connect to `url` (`postgres://USER@HOST:PORT/DB`) and run the migrations.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        Self::from_target(tls::target(url)?).await
    }

    /// Connect with every table in `schema` (created if missing): one database can hold
    /// several independent servers, e.g. one per test. `schema` is `[a-z0-9_]+`.
    pub async fn connect_in_schema(url: &str, schema: &str) -> Result<Self, DbError> {
        let valid = !schema.is_empty()
            && schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(DbError::Url(format!("{url} (schema {schema:?})")));
        }
        let mut target = tls::target(url)?;
        let create = format!("CREATE SCHEMA IF NOT EXISTS {schema}");
        match &target.tls {
            Some(tls) => once(&target.config, tls.clone(), &create).await?,
            None => once(&target.config, NoTls, &create).await?,
        }
        target.config.options(format!("-c search_path={schema}"));
        Self::from_target(target).await
    }

    async fn from_target(target: tls::Target) -> Result<Self, DbError> {
        let recycling = || ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match target.tls {
            Some(tls) => Manager::from_config(target.config, tls, recycling()),
            None => Manager::from_config(target.config, NoTls, recycling()),
        };
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| DbError::PoolSetup(e.to_string()))?;
        let db = PgDb {
            pool,
            tree: TreeCache::default(),
        };
        db.migrate().await?;
        tracing::info!(tls = db.uses_tls().await?, "connected to PostgreSQL");
        Ok(db)
    }

    /// Whether this process's connections to PostgreSQL are encrypted (TLS).
    pub async fn uses_tls(&self) -> Result<bool, DbError> {
        let c = self.pool.get().await?;
        let row = c
            .query_one(
                "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
                &[],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn migrate(&self) -> Result<(), DbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.batch_execute("SET LOCAL client_min_messages = warning")
            .await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)",
        )
        .await?;
        for (version, name, sql) in MIGRATIONS {
            let done: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)",
                    &[version],
                )
                .await?
                .get(0);
            if done {
                continue;
            }
            tracing::info!(migration = name, "applying postgres migration");
            tx.batch_execute(sql)
                .await
                .map_err(|e| DbError::Migration {
                    name: name.to_string(),
                    message: e.to_string(),
                })?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
                &[version, name, &to_i64(now_ms())],
            )
            .await?;
        }
        sums::rebuild_if_asked(&*tx).await?;
        tx.execute(
            "INSERT INTO server_meta (key, value) VALUES ('server_device', $1)
             ON CONFLICT (key) DO NOTHING",
            &[&uuid::Uuid::now_v7().to_string()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Start a push transaction; `apply` then `commit` it. Exposed so a test can hold a
    /// push open while others commit.
    pub async fn begin_push(&self) -> Result<PgPushTx, DbError> {
        let client = self.pool.get().await?;
        client.batch_execute("BEGIN").await?;
        Ok(PgPushTx {
            client: Some(client),
            tree: self.tree.clone(),
        })
    }
}

#[async_trait::async_trait]
impl ServerDb for PgDb {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn server_device(&self) -> Result<DeviceId, DbError> {
        let c = self.pool.get().await?;
        let row = c
            .query_one(
                "SELECT value FROM server_meta WHERE key = 'server_device'",
                &[],
            )
            .await?;
        parse_device(row.get(0))
    }

    async fn tick_server_hlc(&self, now_ms: u64, n: usize) -> Result<Vec<Hlc>, DbError> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "INSERT INTO server_meta (key, value) VALUES ('server_hlc', $1)
             ON CONFLICT (key) DO NOTHING",
            &[&Hlc::ZERO.to_string()],
        )
        .await?;
        let last: String = tx
            .query_one(
                "SELECT value FROM server_meta WHERE key = 'server_hlc' FOR UPDATE",
                &[],
            )
            .await?
            .get(0);
        let last: Hlc = last.parse().map_err(DbError::Corrupt)?;
        let hlcs = next_hlcs(last, now_ms, n);
        if let Some(end) = hlcs.last() {
            tx.execute(
                "UPDATE server_meta SET value = $1 WHERE key = 'server_hlc'",
                &[&end.to_string()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(hlcs)
    }

    async fn unit_tree(&self) -> Result<Arc<UnitTree>, DbError> {
        let c = self.pool.get().await?;
        // The version first: a tree read after it is at least as new as it says.
        let version = units_version(&**c).await?;
        if let Some(tree) = cached_tree(&self.tree, &version) {
            return Ok(tree);
        }
        let tree = Arc::new(load_tree(&**c).await?);
        *self.tree.lock().unwrap_or_else(PoisonError::into_inner) = Some((version, tree.clone()));
        Ok(tree)
    }

    async fn conflicts(&self, units: Option<Vec<String>>) -> Result<Vec<Conflict>, DbError> {
        let all = units.is_none();
        let units = units.unwrap_or_default();
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT body FROM conflicts WHERE $1::bool OR unit = ANY($2::text[])
                 ORDER BY unit, row_id, field",
                &[&all, &units],
            )
            .await?;
        rows.iter()
            .map(|r| serde_json::from_str(r.get(0)).map_err(DbError::from))
            .collect()
    }

    async fn row(&self, id: RowId) -> Result<Option<Row>, DbError> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt("SELECT body FROM rows WHERE id = $1", &[&id.to_string()])
            .await?;
        row.map(|r| serde_json::from_str(r.get(0)).map_err(DbError::from))
            .transpose()
    }

    async fn targets(&self) -> Result<Vec<Target>, DbError> {
        sums::targets(&**self.pool.get().await?).await
    }

    async fn totals(
        &self,
        as_of: NaiveDate,
        window: tally_core::ledger::Window,
    ) -> Result<Vec<Totals>, DbError> {
        sums::totals(&**self.pool.get().await?, as_of, &window).await
    }

    async fn day_sums_and_rows(&self) -> Result<(DaySums, Vec<String>), DbError> {
        sums::stored_and_rows(&**self.pool.get().await?).await
    }

    #[tracing::instrument(skip_all, err, fields(n = changes.len(), device = %who.device))]
    async fn push(
        &self,
        changes: Vec<Change>,
        who: Author,
        now_ms: u64,
        mode: PushMode,
    ) -> Result<Pushed, DbError> {
        // A version (HLC + device) claimed at once by another push of the same device
        // meets the unique index: that push has committed by then, so the batch is
        // decided again and the claim is refused (`version_taken`), never a failure.
        for attempt in 0..3 {
            let mut tx = self.begin_push().await?;
            let outcome = match tx.apply(&changes, &who, now_ms, mode).await {
                Ok(pushed) => tx.commit().await.map(|()| pushed),
                Err(e) => Err(e),
            };
            match outcome {
                Err(DbError::Postgres(e))
                    if attempt < 2
                        && e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) =>
                {
                    tracing::info!(error = %e, "a concurrent push took a version; deciding again");
                }
                other => return other,
            }
        }
        Err(DbError::Commit("a version stayed contested".into()))
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

/// An open push transaction. Dropped without `commit`, its connection is taken out of
/// the pool and closed, which rolls the transaction back.
pub struct PgPushTx {
    client: Option<Object>,
    tree: TreeCache,
}

impl PgPushTx {
    fn client(&self) -> Result<&Object, DbError> {
        self.client
            .as_ref()
            .ok_or_else(|| DbError::Corrupt("push transaction already finished".into()))
    }

    /// Lock, load, decide and (unless nothing may be stored) write a batch.
    pub async fn apply(
        &mut self,
        changes: &[Change],
        who: &Author,
        now_ms: u64,
        mode: PushMode,
    ) -> Result<Pushed, DbError> {
        let c = self.client()?;
        // Rows are locked; a version (HLC + device) claimed by two concurrent pushes of
        // one device on different rows meets the unique index instead (the second is
        // decided again, see `push`, and refused as `version_taken`).
        let mut keys: Vec<i64> = changes.iter().map(|ch| lock_key(ch.row)).collect();
        keys.sort_unstable();
        keys.dedup();
        c.query(
            "SELECT pg_advisory_xact_lock(k)
             FROM (SELECT k FROM unnest($1::bigint[]) AS k ORDER BY k) AS sorted",
            &[&keys],
        )
        .await?;
        let mut loaded = load(&***c, changes, &self.tree).await?;
        let plan = push::plan(changes, who, &mut loaded, now_ms);
        let all_out_of_scope = plan.all_out_of_scope();
        let skip = all_out_of_scope || (mode == PushMode::AllOrNothing && plan.any_rejected());
        if skip || plan.stores_nothing() {
            return Ok(Pushed {
                results: plan.results(changes, &[]),
                stored: false,
                all_out_of_scope,
            });
        }
        let stored: Vec<&Change> = changes
            .iter()
            .zip(&plan.outcomes)
            .filter(|(_, o)| **o == Outcome::Store)
            .map(|(ch, _)| ch)
            .collect();
        let col = |f: &dyn Fn(&Change) -> String| stored.iter().map(|ch| f(ch)).collect::<Vec<_>>();
        let mut bodies = Vec::with_capacity(stored.len());
        for ch in &stored {
            bodies.push(serde_json::to_string(ch)?);
        }
        let inserted = c
            .query(
                "INSERT INTO changes (id, tbl, row_id, unit, device, author, body, received_ms, hlc)
                 SELECT i, t, r, u, d, a, b, $8, h
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                             $6::text[], $7::text[], $9::text[])
                      WITH ORDINALITY AS x(i, t, r, u, d, a, b, h, n)
                 ORDER BY n
                 RETURNING id, seq",
                &[
                    &col(&|ch| ch.id.to_string()),
                    &col(&|ch| ch.table.code().to_string()),
                    &col(&|ch| ch.row.to_string()),
                    &col(&|ch| ch.unit.clone()),
                    &col(&|ch| ch.device.to_string()),
                    &col(&|ch| ch.author.clone()),
                    &bodies,
                    &to_i64(now_ms),
                    &col(&|ch| ch.hlc.to_string()),
                ],
            )
            .await?;
        let seq_of: HashMap<String, i64> = inserted.iter().map(|r| (r.get(0), r.get(1))).collect();
        let seqs = stored
            .iter()
            .map(|ch| {
                seq_of
                    .get(&ch.id.to_string())
                    .copied()
                    .ok_or_else(|| DbError::Corrupt(format!("no seq for change {}", ch.id)))
            })
            .collect::<Result<Vec<i64>, DbError>>()?;
        write_rows(&***c, &plan.rows).await?;
        write_units(&***c, &plan.units).await?;
        sums::add(&***c, &plan.sums).await?;
        Ok(Pushed {
            results: plan.results(changes, &seqs),
            stored: true,
            all_out_of_scope,
        })
    }

    pub async fn commit(mut self) -> Result<(), DbError> {
        if let Some(c) = self.client.take() {
            c.batch_execute("COMMIT").await?;
        }
        Ok(())
    }

    pub async fn rollback(mut self) -> Result<(), DbError> {
        if let Some(c) = self.client.take() {
            c.batch_execute("ROLLBACK").await?;
        }
        Ok(())
    }
}

impl Drop for PgPushTx {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            // Detach from the pool: closing the connection aborts the transaction.
            drop(Object::take(c));
        }
    }
}

fn lock_key(row: RowId) -> i64 {
    let n = row.0.as_u128();
    ((n >> 64) as u64 ^ n as u64) as i64
}

async fn load_tree(c: &impl GenericClient) -> Result<UnitTree, DbError> {
    let rows = c
        .query(
            "SELECT code, name, level, parent, deleted, seepage, key_village FROM org_units",
            &[],
        )
        .await?;
    let mut units = Vec::with_capacity(rows.len());
    for r in &rows {
        let level: &str = r.get(2);
        units.push(UnitInfo {
            code: r.get(0),
            name: r.get(1),
            level: level
                .parse()
                .map_err(|e: String| DbError::Corrupt(format!("org_units.level: {e}")))?,
            parent: r.get(3),
            deleted: r.get(4),
            seepage: r.get(5),
            key_village: r.get(6),
        });
    }
    Ok(UnitTree::new(units))
}

/// Moves whenever org units are written (absent: never since this was introduced).
async fn units_version(c: &impl GenericClient) -> Result<String, DbError> {
    Ok(c.query_opt(
        "SELECT value FROM server_meta WHERE key = 'units_version'",
        &[],
    )
    .await?
    .map(|r| r.get(0))
    .unwrap_or_default())
}

fn cached_tree(cache: &TreeCache, version: &str) -> Option<Arc<UnitTree>> {
    let cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    cache
        .as_ref()
        .filter(|(v, _)| v == version)
        .map(|(_, t)| t.clone())
}

/// What a push reads first. The tree comes from the cache when it is current; a push
/// never fills the cache (its transaction may still roll back).
async fn load(
    c: &impl GenericClient,
    changes: &[Change],
    cache: &TreeCache,
) -> Result<Loaded, DbError> {
    let ids: Vec<String> = changes.iter().map(|ch| ch.id.to_string()).collect();
    // The batch's rows, and the households its changes reference (validation looks there).
    let rows: Vec<String> = changes
        .iter()
        .flat_map(|ch| {
            let refs = tally_core::schema::references(ch);
            std::iter::once(ch.row).chain(refs.into_iter().map(|(_, id)| id))
        })
        .map(|id| id.to_string())
        .collect();
    let version = units_version(c).await?;
    let tree = match cached_tree(cache, &version) {
        Some(tree) => tree,
        None => Arc::new(load_tree(c).await?),
    };
    let mut loaded = Loaded {
        tree,
        ..Loaded::default()
    };
    for r in c
        .query(
            "SELECT id, seq, body FROM changes WHERE id = ANY($1::text[])",
            &[&ids],
        )
        .await?
    {
        let id: &str = r.get(0);
        let id: ChangeId = id
            .parse()
            .map_err(|_| DbError::Corrupt(format!("change id {id:?}")))?;
        let stored: Change = serde_json::from_str(r.get(2))?;
        loaded.known.insert(id, (r.get(1), stored));
    }
    let devices: Vec<String> = changes.iter().map(|ch| ch.device.to_string()).collect();
    let hlcs: Vec<String> = changes.iter().map(|ch| ch.hlc.to_string()).collect();
    for r in c
        .query(
            "SELECT c.id, c.device, c.hlc FROM changes c
             JOIN unnest($1::text[], $2::text[]) AS v(device, hlc)
               ON c.device = v.device AND c.hlc = v.hlc",
            &[&devices, &hlcs],
        )
        .await?
    {
        let (id, device, hlc): (&str, &str, &str) = (r.get(0), r.get(1), r.get(2));
        let corrupt = || DbError::Corrupt(format!("change {id:?} version {device:?} {hlc:?}"));
        let version = Version {
            hlc: hlc.parse().map_err(|_| corrupt())?,
            device: device.parse().map_err(|_| corrupt())?,
        };
        loaded
            .versions
            .insert(version, id.parse().map_err(|_| corrupt())?);
    }
    for r in c
        .query("SELECT body FROM rows WHERE id = ANY($1::text[])", &[&rows])
        .await?
    {
        let row: Row = serde_json::from_str(r.get(0))?;
        loaded.rows.insert(row.id, row);
    }
    // Who entered each existing row of the batch: the author of its first change.
    let own: Vec<String> = changes
        .iter()
        .filter(|ch| loaded.rows.contains_key(&ch.row))
        .map(|ch| ch.row.to_string())
        .collect();
    for r in c
        .query(
            "SELECT DISTINCT ON (row_id) row_id, author FROM changes
             WHERE row_id = ANY($1::text[]) ORDER BY row_id, seq",
            &[&own],
        )
        .await?
    {
        let id: &str = r.get(0);
        let id: RowId = id
            .parse()
            .map_err(|_| DbError::Corrupt(format!("row id {id:?}")))?;
        loaded.creators.insert(id, r.get(1));
    }
    Ok(loaded)
}

async fn write_rows(
    c: &impl GenericClient,
    rows: &std::collections::BTreeMap<RowId, Row>,
) -> Result<(), DbError> {
    let ids: Vec<String> = rows.keys().map(|id| id.to_string()).collect();
    let tables: Vec<&str> = rows.values().map(|r| r.table.code()).collect();
    let units: Vec<&str> = rows.values().map(|r| r.unit.as_str()).collect();
    let mut bodies = Vec::with_capacity(rows.len());
    for row in rows.values() {
        bodies.push(serde_json::to_string(row)?);
    }
    c.execute(
        "INSERT INTO rows (id, tbl, unit, body)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT (id) DO UPDATE SET tbl = excluded.tbl, unit = excluded.unit,
                                        body = excluded.body",
        &[&ids, &tables, &units, &bodies],
    )
    .await?;
    c.execute(
        "DELETE FROM conflicts WHERE row_id = ANY($1::text[])",
        &[&ids],
    )
    .await?;
    let (mut row_ids, mut cunits, mut fields, mut cbodies) = (vec![], vec![], vec![], vec![]);
    for (id, row) in rows {
        for conflict in row.conflicts() {
            row_ids.push(id.to_string());
            cunits.push(conflict.unit.clone());
            fields.push(conflict.field.clone());
            cbodies.push(serde_json::to_string(&conflict)?);
        }
    }
    if !row_ids.is_empty() {
        c.execute(
            "INSERT INTO conflicts (row_id, unit, field, body)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])",
            &[&row_ids, &cunits, &fields, &cbodies],
        )
        .await?;
    }
    Ok(())
}

async fn write_units(c: &impl GenericClient, units: &[UnitInfo]) -> Result<(), DbError> {
    if units.is_empty() {
        return Ok(());
    }
    let codes: Vec<&str> = units.iter().map(|u| u.code.as_str()).collect();
    let names: Vec<&str> = units.iter().map(|u| u.name.as_str()).collect();
    let levels: Vec<&str> = units.iter().map(|u| u.level.code()).collect();
    let parents: Vec<Option<&str>> = units.iter().map(|u| u.parent.as_deref()).collect();
    let deleted: Vec<bool> = units.iter().map(|u| u.deleted).collect();
    let seepage: Vec<bool> = units.iter().map(|u| u.seepage).collect();
    let key_village: Vec<bool> = units.iter().map(|u| u.key_village).collect();
    c.execute(
        "INSERT INTO org_units (code, name, level, parent, deleted, seepage, key_village)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[],
                              $6::bool[], $7::bool[])
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,
                                          parent = excluded.parent, deleted = excluded.deleted,
                                          seepage = excluded.seepage,
                                          key_village = excluded.key_village",
        &[
            &codes,
            &names,
            &levels,
            &parents,
            &deleted,
            &seepage,
            &key_village,
        ],
    )
    .await?;
    c.execute(
        "INSERT INTO server_meta (key, value) VALUES ('units_version', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&uuid::Uuid::now_v7().to_string()],
    )
    .await?;
    Ok(())
}
