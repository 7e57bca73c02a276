//! `plan` as a table: each row is a batch pushed by someone onto what the
//! transaction loaded, and the outcome it must get per change.

use super::*;
use serde_json::json;
use serde_json::Value;
use tally_core::{FieldEdit, Hlc};

/// 2025-06-01T00:00:00Z, the server clock.
const NOW: u64 = 1_748_736_000_000;
const BANNER: &str = "150621";
const TOWN_A: &str = "150621100";
const TOWN_B: &str = "150621101";
const VILLAGE_A1: &str = "150621100001";
const VILLAGE_A2: &str = "150621100002";
const VILLAGE_B1: &str = "150621101001";

fn device(n: u128) -> DeviceId {
    DeviceId(uuid::Uuid::from_u128(n))
}

fn tree() -> UnitTree {
    let unit = |code: &str, level, parent: Option<&str>| UnitInfo {
        code: code.into(),
        name: format!("unit {code}"),
        level,
        parent: parent.map(Into::into),
        deleted: false,
        seepage: false,
        key_village: false,
    };
    UnitTree::new([
        unit(BANNER, Level::Banner, None),
        unit(TOWN_A, Level::Township, Some(BANNER)),
        unit(TOWN_B, Level::Township, Some(BANNER)),
        unit(VILLAGE_A1, Level::Village, Some(TOWN_A)),
        unit(VILLAGE_A2, Level::Village, Some(TOWN_A)),
        unit(VILLAGE_B1, Level::Village, Some(TOWN_B)),
    ])
}

/// Device 1 of a user with `role` assigned to `units`.
fn who(role: Role, units: &[&str]) -> Author {
    Author {
        device: device(1),
        // Every change below is signed by "someone": the account pushing it.
        user: "someone".into(),
        role,
        units: units.iter().map(|u| u.to_string()).collect(),
    }
}

fn cadre() -> Author {
    who(Role::Cadre, &[VILLAGE_A1])
}

fn leader() -> Author {
    who(Role::Leader, &[TOWN_A])
}

/// A change by device 1 at the server's time; `n` makes its id, its HLC counter and
/// (unless given) its row.
fn change(n: u128, table: Table, row: RowId, unit: &str, fields: Value) -> Change {
    Change {
        id: ChangeId(uuid::Uuid::from_u128(1000 + n)),
        table,
        row,
        unit: unit.into(),
        fields: fields
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), FieldEdit::new(v.clone())))
            .collect(),
        // One version per change, as a device issues them.
        hlc: Hlc::new(NOW, n as u32),
        device: device(1),
        author: "someone".into(),
        correction: false,
    }
}

fn row(n: u128) -> RowId {
    RowId(uuid::Uuid::from_u128(n))
}

fn household(n: u128, unit: &str) -> Change {
    change(n, Table::Household, row(n), unit, json!({"head": "张三"}))
}

fn target(n: u128, unit: &str) -> Change {
    let row = RowId::natural(tally_core::NaturalKey::Target {
        unit,
        metric: tally_core::Metric::Renovation,
        pile: None,
        from: None,
    });
    let fields = json!({"metric": "renovation", "quantity": 40, "deadline": "2025-10-31"});
    change(n, Table::Target, row, unit, fields)
}

fn org_unit(n: u128, code: &str, level: &str, parent: Option<&str>) -> Change {
    let mut fields = json!({"code": code, "name": "小营子", "level": level});
    if let Some(p) = parent {
        fields["parent"] = json!(p);
    }
    change(
        n,
        Table::OrgUnit,
        RowId::natural(tally_core::NaturalKey::OrgUnit { code }),
        code,
        fields,
    )
}

/// What `loaded` holds: the tree, known change ids with their seqs, current rows.
fn loaded(known: &[(&Change, i64)], rows: &[&Change]) -> Loaded {
    Loaded {
        known: known
            .iter()
            .map(|(c, seq)| (c.id, (*seq, (*c).clone())))
            .collect(),
        versions: known.iter().map(|(c, _)| (c.version(), c.id)).collect(),
        rows: rows.iter().map(|c| (c.row, merge(None, c).row)).collect(),
        creators: rows.iter().map(|c| (c.row, c.author.clone())).collect(),
        tree: Arc::new(tree()),
    }
}

fn short(o: &Outcome) -> String {
    match o {
        Outcome::Replay(seq) => format!("replay {seq}"),
        Outcome::SameAs(i) => format!("same as {i}"),
        Outcome::Store => "store".into(),
        Outcome::Reject { code, .. } => code.clone(),
    }
}

/// Plan `changes` pushed by `who` onto `loaded`; each outcome must be `want`'s.
#[track_caller]
fn check(name: &str, who: Author, mut loaded: Loaded, changes: &[Change], want: &[&str]) {
    let plan = plan(changes, &who, &mut loaded, NOW);
    let got: Vec<String> = plan.outcomes.iter().map(short).collect();
    assert_eq!(got, want, "{name}");
    assert_eq!(
        plan.stores_nothing(),
        plan.rows.is_empty(),
        "{name}: rows are written exactly when a change is stored"
    );
}

#[test]
fn replays_and_duplicates_are_stored_once() {
    let h = household(1, VILLAGE_A1);
    check(
        "replay of a stored id",
        cadre(),
        loaded(&[(&h, 7)], &[]),
        std::slice::from_ref(&h),
        &["replay 7"],
    );
    check(
        "the same id twice in a batch",
        cadre(),
        loaded(&[], &[]),
        &[h.clone(), h.clone()],
        &["store", "same as 0"],
    );
    let other = household(2, VILLAGE_A1);
    check(
        "a replay next to a new change",
        cadre(),
        loaded(&[(&h, 3)], &[&h]),
        &[h.clone(), other],
        &["replay 3", "store"],
    );
}

#[test]
fn scope_decides_who_writes_where() {
    let fresh = || loaded(&[], &[]);
    check(
        "own village",
        cadre(),
        fresh(),
        &[household(1, VILLAGE_A1)],
        &["store"],
    );
    check(
        "another village",
        cadre(),
        fresh(),
        &[household(1, VILLAGE_A2)],
        &["out_of_scope"],
    );
    check(
        "a leader's township",
        leader(),
        fresh(),
        &[household(1, VILLAGE_A2)],
        &["store"],
    );
    check(
        "another township",
        leader(),
        fresh(),
        &[household(1, VILLAGE_B1)],
        &["out_of_scope"],
    );
    let inspector = who(Role::Inspector, &[BANNER]);
    check(
        "an inspector writes",
        inspector,
        fresh(),
        &[household(1, VILLAGE_A1)],
        &["out_of_scope"],
    );

    // The row lives in A2; a change claiming A1 may not move it out of there.
    let theirs = household(1, VILLAGE_A2);
    let mut moved = household(2, VILLAGE_A1);
    moved.row = theirs.row;
    check(
        "existing row's unit",
        cadre(),
        loaded(&[], &[&theirs]),
        &[moved],
        &["out_of_scope"],
    );

    let hamlet = format!("{VILLAGE_B1}01");
    check(
        "org unit under a parent out of scope",
        leader(),
        fresh(),
        &[org_unit(1, &hamlet, "hamlet", Some(VILLAGE_B1))],
        &["out_of_scope"],
    );
    check(
        "a new root unit by a leader",
        leader(),
        fresh(),
        &[org_unit(1, "150622", "banner", None)],
        &["out_of_scope"],
    );
    check(
        "a new root unit by an admin",
        who(Role::Admin, &[]),
        fresh(),
        &[org_unit(1, "150622", "banner", None)],
        &["store"],
    );
}

/// What a change claims about itself is checked against the account and the clocks:
/// its author, its timestamp's bounds, and whether it may settle a conflict.
#[test]
fn identity_clock_and_privileged_fields_are_checked() {
    let fresh = || loaded(&[], &[]);
    let mut forged = household(1, VILLAGE_A1);
    forged.author = "leader1".into();
    check(
        "a cadre signs as the leader",
        cadre(),
        fresh(),
        &[forged],
        &["wrong_author"],
    );
    let mut poisoned = household(1, VILLAGE_A1);
    poisoned.hlc = Hlc::new(NOW + 60_000, u32::MAX);
    check(
        "a runaway counter",
        cadre(),
        fresh(),
        &[poisoned],
        &["bad_clock"],
    );
    let mut ancient = household(1, VILLAGE_A1);
    ancient.hlc = Hlc::new(1_000, 0);
    check(
        "a time before the deployment",
        cadre(),
        fresh(),
        &[ancient],
        &["bad_clock"],
    );
    let mut edge = household(1, VILLAGE_A1);
    edge.hlc = Hlc::new(NOW, Hlc::MAX_COUNT);
    check("the largest counter", cadre(), fresh(), &[edge], &["store"]);
    // The same id with other content: refused (a change is never rewritten), in the
    // next push and within one batch; another device's push of a known id learns
    // nothing of it (it is refused as any change not made on it).
    let stored = household(1, VILLAGE_A1);
    let mut altered = stored.clone();
    altered
        .fields
        .insert("head".into(), FieldEdit::new(json!("王五")));
    check(
        "a known id with other content",
        cadre(),
        loaded(&[(&stored, 1)], &[&stored]),
        &[altered.clone()],
        &["replay_mismatch"],
    );
    check(
        "the same id twice in a batch, the second altered",
        cadre(),
        fresh(),
        &[stored.clone(), altered],
        &["store", "replay_mismatch"],
    );
    let mut elsewhere = cadre();
    elsewhere.device = device(2);
    check(
        "another device replays a known id",
        elsewhere,
        loaded(&[(&stored, 1)], &[&stored]),
        std::slice::from_ref(&stored),
        &["wrong_device"],
    );
    // Two change ids, one version, other values: the second is refused, in one batch
    // or in the next, never taken for a repeat (its value would vanish unseen).
    let first = household(1, VILLAGE_A1);
    let mut twin = change(
        2,
        Table::Household,
        row(1),
        VILLAGE_A1,
        json!({"head": "李四"}),
    );
    twin.hlc = first.hlc;
    check(
        "a version taken in the same batch",
        cadre(),
        fresh(),
        &[first.clone(), twin.clone()],
        &["store", "version_taken"],
    );
    check(
        "a version taken before",
        cadre(),
        loaded(&[(&first, 1)], &[&first]),
        std::slice::from_ref(&twin),
        &["version_taken"],
    );
    // The row no longer holds the version (the first change's value was superseded by
    // an edit that saw it, and pruned): the stored change still owns it.
    let mut seen = change(
        3,
        Table::Household,
        row(1),
        VILLAGE_A1,
        json!({"head": "王五"}),
    );
    seen.hlc.ms += 1_000;
    seen.fields.get_mut("head").expect("head").base = Some(first.version());
    let superseded = merge(Some(&merge(None, &first).row), &seen).row;
    assert!(!tally_core::version_taken(Some(&superseded), &twin));
    let mut after = loaded(&[(&first, 1), (&seen, 2)], &[]);
    after.rows.insert(row(1), superseded);
    check(
        "a version of a change superseded and pruned",
        cadre(),
        after,
        std::slice::from_ref(&twin),
        &["version_taken"],
    );
    let mut elsewhere_row = twin.clone();
    elsewhere_row.row = row(5);
    check(
        "a version taken, on another row",
        cadre(),
        loaded(&[(&first, 1)], &[&first]),
        &[elsewhere_row],
        &["version_taken"],
    );
    // A leader turns his township into a hamlet under its own village: a cycle.
    let cycle = change(
        3,
        Table::OrgUnit,
        RowId::natural(tally_core::NaturalKey::OrgUnit { code: TOWN_A }),
        TOWN_A,
        json!({"code": TOWN_A, "name": "小镇", "level": "hamlet", "parent": VILLAGE_A1}),
    );
    check(
        "a township under its own village",
        leader(),
        fresh(),
        &[cycle],
        &["unit_cycle"],
    );
    // Settling: the edit names the losing version it saw.
    let first = household(1, VILLAGE_A1);
    let settle = |n| {
        let mut c = change(
            n,
            Table::Household,
            row(1),
            VILLAGE_A1,
            json!({"head": "李四"}),
        );
        c.hlc = Hlc::new(NOW + 1, 0);
        for e in c.fields.values_mut() {
            e.saw = vec![tally_core::Version {
                hlc: Hlc::new(NOW - 5, 0),
                device: device(7),
            }];
        }
        c
    };
    check(
        "a cadre settles a conflict",
        cadre(),
        loaded(&[(&first, 1)], &[&first]),
        &[settle(2)],
        &["forbidden"],
    );
    check(
        "a leader settles a conflict",
        leader(),
        loaded(&[(&first, 1)], &[&first]),
        &[settle(2)],
        &["store"],
    );
}

#[test]
fn roles_decide_what_is_written() {
    let fresh = || loaded(&[], &[]);
    let hamlet = format!("{VILLAGE_A1}01");
    let new_hamlet = || org_unit(1, &hamlet, "hamlet", Some(VILLAGE_A1));
    check(
        "a cadre sets a target",
        cadre(),
        fresh(),
        &[target(1, VILLAGE_A1)],
        &["forbidden"],
    );
    check(
        "a cadre adds an org unit",
        cadre(),
        fresh(),
        &[new_hamlet()],
        &["forbidden"],
    );
    check(
        "a leader sets a target",
        leader(),
        fresh(),
        &[target(1, TOWN_A)],
        &["store"],
    );
    check(
        "a leader adds an org unit",
        leader(),
        fresh(),
        &[new_hamlet()],
        &["store"],
    );

    let h = household(1, VILLAGE_A1);
    let mut fix = change(
        2,
        Table::Household,
        h.row,
        VILLAGE_A1,
        json!({"head": "李四"}),
    );
    fix.correction = true;
    let rows = || loaded(&[], &[&h]);
    check(
        "a cadre's correction",
        cadre(),
        rows(),
        &[fix.clone()],
        &["forbidden"],
    );
    check(
        "a leader's correction",
        leader(),
        rows(),
        &[fix],
        &["store"],
    );

    // Withdrawing a record, or correcting a visit, someone else entered: they or a
    // leader. What the village keeps together (a household's data) every cadre keeps.
    let entered_by = |mut c: Change, user: &str| {
        c.author = user.into();
        c
    };
    let visit = entered_by(
        change(
            3,
            Table::Visit,
            row(3),
            VILLAGE_A1,
            json!({"household": h.row.to_string(), "date": "2025-05-30"}),
        ),
        "wang",
    );
    let wangs = entered_by(household(4, VILLAGE_A1), "wang");
    let theirs = || loaded(&[], &[&h, &visit, &wangs]);
    let note = change(
        5,
        Table::Visit,
        row(3),
        VILLAGE_A1,
        json!({"note": "已加固"}),
    );
    let withdraw = |n, table, id| {
        let fields = json!({"deleted": true, "deleted_reason": "录重了"});
        change(n, table, id, VILLAGE_A1, fields)
    };
    check(
        "a cadre corrects another cadre's visit",
        cadre(),
        theirs(),
        std::slice::from_ref(&note),
        &["forbidden"],
    );
    check(
        "a cadre withdraws another cadre's household",
        cadre(),
        theirs(),
        &[withdraw(6, Table::Household, row(4))],
        &["forbidden"],
    );
    let members = change(
        7,
        Table::Household,
        row(4),
        VILLAGE_A1,
        json!({"members": 4}),
    );
    check(
        "a cadre keeps another cadre's household up to date",
        cadre(),
        theirs(),
        &[members],
        &["store"],
    );
    check(
        "a leader withdraws a cadre's visit and corrects another",
        leader(),
        theirs(),
        &[withdraw(8, Table::Visit, row(3)), note.clone()],
        &["store", "withdrawn_record"],
    );
    let own = || loaded(&[], &[&h, &entered_by(visit.clone(), "someone")]);
    check(
        "a cadre corrects, then withdraws, their own visit",
        cadre(),
        own(),
        &[note, withdraw(9, Table::Visit, row(3))],
        &["store", "store"],
    );
}

#[test]
fn device_clock_table_and_fields_are_checked() {
    let fresh = || loaded(&[], &[]);
    let mut elsewhere = household(1, VILLAGE_A1);
    elsewhere.device = device(2);
    check(
        "made on another device",
        cadre(),
        fresh(),
        &[elsewhere],
        &["wrong_device"],
    );

    let mut ahead = household(1, VILLAGE_A1);
    ahead.hlc = Hlc::new(NOW + MAX_CLOCK_AHEAD_MS + 1, 0);
    check("clock ahead", cadre(), fresh(), &[ahead], &["clock_ahead"]);
    let mut at_limit = household(1, VILLAGE_A1);
    at_limit.hlc = Hlc::new(NOW + MAX_CLOCK_AHEAD_MS, 0);
    check(
        "clock at the limit",
        cadre(),
        fresh(),
        &[at_limit],
        &["store"],
    );

    let h = household(1, VILLAGE_A1);
    let as_cleanup = change(2, Table::Cleanup, h.row, VILLAGE_A1, json!({"tonnes": 1}));
    check(
        "table mismatch",
        cadre(),
        loaded(&[], &[&h]),
        &[as_cleanup],
        &["table_mismatch"],
    );

    let no_head = change(
        1,
        Table::Household,
        row(1),
        VILLAGE_A1,
        json!({"members": 3}),
    );
    let too_many = change(
        2,
        Table::Household,
        row(2),
        VILLAGE_A1,
        json!({"head": "张三", "members": 51}),
    );
    let unknown = household(3, "150621100009");
    check(
        "validation",
        cadre(),
        fresh(),
        &[no_head, too_many, unknown],
        &["missing_field", "invalid_value", "unknown_unit"],
    );
}

#[test]
fn later_changes_see_earlier_merged_ones() {
    let fresh = || loaded(&[], &[]);
    let village = format!("{TOWN_A}003");
    let new_village = org_unit(1, &village, "village", Some(TOWN_A));
    let there = household(2, &village);
    check(
        "a household in a village not yet made",
        leader(),
        fresh(),
        std::slice::from_ref(&there),
        &["unknown_unit"],
    );
    check(
        "a village, then a household in it",
        leader(),
        fresh(),
        &[new_village, there],
        &["store", "store"],
    );

    let h = household(1, VILLAGE_A1);
    let as_cleanup = change(2, Table::Cleanup, h.row, VILLAGE_A1, json!({"tonnes": 1}));
    check(
        "a row made earlier in the batch",
        cadre(),
        fresh(),
        &[h, as_cleanup],
        &["store", "table_mismatch"],
    );
}
