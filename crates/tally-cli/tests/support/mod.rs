//! What the `tally` binary's tests share: a fresh database folder, running a command and
//! reading what it printed, the seeded org units, reading ledger rows. Each test binary
//! uses part of it.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

pub const BANNER: &str = "150625";
pub const TOWNSHIP: &str = "150625100";
pub const VILLAGE: &str = "150625100201";
pub const HAMLET: &str = "15062510020101";

/// A database in a temporary directory.
pub struct Db {
    _dir: TempDir,
    pub path: PathBuf,
}

impl Db {
    pub fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tally.db");
        Db { _dir: dir, path }
    }

    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap()
    }

    pub fn run(&self, cmd: &str) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tally"))
            .arg("--db")
            .arg(&self.path)
            .args(cmd.split_whitespace())
            .env_remove("TALLY_DB")
            .env("TALLY_DB_KEY", tally_testkit::DB_KEY)
            .output()
            .unwrap()
    }

    /// Run a command that must succeed; its stdout.
    pub fn ok(&self, cmd: &str) -> String {
        let out = self.run(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "tally {cmd} failed ({:?}): {stderr}",
            out.status.code()
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Run a command that must fail with `code`; its stderr, which must be plain words.
    pub fn fails(&self, code: i32, cmd: &str) -> String {
        let out = self.run(cmd);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(code), "tally {cmd}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "tally {cmd} printed {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        for debug in [
            "StoreError",
            "Invalid(",
            "Value {",
            "NotFound {",
            "Some(",
            "panicked",
        ] {
            assert!(
                !stderr.contains(debug),
                "tally {cmd}: a Debug dump in {stderr}"
            );
        }
        stderr
    }

    pub fn json(&self, cmd: &str) -> Value {
        let out = self.ok(&format!("{cmd} --json"));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("tally {cmd}: {e}: {out}"))
    }

    /// The heads of `household list` with these filters, in the listed order.
    pub fn heads(&self, filters: &str) -> Vec<String> {
        let list = self.json(&format!("household list {filters}"));
        list.as_array()
            .unwrap()
            .iter()
            .map(|h| h["head"].as_str().unwrap().to_string())
            .collect()
    }

    /// An initialised device with a banner, a township, a village and a hamlet.
    pub fn with_units() -> Db {
        let db = Db::new();
        db.ok("init --device-name 测试机");
        for (code, name, level, parent) in [
            (BANNER, "杭锦旗", "banner", ""),
            (TOWNSHIP, "锡尼镇", "township", BANNER),
            (VILLAGE, "阿斯尔嘎查", "village", TOWNSHIP),
            (HAMLET, "一社", "hamlet", VILLAGE),
        ] {
            let parent = if parent.is_empty() {
                String::new()
            } else {
                format!("--parent {parent}")
            };
            let out = db.ok(&format!(
                "unit add --code {code} --name {name} --level {level} {parent}"
            ));
            assert_eq!(out, format!("{code}\n"));
        }
        db
    }
}

/// The id printed by an `add`: one line, a UUID.
pub fn id(stdout: String) -> String {
    let id = stdout
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("not one line: {stdout:?}"));
    assert!(uuid::Uuid::parse_str(id).is_ok(), "not an id: {stdout:?}");
    id.to_string()
}

/// The keys of a ledger row, in order: the CSV header. (`accepted` is empty for the
/// metrics whose records are not accepted; `deadline`, `from` and `milestones` for rows
/// without a target of their own.)
pub const ROW_KEYS: &str = "metric,pile,target,started,completed,percent,remaining,\
                            required_per_day,last_7_days_per_day,accepted,deadline,from,milestones";

/// The numbers of a ledger row before `accepted`: target … last_7_days_per_day.
pub const ROW_FIGURES: usize = 7;

/// The row of a whole metric.
pub fn row<'a>(ledger: &'a Value, metric: &str) -> &'a Value {
    pile_row(ledger, metric, None)
}

/// The row of a metric and pile kind (`None`: the whole metric).
pub fn pile_row<'a>(ledger: &'a Value, metric: &str, pile: Option<&str>) -> &'a Value {
    ledger["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == metric && r["pile"] == json!(pile))
        .unwrap()
}

pub fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}
