//! The device store: edits write row and change together, bad input changes nothing,
//! search, the ledger, pulled changes, re-stamping.

use tally_core::*;
use tally_store::*;

mod support;

use support::*;

fn count_changes(s: &Store) -> usize {
    s.outbox(None, 1_000_000).unwrap().len()
}

#[test]
fn every_edit_writes_its_row_and_its_change() {
    let (mut s, _) = store();
    let before = count_changes(&s);
    let h = household(&mut s, "150625100201", "张三");
    s.add_visit(h, Some(day("2026-11-26")), "房屋裂缝").unwrap();
    assert_eq!(count_changes(&s), before + 2);
    let row = s.row(Table::Household, h).unwrap().unwrap();
    assert_eq!(row.str("head"), Some("张三"));
    let history = s.history(Table::Household, h).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].state, "pending");
    assert_eq!(history[0].utc_offset_min, 480);
    assert!(
        history[0].recorded_at.ends_with('Z'),
        "{}",
        history[0].recorded_at
    );
    assert_eq!(s.pending_count().unwrap(), before + 2);
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let (mut s, _) = store();
    let h = household(&mut s, "150625100201", "李四");
    let before = count_changes(&s);
    let cases: Vec<(&str, StoreError)> = vec![
        (
            "negative tonnes",
            s.add_cleanup("150625100201", PileKind::Manure, -3.0, None, None)
                .unwrap_err(),
        ),
        (
            "absurd tonnes",
            s.add_cleanup("150625100201", PileKind::Manure, 5000.0, None, None)
                .unwrap_err(),
        ),
        (
            "unknown village",
            s.add_cleanup("999", PileKind::Hay, 1.0, None, None)
                .unwrap_err(),
        ),
        (
            "township",
            s.add_cleanup("150625100", PileKind::Hay, 1.0, None, None)
                .unwrap_err(),
        ),
        (
            "future",
            s.add_visit(h, Some(day("2027-01-30")), "").unwrap_err(),
        ),
        (
            "empty head",
            s.add_household(&NewHousehold {
                village: "150625100201".into(),
                head: " ".into(),
                ..Default::default()
            })
            .unwrap_err(),
        ),
    ];
    for (what, err) in cases {
        assert!(matches!(err, StoreError::Invalid(_)), "{what}: {err}");
    }
    assert_eq!(count_changes(&s), before);
    assert_eq!(s.records().unwrap().cleanups.len(), 0);
}

#[test]
fn renovation_moves_forward_and_back_only_by_correction() {
    let (mut s, _) = store();
    let h = household(&mut s, "150625100201", "王五");
    s.set_renovation(
        h,
        RenovationStatus::Completed,
        Some(day("2026-11-20")),
        false,
    )
    .unwrap();
    let row = s.row(Table::Household, h).unwrap().unwrap();
    assert_eq!(
        row.str("started_on"),
        Some("2026-11-20"),
        "earlier steps are dated too"
    );
    let err = s
        .set_renovation(h, RenovationStatus::Started, None, false)
        .unwrap_err();
    assert!(err.to_string().contains("cannot move back"), "{err}");
    s.set_renovation(h, RenovationStatus::Started, None, true)
        .unwrap();
    let row = s.row(Table::Household, h).unwrap().unwrap();
    assert_eq!(row.str("renovation"), Some("started"));
}

#[test]
fn search_by_name_pinyin_initials_and_filters() {
    let (mut s, _) = store();
    let zs = household(&mut s, "150625100201", "张三");
    let zsf = household(&mut s, "150625100202", "赵淑芬");
    let _ls = household(&mut s, "15062510020101", "李四");
    s.edit(
        Edit::new(Table::Household)
            .row(zsf)
            .set("categories", [Category::Subsistence])
            .set("rating", Rating::D),
    )
    .unwrap();
    s.add_visit(zs, Some(day("2026-11-25")), "").unwrap();
    let ids = |f: HouseholdFilter| {
        s.households(&f)
            .unwrap()
            .into_iter()
            .map(|h| h.household.head)
            .collect::<Vec<_>>()
    };
    let search = |t: &str| HouseholdFilter {
        search: Some(t.into()),
        ..Default::default()
    };
    assert_eq!(
        ids(search("zs")),
        ["张三", "赵淑芬"],
        "initials match from the start"
    );
    assert_eq!(ids(search("sf")), Vec::<String>::new());
    assert_eq!(ids(search("ZSF")), ["赵淑芬"]);
    assert_eq!(ids(search("zhao")), ["赵淑芬"]);
    assert_eq!(ids(search("淑")), ["赵淑芬"]);
    assert_eq!(ids(search("%")), Vec::<String>::new());
    assert_eq!(
        ids(HouseholdFilter {
            unit: Some("150625100201".into()),
            ..Default::default()
        }),
        ["张三", "李四"]
    );
    assert_eq!(
        ids(HouseholdFilter {
            category: Some(Category::Subsistence),
            ..Default::default()
        }),
        ["赵淑芬"]
    );
    assert_eq!(
        ids(HouseholdFilter {
            rating: Some(Rating::D),
            ..Default::default()
        }),
        ["赵淑芬"]
    );
    let not_visited = HouseholdFilter {
        not_visited_since: Some(day("2026-11-20")),
        ..Default::default()
    };
    assert_eq!(ids(not_visited).len(), 2);
    let listed = s.households(&search("zs")).unwrap();
    assert_eq!(listed[0].last_visit, Some(day("2026-11-25")));
    assert_eq!(listed[0].unit_name.as_deref(), Some("阿斯尔嘎查"));
    assert!(matches!(
        s.households(&HouseholdFilter {
            unit: Some("nope".into()),
            ..Default::default()
        }),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn pulled_changes_apply_once_and_confirm_our_own() {
    let (mut a, _) = store();
    let (mut b, _) = store();
    let h = household(&mut a, "150625100201", "张三");
    let sent = a.pending(100).unwrap();
    let page: Vec<(i64, Change)> = sent
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, c)| (i as i64 + 1, c))
        .collect();
    let first = b.apply_remote(&page, "c1").unwrap();
    assert_eq!(first.applied, page.len());
    let again = b.apply_remote(&page, "c1").unwrap();
    assert_eq!(
        again.applied, 0,
        "a page applied twice stores nothing twice"
    );
    assert_eq!(b.sync_meta().unwrap().cursor, "c1");
    assert_eq!(
        b.row(Table::Household, h).unwrap(),
        a.row(Table::Household, h).unwrap()
    );
    let echo = a.apply_remote(&page, "c9").unwrap();
    assert_eq!(echo.confirmed, page.len());
    assert_eq!(a.pending_count().unwrap(), 0);
    let e = a.outbox(Some(OutboxState::Accepted), 10).unwrap();
    assert!(e.iter().all(|e| e.receipt.is_some()));
}

#[test]
fn the_outbox_reads_as_stored_json_and_a_page_keeps_the_json_it_came_in() {
    let (mut a, _) = store();
    let (mut b, _) = store();
    let h = household(&mut a, "150625100201", "张三");
    let sent = a.pending(100).unwrap();
    let bodies = a.pending_bodies(0, 100).unwrap();
    assert_eq!(bodies.len(), sent.len());
    for ((_, id, body), change) in bodies.iter().zip(&sent) {
        assert_eq!(*id, change.id);
        assert_eq!(&serde_json::from_str::<Change>(body).unwrap(), change);
    }
    let first = bodies[0].0;
    let rest = a.pending_bodies(first, 100).unwrap();
    assert_eq!(rest, bodies[1..], "after a log position");
    let pretty: Vec<String> = sent
        .iter()
        .map(|c| serde_json::to_string_pretty(c).unwrap())
        .collect();
    let page: Vec<Remote<'_>> = sent
        .iter()
        .zip(&pretty)
        .enumerate()
        .map(|(i, (change, body))| Remote {
            seq: i as i64 + 1,
            change,
            body: Some(body),
        })
        .collect();
    assert_eq!(b.apply_page(&page, "c1").unwrap().applied, sent.len());
    assert_eq!(b.apply_page(&page, "c1").unwrap().applied, 0);
    assert_eq!(
        b.row(Table::Household, h).unwrap(),
        a.row(Table::Household, h).unwrap()
    );
    let history: Vec<Change> = b
        .history(Table::Household, h)
        .unwrap()
        .into_iter()
        .map(|e| e.change)
        .collect();
    let ours: Vec<Change> = sent.into_iter().filter(|c| c.row == h).collect();
    assert_eq!(history, ours);
}

#[test]
fn concurrent_edits_from_two_devices_leave_one_conflict() {
    let (mut a, _) = store();
    let (mut b, _) = store();
    let h = household(&mut a, "150625100201", "张三");
    let page: Vec<(i64, Change)> = a
        .pending(100)
        .unwrap()
        .into_iter()
        .map(|c| (1, c))
        .collect();
    b.apply_remote(&page, "1").unwrap();
    a.edit(Edit::new(Table::Household).row(h).set("members", 4))
        .unwrap();
    b.edit(Edit::new(Table::Household).row(h).set("members", 6))
        .unwrap();
    let a_last = a
        .history(Table::Household, h)
        .unwrap()
        .pop()
        .unwrap()
        .change;
    let b_last = b
        .history(Table::Household, h)
        .unwrap()
        .pop()
        .unwrap()
        .change;
    a.apply_remote(&[(3, b_last.clone())], "3").unwrap();
    b.apply_remote(&[(2, a_last.clone())], "3").unwrap();
    assert_eq!(
        a.row(Table::Household, h).unwrap(),
        b.row(Table::Household, h).unwrap()
    );
    let ca = a.conflicts().unwrap();
    assert_eq!(ca, b.conflicts().unwrap());
    assert_eq!(ca.len(), 1);
    let values = [ca[0].winner_value.clone(), ca[0].loser.value.clone()];
    assert!(
        values.contains(&serde_json::json!(4)) && values.contains(&serde_json::json!(6)),
        "{values:?}"
    );
    // A leader settles it with an ordinary edit that saw the loser.
    let mut settle = Edit::new(Table::Household).row(h).set("members", 5);
    settle.saw = vec![ca[0].loser.at];
    a.edit(settle).unwrap();
    assert!(a.conflicts().unwrap().is_empty());
}

#[test]
fn changes_made_while_the_clock_ran_ahead_are_restamped_before_sending() {
    let (mut s, time) = store();
    let truth = time.now_ms();
    time.advance(3 * 24 * 3600 * 1000); // the laptop clock is three days ahead
    let h = household(&mut s, "150625100201", "张三");
    s.edit(Edit::new(Table::Household).row(h).set("members", 5))
        .unwrap();
    s.set_clock_offset(-(3 * 24 * 3600 * 1000)).unwrap(); // measured at sync
    let n = s.restamp_ahead(truth + 5 * 60 * 1000).unwrap();
    assert!(n >= 2, "{n}");
    let pending = s.pending(100).unwrap();
    assert!(
        pending.iter().all(|c| c.hlc.ms <= truth + 5 * 60 * 1000),
        "{pending:?}"
    );
    // The second edit's base still points at the first edit's (new) version.
    let edits: Vec<&Change> = pending.iter().filter(|c| c.row == h).collect();
    assert_eq!(edits[1].fields["members"].base, Some(edits[0].version()));
    let row = s.row(Table::Household, h).unwrap().unwrap();
    assert_eq!(row.u32("members"), Some(5));
    assert!(row.conflicts().is_empty());
    // New edits use the corrected clock.
    let c = s
        .edit(Edit::new(Table::Household).row(h).set("members", 6))
        .unwrap()
        .into_change()
        .unwrap();
    assert!(c.hlc.ms <= truth + 5 * 60 * 1000);
}

#[test]
fn a_batch_lands_whole_or_not_at_all() {
    let (mut s, _) = store();
    let before = count_changes(&s);
    let err = s
        .batch(|s| {
            household(s, "150625100201", "甲");
            household(s, "150625100201", "乙");
            s.add_cleanup("150625100201", PileKind::Hay, -1.0, None, None)
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    assert_eq!(count_changes(&s), before);
    assert!(s
        .households(&HouseholdFilter::default())
        .unwrap()
        .is_empty());
    let n = s
        .batch(|s| {
            Ok(vec![
                household(s, "150625100201", "甲"),
                household(s, "150625100201", "乙"),
            ])
        })
        .unwrap();
    assert_eq!(n.len(), 2);
    assert_eq!(count_changes(&s), before + 2);
}

#[test]
fn todays_entries_are_counted_by_the_local_day_they_were_recorded_on() {
    let (mut s, time) = store();
    let hour = 3_600_000;
    let noon = household(&mut s, "150625100201", "张三"); // 12:00 Beijing, 04:00 UTC
    time.advance(11 * hour + 30 * 60_000); // 23:30 Beijing, still 27 Nov in UTC too
    s.add_visit(noon, None, "晚上").unwrap();
    time.advance(7 * hour + 30 * 60_000); // 07:00 Beijing on 28 Nov, 23:00 UTC on 27 Nov
    s.add_cleanup("150625100201", PileKind::Hay, 2.0, None, None)
        .unwrap();
    let tables = |d: &str| {
        s.outbox_on(day(d))
            .unwrap()
            .into_iter()
            .map(|e| e.change.table)
            .collect::<Vec<_>>()
    };
    let on_27th = tables("2026-11-27");
    assert_eq!(
        on_27th[..2],
        [Table::Visit, Table::Household],
        "newest first"
    );
    assert!(
        !on_27th.contains(&Table::Cleanup),
        "recorded on the 28th, local time"
    );
    assert_eq!(tables("2026-11-28"), [Table::Cleanup]);
    assert!(tables("2026-11-26").is_empty());
}
