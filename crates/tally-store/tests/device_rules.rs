//! What the device refuses or takes back on its own, before the server sees anything:
//! writes outside the login's units, events after its own day; a refused entry
//! withdrawn; entries made before the first login signed by the account that logs in.

mod support;

use serde_json::json;
use support::*;
use tally_core::*;
use tally_store::*;

/// Logged in, the device refuses what the server would refuse at sync: records outside
/// the account's units, and targets for anyone but a team leader (each naming why in
/// Chinese); before a login that recorded the units, it leaves the decision to the server.
#[test]
fn writes_outside_the_logins_scope_are_refused_on_the_device() {
    use tally_testkit::banner::{BANNER, TOWNSHIP, VILLAGE_B};
    let deadline = day("2026-12-31");
    let (mut s, _) = store();
    s.add_cleanup(VILLAGE_B, PileKind::Hay, 1.0, None, None)
        .expect("not logged in: the server decides");
    let login = |s: &mut Store, role: Role, units: &[&str]| {
        let units: Vec<String> = units.iter().map(|u| u.to_string()).collect();
        s.save_login("http://127.0.0.1:9", "someone", role, &units, "token")
            .unwrap();
    };
    login(&mut s, Role::Cadre, &[VILLAGE]);
    let before = count_changes(&s);
    s.add_cleanup(VILLAGE, PileKind::Hay, 2.0, None, None)
        .expect("in the cadre's village");
    let hamlet = tally_testkit::banner::HAMLET;
    s.add_cleanup(hamlet, PileKind::Hay, 2.0, None, None)
        .expect("in a hamlet of the cadre's village");
    let cases: Vec<(&str, StoreError, &str)> = vec![
        (
            "a cadre's load in another village",
            s.add_cleanup(VILLAGE_B, PileKind::Hay, 2.0, None, None)
                .unwrap_err(),
            "out_of_scope",
        ),
        (
            "a cadre's target",
            s.set_target(VILLAGE, Metric::Renovation, 3.0, deadline)
                .unwrap_err(),
            "planning_forbidden",
        ),
    ];
    login(&mut s, Role::Leader, &[TOWNSHIP]);
    let mut cases = cases;
    s.set_target(TOWNSHIP, Metric::Renovation, 30.0, deadline)
        .expect("a leader's target on the township");
    cases.push((
        "a leader's target on the banner above the township",
        s.set_target(BANNER, Metric::Renovation, 300.0, deadline)
            .unwrap_err(),
        "out_of_scope",
    ));
    login(&mut s, Role::Inspector, &[TOWNSHIP]);
    cases.push((
        "an inspector's visit",
        s.add_cleanup(VILLAGE, PileKind::Hay, 2.0, None, None)
            .unwrap_err(),
        "out_of_scope",
    ));
    for (what, e, code) in &cases {
        assert_eq!(e.code(), *code, "{what}: {e}");
        assert!(!e.zh().is_ascii(), "{what}: {}", e.zh());
    }
    let name = s.unit(VILLAGE_B).unwrap().name;
    assert_eq!(
        cases[0].1.zh(),
        format!("{name}（{VILLAGE_B}）不在本账号负责的单位内，不能在这里登记或修改")
    );
    assert_eq!(cases[0].1.field(), Some("unit"));
    assert_eq!(
        count_changes(&s),
        before + 3,
        "only the three allowed writes"
    );
}

/// The last change written on the device, as the outbox lists it.
fn last_change(s: &Store) -> ChangeId {
    s.outbox(None, 1).unwrap()[0].change.id
}

/// A change the server refused can be withdrawn: it leaves the outbox (kept on record),
/// and its row is again what its other changes make it — gone (with its ledger facts)
/// when it created the row, the earlier value back when it edited one. Only a rejected
/// change can be withdrawn.
#[test]
fn a_refused_change_is_withdrawn_and_its_row_is_what_the_others_make_it() {
    let (mut s, _) = store();
    let kept = s
        .add_cleanup(VILLAGE, PileKind::Hay, 2.0, None, None)
        .unwrap();
    let wrong = s
        .add_cleanup(VILLAGE, PileKind::Hay, 150.0, None, None)
        .unwrap();
    let load = last_change(&s);
    let h = household(&mut s, VILLAGE, "张三");
    s.edit(Edit::new(Table::Household).row(h).set("members", 7))
        .unwrap();
    let members = last_change(&s);
    let tonnes = |s: &Store| {
        s.ledger(VILLAGE, None)
            .unwrap()
            .rows
            .iter()
            .find(|r| r.key == RowKey::metric(Metric::CleanupTonnes))
            .map(|r| r.completed)
            .unwrap()
    };
    assert_eq!(tonnes(&s), 152.0);

    let refused = s.withdraw(load).unwrap_err();
    assert_eq!(
        refused.code(),
        "not_found",
        "a pending change is not withdrawn"
    );
    for id in [load, members] {
        s.mark_rejected(id, "out_of_scope", "not yours", "不在本账号负责的单位内")
            .unwrap();
        s.withdraw(id).unwrap();
    }
    assert_eq!(tonnes(&s), 2.0, "the withdrawn load counts no more");
    assert!(
        s.row(Table::Cleanup, wrong).unwrap().is_none(),
        "the row it created is gone"
    );
    assert!(s.row(Table::Cleanup, kept).unwrap().is_some());
    let row = s.row(Table::Household, h).unwrap().unwrap();
    assert_eq!(
        row.value("members"),
        Some(&json!(3)),
        "the value before the edit"
    );
    assert!(s.day_sums_consistent().unwrap());
    let ids: Vec<ChangeId> = s
        .outbox(None, 100)
        .unwrap()
        .iter()
        .map(|e| e.change.id)
        .collect();
    assert!(
        !ids.contains(&load) && !ids.contains(&members),
        "out of the outbox"
    );
    assert_eq!(
        s.withdraw(load).unwrap_err().code(),
        "not_found",
        "once only"
    );
}

/// The device knows its own day: an event dated tomorrow is refused beside its date (the
/// server, whose day is UTC's, allows one day ahead for devices east of it).
#[test]
fn a_device_refuses_an_event_dated_after_its_own_day() {
    let (mut s, _) = store();
    let today = s.today();
    let tomorrow = today.succ_opt().unwrap();
    let h = household(&mut s, VILLAGE, "张三");
    let before = count_changes(&s);
    let e = s.add_visit(h, Some(tomorrow), "").unwrap_err();
    assert_eq!((e.code(), e.field()), ("invalid_value", Some("date")));
    assert_eq!(
        e.zh(),
        format!("日期不能晚于 {today}（填的是 \"{tomorrow}\"）")
    );
    let e = s
        .add_cleanup(VILLAGE, PileKind::Hay, 1.0, None, Some(tomorrow))
        .unwrap_err();
    assert_eq!(e.field(), Some("date"));
    assert_eq!(count_changes(&s), before, "nothing saved");
    s.add_visit(h, Some(today), "").expect("today is fine");
}

/// What was recorded on a device before its first login is the logged-in account's: the
/// unsent changes (and their rows' field authors) carry the account's name, so the server
/// — which refuses a change signed with another name — takes them; sent ones keep theirs.
#[test]
fn entries_made_before_the_first_login_are_the_accounts() {
    let (mut s, _) = store();
    let before = s
        .add_cleanup(VILLAGE, PileKind::Hay, 2.0, None, None)
        .unwrap();
    let h = household(&mut s, VILLAGE, "张三");
    let unsigned = s.outbox(None, 10).unwrap();
    assert!(unsigned.iter().all(|e| e.change.author != "batu"));
    s.save_login(
        "http://127.0.0.1:9",
        "batu",
        Role::Cadre,
        &[VILLAGE.to_string()],
        "t",
    )
    .unwrap();
    let signed = s.outbox(None, 10).unwrap();
    assert_eq!(signed.len(), unsigned.len(), "nothing lost or added");
    assert!(
        signed.iter().all(|e| e.change.author == "batu"),
        "{signed:?}"
    );
    let row = s.row(Table::Household, h).unwrap().unwrap();
    assert!(row.fields.values().all(|f| f.author == "batu"));
    assert!(s.row(Table::Cleanup, before).unwrap().is_some());
    assert!(s.day_sums_consistent().unwrap());
    s.add_cleanup(VILLAGE, PileKind::Hay, 1.0, None, None)
        .unwrap();
    assert_eq!(s.outbox(None, 1).unwrap()[0].change.author, "batu");
}
