//! The whole product over the real binaries: `tally-server` on a loopback port (SQLite,
//! and PostgreSQL: see `tally_testkit` for when it runs), three `tally` devices. Two cadres of
//! one village work while the server is down, one edits a field the other edits too;
//! a failed sync loses nothing; after the server comes back both replicas converge
//! to the same ledger, the conflict keeps both values, and the leader sees it.

use crate::e2e_support::{Backend, Device, Server};
use serde_json::{json, Value};
use std::time::Instant;
use tally_testkit::banner::{BANNER, TOWNSHIP, VILLAGE_A as VILLAGE};

const PASSWORD: &str = "secret-pass-1";
/// The day the ledgers are computed for; every record is dated a few days before it.
const AS_OF: &str = "2025-06-05";

#[test]
fn offline_cadres_converge_on_sqlite() {
    story(Backend::Sqlite);
}

#[test]
fn offline_cadres_converge_on_postgres() {
    let _cluster = tally_tests::pg_lock();
    if let Some(backend) = Backend::postgres() {
        story(backend);
    }
}

/// The fields `keys` (space-separated) of a JSON object, as an object.
fn pick(v: &Value, keys: &str) -> Value {
    keys.split_whitespace()
        .map(|k| (k.to_string(), v[k].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The row of a whole metric in the CLI's ledger JSON.
fn row<'a>(ledger: &'a Value, metric: &str) -> &'a Value {
    pile_row(ledger, metric, None)
}

/// The row of a metric and pile kind (`None`: the whole metric).
fn pile_row<'a>(ledger: &'a Value, metric: &str, pile: Option<&str>) -> &'a Value {
    ledger["rows"]
        .as_array()
        .expect("ledger rows")
        .iter()
        .find(|r| r["metric"] == metric && r["pile"] == serde_json::json!(pile))
        .unwrap_or_else(|| panic!("no row {metric} {pile:?} in {ledger}"))
}

/// Add a household to the village; its id.
fn household(dev: &Device, head: &str, members: u32, rating: &str) -> String {
    let cmd = format!(
        "household add --village {VILLAGE} --head {head} --members {members} --rating {rating}"
    );
    dev.json(&cmd)["id"].as_str().expect("an id").to_string()
}

fn ledger(dev: &Device) -> Value {
    dev.json(&format!("ledger --unit {VILLAGE} --as-of {AS_OF}"))
}

fn story(backend: Backend) {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut server = Server::new(dir, backend);

    // The admin sets up the banner, its township and village, two cadres of the village
    // and the township's team leader.
    server.admin(
        &format!("unit add --code {BANNER} --name 杭锦旗 --level banner"),
        None,
    );
    server.admin(
        &format!("unit add --code {TOWNSHIP} --name 锡尼镇 --level township --parent {BANNER}"),
        None,
    );
    server.admin(
        &format!("unit add --code {VILLAGE} --name 阿斯尔嘎查 --level village --parent {TOWNSHIP}"),
        None,
    );
    for (user, role, unit) in [
        ("batu", "cadre", VILLAGE),
        ("wang", "cadre", VILLAGE),
        ("li", "leader", TOWNSHIP),
    ] {
        let cmd = format!("user add --name {user} --role {role} --unit {unit} --password-stdin");
        server.admin(&cmd, Some(PASSWORD));
    }
    // What the admin gets wrong is said in Chinese, then English; exit 2 for a usage
    // error, 1 for a refusal.
    for (cmd, stdin, exit, says) in [
        (
            "user add --name zhao --role cadre --unit 1",
            None,
            2,
            "错误: 请加 --password-stdin",
        ),
        (
            "user add --name zhao --role cadre --password-stdin",
            Some(PASSWORD),
            1,
            "错误: 驻村干部至少需要一个负责单位（--unit） / error: a cadre needs at least one --unit",
        ),
        (
            "user disable ghost",
            None,
            1,
            "错误: 没有用户 \"ghost\" / error: no user \"ghost\"",
        ),
    ] {
        let out = server.admin_run(cmd, stdin);
        assert_eq!(out.code, Some(exit), "{cmd}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{cmd}: {}", out.stderr);
    }
    server.start();
    let url = server.url();

    // Three devices enrol and receive the three org units.
    let a = Device::init(dir, "a.db", "甲机");
    let b = Device::init(dir, "b.db", "乙机");
    let leader = Device::init(dir, "leader.db", "镇里");
    for (dev, user) in [(&a, "batu"), (&b, "wang"), (&leader, "li")] {
        dev.login(&url, user, PASSWORD);
        let r = dev.sync();
        assert_eq!(pick(&r, "sent received"), json!({"sent": 0, "received": 3}));
    }

    // The leader sets the village's targets; cadre A records a household; all see them.
    for (metric, quantity) in [("renovation", 2), ("cleanup-tonnes", 20)] {
        leader.ok(&format!(
            "target set --unit {VILLAGE} --metric {metric} --quantity {quantity} \
             --deadline 2025-12-31"
        ));
    }
    let r = leader.sync();
    assert_eq!(pick(&r, "sent accepted"), json!({"sent": 2, "accepted": 2}));
    let zhang = household(&a, "张三", 4, "D");
    let r = a.sync();
    assert_eq!(pick(&r, "sent received"), json!({"sent": 1, "received": 2}));
    let r = b.sync();
    assert_eq!(pick(&r, "sent received"), json!({"sent": 0, "received": 3}));

    // The server goes down. Cadre A keeps working: a household, renovations, visits,
    // cleanup loads, and the size of 张三's household.
    server.stop();
    let li = household(&a, "李四", 2, "C");
    for hh in [&zhang, &li] {
        a.ok(&format!(
            "renovation set --household {hh} --status started --date 2025-06-02"
        ));
    }
    a.ok(&format!(
        "visit add --household {zhang} --date 2025-06-02 --note 墙体裂缝已加固"
    ));
    a.ok(&format!(
        "visit add --household {li} --date 2025-06-03 --note 屋顶漏雨"
    ));
    for (kind, tonnes, date) in [
        ("manure", 3.5, "2025-06-02"),
        ("hay", 2.25, "2025-06-03"),
        ("garbage", 1.25, "2025-06-03"),
    ] {
        a.ok(&format!(
            "cleanup add --village {VILLAGE} --kind {kind} --tonnes {tonnes} --date {date}"
        ));
    }
    a.ok(&format!("household edit {zhang} --members 6"));
    let a_pending = a.pending();
    assert_eq!(a_pending, 9, "one change per command");

    // Its sync fails with exit 1 and one plain sentence, and nothing is lost.
    let t_offline = Instant::now();
    let out = a.run("sync", None);
    let offline_ms = t_offline.elapsed().as_millis();
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("连不上服务器") && out.stderr.contains("cannot reach the server"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert_eq!(a.pending(), a_pending, "a failed sync keeps the outbox");

    // Cadre B, offline too, records a load and a visit and changes the same field
    // (later, so B's value applies and A's is kept as the conflict's other value).
    b.ok(&format!(
        "cleanup add --village {VILLAGE} --kind dirt --tonnes 4 --date 2025-06-03"
    ));
    b.ok(&format!(
        "visit add --household {zhang} --date 2025-06-03 --note 复查"
    ));
    b.ok(&format!("household edit {zhang} --members 5"));
    assert_eq!(b.pending(), 3);

    // The server restarts on the same database; both sync twice, alternating.
    server.start();
    let counts = "sent accepted rejected received";
    let r = a.sync();
    assert_eq!(
        pick(&r, counts),
        json!({"sent": 9, "accepted": 9, "rejected": 0, "received": 0})
    );
    let r = b.sync();
    assert_eq!(
        pick(&r, counts),
        json!({"sent": 3, "accepted": 3, "rejected": 0, "received": 9})
    );
    let r = a.sync();
    assert_eq!(pick(&r, "sent received"), json!({"sent": 0, "received": 3}));
    let r = b.sync();
    assert_eq!(pick(&r, "sent received"), json!({"sent": 0, "received": 0}));

    // Both replicas show the same ledger, with what both typed.
    let ledger_a = ledger(&a);
    assert_eq!(ledger_a, ledger(&b));
    let totals = "target started completed";
    assert_eq!(
        pick(row(&ledger_a, "renovation"), totals),
        json!({"target": 2.0, "started": 2.0, "completed": 0.0})
    );
    assert_eq!(
        pick(row(&ledger_a, "cleanup-tonnes"), totals),
        json!({"target": 20.0, "started": 11.0, "completed": 11.0})
    );
    for (pile, tonnes) in [
        ("manure", 3.5),
        ("hay", 2.25),
        ("garbage", 1.25),
        ("dirt", 4.0),
        ("firewood", 0.0),
    ] {
        let r = pile_row(&ledger_a, "cleanup-tonnes", Some(pile));
        assert_eq!(r["completed"], json!(tonnes), "{r}");
    }
    let households = a.json(&format!("household list --village {VILLAGE}"));
    assert_eq!(
        households,
        b.json(&format!("household list --village {VILLAGE}"))
    );
    assert_eq!(households.as_array().map(Vec::len), Some(2), "{households}");
    let zhang_row = households
        .as_array()
        .and_then(|l| l.iter().find(|h| h["id"] == zhang.as_str()))
        .expect("张三 in the list");
    assert_eq!(
        pick(zhang_row, "members renovation last_visit"),
        json!({"members": 5, "renovation": "started", "last_visit": "2025-06-03"})
    );

    // Nothing pending, nothing rejected.
    for dev in [&a, &b] {
        let s = dev.json("status");
        assert_eq!(
            pick(&s, "pending rejected"),
            json!({"pending": 0, "rejected": []})
        );
    }

    // The one conflict, with both values, on both replicas; B's later value applies.
    let conflicts = a.json("conflicts");
    assert_eq!(conflicts, b.json("conflicts"));
    let list = conflicts.as_array().expect("a list");
    assert_eq!(list.len(), 1, "{conflicts}");
    let c = &list[0];
    assert_eq!(
        pick(c, "table row field"),
        json!({"table": "household", "row": zhang, "field": "members"})
    );
    assert_eq!(
        pick(&c["winner"], "value author"),
        json!({"value": 5, "author": "wang"})
    );
    assert_eq!(
        pick(&c["loser"], "value author"),
        json!({"value": 6, "author": "batu"})
    );

    // The team leader receives all of it, once, and sees the same conflict and ledger.
    let r = leader.sync();
    assert_eq!(
        pick(&r, "sent received"),
        json!({"sent": 0, "received": 1 + 9 + 3})
    );
    assert_eq!(leader.json("conflicts"), conflicts);
    assert_eq!(ledger(&leader), ledger_a);

    // A replayed sync sends and receives nothing.
    for dev in [&a, &b, &leader] {
        let r = dev.sync();
        assert_eq!(
            pick(&r, "sent accepted received"),
            json!({"sent": 0, "accepted": 0, "received": 0})
        );
        assert_eq!(dev.pending(), 0);
    }

    // Cadre B goes where there is no network at all: a visit, carried on a USB stick.
    b.ok(&format!(
        "visit add --household {zhang} --date 2025-06-04 --note 入户宣传"
    ));
    let stick = dir.join("b-bundle.tally");
    let receipts = dir.join("b-receipts.tally");
    let out = b.json(&format!("bundle export {}", stick.display()));
    assert_eq!(out["changes"], json!(1), "{out}");
    // A copy changed on the way is refused whole, in Chinese first, and writes nothing.
    let mut changed = std::fs::read(&stick).unwrap();
    let middle = changed.len() / 2;
    changed[middle] ^= 0x55;
    let bad = dir.join("changed.tally");
    std::fs::write(&bad, changed).unwrap();
    let bad_receipts = dir.join("changed-receipts.tally");
    let out = server.admin_run(
        &format!(
            "bundle import {} --receipts {}",
            bad.display(),
            bad_receipts.display()
        ),
        None,
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .lines()
            .any(|l| l.starts_with("错误: ") && l.contains("整份拒收")),
        "{}",
        out.stderr
    );
    assert!(!bad_receipts.exists());
    // The admin imports it (twice: nothing is stored twice) while the server runs.
    for _ in 0..2 {
        server.admin(
            &format!(
                "bundle import {} --receipts {} --with-changes",
                stick.display(),
                receipts.display()
            ),
            None,
        );
    }
    let r = b.json(&format!("bundle import-receipts {}", receipts.display()));
    assert_eq!(
        pick(&r, "accepted rejected"),
        json!({"accepted": 1, "rejected": 0})
    );
    assert_eq!(b.pending(), 0);
    let r = a.sync();
    assert_eq!(pick(&r, "sent received"), json!({"sent": 0, "received": 1}));
    let r = b.sync();
    assert_eq!(pick(&r, "sent received"), json!({"sent": 0, "received": 0}));

    // Next time the stick goes to the township leader, whose laptop is online: the
    // leader's device carries it to the server and hands back the receipts.
    b.ok(&format!(
        "cleanup add --village {VILLAGE} --kind garbage --tonnes 1.5 --date 2025-06-05"
    ));
    let stick2 = dir.join("b-bundle-2.tally");
    let receipts2 = dir.join("b-receipts-2.tally");
    b.ok(&format!("bundle export {}", stick2.display()));
    let refused = a.run(
        &format!(
            "bundle forward {} --receipts {}",
            stick2.display(),
            receipts2.display()
        ),
        None,
    );
    assert_eq!(
        refused.code,
        Some(1),
        "a cadre does not carry bundles: {}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("只有队长和管理员"),
        "{}",
        refused.stderr
    );
    let r = leader.json(&format!(
        "bundle forward {} --receipts {} --with-changes",
        stick2.display(),
        receipts2.display()
    ));
    assert_eq!(
        pick(&r, "accepted rejected"),
        json!({"accepted": 1, "rejected": 0})
    );
    let r = b.json(&format!("bundle import-receipts {}", receipts2.display()));
    assert_eq!(
        pick(&r, "accepted rejected"),
        json!({"accepted": 1, "rejected": 0})
    );
    assert_eq!(b.pending(), 0);
    let r = a.sync();
    assert_eq!(pick(&r, "sent received"), json!({"sent": 0, "received": 1}));

    server.stop();
    eprintln!(
        "e2e: whole story {} ms (of which the failed offline sync {offline_ms} ms)",
        t0.elapsed().as_millis()
    );
}
