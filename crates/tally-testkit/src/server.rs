//! A fresh server database for a test, on either backend: a temp SQLite file or a fresh
//! PostgreSQL schema (held under the PostgreSQL lock for the test's life).

use crate::pg;
use tally_server::db::PgDb;
use tally_server::Db;
use tempfile::TempDir;

/// Which database a server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A migrated, empty server database.
pub struct TestDb {
    pub db: Db,
    /// What `Db::open` (or `tally-server --db`) takes to open it again.
    pub url: String,
    /// The PostgreSQL backend itself (tests that hold a push transaction open).
    pub pg: Option<PgDb>,
    /// Where the test keeps its files (the SQLite database among them).
    pub dir: TempDir,
    _pg_lock: Option<pg::PgGuard>,
}

impl TestDb {
    /// A fresh database on `backend`; `None` when PostgreSQL is skipped on purpose (see
    /// the crate doc). `what` says in the SKIPPED line what needed PostgreSQL.
    pub async fn open(backend: Backend, what: &str) -> Option<TestDb> {
        let dir = tempfile::tempdir().expect("a temp dir");
        let (db, url, pg, lock) = match backend {
            Backend::Sqlite => {
                let url = format!("sqlite:{}", dir.path().join("server.db").display());
                let db = Db::open(&url).await.expect("open the server's SQLite");
                (db, url, None, None)
            }
            Backend::Postgres => {
                let base = pg::pg_url(what)?;
                let lock = pg::lock().await;
                let schema = pg::fresh_schema(&base, "t").await;
                let db = Db::new(schema.db.clone());
                (db, schema.url, Some(schema.db), Some(lock))
            }
        };
        Some(TestDb {
            db,
            url,
            pg,
            dir,
            _pg_lock: lock,
        })
    }
}

/// Runs an async test body, `async fn(Backend)`, once per backend: `mod name { sqlite,
/// postgres }`. The body opens what it needs (e.g. [`TestDb::open`]).
#[macro_export]
macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await;
                }

                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::Backend::Postgres).await;
                }
            }
        )*
    };
}
