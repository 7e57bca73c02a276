//! The device database at rest: unreadable without its key, a plain database from an
//! older build encrypted in place losing nothing, and backups that restore.

mod support;

use rusqlite::Connection;
use std::path::Path;
use support::*;
use tally_core::Explain;
use tally_store::backup::{daily_backups, inspect, restore, KEEP_DAILY};
use tally_store::*;

/// A device file at `path` with the test banner, one household with a phone, on 2026-11-27.
fn device(path: &Path, key: &DbKey, name: &str) -> Store {
    let time = FakeTime::on(day("2026-11-27"));
    let mut s = Store::open_with(path, key, Box::new(time)).unwrap();
    s.init(name).unwrap();
    seed_units(&mut s);
    s.add_household(&NewHousehold {
        village: VILLAGE.into(),
        head: "乌力吉巴图".into(),
        phone: Some("13912345678".into()),
        members: Some(4),
        ..Default::default()
    })
    .unwrap();
    s
}

fn heads(s: &Store) -> Vec<String> {
    let mut h: Vec<String> = s
        .households(&HouseholdFilter::default())
        .unwrap()
        .into_iter()
        .map(|x| x.household.head)
        .collect();
    h.sort();
    h
}

fn contains(path: &Path, text: &str) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

#[test]
fn the_database_is_unreadable_without_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.db");
    drop(device(&path, &key(), "甲机"));
    for secret in ["乌力吉巴图", "13912345678", "SQLite format 3"] {
        assert!(!contains(&path, secret), "{secret:?} readable in the file");
    }
    let wrong = DbKey::parse(&"ab".repeat(32)).unwrap();
    for other in [wrong, DbKey::parse("a passphrase").unwrap()] {
        let e = Store::open(&path, &other)
            .err()
            .expect("a wrong key opens nothing");
        assert_eq!(e.code(), "wrong_key");
        assert!(e.zh().contains("密钥或口令不对"), "{}", e.zh());
    }
    let s = Store::open(&path, &key()).unwrap();
    assert_eq!(heads(&s), ["乌力吉巴图"]);
}

#[test]
fn a_plain_database_is_encrypted_in_place_losing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.db");
    // A database as an older build left it: plain SQLite, the same schema and rows.
    let made = dir.path().join("made.db");
    let s = device(&made, &key(), "甲机");
    let pending = s.pending_count().unwrap();
    drop(s);
    let conn = Connection::open(&made).unwrap();
    conn.pragma_update(None, "key", format!("x'{}'", tally_testkit::DB_KEY))
        .unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "ATTACH DATABASE ?1 AS plain KEY ''",
        [path.to_string_lossy()],
    )
    .unwrap();
    conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
        .unwrap();
    conn.pragma_update(
        Some(rusqlite::DatabaseName::Attached("plain")),
        "user_version",
        version,
    )
    .unwrap();
    conn.execute_batch("DETACH DATABASE plain").unwrap();
    drop(conn);
    assert!(contains(&path, "SQLite format 3") && contains(&path, "乌力吉巴图"));

    let s = Store::open(&path, &key()).unwrap();
    assert_eq!(heads(&s), ["乌力吉巴图"]);
    assert_eq!(s.pending_count().unwrap(), pending);
    assert_eq!(s.device().unwrap().name, "甲机");
    drop(s);
    assert!(!contains(&path, "乌力吉巴图") && !contains(&path, "SQLite format 3"));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let backup = names
        .iter()
        .find(|n| n.starts_with("tally.db.before-encryption-"))
        .unwrap_or_else(|| panic!("a backup beside it: {names:?}"));
    assert!(
        !contains(&dir.path().join(backup), "乌力吉巴图"),
        "the backup is encrypted too"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with(".plain") || n.ends_with(".encrypting")),
        "{names:?}"
    );
}

#[test]
fn a_backup_restores_the_device_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.db");
    let backup = dir.path().join("backup.db");
    let mut s = device(&path, &key(), "甲机");
    s.backup_to(&backup).unwrap();
    assert!(
        !contains(&backup, "乌力吉巴图"),
        "encrypted like the database"
    );
    let e = s.backup_to(&backup).unwrap_err();
    assert_eq!(
        e.code(),
        "data_folder",
        "an existing file is never overwritten"
    );
    household(&mut s, VILLAGE, "后来户");
    drop(s);

    let info = restore(&path, &backup, &key(), &key(), "t1").unwrap();
    assert_eq!((info.device_name.as_str(), info.changes), ("甲机", 6));
    let s = Store::open(&path, &key()).unwrap();
    assert_eq!(heads(&s), ["乌力吉巴图"]);
    drop(s);
    let kept = dir.path().join("tally.db.before-restore-t1.bak");
    assert_eq!(
        inspect(&kept, &key()).unwrap().changes,
        7,
        "what was there is kept"
    );

    // Refused, changing nothing: another device's backup, a wrong key, not a database.
    let other = dir.path().join("other.db");
    let o = device(&other, &key(), "乙机");
    let other_backup = dir.path().join("other-backup.db");
    o.backup_to(&other_backup).unwrap();
    drop(o);
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database at all, just some text long enough").unwrap();
    let wrong = DbKey::parse(&"cd".repeat(32)).unwrap();
    let cases: [(&Path, &DbKey, &str, &str); 4] = [
        (
            &other_backup,
            &key(),
            "backup_refused",
            "另一台设备（乙机）",
        ),
        (&backup, &wrong, "wrong_key", "密钥或口令不对"),
        (&junk, &key(), "wrong_key", "密钥或口令不对"),
        (
            &dir.path().join("missing.db"),
            &key(),
            "backup_refused",
            "文件不存在",
        ),
    ];
    for (from, k, code, says) in cases {
        let e = restore(&path, from, k, k, "t2").unwrap_err();
        assert_eq!(e.code(), code, "{}", from.display());
        assert!(e.zh().contains(says), "{}", e.zh());
    }
    let s = Store::open(&path, &key()).unwrap();
    assert_eq!(heads(&s), ["乌力吉巴图"]);
}

/// A laptop is lost; its backup (on a USB stick) is restored on a new one, whose keyring
/// holds another key: with the old key (as `tally key show` printed it) the backup opens,
/// and the restored database opens with the new computer's key only.
#[test]
fn a_backup_restores_on_another_computer_with_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.db");
    let backup = dir.path().join("stick.db");
    let mut s = device(&old, &key(), "甲机");
    household(&mut s, VILLAGE, "未同步户");
    s.backup_to(&backup).unwrap();
    drop(s);
    let new_key = DbKey::parse(&"ab".repeat(32)).unwrap();
    let new = dir.path().join("new").join("tally.db");
    std::fs::create_dir_all(new.parent().unwrap()).unwrap();
    let e = restore(&new, &backup, &new_key, &new_key, "t1").unwrap_err();
    assert_eq!(
        e.code(),
        "wrong_key",
        "the new computer's key does not open it"
    );
    assert!(!new.exists(), "nothing written");
    let info = restore(&new, &backup, &key(), &new_key, "t1").unwrap();
    assert_eq!(info.device_name, "甲机");
    let s = Store::open(&new, &new_key).unwrap();
    assert!(
        heads(&s).contains(&"未同步户".to_string()),
        "{:?}",
        heads(&s)
    );
    drop(s);
    assert_eq!(
        Store::open(&new, &key()).err().map(|e| e.code()),
        Some("wrong_key"),
        "re-encrypted with the new computer's key"
    );
    assert!(!contains(&new, "未同步户"));
}

#[test]
fn daily_backups_keep_the_last_seven() {
    let dir = tempfile::tempdir().unwrap();
    let s = device(&dir.path().join("tally.db"), &key(), "甲机");
    let backups = dir.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    for d in 10..19 {
        std::fs::write(backups.join(format!("tally-2026-11-{d}.db")), "old").unwrap();
    }
    std::fs::write(backups.join("notes.txt"), "not a backup").unwrap();
    let written = s.daily_backup(&backups).unwrap().expect("today's");
    assert!(written.ends_with("tally-2026-11-27.db"));
    assert_eq!(s.daily_backup(&backups).unwrap(), None, "once a day");
    let kept: Vec<String> = daily_backups(&backups)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(kept.len(), KEEP_DAILY);
    assert_eq!(kept.first().unwrap(), "tally-2026-11-13.db");
    assert_eq!(kept.last().unwrap(), "tally-2026-11-27.db");
    assert!(backups.join("notes.txt").exists());
    assert_eq!(inspect(&written, &key()).unwrap().device_name, "甲机");
}
