//! The whole product over the real binaries: `tally-server` on a loopback port (SQLite,
//! and PostgreSQL when TALLY_TEST_PG_URL is set), three `tally` devices. Two cadres of
//! one village work while the server is down, one edits a field the other edits too;
//! a failed sync loses nothing; after the server comes back both replicas converge
//! to the same ledger, the conflict keeps both values, and the leader sees it.

use crate::e2e_support::{Backend, Device, Server};
use serde_json::{json, Value};
use std::time::Instant;

const BANNER: &str = "150625";
const TOWNSHIP: &str = "150625100";
const VILLAGE: &str = "150625100201";
const PASSWORD: &str = "secret-pass-1";
/// The day the ledgers are computed for; every record is dated a few days before it.
const AS_OF: &str = "2025-06-05";

#[test]
fn offline_cadres_converge_on_sqlite() {
    story(Backend::Sqlite);
}

#[test]
fn offline_cadres_converge_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        story(backend);
    }
}

/// A field of a report, as a number.
fn n(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no number {key} in {v}"))
}

/// The ledger row of `metric`.
fn row<'a>(ledger: &'a Value, metric: &str) -> &'a Value {
    ledger["rows"]
        .as_array()
        .expect("ledger rows")
        .iter()
        .find(|r| r["metric"] == metric)
        .unwrap_or_else(|| panic!("no row {metric} in {ledger}"))
}

/// Add a household in the village; its id.
fn household(dev: &Device, head: &str, members: &str, rating: &str) -> String {
    let args = [
        "household",
        "add",
        "--village",
        VILLAGE,
        "--head",
        head,
        "--members",
        members,
        "--rating",
        rating,
    ];
    dev.json(&args)["id"].as_str().expect("id").to_string()
}

fn cleanup(dev: &Device, kind: &str, tonnes: &str, date: &str) {
    let args = [
        "cleanup",
        "add",
        "--village",
        VILLAGE,
        "--kind",
        kind,
        "--tonnes",
        tonnes,
        "--date",
        date,
    ];
    dev.ok(&args);
}

fn visit(dev: &Device, household: &str, date: &str, note: &str) {
    dev.ok(&[
        "visit",
        "add",
        "--household",
        household,
        "--date",
        date,
        "--note",
        note,
    ]);
}

fn ledger(dev: &Device) -> Value {
    dev.json(&["ledger", "--unit", VILLAGE, "--as-of", AS_OF])
}

fn story(backend: Backend) {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut server = Server::new(dir, backend);

    // The admin sets up the banner, its township and village, two cadres of the village
    // and the township's team leader.
    for args in [
        ["--code", BANNER, "--name", "杭锦旗", "--level", "banner"].as_slice(),
        &[
            "--code",
            TOWNSHIP,
            "--name",
            "锡尼镇",
            "--level",
            "township",
            "--parent",
            BANNER,
        ],
        &[
            "--code",
            VILLAGE,
            "--name",
            "阿斯尔嘎查",
            "--level",
            "village",
            "--parent",
            TOWNSHIP,
        ],
    ] {
        server.admin(&[["unit", "add"].as_slice(), args].concat(), None);
    }
    for (user, role, unit) in [
        ("batu", "cadre", VILLAGE),
        ("wang", "cadre", VILLAGE),
        ("li", "leader", TOWNSHIP),
    ] {
        let args = [
            "user",
            "add",
            "--name",
            user,
            "--role",
            role,
            "--unit",
            unit,
            "--password-stdin",
        ];
        server.admin(&args, Some(PASSWORD));
    }
    server.start();
    let url = server.url();

    // Three devices enrol and receive the org units.
    let a = Device::init(dir, "a.db", "甲机");
    let b = Device::init(dir, "b.db", "乙机");
    let leader = Device::init(dir, "leader.db", "镇里");
    for (dev, user) in [(&a, "batu"), (&b, "wang"), (&leader, "li")] {
        dev.login(&url, user, PASSWORD);
        let r = dev.sync();
        assert_eq!((n(&r, "sent"), n(&r, "received")), (0, 3), "{user}: {r}");
    }

    // The leader sets the village's targets; cadre A records a household; all see them.
    for (metric, quantity) in [("renovation", "2"), ("cleanup-tonnes", "20")] {
        leader.ok(&[
            "target",
            "set",
            "--unit",
            VILLAGE,
            "--metric",
            metric,
            "--quantity",
            quantity,
            "--deadline",
            "2025-12-31",
        ]);
    }
    let r = leader.sync();
    assert_eq!((n(&r, "sent"), n(&r, "accepted")), (2, 2), "{r}");
    let zhang = household(&a, "张三", "4", "D");
    let r = a.sync();
    assert_eq!((n(&r, "sent"), n(&r, "received")), (1, 2), "{r}");
    let r = b.sync();
    assert_eq!((n(&r, "sent"), n(&r, "received")), (0, 3), "{r}");

    // The server goes down. Cadre A keeps working: a household, renovations, visits,
    // cleanup loads, and the size of 张三's household.
    server.stop();
    let li = household(&a, "李四", "2", "C");
    for hh in [&zhang, &li] {
        let args = [
            "renovation",
            "set",
            "--household",
            hh,
            "--status",
            "started",
            "--date",
            "2025-06-02",
        ];
        a.ok(&args);
    }
    visit(&a, &zhang, "2025-06-02", "墙体裂缝已加固");
    visit(&a, &li, "2025-06-03", "屋顶漏雨");
    cleanup(&a, "manure", "3.5", "2025-06-02");
    cleanup(&a, "hay", "2.25", "2025-06-03");
    cleanup(&a, "garbage", "1.25", "2025-06-03");
    a.ok(&["household", "edit", &zhang, "--members", "6"]);
    let a_pending = a.pending();
    assert_eq!(a_pending, 9, "one change per command");

    // Its sync fails with a plain sentence and exit 1, and nothing is lost.
    let t_offline = Instant::now();
    let out = a.run(&["sync"], None);
    let offline_ms = t_offline.elapsed().as_millis();
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("连不上服务器") && out.stderr.contains("cannot reach the server"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(a.pending(), a_pending, "a failed sync keeps the outbox");

    // Cadre B, offline too, records a load and a visit and changes the same field
    // (later, so B's value wins and A's is kept as the conflict's other value).
    cleanup(&b, "dirt", "4", "2025-06-03");
    visit(&b, &zhang, "2025-06-03", "复查");
    b.ok(&["household", "edit", &zhang, "--members", "5"]);
    assert_eq!(b.pending(), 3);

    // The server restarts on the same database; both sync twice, alternating.
    server.start();
    let r = a.sync();
    assert_eq!(
        [&r["sent"], &r["accepted"], &r["rejected"], &r["received"]].map(Value::as_u64),
        [Some(9), Some(9), Some(0), Some(0)],
        "{r}"
    );
    let r = b.sync();
    assert_eq!(
        [&r["sent"], &r["accepted"], &r["rejected"], &r["received"]].map(Value::as_u64),
        [Some(3), Some(3), Some(0), Some(9)],
        "{r}"
    );
    let r = a.sync();
    assert_eq!((n(&r, "sent"), n(&r, "received")), (0, 3), "{r}");
    let r = b.sync();
    assert_eq!((n(&r, "sent"), n(&r, "received")), (0, 0), "{r}");

    // Both replicas show the same ledger, with the numbers both typed.
    let ledger_a = ledger(&a);
    assert_eq!(ledger_a, ledger(&b));
    let renovation = row(&ledger_a, "renovation");
    assert_eq!(
        [
            &renovation["target"],
            &renovation["started"],
            &renovation["completed"]
        ],
        [&json!(2.0), &json!(2.0), &json!(0.0)],
        "{renovation}"
    );
    let tonnes = row(&ledger_a, "cleanup-tonnes");
    assert_eq!(
        [&tonnes["target"], &tonnes["started"], &tonnes["completed"]],
        [&json!(20.0), &json!(11.0), &json!(11.0)],
        "{tonnes}"
    );
    for (pile, t) in [
        ("manure", 3.5),
        ("hay", 2.25),
        ("garbage", 1.25),
        ("dirt", 4.0),
        ("firewood", 0.0),
    ] {
        let r = row(&ledger_a, &format!("cleanup-tonnes:{pile}"));
        assert_eq!(r["completed"], json!(t), "{r}");
    }
    let households = a.json(&["household", "list", "--village", VILLAGE]);
    assert_eq!(
        households,
        b.json(&["household", "list", "--village", VILLAGE])
    );
    assert_eq!(households.as_array().map(Vec::len), Some(2), "{households}");

    // Nothing pending, nothing rejected.
    for dev in [&a, &b] {
        let s = dev.json(&["status"]);
        assert_eq!((n(&s, "pending"), &s["rejected"]), (0, &json!([])), "{s}");
    }

    // The one conflict, with both values, on both replicas; B's later value applies.
    let conflicts = a.json(&["conflicts"]);
    assert_eq!(conflicts, b.json(&["conflicts"]));
    let list = conflicts.as_array().expect("a list");
    assert_eq!(list.len(), 1, "{conflicts}");
    let c = &list[0];
    assert_eq!(
        [&c["table"], &c["row"], &c["field"]],
        [&json!("household"), &json!(zhang), &json!("members")],
        "{c}"
    );
    assert_eq!(
        [&c["winner"]["value"], &c["winner"]["author"]],
        [&json!(5), &json!("wang")],
        "{c}"
    );
    assert_eq!(
        [&c["loser"]["value"], &c["loser"]["author"]],
        [&json!(6), &json!("batu")],
        "{c}"
    );
    let zhang_row = households
        .as_array()
        .and_then(|l| l.iter().find(|h| h["id"] == zhang.as_str()))
        .expect("张三 in the list");
    assert_eq!(
        [
            &zhang_row["members"],
            &zhang_row["renovation"],
            &zhang_row["last_visit"]
        ],
        [&json!(5), &json!("started"), &json!("2025-06-03")],
        "{zhang_row}"
    );

    // The team leader receives all of it once and sees the same conflict and ledger.
    let r = leader.sync();
    assert_eq!((n(&r, "sent"), n(&r, "received")), (0, 1 + 9 + 3), "{r}");
    assert_eq!(leader.json(&["conflicts"]), conflicts);
    assert_eq!(ledger(&leader), ledger_a);

    // A replayed sync sends and receives nothing.
    for dev in [&a, &b, &leader] {
        let r = dev.sync();
        assert_eq!(
            [&r["sent"], &r["accepted"], &r["received"]].map(Value::as_u64),
            [Some(0), Some(0), Some(0)],
            "{r}"
        );
        assert_eq!(dev.pending(), 0);
    }
    server.stop();
    eprintln!(
        "e2e: whole story {} ms (the failed offline sync {offline_ms} ms)",
        t0.elapsed().as_millis()
    );
}
