//! The admin commands: org units replicate through pull; imports are all or nothing
//! with line numbers; users need known units; every refusal has a code and reads in
//! Chinese and English.

use crate::both_backends;
use crate::support::*;
use tally_core::{Explain, Level, RowId, Table};
use tally_protocol::Role;
use tally_server::admin::{self, AdminError, NewUnit, UnitRefusal};

both_backends!(
    org_units_from_the_admin_replicate_through_pull,
    a_bad_import_stores_nothing_and_names_the_line,
    users_need_known_units_and_a_fresh_name,
    a_unit_added_by_another_server_process_is_known_at_once,
    every_admin_refusal_has_a_code_and_reads_in_both_languages,
    accounts_are_listed_edited_enabled_and_reset,
    a_user_changes_their_own_password,
);

async fn org_units_from_the_admin_replicate_through_pull(h: Harness) {
    let dev = h.device(CADRE).await;
    let (_, cursor) = h.pull_all(&dev, "").await;
    let code = format!("{VILLAGE_A1}01");
    let unit = NewUnit {
        code: code.clone(),
        name: "小营子".into(),
        level: Level::Hamlet,
        parent: Some(VILLAGE_A1.into()),
    };
    admin::add_unit(&h.db, &*h.clock, unit.clone())
        .await
        .unwrap();
    assert!(matches!(
        admin::add_unit(&h.db, &*h.clock, unit).await,
        Err(AdminError::UnitExists { code: c }) if c == code
    ));

    let (pulled, _) = h.pull_all(&dev, &cursor).await;
    assert_eq!(pulled.len(), 1);
    let c = &pulled[0].change;
    assert_eq!(c.table, Table::OrgUnit);
    assert_eq!(
        c.row,
        RowId::natural(tally_core::NaturalKey::OrgUnit { code: &code })
    );
    assert_eq!(c.unit, code);
    assert_eq!(c.device, h.db.server_device().await.unwrap());
    assert_eq!(c.fields["parent"].value, VILLAGE_A1);
    assert!(c.hlc.ms >= T0, "server clock");

    let moved = NewUnit {
        code: code.clone(),
        name: "改名".into(),
        level: Level::Hamlet,
        parent: Some(VILLAGE_A1.into()),
    };
    assert!(matches!(
        admin::add_unit(&h.db, &*h.clock, moved).await,
        Err(AdminError::Unit(UnitRefusal::Differs { .. }))
    ));
    let orphan = NewUnit {
        code: "150621100009".into(),
        name: "无上级".into(),
        level: Level::Village,
        parent: None,
    };
    let e = admin::add_unit(&h.db, &*h.clock, orphan).await.unwrap_err();
    assert!(e.to_string().contains("parent"), "{e}");
}

async fn a_bad_import_stores_nothing_and_names_the_line(h: Harness) {
    let before = h.db.unit_tree().await.unwrap().len();
    let bad = [
        (
            "code,name,level,parent\n150622,准格尔旗,banner,\n150622100,薛家湾镇,county,150622\n",
            "line 3",
        ),
        (
            "code,name,level,parent\n150622,准格尔旗,banner,\n150622100,薛家湾镇,township,150622\n150622100001,某村,village,150699\n",
            "line 4",
        ),
        (
            "code,name,level,parent\n150622,准格尔旗,banner,\n150622,准格尔旗,banner,\n",
            "line 3",
        ),
        (
            "code,name,level,parent\n150622100,薛家湾镇,township,150622\n150622,准格尔旗,banner,\n150622100001,某村,village,150621\n",
            "line 4",
        ),
        ("name,level\nx,banner\n", "line 1"),
        ("code,name,level,parent\n150622,准格尔旗,banner\n", "line 2"),
    ];
    for (csv, line) in bad {
        let e = admin::import_units(&h.db, &*h.clock, csv.as_bytes())
            .await
            .unwrap_err();
        assert!(e.to_string().contains(line), "{csv}: {e}");
        assert_eq!(h.db.unit_tree().await.unwrap().len(), before, "{csv}");
    }
    let bad_utf8 = b"code,name,level,parent\n150622,\xff\xfe,banner,\n";
    assert!(admin::import_units(&h.db, &*h.clock, bad_utf8)
        .await
        .is_err());

    // Children before parents is fine; a BOM is fine; re-importing skips what exists.
    let good = "\u{feff}code,name,level,parent\n150622100,薛家湾镇,township,150622\n150622,准格尔旗,banner,\n";
    let n = admin::import_units(&h.db, &*h.clock, good.as_bytes())
        .await
        .unwrap();
    assert_eq!(n, 2);
    let n = admin::import_units(&h.db, &*h.clock, good.as_bytes())
        .await
        .unwrap();
    assert_eq!(n, 0);
    assert_eq!(h.db.unit_tree().await.unwrap().len(), before + 2);
}

async fn users_need_known_units_and_a_fresh_name(h: Harness) {
    let add = |name: &'static str, role, units: &'static [&'static str], pw: &'static str| {
        let units: Vec<String> = units.iter().map(|u| u.to_string()).collect();
        let db = h.db.clone();
        let clock = h.clock.clone();
        async move { admin::add_user(&db, &*clock, name, role, &units, pw).await }
    };
    assert!(matches!(
        add("new", Role::Cadre, &["nowhere"], PASSWORD).await,
        Err(AdminError::UnknownUnit { .. })
    ));
    assert!(matches!(
        add(CADRE, Role::Cadre, &[VILLAGE_A1], PASSWORD).await,
        Err(AdminError::UserExists { .. })
    ));
    assert!(matches!(
        add("new", Role::Cadre, &[VILLAGE_A1], "short").await,
        Err(AdminError::PasswordTooShort { chars: 5 })
    ));
    assert!(matches!(
        add("new", Role::Cadre, &[], PASSWORD).await,
        Err(AdminError::UnitsRequired { role: Role::Cadre })
    ));
    add("new", Role::Cadre, &[VILLAGE_A1, VILLAGE_A2], PASSWORD)
        .await
        .unwrap();
    let r = h.try_enroll("new", PASSWORD).await;
    assert_eq!(r.body["units"], serde_json::json!([VILLAGE_A1, VILLAGE_A2]));
    assert!(matches!(
        admin::disable_user(&h.db, "ghost").await,
        Err(AdminError::NoSuchUser { .. })
    ));
}

async fn a_unit_added_by_another_server_process_is_known_at_once(h: Harness) {
    let code = format!("{VILLAGE_A1}02");
    // The tree is read (and cached) by this process…
    assert!(h.db.unit_tree().await.unwrap().get(&code).is_none());
    // …and another process over the same database adds a unit.
    let other = h.reopen().await;
    let unit = NewUnit {
        code: code.clone(),
        name: "东营子".into(),
        level: Level::Hamlet,
        parent: Some(VILLAGE_A1.into()),
    };
    admin::add_unit(&other, &*h.clock, unit).await.unwrap();
    assert_eq!(
        h.db.unit_tree().await.unwrap().get(&code).map(|u| u.level),
        Some(Level::Hamlet)
    );
    // A push through this process files a record under it.
    let mut dev = h.device(CADRE).await;
    let load = dev.cleanup(&code, serde_json::json!(1.5));
    accepted(&h.push(&dev, &[load]).await.results());
}

/// One admin command, as the table below runs it.
enum Cmd {
    Unit(&'static str, &'static str, Level, Option<&'static str>),
    Import(&'static [u8]),
    User(&'static str, Role, &'static [&'static str], &'static str),
    Disable(&'static str),
    Revoke(&'static str),
    Edit(&'static str, Option<Role>, Option<&'static [&'static str]>),
    Enable(&'static str),
    Reset(&'static str, &'static str),
}

async fn run(h: &Harness, cmd: Cmd) -> Result<(), AdminError> {
    let clock = &*h.clock;
    match cmd {
        Cmd::Unit(code, name, level, parent) => {
            let unit = NewUnit {
                code: code.into(),
                name: name.into(),
                level,
                parent: parent.map(Into::into),
            };
            admin::add_unit(&h.db, clock, unit).await
        }
        Cmd::Import(csv) => admin::import_units(&h.db, clock, csv).await.map(drop),
        Cmd::User(name, role, units, password) => {
            let units: Vec<String> = units.iter().map(|u| u.to_string()).collect();
            admin::add_user(&h.db, clock, name, role, &units, password).await
        }
        Cmd::Disable(name) => admin::disable_user(&h.db, name).await,
        Cmd::Revoke(id) => admin::revoke_device(&h.db, clock, id).await,
        Cmd::Edit(name, role, units) => {
            let units: Option<Vec<String>> =
                units.map(|u| u.iter().map(|u| u.to_string()).collect());
            admin::edit_user(&h.db, name, role, units.as_deref()).await
        }
        Cmd::Enable(name) => admin::enable_user(&h.db, name).await,
        Cmd::Reset(name, password) => admin::reset_password(&h.db, clock, name, password).await,
    }
}

/// Each refusal of an admin command: its stable code, the English message with the
/// value that was wrong, the Chinese one with it too (and no English sentence in it).
async fn every_admin_refusal_has_a_code_and_reads_in_both_languages(h: Harness) {
    let nil = "00000000-0000-0000-0000-000000000000";
    let long_name: &'static str = "名".repeat(41).leak();
    let rows: Vec<(Cmd, &str, &str, &str)> = vec![
        (
            Cmd::Unit(VILLAGE_A1, "林原村", Level::Village, Some(TOWN_A)),
            "unit_exists",
            "org unit 150621100001 already exists with these values",
            "组织单位 150621100001 已存在",
        ),
        (
            Cmd::Unit(VILLAGE_A1, "改名村", Level::Village, Some(TOWN_A)),
            "unit_differs",
            "org unit 150621100001 already exists as \"林原村\" (village, parent 150621100)",
            "已存在，名称 林原村，级别 嘎查村，上级 150621100",
        ),
        (
            Cmd::Unit("150621100099", "无上级", Level::Village, None),
            "unit_rejected",
            "org unit 150621100099: ",
            "组织单位 150621100099：",
        ),
        (
            Cmd::Import(b"name,level\nx,banner\n"),
            "csv_header",
            "line 1: the header must name the columns code,name,level,parent, got \"name,level\"",
            "第 1 行：表头须包含 code,name,level,parent 四列",
        ),
        (
            Cmd::Import(b"code,name,level,parent\n150699,x,banner\n"),
            "csv_unreadable",
            "line 2: ",
            "第 2 行：无法读取",
        ),
        (
            Cmd::Import(b"code,name,level,parent\n150699,\xff\xfe,banner,\n"),
            "csv_unreadable",
            "line 2: ",
            "第 2 行：无法读取",
        ),
        (
            Cmd::Import(b"code,name,level,parent\n,x,banner,\n"),
            "unit_code_empty",
            "line 2: code is empty",
            "第 2 行：代码为空",
        ),
        (
            Cmd::Import(b"code,name,level,parent\n150699,x,banner,\n150699,x,banner,\n"),
            "unit_code_duplicate",
            "line 3: code 150699 is also on line 2",
            "第 3 行：代码 150699 与第 2 行重复",
        ),
        (
            Cmd::Import(b"code,name,level,parent\n150699,x,county,\n"),
            "unit_level",
            "line 2: level must be one of banner, township, village, hamlet, got \"county\"",
            "第 2 行：级别须为 banner, township, village, hamlet（或 旗、苏木镇、嘎查村、自然村）之一，实际为 \"county\"",
        ),
        (
            Cmd::User("", Role::Cadre, &[VILLAGE_A1], PASSWORD),
            "user_name_length",
            "the user name must have 1 to 40 characters, got 0",
            "用户名须为 1 到 40 个字符，实际为 0 个",
        ),
        (
            Cmd::User(long_name, Role::Cadre, &[VILLAGE_A1], PASSWORD),
            "user_name_length",
            "got 41",
            "实际为 41 个",
        ),
        (
            Cmd::User("new", Role::Cadre, &[VILLAGE_A1], "short"),
            "password_too_short",
            "the password must have at least 8 characters, got 5",
            "密码至少需要 8 个字符，实际为 5 个",
        ),
        (
            Cmd::User("new", Role::Leader, &[], PASSWORD),
            "units_required",
            "a leader needs at least one --unit",
            "工作队长至少需要一个负责单位",
        ),
        (
            Cmd::User("new", Role::Cadre, &["nowhere"], PASSWORD),
            "unknown_unit",
            "unknown org unit \"nowhere\"",
            "没有组织单位 \"nowhere\"",
        ),
        (
            Cmd::User(CADRE, Role::Cadre, &[VILLAGE_A1], PASSWORD),
            "user_exists",
            "user \"batu\" already exists",
            "用户 \"batu\" 已存在",
        ),
        (
            Cmd::Disable("ghost"),
            "no_such_user",
            "no user \"ghost\"",
            "没有用户 \"ghost\"",
        ),
        (
            Cmd::Edit("ghost", Some(Role::Leader), None),
            "no_such_user",
            "no user \"ghost\"",
            "没有用户 \"ghost\"",
        ),
        (
            Cmd::Edit(CADRE, None, Some(&["nowhere"])),
            "unknown_unit",
            "unknown org unit \"nowhere\"",
            "没有组织单位 \"nowhere\"",
        ),
        (
            Cmd::Edit(CADRE, None, Some(&[])),
            "units_required",
            "a cadre needs at least one --unit",
            "驻村干部至少需要一个负责单位",
        ),
        (
            Cmd::Enable("ghost"),
            "no_such_user",
            "no user \"ghost\"",
            "没有用户 \"ghost\"",
        ),
        (
            Cmd::Reset(CADRE, "short"),
            "password_too_short",
            "the password must have at least 8 characters, got 5",
            "密码至少需要 8 个字符，实际为 5 个",
        ),
        (
            Cmd::Reset("ghost", PASSWORD),
            "no_such_user",
            "no user \"ghost\"",
            "没有用户 \"ghost\"",
        ),
        (
            Cmd::Revoke("laptop-7"),
            "not_a_device_id",
            "not a device id: \"laptop-7\"",
            "\"laptop-7\" 不是设备编号",
        ),
        (
            Cmd::Revoke(nil),
            "no_such_device",
            "no device 00000000-0000-0000-0000-000000000000",
            "没有设备 00000000-0000-0000-0000-000000000000",
        ),
    ];
    let units = h.db.unit_tree().await.unwrap().len();
    for (cmd, code, en, zh) in rows {
        let e = run(&h, cmd).await.unwrap_err();
        assert_eq!(e.code(), code, "{e}");
        assert!(e.en().contains(en), "{code}: {e}");
        let got_zh = e.zh();
        assert!(got_zh.contains(zh), "{code}: {got_zh}");
        // The Chinese message has no English words but the values it names.
        for word in ["the ", "must", "already", "line ", "unknown"] {
            assert!(!got_zh.contains(word), "{code}: {got_zh}");
        }
        assert_eq!(h.db.unit_tree().await.unwrap().len(), units, "{code}");
    }
}

/// An account's life: listed without secrets; its units and role changed; disabled and
/// enabled again; its password reset, after which its devices must log in again and the
/// old password no longer works.
async fn accounts_are_listed_edited_enabled_and_reset(h: Harness) {
    let dev = h.device(CADRE).await;
    let users = admin::list_users(&h.db).await.unwrap();
    let batu = users.iter().find(|u| u.name == CADRE).unwrap();
    assert_eq!(
        (batu.role, &batu.units[..], batu.disabled, batu.devices),
        (Role::Cadre, &[VILLAGE_A1.to_string()][..], false, 1)
    );
    let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "by name");
    let listed = serde_json::to_string(&users).unwrap();
    assert!(
        !listed.contains("argon2"),
        "no password hash listed: {listed}"
    );

    let units = [VILLAGE_A1.to_string(), VILLAGE_A2.to_string()];
    admin::edit_user(&h.db, CADRE, Some(Role::Leader), Some(&units))
        .await
        .unwrap();
    let r = h.try_enroll(CADRE, PASSWORD).await;
    assert_eq!(r.body["role"], "leader");
    assert_eq!(r.body["units"], serde_json::json!([VILLAGE_A1, VILLAGE_A2]));

    admin::disable_user(&h.db, CADRE).await.unwrap();
    assert_eq!(h.try_enroll(CADRE, PASSWORD).await.status, 403);
    admin::enable_user(&h.db, CADRE).await.unwrap();
    assert_eq!(h.try_enroll(CADRE, PASSWORD).await.status, 200);

    admin::reset_password(&h.db, &*h.clock, CADRE, "a-new-long-password")
        .await
        .unwrap();
    let users = admin::list_users(&h.db).await.unwrap();
    assert_eq!(users.iter().find(|u| u.name == CADRE).unwrap().devices, 0);
    let refused = h.pull(&dev, "", 10).await;
    assert_eq!(refused.status, 401, "the device must log in again");
    assert_eq!(h.try_enroll(CADRE, PASSWORD).await.status, 401);
    assert_eq!(h.try_enroll(CADRE, "a-new-long-password").await.status, 200);
}

/// A user changes their own password from a device: a wrong current password or a new
/// one under the minimum is refused with its code and a Chinese message, and changes
/// nothing (the old password still logs in); then it changes, and the device stays in.
async fn a_user_changes_their_own_password(h: Harness) {
    let dev = h.device(CADRE).await;
    let change = |current: &str, new: &str| serde_json::json!({ "current": current, "new": new });
    let rows = [
        (
            change("not-my-password", "a-new-long-password"),
            403,
            "wrong_password",
            "当前密码不对",
        ),
        (
            change(PASSWORD, "short"),
            422,
            "password_too_short",
            "新密码至少需要 8 个字符，实际为 5 个",
        ),
        (
            change(PASSWORD, ""),
            422,
            "password_too_short",
            "实际为 0 个",
        ),
    ];
    for (body, status, code, zh) in rows {
        let r = h
            .post("/api/v1/account/password", Some(&dev.token), &body)
            .await;
        assert_eq!(r.status, status, "{body}: {:?}", r.body);
        assert_eq!(r.code(), code, "{:?}", r.body);
        let said = r.body["error"]["message_zh"].as_str().unwrap_or_default();
        assert!(said.contains(zh), "{code}: {said}");
        assert_eq!(
            h.try_enroll(CADRE, PASSWORD).await.status,
            200,
            "nothing changed"
        );
    }
    let r = h
        .post(
            "/api/v1/account/password",
            None,
            &change(PASSWORD, "a-new-long-password"),
        )
        .await;
    assert_eq!(r.status, 401, "a device token is needed");
    let r = h
        .post(
            "/api/v1/account/password",
            Some(&dev.token),
            &change(PASSWORD, "a-new-long-password"),
        )
        .await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert_eq!(h.try_enroll(CADRE, PASSWORD).await.status, 401);
    assert_eq!(h.try_enroll(CADRE, "a-new-long-password").await.status, 200);
    assert_eq!(
        h.pull(&dev, "", 10).await.status,
        200,
        "the device stays logged in"
    );
}
