//! The PostgreSQL of the tests: its URL (with the rules of the crate doc), a fresh
//! schema per test, and the lock that runs PostgreSQL tests of one binary one at a time.

use tally_server::db::PgDb;

/// The environment variable that names the tests' PostgreSQL.
pub const URL_VAR: &str = "TALLY_TEST_PG_URL";
/// Set to 1 to skip the PostgreSQL variants on purpose (outside CI only).
pub const SKIP_VAR: &str = "TALLY_SKIP_PG";

/// The URL of the tests' PostgreSQL; `None` only when skipping was asked for (see the
/// crate doc), after printing a SKIPPED line naming the test (its thread, as the test
/// harness names it) and `what` needs PostgreSQL. Panics otherwise.
pub fn pg_url(what: &str) -> Option<String> {
    let current = std::thread::current();
    let test = match current.name() {
        Some(name) if name != "main" => format!("{name} ({what})"),
        _ => what.to_string(),
    };
    if let Ok(url) = std::env::var(URL_VAR) {
        if !url.is_empty() {
            return Some(url);
        }
    }
    let ci = std::env::var("CI").as_deref() == Ok("true");
    assert!(
        !ci,
        "CI=true but {URL_VAR} is not set: the PostgreSQL tests must run in CI \
         (run them through scripts/with-postgres.sh)"
    );
    let skip = std::env::var(SKIP_VAR).as_deref() == Ok("1");
    assert!(
        skip,
        "{URL_VAR} is not set: run `scripts/with-postgres.sh cargo test …`, \
         or set {SKIP_VAR}=1 to skip the PostgreSQL variants ({test})"
    );
    eprintln!("SKIPPED ({SKIP_VAR}=1): {test}");
    None
}

/// PostgreSQL snapshots span the cluster: an open transaction of one test would hold
/// back the pulls of another. Tests of one binary hold this while they use it.
static PG_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub type PgGuard = tokio::sync::MutexGuard<'static, ()>;

/// Wait for the PostgreSQL lock (async tests).
pub async fn lock() -> PgGuard {
    PG_LOCK.lock().await
}

/// Wait for the PostgreSQL lock (from outside an async runtime).
pub fn lock_blocking() -> PgGuard {
    PG_LOCK.blocking_lock()
}

/// A fresh schema in the tests' PostgreSQL, migrated.
pub struct Schema {
    /// The database with this schema as its search path (what a server is given).
    pub url: String,
    pub db: PgDb,
}

/// A schema named `{prefix}_{uuid}` in the database at `base`, migrated.
pub async fn fresh_schema(base: &str, prefix: &str) -> Schema {
    let schema = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    let db = PgDb::connect_in_schema(base, &schema)
        .await
        .unwrap_or_else(|e| panic!("create a schema in {URL_VAR}: {e}"));
    let sep = if base.contains('?') { '&' } else { '?' };
    Schema {
        url: format!("{base}{sep}options=-csearch_path%3D{schema}"),
        db,
    }
}
