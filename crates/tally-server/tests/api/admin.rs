//! The admin commands: org units replicate through pull; imports are all or nothing
//! with line numbers; users need known units.

use crate::both_backends;
use crate::support::*;
use tally_core::{Level, RowId, Table};
use tally_protocol::Role;
use tally_server::admin::{self, AdminError, NewUnit};

both_backends!(
    org_units_from_the_admin_replicate_through_pull,
    a_bad_import_stores_nothing_and_names_the_line,
    users_need_known_units_and_a_fresh_name,
    a_unit_added_by_another_server_process_is_known_at_once,
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
        Err(AdminError::Exists(_))
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
    assert!(admin::add_unit(&h.db, &*h.clock, moved).await.is_err());
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
        Err(AdminError::NotFound(_))
    ));
    assert!(matches!(
        add(CADRE, Role::Cadre, &[VILLAGE_A1], PASSWORD).await,
        Err(AdminError::Exists(_))
    ));
    assert!(matches!(
        add("new", Role::Cadre, &[VILLAGE_A1], "short").await,
        Err(AdminError::Invalid(_))
    ));
    assert!(matches!(
        add("new", Role::Cadre, &[], PASSWORD).await,
        Err(AdminError::Invalid(_))
    ));
    add("new", Role::Cadre, &[VILLAGE_A1, VILLAGE_A2], PASSWORD)
        .await
        .unwrap();
    let r = h.try_enroll("new", PASSWORD).await;
    assert_eq!(r.body["units"], serde_json::json!([VILLAGE_A1, VILLAGE_A2]));
    assert!(admin::disable_user(&h.db, "ghost").await.is_err());
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
