//! The `tally` binary as users and scripts run it: the whole contract walk, exit codes
//! with nothing stored after a refusal, the demo.
//!
//! Commands are written as one string split on whitespace (no argument here has a space).

mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use support::*;

#[test]
fn the_whole_contract_walk() {
    let db = Db::with_units();
    let levels: Vec<Value> = db
        .json("unit list")
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["level"].clone())
        .collect();
    assert_eq!(levels, ["banner", "township", "village", "hamlet"]);

    let add = |args: &str| id(db.ok(&format!("household add {args}")));
    let zs = add(&format!("--village {VILLAGE} --head 张三 --members 4 --category five-guarantee --seepage --rating D"));
    let ls = add(&format!("--village {HAMLET} --head 李四 --rating C"));
    let zl = add(&format!(
        "--village {VILLAGE} --head 赵六 --category subsistence --category 残疾人贫困户 --rating B"
    ));

    assert_eq!(db.heads("--search zs"), ["张三"], "pinyin initials");
    assert_eq!(db.heads("--search 赵"), ["赵六"]);
    assert_eq!(db.heads(&format!("--village {HAMLET}")), ["李四"]);
    assert_eq!(db.heads("--category five-guarantee"), ["张三"]);
    assert_eq!(db.heads("--category disabled-poor"), ["赵六"]);
    assert_eq!(db.heads("--rating C"), ["李四"]);
    assert_eq!(db.heads("--no-cadre").len(), 3);
    assert!(db.ok("household list").contains("张三"));

    let saved = db.ok(&format!(
        "household edit {zs} --members 5 --phone 13800138000 --cadre 王干部"
    ));
    assert!(saved.contains("saved"), "{saved}");
    assert_eq!(db.heads("--no-cadre").len(), 2);

    // Renovation moves forward, and back only by a leader's correction.
    let renovate = |h: &str, rest: &str| format!("renovation set --household {h} {rest}");
    db.ok(&renovate(&zs, "--status started --date 2025-06-02"));
    db.ok(&renovate(&zs, "--status completed --date 2025-06-05"));
    db.ok(&renovate(&ls, "--status started --date 2025-06-08"));
    db.ok(&renovate(&zl, "--status completed --date 2025-06-09"));
    let back = db.fails(1, &renovate(&zl, "--status started --date 2025-06-09"));
    assert!(back.contains("cannot move back"), "{back}");
    db.ok(&renovate(
        &zl,
        "--status started --date 2025-06-09 --correction",
    ));
    assert_eq!(
        db.heads("--renovation started"),
        ["赵六", "李四"],
        "by unit code, then pinyin"
    );

    id(db.ok(&format!(
        "visit add --household {zs} --date 2025-06-03 --note 墙体裂缝"
    )));
    id(db.ok(&format!(
        "demolition add --village {VILLAGE} --household {zs} --area 80 --date 2025-06-06"
    )));
    id(db.ok(&format!(
        "cleanup add --village {VILLAGE} --kind manure --tonnes 3.5 --piles 2 --date 2025-06-09"
    )));
    id(db.ok(&format!(
        "cleanup add --village {HAMLET} --kind 垃圾堆 --tonnes 1.5 --date 2025-06-01"
    )));
    let works = |rest: &str| id(db.ok(&format!("works add --village {VILLAGE} {rest}")));
    let road = works("--kind road --quantity 2.5 --status started --date 2025-06-01");
    db.ok(&format!(
        "works set {road} --status completed --date 2025-06-08"
    ));
    works("--kind water --quantity 1 --people 120 --status completed --date 2025-06-07");
    // Moving a works item on is one change: a bad figure leaves the status too.
    let bad = db.fails(
        1,
        &format!("works set {road} --status completed --quantity 0 --date 2025-06-08"),
    );
    assert!(bad.contains("quantity"), "{bad}");
    let listed = db.json(&format!("works list --village {VILLAGE}"));
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let road_now = listed.iter().find(|w| w["id"] == json!(road)).unwrap();
    assert_eq!(
        (&road_now["status"], &road_now["quantity"]),
        (&json!("completed"), &json!(2.5))
    );
    assert!(db.ok("works list").contains("街巷硬化"));
    db.ok(&format!(
        "target set --unit {TOWNSHIP} --metric renovation --quantity 10 --deadline 2025-07-10"
    ));
    db.ok(&format!(
        "target set --unit {VILLAGE} --metric cleanup-tonnes --quantity 100 --deadline 2025-06-30"
    ));

    // The household with its timeline and history.
    let shown = db.json(&format!("household show {zs}"));
    let summary = &shown["summary"];
    assert_eq!(
        (summary["members"].as_u64(), summary["cadre"].as_str()),
        (Some(5), Some("王干部"))
    );
    assert_eq!(summary["last_visit"], "2025-06-03");
    let timeline = shown["timeline"].as_array().unwrap();
    let visits: Vec<&Value> = timeline.iter().filter(|t| t["kind"] == "visit").collect();
    assert_eq!(visits.len(), 1);
    // The same page the desktop's household screen gets, from the same store function.
    let page = tally_store::Store::open(
        &db.path,
        &tally_store::DbKey::parse(tally_testkit::DB_KEY).unwrap(),
    )
    .unwrap()
    .household_page(zs.parse().unwrap())
    .unwrap();
    assert_eq!(
        (&shown["summary"], &shown["timeline"]),
        (
            &serde_json::to_value(&page.summary).unwrap(),
            &serde_json::to_value(&page.timeline).unwrap()
        )
    );
    assert_eq!(
        shown["history"].as_array().unwrap().len(),
        4,
        "add, edit, two renovation steps"
    );
    let text = db.ok(&format!("household show {zs}"));
    assert!(
        text.contains("张三") && text.contains("墙体裂缝") && text.contains("待同步"),
        "{text}"
    );
    for line in [
        "  2025-06-06  拆除  80 平方米",
        "  2025-06-05  改造状态：已竣工",
        "  2025-06-03  走访  墙体裂缝",
        "  2025-06-02  改造状态：已开工",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }

    // The ledger of the banner rolls up everything below it.
    let ledger = db.json(&format!("ledger --unit {BANNER} --as-of 2025-06-10"));
    assert_eq!(keys(&ledger), ["as_of", "groups", "only", "rows", "unit"]);
    assert_eq!(
        (ledger["unit"].as_str(), ledger["as_of"].as_str()),
        (Some(BANNER), Some("2025-06-10"))
    );
    let rows = ledger["rows"].as_array().unwrap();
    let mut want: Vec<&str> = ROW_KEYS.split(',').collect();
    want.sort();
    assert!(rows.iter().all(|r| keys(r) == want), "{rows:?}");
    assert_eq!(
        rows.len(),
        20,
        "the fifteen metrics, then cleanup per pile kind"
    );
    assert!(rows
        .iter()
        .any(|r| r["metric"] == "cleanup-tonnes" && r["pile"] == "firewood"));
    let pile_num = |m: &str, p: Option<&str>, k: &str| pile_row(&ledger, m, p)[k].as_f64();
    let num = |m: &str, k: &str| pile_num(m, None, k);
    let pile_nums = |m: &str, p: Option<&str>| {
        ROW_KEYS
            .split(',')
            .skip(2)
            .take(ROW_FIGURES)
            .map(|k| pile_num(m, p, k))
            .collect::<Vec<_>>()
    };
    let nums = |m: &str| pile_nums(m, None);
    // Township target 10 by 2025-07-10 (30 days): 9 left → 0.3 a day; 张三 completed
    // on 06-05, inside the 7 days to 06-10 → 1/7.
    let renovation = [10.0, 3.0, 1.0, 10.0, 9.0, 0.3, 0.143];
    assert_eq!(nums("renovation"), renovation.map(Some));
    // Village target 100 t by 06-30: 95 t left in 20 days; 3.5 t in the last 7 days.
    let cleanup = [
        Some(100.0),
        Some(5.0),
        Some(5.0),
        Some(5.0),
        Some(95.0),
        Some(4.75),
        Some(0.5),
    ];
    assert_eq!(nums("cleanup-tonnes"), cleanup);
    let manure = [None, Some(3.5), Some(3.5), None, None, None, Some(0.5)];
    assert_eq!(pile_nums("cleanup-tonnes", Some("manure")), manure);
    assert_eq!(
        pile_num("cleanup-tonnes", Some("garbage"), "completed"),
        Some(1.5)
    );
    let road = [None, Some(2.5), Some(2.5), None, None, None, Some(0.357)];
    assert_eq!(nums("road-km"), road);
    let water = (
        num("water-sites", "completed"),
        num("water-people", "completed"),
    );
    assert_eq!(water, (Some(1.0), Some(120.0)));
    assert_eq!(num("demolition", "completed"), Some(1.0));

    let csv = db.ok(&format!("ledger --unit {BANNER} --as-of 2025-06-10 --csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!((lines[0], lines.len()), (ROW_KEYS, 21));
    let cells: Vec<&str> = lines[1].split(',').collect();
    assert_eq!((cells[0], cells[1]), ("renovation", ""));
    let values: Vec<f64> = cells[2..2 + ROW_FIGURES]
        .iter()
        .map(|c| c.parse().unwrap())
        .collect();
    assert_eq!(values, renovation);
    assert_eq!(
        &cells[2 + ROW_FIGURES..],
        ["0.0", "", "", ""],
        "accepted; no deadline, period or milestones of its own"
    );
    let road_line = lines.iter().find(|l| l.starts_with("road-km,")).unwrap();
    assert!(
        road_line.starts_with("road-km,,,2.5,2.5,,,,"),
        "{road_line}"
    );
    assert!(
        lines.contains(&"cleanup-tonnes,manure,,3.5,3.5,,,,0.5,,,,"),
        "{csv}"
    );

    let table = db.ok(&format!("ledger --unit {BANNER} --as-of 2025-06-10"));
    for header in "指标 目标 已开工 已完成 完成率 剩余 每日需完成 近7日日均".split(' ')
    {
        assert!(table.contains(header), "{header} in {table}");
    }
    let line = |label: &str| table.lines().find(|l| l.starts_with(label)).unwrap();
    assert!(
        line("危房改造(户)").contains("⚠ 进度落后"),
        "0.143 a day < 0.3 needed: {table}"
    );
    assert!(!line("拆除(户)").contains('⚠'), "{table}");

    assert_eq!(db.json("conflicts"), json!([]));
}

#[test]
fn usage_errors_exit_2_and_refusals_exit_1_storing_nothing() {
    let db = Db::with_units();
    let zs = id(db.ok(&format!("household add --village {VILLAGE} --head 张三")));
    let households = db.json("household list");
    let ledger = || db.json(&format!("ledger --unit {BANNER} --as-of 2025-06-10"));
    let before = ledger();

    let bad_date = db.fails(2, &format!("visit add --household {zs} --date 2025-13-01"));
    assert!(bad_date.contains("YYYY-MM-DD"), "{bad_date}");
    let public = db.fails(
        2,
        "login --server http://203.0.113.7:8080 --user batu --password-stdin",
    );
    assert!(
        public.contains("203.0.113.7 不是本机或内网地址") && public.contains("https://"),
        "{public}"
    );
    let nobody = db.fails(
        1,
        "visit add --household 01900000-0000-7000-8000-0000000000ff --date 2025-06-01",
    );
    assert!(
        nobody.contains("找不到农户") && nobody.contains("not found"),
        "{nobody}"
    );
    for usage in [
        format!("visit add --household {zs} --when 2025-06-01"),
        "household show not-an-id".to_string(),
        format!("cleanup add --village {VILLAGE} --kind rubble --tonnes 1"),
        format!("cleanup add --village {VILLAGE} --kind hay --tonnes lots"),
        format!("household edit {zs}"),
        format!("ledger --unit {BANNER} --json --csv"),
        String::new(),
    ] {
        db.fails(2, &usage);
    }

    let negative = db.fails(
        1,
        &format!("cleanup add --village {VILLAGE} --kind manure --tonnes -3"),
    );
    assert!(negative.starts_with("错误: 吨数"), "{negative}");
    assert!(
        negative.contains("error: tonnes must be more than 0 and at most 2000"),
        "{negative}"
    );
    let unknown = db.fails(1, "household add --village 999 --head 李四");
    assert!(
        unknown.contains("找不到组织单位 999") && unknown.contains("unknown org unit"),
        "{unknown}"
    );
    for refused in [
        format!("cleanup add --village {TOWNSHIP} --kind hay --tonnes 1"),
        format!("visit add --household {zs} --date 2999-01-01"),
        "household show 01900000-0000-7000-8000-000000000000".to_string(),
        "ledger --unit nowhere".to_string(),
        format!("unit add --code 1506251002 --name 错级 --level hamlet --parent {TOWNSHIP}"),
        "init --device-name again".to_string(),
    ] {
        db.fails(1, &refused);
    }

    assert_eq!(db.json("household list"), households);
    assert_eq!(ledger(), before);
    assert_eq!(db.json("unit list").as_array().unwrap().len(), 4);
    // The same edit twice is not an error: nothing needed changing.
    db.ok(&format!("household edit {zs} --members 2"));
    db.ok(&format!("household edit {zs} --members 2"));
}

#[test]
fn without_init_every_command_says_to_run_init() {
    let db = Db::new();
    let err = db.fails(1, "household list");
    assert!(err.contains("tally init --device-name"), "{err}");
    assert!(
        !db.path.exists(),
        "a mistyped --db must not create a database"
    );
    let tally = |db: &Path, cmd: &str| {
        let args = cmd.split_whitespace();
        Command::new(env!("CARGO_BIN_EXE_tally"))
            .env("TALLY_DB", db)
            .env("TALLY_DB_KEY", tally_testkit::DB_KEY)
            .args(args)
            .output()
            .unwrap()
    };
    // A database file that was never initialised (SQLite takes an empty file as one).
    let empty = db.dir().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let out = tally(&empty, "unit list");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tally init"));
    // TALLY_DB is honoured.
    assert!(tally(&db.path, "init --device-name env").status.success());
    assert_eq!(db.json("unit list"), json!([]));
}

#[test]
fn the_demo_shows_a_living_ledger_and_repeats_for_a_seed() {
    let db = Db::new();
    db.ok("init --device-name demo");
    let out = db.ok("demo --seed 7");
    let banner = out
        .lines()
        .find_map(|l| l.strip_prefix("旗 banner: "))
        .unwrap();
    let banner = banner.split(' ').next().unwrap();
    let ledger = db.json(&format!("ledger --unit {banner}"));
    for m in [
        "renovation",
        "road-km",
        "demolition",
        "cleanup-tonnes",
        "water-people",
    ] {
        let r = row(&ledger, m);
        assert!(
            r["started"].as_f64().unwrap() > 0.0 && r["target"].as_f64().unwrap() > 0.0,
            "{m}: {r}"
        );
    }
    assert!(row(&ledger, "renovation")["completed"].as_f64().unwrap() > 0.0);
    for pile in ["firewood", "hay", "manure", "dirt", "garbage"] {
        let r = pile_row(&ledger, "cleanup-tonnes", Some(pile));
        assert!(r["completed"].as_f64().unwrap() > 0.0, "{r}");
    }
    let units = db.json("unit list");
    let levels: Vec<&str> = units
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["level"].as_str().unwrap())
        .collect();
    assert!(levels.contains(&"hamlet") && levels.iter().filter(|l| **l == "township").count() >= 2);
    let households = db.heads("");
    assert!(households.len() >= 60, "{}", households.len());
    assert!(db
        .ok(&format!("ledger --unit {banner}"))
        .contains("危房改造(户)"));

    let again = db.fails(1, "demo");
    assert!(again.contains("already has households"), "{again}");

    let twin = Db::new();
    twin.ok("init --device-name twin");
    twin.ok("demo --seed 7");
    assert_eq!(
        twin.heads(""),
        households,
        "same seed, same day: same households"
    );
    assert_eq!(twin.json(&format!("ledger --unit {banner}")), ledger);
}

#[test]
fn conflicts_list_both_values_with_who_wrote_them() {
    use tally_core::{Change, ChangeId, DeviceId, FieldEdit, Hlc, Table};
    let db = Db::with_units();
    let zs = id(db.ok(&format!(
        "household add --village {VILLAGE} --head 张三 --members 3"
    )));
    db.ok(&format!("household edit {zs} --members 4"));
    // Another device, which had seen only the household's creation, wrote 6.
    let mut store = tally_store::Store::open(
        &db.path,
        &tally_store::DbKey::parse(tally_testkit::DB_KEY).unwrap(),
    )
    .unwrap();
    let row: tally_core::RowId = zs.parse().unwrap();
    let history = store.history(Table::Household, row).unwrap();
    let created = &history[0].change;
    let mut members = FieldEdit::new(json!(6));
    members.base = Some(created.version());
    let theirs = Change {
        id: ChangeId(uuid::Uuid::now_v7()),
        table: Table::Household,
        row,
        unit: VILLAGE.to_string(),
        fields: [("members".to_string(), members)].into_iter().collect(),
        hlc: Hlc::new(history[1].change.hlc.ms + 1, 0),
        device: DeviceId(uuid::Uuid::now_v7()),
        author: "李干部".to_string(),
        correction: false,
    };
    store.apply_remote(&[(1, theirs)], "1").unwrap();
    drop(store);

    let list = db.json("conflicts");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let c = &list[0];
    assert_eq!(
        (&c["table"], &c["row"], &c["field"]),
        (&json!("household"), &json!(zs), &json!("members"))
    );
    assert_eq!(
        (&c["winner"]["value"], &c["winner"]["author"]),
        (&json!(6), &json!("李干部"))
    );
    assert_eq!(
        (&c["loser"]["value"], &c["loser"]["author"]),
        (&json!(4), &json!("测试机"))
    );
    assert!(c["loser"]["at"].as_str().unwrap().ends_with('Z'));
    let text = db.ok("conflicts");
    assert!(
        text.contains("张三") && text.contains("人口") && text.contains("李干部"),
        "{text}"
    );

    // A leader keeps the value that lost; the conflict is settled, and there is none
    // left to settle.
    let saved = db.ok(&format!("conflicts resolve {zs} members --keep other"));
    assert!(saved.contains("saved"), "{saved}");
    assert_eq!(db.json("conflicts"), json!([]));
    let shown = db.json(&format!("household show {zs}"));
    assert_eq!(shown["summary"]["members"], 4);
    let none = db.fails(1, &format!("conflicts resolve {zs} members --value 4"));
    assert!(none.contains("no open conflict"), "{none}");
}

#[test]
fn a_backup_is_encrypted_and_restores_the_device() {
    let db = Db::with_units();
    db.ok(&format!("household add --village {VILLAGE} --head 乌力吉"));
    let backup = db.dir().join("backup.db");
    let said = db.ok(&format!("backup {}", backup.display()));
    assert!(said.contains("已备份") && said.contains("已加密"), "{said}");
    let bytes = std::fs::read(&backup).unwrap();
    assert!(!bytes
        .windows("乌力吉".len())
        .any(|w| w == "乌力吉".as_bytes()));
    // Writing over an existing file is refused; so is restoring what is not a backup.
    db.fails(1, &format!("backup {}", backup.display()));
    let junk = db.dir().join("junk.db");
    std::fs::write(&junk, "nothing of a database here, only text").unwrap();
    let refused = db.fails(1, &format!("restore {}", junk.display()));
    assert!(refused.contains("密钥或口令不对"), "{refused}");

    db.ok(&format!("household add --village {VILLAGE} --head 后来户"));
    assert_eq!(db.heads("").len(), 2);
    let said = db.ok(&format!("restore {}", backup.display()));
    assert!(
        said.contains("已恢复") && said.contains("tally sync"),
        "{said}"
    );
    assert_eq!(db.heads(""), ["乌力吉"]);
    let kept = std::fs::read_dir(db.dir())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy()
                .starts_with("tally.db.before-restore-")
        })
        .count();
    assert_eq!(kept, 1, "the database restored over is kept beside it");
}

/// The laptop is lost, its backup is on a stick: `tally key show` gave the key to keep
/// apart; on the new computer (another key) the backup restores with it, and a wrong or
/// malformed key is refused, changing nothing.
#[test]
fn a_backup_restores_on_another_computer_with_the_key_kept_apart() {
    let db = Db::with_units();
    db.ok(&format!(
        "household add --village {VILLAGE} --head 未同步户"
    ));
    let said = db.ok("key show");
    assert!(
        said.contains(tally_testkit::DB_KEY) && said.contains("分开保存"),
        "{said}"
    );
    assert_eq!(db.json("key show")["key"], tally_testkit::DB_KEY);
    let backup = db.dir().join("stick.db");
    db.ok(&format!("backup {}", backup.display()));

    let new_db = db.dir().join("new.db");
    let new_key = "ab".repeat(32);
    let restore = |stdin: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tally"));
        cmd.arg("--db").arg(&new_db).arg("restore").arg(&backup);
        if stdin.is_some() {
            cmd.arg("--backup-key-stdin");
        }
        let mut child = cmd
            .env_remove("TALLY_DB")
            .env("TALLY_DB_KEY", &new_key)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        input
            .write_all(format!("{}\n", stdin.unwrap_or_default()).as_bytes())
            .unwrap();
        drop(input);
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (stdin, exit, says) in [
        (None, 1, "密钥或口令不对"),
        (Some(&*"cd".repeat(32)), 1, "密钥或口令不对"),
        (Some("short"), 2, "64 位十六进制"),
    ] {
        let (code, _, err) = restore(stdin);
        assert_eq!(code, Some(exit), "{stdin:?}: {err}");
        assert!(err.contains(says), "{stdin:?}: {err}");
        assert!(!new_db.exists(), "{stdin:?}: nothing written");
    }
    let (code, out, err) = restore(Some(tally_testkit::DB_KEY));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("已恢复"), "{out}");
    let heads = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .arg("--db")
        .arg(&new_db)
        .args(["--json", "household", "list"])
        .env("TALLY_DB_KEY", &new_key)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&heads.stdout).contains("未同步户"),
        "{}",
        String::from_utf8_lossy(&heads.stderr)
    );
}

/// Every coverage reaches the ledger in its own unit: the new works kinds, a household's
/// insured members (at most its members; `none` clears them), a village's day of cleanup
/// as one entry.
#[test]
fn every_coverage_reaches_the_ledger_in_its_unit() {
    let db = Db::with_units();
    let h = id(db.ok(&format!(
        "household add --village {VILLAGE} --head 巴特尔 --members 4 --pension 3 --medical 4"
    )));
    let too_many = db.fails(1, &format!("household edit {h} --pension 5"));
    assert!(
        too_many.contains("养老保险人数不能多于家庭人口 4 人（填的是 5）"),
        "{too_many}"
    );
    let bad = db.fails(2, &format!("household edit {h} --medical 两"));
    assert!(bad.contains("整数"), "{bad}");
    for (kind, quantity, status) in [
        ("school", "1200", "completed"),
        ("greening", "3000", "started"),
        ("power", "3", "completed"),
        ("broadcast", "2", "planned"),
    ] {
        db.ok(&format!(
            "works add --village {VILLAGE} --kind {kind} --quantity {quantity} --status {status} --date 2025-06-02"
        ));
    }
    db.ok(&format!(
        "cleanup add --village {VILLAGE} --kind manure --tonnes 1800 --date 2025-06-02"
    ));
    let over = db.fails(
        1,
        &format!("cleanup add --village {VILLAGE} --kind manure --tonnes 2500 --date 2025-06-02"),
    );
    assert!(over.contains("不超过 2000"), "{over}");
    let ledger = db.json(&format!("ledger --unit {VILLAGE} --as-of 2025-06-10"));
    let got = |metric: &str| {
        let r = row(&ledger, metric);
        (r["started"].as_f64(), r["completed"].as_f64())
    };
    assert_eq!(got("school"), (Some(1200.0), Some(1200.0)));
    assert_eq!(got("greening"), (Some(3000.0), Some(0.0)));
    assert_eq!(got("power"), (Some(3.0), Some(3.0)));
    assert_eq!(got("broadcast"), (Some(0.0), Some(0.0)));
    assert_eq!(got("pension"), (Some(3.0), Some(3.0)));
    assert_eq!(got("medical"), (Some(4.0), Some(4.0)));
    assert_eq!(got("cleanup-tonnes"), (Some(1800.0), Some(1800.0)));
    db.ok(&format!("household edit {h} --pension none"));
    let ledger = db.json(&format!("ledger --unit {VILLAGE} --as-of 2025-06-10"));
    assert_eq!(row(&ledger, "pension")["completed"].as_f64(), Some(0.0));
    let table = db.ok(&format!("ledger --unit {VILLAGE} --as-of 2025-06-10"));
    for label in [
        "校舍(平方米)",
        "植树绿化(株)",
        "通电(个自然村)",
        "医疗保险(人)",
    ] {
        assert!(table.contains(label), "{label} in {table}");
    }
}

/// Works are projects: a name, a place and a note beside the kind and quantity, listed
/// by kind with the quantity in the kind's unit.
#[test]
fn works_are_named_projects_listed_by_kind() {
    let db = Db::with_units();
    db.ok(&format!(
        "works add --village {VILLAGE} --kind road --quantity 5 --status started --date 2025-06-02 --name 村东主街 --location 一组至三组"
    ));
    db.ok(&format!(
        "works add --village {VILLAGE} --kind school --quantity 1200 --status planned"
    ));
    let roads = db.json(&format!("works list --village {VILLAGE} --kind road"));
    let roads = roads.as_array().unwrap();
    assert_eq!(roads.len(), 1, "{roads:?}");
    assert_eq!(roads[0]["name"], "村东主街");
    assert_eq!(roads[0]["location"], "一组至三组");
    let table = db.ok(&format!("works list --village {VILLAGE}"));
    assert!(
        table.contains("村东主街") && table.contains("5 公里"),
        "{table}"
    );
    assert!(table.contains("1200 平方米"), "{table}");
    let long = "长".repeat(61);
    let refused = db.fails(
        1,
        &format!(
            "works add --village {VILLAGE} --kind road --quantity 1 --status planned --name {long}"
        ),
    );
    assert!(refused.contains("名称最多 60 个字"), "{refused}");
}

/// A 5 km road done entry by entry: the ledger counts 5 km started, what the entries add
/// up to as done, and the road accepted once it is; progress beyond the road's length is
/// refused in Chinese and stores nothing.
#[test]
fn a_road_is_done_by_its_progress_entries_and_accepted() {
    let db = Db::with_units();
    let id = db.ok(&format!(
        "works add --village {VILLAGE} --kind road --quantity 5 --name 村东主街 --lat 40.21 --lon 111.03"
    ));
    let id = id.trim();
    let road = |as_of: &str| {
        let l = db.json(&format!("ledger --unit {BANNER} --as-of {as_of}"));
        row(&l, "road-km").clone()
    };
    let entry = db.ok(&format!(
        "works progress {id} --quantity 3.2 --date 2025-06-03 --note 东段"
    ));
    assert_eq!(entry.trim().len(), 36, "the entry's id: {entry}");
    let r = road("2025-06-05");
    assert_eq!(
        (&r["started"], &r["completed"], &r["accepted"]),
        (&json!(5.0), &json!(3.2), &json!(0.0)),
        "{r}"
    );
    let before = db.ok("status");
    let refused = db.fails(
        1,
        &format!("works progress {id} --quantity 2 --date 2025-06-04"),
    );
    assert!(
        refused.contains("完成进度合计 5.2 超过了计划数量 5"),
        "{refused}"
    );
    assert_eq!(db.ok("status"), before, "nothing stored");
    db.ok(&format!(
        "works set {id} --status completed --date 2025-06-06"
    ));
    db.ok(&format!(
        "works set {id} --status accepted --date 2025-06-08"
    ));
    let r = road("2025-06-10");
    assert_eq!(
        (&r["completed"], &r["accepted"]),
        (&json!(5.0), &json!(5.0)),
        "{r}"
    );
    let listed = db.json(&format!("works list --village {VILLAGE}"));
    let w = &listed.as_array().unwrap()[0];
    assert_eq!(
        (&w["status"], &w["lat"]),
        (&json!("accepted"), &json!(40.21))
    );
    assert_eq!(w["progress"][0]["note"], "东段");
    let table = db.ok(&format!("works list --village {VILLAGE}"));
    assert!(
        table.contains("已验收") && table.contains("2025-06-08"),
        "{table}"
    );
}

/// Every kind of record can be corrected and withdrawn with a reason, and the last entry
/// undone: the ledger stops counting what is withdrawn, the household's timeline keeps it
/// marked with the reason, and a withdrawn record cannot be edited.
#[test]
fn records_are_corrected_withdrawn_and_undone() {
    let db = Db::with_units();
    let ledger = || db.json(&format!("ledger --unit {BANNER} --as-of 2025-06-10"));
    let done = |metric: &str| row(&ledger(), metric)["completed"].as_f64().unwrap();
    let load = id(db.ok(&format!(
        "cleanup add --village {VILLAGE} --kind manure --tonnes 150 --date 2025-06-02"
    )));
    assert_eq!(done("cleanup-tonnes"), 150.0);
    // A mistyped 150 t load was 15 t of hay.
    db.ok(&format!("cleanup edit {load} --tonnes 15 --kind hay"));
    let l = ledger();
    assert_eq!(row(&l, "cleanup-tonnes")["completed"], json!(15.0));
    assert_eq!(
        pile_row(&l, "cleanup-tonnes", Some("hay"))["completed"],
        json!(15.0)
    );

    let zs = id(db.ok(&format!("household add --village {VILLAGE} --head 张三")));
    let visit = id(db.ok(&format!(
        "visit add --household {zs} --date 2025-06-03 --note 墙体裂缝"
    )));
    db.ok(&format!("visit edit {visit} --note 墙体裂缝，已加固"));
    let twice = id(db.ok(&format!(
        "visit add --household {zs} --date 2025-06-03 --note 墙体裂缝，已加固"
    )));
    let said = db.ok(&format!("delete {twice} --reason 录重了"));
    assert!(said.contains("已撤销") && said.contains("录重了"), "{said}");
    let page = db.ok(&format!("household show {zs}"));
    assert!(page.contains("墙体裂缝，已加固"), "{page}");
    assert!(
        page.contains("（已撤销：录重了）"),
        "the withdrawn visit stays, marked: {page}"
    );

    let again = db.fails(1, &format!("visit edit {twice} --note 改"));
    assert!(again.contains("这条记录已撤销，不能再修改"), "{again}");
    let twice_more = db.fails(1, &format!("delete {twice} --reason 再撤"));
    assert!(twice_more.contains("已撤销"), "{twice_more}");
    let no_reason = db.fails(1, &format!("delete {load} --reason="));
    assert!(no_reason.contains("撤销原因"), "{no_reason}");
    let nobody = db.fails(1, "delete 01900000-0000-7000-8000-0000000000ff --reason x");
    assert!(nobody.contains("not found"), "{nobody}");

    let demolished = id(db.ok(&format!(
        "demolition add --village {VILLAGE} --household {zs} --area 80 --date 2025-06-04"
    )));
    db.ok(&format!("demolition edit {demolished} --area 60"));
    assert_eq!(done("demolition"), 1.0);
    // Undo withdraws the last entry made here: the demolition, then the household …
    let undone = db.json("undo");
    assert_eq!(
        (&undone["table"], &undone["row"]),
        (&json!("demolition"), &json!(demolished))
    );
    assert_eq!(undone["reason"], "撤销上一条录入");
    assert_eq!(done("demolition"), 0.0);

    let road = id(db.ok(&format!(
        "works add --village {VILLAGE} --kind road --quantity 5 --status started --date 2025-06-02"
    )));
    let entry = db.ok(&format!(
        "works progress {road} --quantity 3 --date 2025-06-05"
    ));
    let entry = entry.trim();
    db.ok(&format!("progress edit {entry} --quantity 2.5 --note 东段"));
    assert_eq!(done("road-km"), 2.5);
    db.ok(&format!("works edit {road} --name 村东主街 --quantity 4"));
    let beyond = db.fails(1, &format!("progress edit {entry} --quantity 4.5"));
    assert!(beyond.contains("超过了计划数量 4"), "{beyond}");
    // … and a progress entry is an entry: undo withdraws it first.
    let undone = db.json("undo");
    assert_eq!(undone["entry"], json!(entry));
    assert_eq!(done("road-km"), 0.0);
    let listed = db.json(&format!("works list --village {VILLAGE}"));
    let w = &listed.as_array().unwrap()[0];
    assert_eq!(
        (&w["name"], &w["quantity"]),
        (&json!("村东主街"), &json!(4.0))
    );
    assert_eq!(w["progress"][0]["withdrawn"], "撤销上一条录入");
    db.ok(&format!("delete {road} --reason 不在本村"));
    assert_eq!(row(&ledger(), "road-km")["started"], json!(0.0));
}

/// Two years' targets of one township side by side: the ledger of a day uses the target
/// whose period holds it, counts only what was done in that period, and tells each
/// milestone met, on track, at risk or missed; a cleanup target per pile kind fills its
/// breakdown row. A milestone after the deadline is refused in Chinese.
#[test]
fn targets_have_periods_milestones_and_pile_kinds() {
    let db = Db::with_units();
    db.ok(&format!(
        "target set --unit {TOWNSHIP} --metric renovation --quantity 10 --from 2015-01-01 \
         --deadline 2015-12-31 --milestone 2015-06-30=2 --milestone 2015-09-30=6"
    ));
    db.ok(&format!(
        "target set --unit {TOWNSHIP} --metric renovation --quantity 20 --from 2016-01-01 \
         --deadline 2016-12-31 --milestone 2016-06-30=5"
    ));
    for (head, done) in [
        ("甲", "2015-05-10"),
        ("乙", "2015-06-20"),
        ("丙", "2016-03-01"),
    ] {
        let h = id(db.ok(&format!("household add --village {VILLAGE} --head {head}")));
        db.ok(&format!(
            "renovation set --household {h} --status completed --date {done}"
        ));
    }
    let renovation = |as_of: &str| {
        let l = db.json(&format!("ledger --unit {TOWNSHIP} --as-of {as_of}"));
        row(&l, "renovation").clone()
    };
    let r = renovation("2015-07-10");
    assert_eq!(
        (&r["target"], &r["completed"]),
        (&json!(10.0), &json!(2.0)),
        "{r}"
    );
    assert_eq!(
        (&r["from"], &r["deadline"]),
        (&json!("2015-01-01"), &json!("2015-12-31"))
    );
    let m = r["milestones"].as_array().unwrap();
    assert_eq!(
        (&m[0]["state"], &m[0]["completed"]),
        (&json!("met"), &json!(2.0))
    );
    // 4 more by 09-30 (82 days) is 0.049 a day; nothing was done in the last 7 days.
    assert_eq!(
        (&m[1]["state"], &m[1]["required_per_day"]),
        (&json!("at-risk"), &json!(0.049))
    );

    let r = renovation("2016-07-10");
    assert_eq!(
        (&r["target"], &r["completed"]),
        (&json!(20.0), &json!(1.0)),
        "2016 only: {r}"
    );
    let m = r["milestones"].as_array().unwrap();
    assert_eq!(
        (&m[0]["state"], &m[0]["completed"]),
        (&json!("missed"), &json!(1.0))
    );
    let table = db.ok(&format!("ledger --unit {TOWNSHIP} --as-of 2016-07-10"));
    assert!(
        table.contains(
            "节点 milestones 危房改造(户)（2016-01-01 起）: 2016-06-30 完成 1/5（未达成）"
        ),
        "{table}"
    );
    let csv = db.ok(&format!(
        "ledger --unit {TOWNSHIP} --as-of 2016-07-10 --csv"
    ));
    assert!(csv.contains("2016-06-30=5:missed"), "{csv}");

    db.ok(&format!(
        "target set --unit {TOWNSHIP} --metric cleanup-tonnes --pile hay --quantity 50 --deadline 2026-12-31"
    ));
    db.ok(&format!(
        "cleanup add --village {VILLAGE} --kind hay --tonnes 12 --date 2026-11-20"
    ));
    let l = db.json(&format!("ledger --unit {TOWNSHIP} --as-of 2026-11-25"));
    let hay = pile_row(&l, "cleanup-tonnes", Some("hay"));
    assert_eq!(
        (&hay["target"], &hay["completed"], &hay["remaining"]),
        (&json!(50.0), &json!(12.0), &json!(38.0))
    );

    let late = db.fails(
        1,
        &format!(
            "target set --unit {TOWNSHIP} --metric renovation --quantity 20 --from 2017-01-01 \
             --deadline 2017-12-31 --milestone 2018-01-31=5"
        ),
    );
    assert!(
        late.contains("节点") && late.contains("2017-12-31"),
        "{late}"
    );
    let typo = db.fails(2, &format!("target set --unit {TOWNSHIP} --metric renovation --quantity 5 --deadline 2017-12-31 --milestone 2017-06-30"));
    assert!(typo.contains("日期=数量"), "{typo}");
}

/// Leaders flag villages (沿黄渗漏区, 重点村); the ledger breaks households down by
/// priority group and by flagged villages, and can count the flagged villages only.
#[test]
fn villages_are_flagged_and_the_ledger_breaks_households_down() {
    let db = Db::with_units();
    let other = "150625100202";
    db.ok(&format!(
        "unit add --code {other} --name 巴音嘎查 --level village --parent {TOWNSHIP}"
    ));
    let add = |args: &str| id(db.ok(&format!("household add {args}")));
    let zs = add(&format!(
        "--village {VILLAGE} --head 张三 --category five-guarantee --rating D"
    ));
    add(&format!(
        "--village {HAMLET} --head 李四 --category subsistence --rating C"
    ));
    add(&format!(
        "--village {other} --head 王五 --category five-guarantee --seepage --rating D"
    ));
    add(&format!("--village {other} --head 赵六 --rating A"));
    db.ok(&format!(
        "renovation set --household {zs} --status completed --date 2025-06-03"
    ));
    db.ok(&format!(
        "cleanup add --village {other} --kind manure --tonnes 12 --date 2025-06-02"
    ));

    // A township or a hamlet cannot carry a village's flag; nothing changes.
    let refused = db.fails(1, &format!("unit flag {TOWNSHIP} seepage"));
    assert!(refused.contains("不是嘎查村或自然村"), "{refused}");
    let refused = db.fails(1, &format!("unit flag {HAMLET} seepage"));
    assert!(
        refused.contains("是自然村，只有嘎查村可以标记为沿黄渗漏区"),
        "{refused}"
    );
    let flagged = db.json("unit flag 阿斯尔嘎查 沿黄渗漏区");
    assert_eq!(flagged["seepage"], true);
    db.ok(&format!("unit flag {other} key-village"));
    let list = db.ok("unit list");
    assert!(
        list.contains("沿黄渗漏区") && list.contains("重点村"),
        "{list}"
    );

    let ledger = db.json(&format!("ledger --unit {TOWNSHIP} --as-of 2025-06-10"));
    let group = |l: &Value, g: &str| {
        let r = l["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == g)
            .unwrap_or_else(|| panic!("no group {g} in {l}"))
            .clone();
        (
            r["households"].clone(),
            r["renovated"].clone(),
            r["backlog"].clone(),
        )
    };
    assert_eq!(group(&ledger, "all"), (json!(4), json!(1), json!(2)));
    assert_eq!(
        group(&ledger, "five-guarantee"),
        (json!(2), json!(1), json!(1))
    );
    assert_eq!(
        group(&ledger, "subsistence"),
        (json!(1), json!(0), json!(1))
    );
    assert_eq!(
        group(&ledger, "disabled-poor"),
        (json!(0), json!(0), json!(0))
    );
    // The flagged village's two households (one in its hamlet), and 王五 flagged himself.
    assert_eq!(group(&ledger, "seepage"), (json!(3), json!(1), json!(2)));
    assert_eq!(
        group(&ledger, "key-village"),
        (json!(2), json!(0), json!(1))
    );
    assert_eq!(ledger["only"], Value::Null);

    let key = db.json(&format!(
        "ledger --unit {TOWNSHIP} --as-of 2025-06-10 --only key-village"
    ));
    assert_eq!(key["only"], "key-village");
    assert_eq!(
        row(&key, "cleanup-tonnes")["completed"].as_f64(),
        Some(12.0)
    );
    assert_eq!(row(&key, "renovation")["completed"].as_f64(), Some(0.0));
    assert_eq!(group(&key, "all"), (json!(2), json!(0), json!(1)));
    let seepage = db.json(&format!(
        "ledger --unit {TOWNSHIP} --as-of 2025-06-10 --only seepage"
    ));
    assert_eq!(row(&seepage, "renovation")["completed"].as_f64(), Some(1.0));
    assert_eq!(
        row(&seepage, "cleanup-tonnes")["completed"].as_f64(),
        Some(0.0)
    );

    let table = db.ok(&format!(
        "ledger --unit {TOWNSHIP} --as-of 2025-06-10 --only seepage"
    ));
    assert!(table.contains("只看沿黄渗漏区"), "{table}");
    for label in [
        "分类",
        "户数",
        "已改造",
        "待改造",
        "五保户",
        "残疾人贫困户",
        "重点村",
    ] {
        assert!(table.contains(label), "{label} in {table}");
    }
    let bad = db.fails(2, &format!("ledger --unit {TOWNSHIP} --only 贫困村"));
    assert!(bad.contains("seepage, key-village"), "{bad}");

    // Cleared again.
    db.ok(&format!("unit flag {VILLAGE} seepage --off"));
    let ledger = db.json(&format!("ledger --unit {TOWNSHIP} --as-of 2025-06-10"));
    assert_eq!(group(&ledger, "seepage"), (json!(1), json!(0), json!(1)));
}
