//! Versioned migrations of the device database. Before an existing database is
//! migrated it is copied aside: field data may exist nowhere else.

use crate::{DbKey, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// The migrations in order; `PRAGMA user_version` holds how many have run.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial",
        include_str!("../migrations/0001_initial.sql"),
    ),
    (
        "0002_outbox_order",
        include_str!("../migrations/0002_outbox_order.sql"),
    ),
    (
        "0003_ledger_indexes",
        include_str!("../migrations/0003_ledger_indexes.sql"),
    ),
    (
        "0004_day_sums",
        include_str!("../migrations/0004_day_sums.sql"),
    ),
    (
        "0005_rejection_reasons",
        include_str!("../migrations/0005_rejection_reasons.sql"),
    ),
    (
        "0006_day_sums_name",
        include_str!("../migrations/0006_day_sums_name.sql"),
    ),
    (
        "0007_withdrawn",
        include_str!("../migrations/0007_withdrawn.sql"),
    ),
    (
        "0008_local_changes_by_time",
        include_str!("../migrations/0008_local_changes_by_time.sql"),
    ),
    (
        "0009_household_search",
        include_str!("../migrations/0009_household_search.sql"),
    ),
    (
        "0010_household_insured",
        include_str!("../migrations/0010_household_insured.sql"),
    ),
    (
        "0011_day_sums_accepted",
        include_str!("../migrations/0011_day_sums_accepted.sql"),
    ),
    (
        "0012_village_flags",
        include_str!("../migrations/0012_village_flags.sql"),
    ),
    (
        "0013_household_id_number",
        include_str!("../migrations/0013_household_id_number.sql"),
    ),
];

/// The schema version this build expects.
pub fn latest() -> usize {
    MIGRATIONS.len()
}

fn version(conn: &Connection) -> Result<usize, StoreError> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok(usize::try_from(v).unwrap_or(0))
}

/// The path a backup before migrating from `from` to `to` is written to.
pub fn backup_path(db: &Path, from: usize, to: usize, stamp: &str) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".before-v{from}-to-v{to}-{stamp}.bak"));
    db.with_file_name(name)
}

/// Bring the schema up to date. `db_path` is `None` for an in-memory database; for a
/// file that already holds data, a consistent copy is written first.
pub fn migrate(
    conn: &mut Connection,
    db: Option<(&Path, &DbKey)>,
    stamp: &str,
) -> Result<Option<PathBuf>, StoreError> {
    let current = version(conn)?;
    if current > latest() {
        return Err(StoreError::TooNew {
            found: current,
            supported: latest(),
        });
    }
    if current == latest() {
        return Ok(None);
    }
    let mut backup = None;
    let has_data: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    if let (Some((path, key)), true) = (db, has_data > 0) {
        let to = backup_path(path, current, latest(), stamp);
        crate::key::copy_to(conn, &to, key)?;
        backup = Some(to);
    }
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .map_err(|e| StoreError::Migration { name, source: e })?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::unlock;

    /// The file at `path` opened with the tests' key.
    fn keyed(path: &Path) -> (Connection, DbKey) {
        let key = DbKey::parse(tally_testkit::DB_KEY).unwrap();
        let conn = Connection::open(path).unwrap();
        unlock(&conn, &key, path).unwrap();
        (conn, key)
    }

    #[test]
    fn all_migrations_apply_to_an_empty_database_and_are_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn, None, "t").unwrap(), None);
        assert_eq!(version(&conn).unwrap(), latest());
        migrate(&mut conn, None, "t").unwrap();
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(tables >= 10, "{tables} tables");
    }

    #[test]
    fn the_day_sums_keep_their_rows_under_their_new_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tally.db");
        let (mut conn, key) = keyed(&path);
        for (_, sql) in &MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 4;
             INSERT INTO day_sum VALUES ('150625100201', 'cleanup-tonnes', 'manure',
                                         '2026-11-27', 0, 2500, 1);",
        )
        .unwrap();
        let backup = migrate(&mut conn, Some((&path, &key)), "s1").unwrap();
        assert_eq!(backup, Some(backup_path(&path, 4, latest(), "s1")));
        let completed: i64 = conn
            .query_row("SELECT completed FROM day_sums", [], |r| r.get(0))
            .unwrap();
        assert_eq!(completed, 2500);
        let old: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'day_sum'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(old, 0, "no table under the old name");
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(
            migrate(&mut conn, None, "t"),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn an_older_database_file_is_backed_up_before_migrating() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tally.db");
        let (mut conn, key) = keyed(&path);
        conn.execute_batch(
            "CREATE TABLE keepsake (x TEXT); INSERT INTO keepsake VALUES ('录入的数据');",
        )
        .unwrap();
        migrate(&mut conn, Some((&path, &key)), "s1").unwrap();
        let bak = backup_path(&path, 0, latest(), "s1");
        // The backup is encrypted like the database: no key, no data.
        assert!(!crate::key::is_plain(&bak));
        let bytes = std::fs::read(&bak).unwrap();
        assert!(!bytes
            .windows(12)
            .any(|w| w == "录入的数据".as_bytes().get(..12).unwrap()));
        let (copy, _) = keyed(&bak);
        let x: String = copy
            .query_row("SELECT x FROM keepsake", [], |r| r.get(0))
            .unwrap();
        assert_eq!(x, "录入的数据");
        // A migration that fails rolls back and leaves the data as it was.
        conn.pragma_update(None, "user_version", 0).unwrap();
        assert!(matches!(
            migrate(&mut conn, Some((&path, &key)), "s2"),
            Err(StoreError::Migration { .. })
        ));
        assert!(backup_path(&path, 0, latest(), "s2").exists());
        let x: String = conn
            .query_row("SELECT x FROM keepsake", [], |r| r.get(0))
            .unwrap();
        assert_eq!(x, "录入的数据");
    }

    #[test]
    fn rejections_stored_as_one_sentence_are_split_into_both_languages() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (i, (_, sql)) in MIGRATIONS.iter().enumerate().take(4) {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", i + 1).unwrap();
        }
        let row = |id: &str, reason: Option<&str>| {
            (
                id.to_string(),
                reason.map(str::to_string),
                "2026-11-27T00:00:00Z",
            )
        };
        for (id, reason, at) in [
            row(
                "a",
                Some("不在您负责的范围内 / org unit \"V9\" is outside your assignment"),
            ),
            row("b", Some("only one language")),
            row("c", None),
        ] {
            conn.execute(
                "INSERT INTO change_log (id, tbl, row_id, unit, body, origin, state, reject_code,
                                         reject_reason, recorded_at, utc_offset_min)
                 VALUES (?1, 'visit', 'r', 'V9', '{}', 'local', 'rejected', 'x', ?2, ?3, 480)",
                (id, reason, at),
            )
            .unwrap();
        }
        migrate(&mut conn, None, "t").unwrap();
        let read = |id: &str| -> (Option<String>, Option<String>) {
            conn.query_row(
                "SELECT reject_reason, reject_reason_zh FROM change_log WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        assert_eq!(
            read("a"),
            (
                Some("org unit \"V9\" is outside your assignment".into()),
                Some("不在您负责的范围内".into())
            )
        );
        assert_eq!(read("b"), (Some("only one language".into()), None));
        assert_eq!(read("c"), (None, None));
    }

    #[test]
    fn a_fresh_file_needs_no_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let (mut conn, key) = keyed(&path);
        assert_eq!(migrate(&mut conn, Some((&path, &key)), "s").unwrap(), None);
    }
}
