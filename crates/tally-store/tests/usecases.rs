//! The use-cases the CLI and the desktop both call: the household page, saving a
//! household (blank is none, only what differs is written, "no change" is a value),
//! works moved on as one change, the status bar's counts, conflict resolution, finding
//! a village by what a person typed (its code or its name).

mod support;

use serde_json::json;
use support::*;
use tally_core::*;
use tally_store::*;

/// What the counts would be if every change and conflict were read and counted.
fn counted_by_reading(s: &Store) -> Counts {
    Counts {
        pending: s.pending(100_000).unwrap().len() as u32,
        rejected: s
            .outbox(Some(OutboxState::Rejected), 100_000)
            .unwrap()
            .len() as u32,
        conflicts: s.conflicts().unwrap().len() as u32,
    }
}

#[test]
fn the_household_page_holds_the_household_and_its_timeline_newest_first() {
    let (mut s, _) = store();
    let h = household(&mut s, VILLAGE, "张三");
    s.add_visit(h, Some(day("2026-11-20")), "墙体裂缝").unwrap();
    s.add_visit(h, Some(day("2026-11-24")), "").unwrap();
    let _ = s
        .set_renovation(
            h,
            RenovationStatus::Completed,
            Some(day("2026-11-22")),
            false,
        )
        .unwrap();
    s.add_demolition(VILLAGE, Some(h), None, Some(day("2026-11-25")))
        .unwrap();
    let page = s.household_page(h).unwrap();
    assert_eq!(page.summary.household.head, "张三");
    assert_eq!(page.summary.unit_name.as_deref(), Some("阿斯尔嘎查"));
    assert_eq!(page.summary.last_visit, Some(day("2026-11-24")));
    let items: Vec<_> = page
        .timeline
        .iter()
        .map(|t| (t.date, t.kind, t.status, t.note.as_deref(), t.area_m2))
        .collect();
    let d = day;
    assert_eq!(
        items,
        [
            (d("2026-11-25"), TimelineKind::Demolition, None, None, None),
            (d("2026-11-24"), TimelineKind::Visit, None, None, None),
            (
                d("2026-11-22"),
                TimelineKind::Renovation,
                Some(RenovationStatus::Started),
                None,
                None
            ),
            (
                d("2026-11-22"),
                TimelineKind::Renovation,
                Some(RenovationStatus::Completed),
                None,
                None
            ),
            (
                d("2026-11-20"),
                TimelineKind::Visit,
                None,
                Some("墙体裂缝"),
                None
            ),
        ]
    );
    let gone = RowId(uuid::Uuid::nil());
    assert!(matches!(
        s.household_page(gone),
        Err(StoreError::NotFound {
            what: "household",
            ..
        })
    ));
}

#[test]
fn saving_a_household_writes_only_what_differs_and_no_change_is_a_value() {
    let (mut s, _) = store();
    let h = s
        .add_household(&NewHousehold {
            village: VILLAGE.into(),
            head: " 李四 ".into(),
            phone: Some("  ".into()),
            cadre: Some("".into()),
            ..Default::default()
        })
        .unwrap();
    let row = s.row(Table::Household, h).unwrap().unwrap();
    assert_eq!(row.str("head"), Some("李四"));
    assert!(
        row.value("phone").is_none() && row.value("cadre").is_none(),
        "blank text is no value"
    );
    let before = count_changes(&s);
    // The whole form, as the desktop sends it, with nothing changed.
    let same = HouseholdChanges {
        head: Some("李四".into()),
        members: Some(1),
        phone: Some(String::new()),
        id_number: Some(" ".into()),
        categories: Some(vec![]),
        seepage: Some(false),
        rating: Some(None),
        cadre: Some(" ".into()),
        pension: Some(None),
        medical: Some(None),
    };
    assert_eq!(s.edit_household(h, &same).unwrap(), Edited::Unchanged(h));
    assert_eq!(count_changes(&s), before, "nothing written");
    // One field changed: one change with that one field.
    let edited = s
        .edit_household(
            h,
            &HouseholdChanges {
                cadre: Some(" 王干部 ".into()),
                ..same.clone()
            },
        )
        .unwrap();
    let change = edited.change().expect("a change");
    let edited_fields = |c: &Change| {
        c.edited_fields()
            .map(|(f, _)| f.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(edited_fields(change), ["cadre"]);
    assert_eq!(
        change.fields["deleted"].value,
        json!(false),
        "an edit says the record stays"
    );
    assert_eq!(change.fields["cadre"].value, json!("王干部"));
    // Clearing it again is a change to null; repeating it is none.
    let cleared = HouseholdChanges {
        cadre: Some(String::new()),
        ..Default::default()
    };
    assert!(s.edit_household(h, &cleared).unwrap().change().is_some());
    assert_eq!(s.edit_household(h, &cleared).unwrap(), Edited::Unchanged(h));
    // A plain edit repeating the stored values is no change either, not an error.
    let again = s
        .edit(Edit::new(Table::Household).row(h).set("head", "李四"))
        .unwrap();
    assert_eq!(again, Edited::Unchanged(h));
    // Bad input is still an error.
    let bad = HouseholdChanges {
        head: Some(" ".into()),
        ..Default::default()
    };
    assert!(matches!(
        s.edit_household(h, &bad),
        Err(StoreError::Invalid(ValidationError::Value { .. }))
    ));
    // Insured members: at most the household's members, and counted by the ledger.
    let insured = HouseholdChanges {
        members: Some(4),
        pension: Some(Some(3)),
        medical: Some(Some(4)),
        ..Default::default()
    };
    s.edit_household(h, &insured).unwrap();
    let too_many = HouseholdChanges {
        pension: Some(Some(5)),
        ..Default::default()
    };
    let e = s.edit_household(h, &too_many).unwrap_err();
    assert_eq!(e.code(), "more_than_members", "{e}");
    assert!(e.zh().contains("不能多于家庭人口 4 人"), "{}", e.zh());
    let ledger = s.ledger(VILLAGE, None).unwrap();
    let completed = |m: tally_core::Metric| {
        ledger
            .rows
            .iter()
            .find(|r| r.key == tally_core::RowKey::metric(m))
            .map(|r| r.completed)
    };
    assert_eq!(completed(tally_core::Metric::Pension), Some(3.0));
    assert_eq!(completed(tally_core::Metric::Medical), Some(4.0));
}

#[test]
fn works_are_listed_by_unit_and_moved_on_as_one_change_or_not_at_all() {
    let (mut s, _) = store();
    let d = Some(day("2026-11-20"));
    let road = s
        .add_works(VILLAGE, WorksKind::Road, 2.0, None, WorksStatus::Started, d)
        .unwrap();
    s.add_works(
        "150625100202",
        WorksKind::Water,
        1.0,
        Some(80),
        WorksStatus::Planned,
        d,
    )
    .unwrap();
    assert_eq!(s.works(None).unwrap().len(), 2);
    let here = s.works(Some(VILLAGE)).unwrap();
    assert_eq!((here.len(), here[0].id), (1, road));
    assert_eq!(s.works(Some("150625100")).unwrap().len(), 2, "a subtree");

    let before = count_changes(&s);
    let bad = WorksUpdate {
        quantity: Some(-1.0),
        ..WorksUpdate::status(WorksStatus::Completed, d, false)
    };
    assert!(s.update_works(road, &bad).is_err());
    let w = &s.works(Some(VILLAGE)).unwrap()[0];
    assert_eq!(
        (w.status, w.completed_on, count_changes(&s)),
        (WorksStatus::Started, None, before),
        "a bad quantity leaves the status as it was"
    );
    let good = WorksUpdate {
        quantity: Some(2.5),
        people: Some(None),
        ..WorksUpdate::status(WorksStatus::Completed, d, false)
    };
    let change = s.update_works(road, &good).unwrap().into_change().unwrap();
    assert_eq!(
        change.edited_fields().map(|(f, _)| f).collect::<Vec<_>>(),
        ["completed_on", "quantity", "status"],
        "one change; people served was already none"
    );
    assert_eq!(
        s.update_works(road, &good).unwrap(),
        Edited::Unchanged(road)
    );
    assert_eq!(count_changes(&s), before + 1);
}

/// The ledger row of a metric for the village, as of a day.
fn row_of(s: &Store, metric: Metric, as_of: &str) -> ledger::LedgerRow {
    let l = s.ledger(VILLAGE, Some(day(as_of))).unwrap();
    l.rows
        .into_iter()
        .find(|r| r.key == ledger::RowKey::metric(metric))
        .unwrap()
}

#[test]
fn a_road_is_done_by_its_progress_entries_then_completed_then_accepted() {
    let (mut s, _) = store();
    let about = WorksAbout {
        name: Some("村东主街".into()),
        lat: Some(40.21),
        lon: Some(111.03),
        ..WorksAbout::default()
    };
    let road = s
        .add_works_with(
            VILLAGE,
            WorksKind::Road,
            5.0,
            None,
            WorksStatus::Planned,
            None,
            &about,
        )
        .unwrap();
    let figures = |s: &Store, as_of| {
        let r = row_of(s, Metric::RoadKm, as_of);
        (r.started, r.completed, r.accepted)
    };
    assert_eq!(figures(&s, "2026-11-26"), (0.0, 0.0, Some(0.0)));
    let progress = |q: f64, d: &str| NewProgress {
        quantity: q,
        date: Some(day(d)),
        note: Some("东段".into()),
    };
    s.add_progress(road, &progress(2.0, "2026-11-20")).unwrap();
    s.add_progress(road, &progress(1.2, "2026-11-24")).unwrap();
    let w = &s.works(None).unwrap()[0];
    assert_eq!(
        (w.status, w.started_on, w.progress.len(), w.done()),
        (WorksStatus::Started, Some(day("2026-11-20")), 2, 3.2),
        "the first entry starts a planned road on its day"
    );
    assert_eq!(figures(&s, "2026-11-26"), (5.0, 3.2, Some(0.0)));
    assert_eq!(
        figures(&s, "2026-11-21"),
        (5.0, 2.0, Some(0.0)),
        "as of a day"
    );

    // More than the road is long: refused with the figures, nothing stored.
    let before = count_changes(&s);
    let beyond = |e: StoreError| match e {
        StoreError::Invalid(v) => (v.code(), v.zh()),
        other => panic!("{other}"),
    };
    let (code, zh) = beyond(
        s.add_progress(road, &progress(2.0, "2026-11-25"))
            .unwrap_err(),
    );
    assert_eq!(code, "beyond_planned");
    assert_eq!(zh, "完成进度合计 5.2 超过了计划数量 5");
    let cut = WorksUpdate {
        quantity: Some(3.0),
        ..WorksUpdate::status(WorksStatus::Started, None, false)
    };
    assert_eq!(
        beyond(s.update_works(road, &cut).unwrap_err()).0,
        "beyond_planned"
    );
    assert_eq!(count_changes(&s), before);

    // Completed: the rest counts on the day it was completed; then accepted.
    let d = Some(day("2026-11-26"));
    s.set_works_status(road, WorksStatus::Completed, d, false)
        .unwrap();
    assert_eq!(figures(&s, "2026-11-26"), (5.0, 5.0, Some(0.0)));
    assert_eq!(figures(&s, "2026-11-25"), (5.0, 3.2, Some(0.0)));
    s.set_works_status(road, WorksStatus::Accepted, d, false)
        .unwrap();
    let w = &s.works(None).unwrap()[0];
    assert_eq!((w.accepted_on, w.done()), (d, 5.0));
    assert_eq!(figures(&s, "2026-11-26"), (5.0, 5.0, Some(5.0)));
    assert_eq!(
        row_of(&s, Metric::Pension, "2026-11-26").accepted,
        None,
        "not accepted"
    );

    // Its name, place and note change as one change; blank clears.
    let moved = WorksUpdate {
        about: Some(WorksAbout {
            name: Some("村东主街".into()),
            location: Some("一组到三组".into()),
            ..WorksAbout::default()
        }),
        ..WorksUpdate::status(WorksStatus::Accepted, None, false)
    };
    let c = s.update_works(road, &moved).unwrap().into_change().unwrap();
    assert_eq!(
        c.edited_fields().map(|(f, _)| f).collect::<Vec<_>>(),
        ["lat", "location", "lon"]
    );
    let w = &s.works(None).unwrap()[0];
    assert_eq!((w.location.as_deref(), w.lat), (Some("一组到三组"), None));
    assert!(s.day_sums_consistent().unwrap());
}

#[test]
fn counts_are_what_reading_every_change_would_count() {
    let (mut a, _) = store();
    let h = household(&mut a, VILLAGE, "张三");
    let check = |s: &Store| assert_eq!(s.counts().unwrap(), counted_by_reading(s));
    check(&a);
    assert_eq!(
        a.counts().unwrap().pending,
        a.pending_count().unwrap() as u32
    );
    // Receipts take changes off pending.
    let sent = a.pending(100).unwrap();
    let units_and_household: Vec<(ChangeId, i64)> = sent
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i as i64 + 1))
        .collect();
    a.mark_accepted(&units_and_household[..3]).unwrap();
    check(&a);
    // A rejection is counted as rejected, not pending.
    a.mark_rejected(sent[3].id, "invalid_value", "bad", "不对")
        .unwrap();
    check(&a);
    assert_eq!(a.counts().unwrap().rejected, 1);
    // A conflict.
    conflict_on_members(&mut a, h);
    check(&a);
    assert_eq!(a.counts().unwrap().conflicts, 1);
    // Edits after it.
    household(&mut a, VILLAGE, "李四");
    check(&a);
}

#[test]
fn a_resolution_names_the_losing_version_it_saw_and_settles_the_conflict() {
    let (mut a, _) = store();
    let h = household(&mut a, VILLAGE, "张三");
    conflict_on_members(&mut a, h);
    let open = a.conflicts().unwrap();
    assert_eq!(open.len(), 1);
    let c = &open[0];
    // Keeping the value that applies now is still a change: it records what was seen.
    let keep = Resolution {
        table: c.table,
        row: c.row,
        field: c.field.clone(),
        value: c.winner_value.clone(),
        saw: vec![c.loser.at],
    };
    let change = a.resolve_conflict(&keep).unwrap().into_change().unwrap();
    assert_eq!(change.fields["members"].saw, vec![c.loser.at]);
    assert!(a.conflicts().unwrap().is_empty());
    assert_eq!(
        a.row(Table::Household, h)
            .unwrap()
            .unwrap()
            .value("members"),
        Some(&c.winner_value)
    );
    // The same resolution again: nothing left to settle, nothing to write.
    assert_eq!(a.resolve_conflict(&keep).unwrap(), Edited::Unchanged(h));
}

#[test]
fn a_field_is_settled_by_keeping_now_the_other_or_a_value_and_bad_choices_change_nothing() {
    let (mut a, _) = store();
    let h = household(&mut a, VILLAGE, "张三");
    // A third device starting from the same household: two values lose to one.
    let (mut c, _) = store();
    let page: Vec<(i64, Change)> = a
        .outbox(None, 100_000)
        .unwrap()
        .into_iter()
        .map(|e| (1, e.change))
        .collect();
    c.apply_remote(&page, "1").unwrap();
    conflict_on_members(&mut a, h);
    let third = c
        .edit(Edit::new(Table::Household).row(h).set("members", 7))
        .unwrap()
        .into_change()
        .unwrap();
    a.apply_remote(&[(10, third)], "10").unwrap();
    assert_eq!(a.conflicts().unwrap().len(), 2, "two losing values");
    let before = count_changes(&a);

    // Refused, with a clear reason, and nothing written.
    let refused = [
        (h, "head", Keep::Current, "no_open_conflict"),
        (h, "members", Keep::Other, "several_losing_values"),
    ];
    for (row, field, keep, code) in refused {
        let e = a.resolve_field(row, field, keep).unwrap_err();
        assert_eq!(e.code(), code, "{e}");
        assert!(!e.zh().is_ascii(), "{}", e.zh());
        assert_eq!(count_changes(&a), before, "{code}: nothing written");
        assert_eq!(a.conflicts().unwrap().len(), 2);
    }

    // A value the leader writes settles both losers at once.
    a.resolve_field(h, "members", Keep::Value(json!(5)))
        .unwrap();
    assert!(a.conflicts().unwrap().is_empty());
    assert_eq!(
        a.row(Table::Household, h)
            .unwrap()
            .unwrap()
            .value("members"),
        Some(&json!(5))
    );

    // With one losing value, "the other" keeps it.
    let h2 = household(&mut a, VILLAGE, "李四");
    conflict_on_members(&mut a, h2);
    let loser = a.conflicts().unwrap()[0].loser.value.clone();
    a.resolve_field(h2, "members", Keep::Other).unwrap();
    assert!(a.conflicts().unwrap().is_empty());
    assert_eq!(
        a.row(Table::Household, h2)
            .unwrap()
            .unwrap()
            .value("members"),
        Some(&loser)
    );
}

#[test]
fn natural_rows_get_their_ids_from_core() {
    let (mut s, _) = store();
    let set = s
        .set_target(VILLAGE, Metric::Renovation, 10.0, day("2026-12-31"))
        .unwrap();
    assert_eq!(
        set.row(),
        RowId::natural(NaturalKey::Target {
            unit: VILLAGE,
            metric: Metric::Renovation,
            pile: None,
            from: None,
        })
    );
    assert!(s
        .row(
            Table::OrgUnit,
            RowId::natural(NaturalKey::OrgUnit { code: VILLAGE })
        )
        .unwrap()
        .is_some());
    // Setting the same target again changes nothing.
    let again = s
        .set_target(VILLAGE, Metric::Renovation, 10.0, day("2026-12-31"))
        .unwrap();
    assert_eq!(again, Edited::Unchanged(set.row()));
}

#[test]
fn a_village_is_found_by_code_or_by_a_name_no_other_village_has() {
    use tally_testkit::banner::{HAMLET, TOWNSHIP, VILLAGE_B};
    let (mut s, _) = store();
    // A second township, a village named 新村 under each, and a deleted village.
    for (code, name, level, parent) in [
        ("150625101", "独贵塔拉镇", Level::Township, "150625"),
        ("150625100203", "新村", Level::Village, TOWNSHIP),
        ("150625101201", "新村", Level::Village, "150625101"),
        ("150625101202", "旧村", Level::Village, "150625101"),
    ] {
        s.add_unit(&OrgUnit {
            code: code.into(),
            name: name.into(),
            level,
            parent: Some(parent.into()),
            seepage: false,
            key_village: false,
        })
        .unwrap();
    }
    let _ = s
        .edit(
            Edit::new(Table::OrgUnit)
                .row(RowId::natural(NaturalKey::OrgUnit {
                    code: "150625101202",
                }))
                .set("deleted", true),
        )
        .unwrap();

    /// What a lookup gives, in words: `Ok(code)` or the error's stable code and its
    /// English message.
    fn found(s: &Store, typed: &str) -> Result<String, (String, String)> {
        s.find_village(typed)
            .map(|u| u.code)
            .map_err(|e| (e.code().to_string(), e.en()))
    }
    let ok = |code: &str| Ok(code.to_string());
    let err = |code: &str, en: &str| Err((code.to_string(), en.to_string()));
    let cases = [
        ("a village code", VILLAGE, ok(VILLAGE)),
        ("a hamlet code", HAMLET, ok(HAMLET)),
        ("spaces around", " 150625100202 ", ok(VILLAGE_B)),
        ("a village name", "阿斯尔嘎查", ok(VILLAGE)),
        ("a hamlet name", "一社", ok(HAMLET)),
        (
            "a shared name",
            "新村",
            err(
                "ambiguous_village",
                "2 villages or hamlets are named \"新村\": 150625100203 新村 (锡尼镇), \
                 150625101201 新村 (独贵塔拉镇); give the village code",
            ),
        ),
        (
            "an unknown name",
            "乌兰嘎查",
            err(
                "unknown_village",
                "no village or hamlet on this device has the code or name \"乌兰嘎查\"",
            ),
        ),
        (
            "an unknown code",
            "150625100299",
            err(
                "unknown_village",
                "no village or hamlet on this device has the code or name \"150625100299\"",
            ),
        ),
        (
            "a deleted village",
            "旧村",
            err(
                "unknown_village",
                "no village or hamlet on this device has the code or name \"旧村\"",
            ),
        ),
        (
            "a township's code",
            TOWNSHIP,
            err(
                "not_a_village",
                "\"150625100\" is 150625100 锡尼镇 (杭锦旗), a township, not a village or hamlet",
            ),
        ),
        (
            "a township's name",
            "锡尼镇",
            err(
                "not_a_village",
                "\"锡尼镇\" is 150625100 锡尼镇 (杭锦旗), a township, not a village or hamlet",
            ),
        ),
        (
            "a part of a name",
            "阿斯尔",
            err(
                "unknown_village",
                "no village or hamlet on this device has the code or name \"阿斯尔\"",
            ),
        ),
        (
            "blank",
            "  ",
            err("unknown_village", "a village (code or name) is required"),
        ),
    ];
    for (what, typed, want) in cases {
        assert_eq!(found(&s, typed), want, "{what}: {typed:?}");
    }

    // The Chinese message lists the candidates with their township.
    let e = s.find_village("新村").unwrap_err();
    assert_eq!(
        e.zh(),
        "村“新村”有 2 个：150625100203 新村（锡尼镇）、150625101201 新村（独贵塔拉镇）；请填写村代码"
    );
    // One index answers every line of a file.
    let villages = s.villages().unwrap();
    assert_eq!(villages.find("巴音嘎查").unwrap().code, VILLAGE_B);
    assert!(matches!(
        villages.find("新村"),
        Err(StoreError::AmbiguousVillage { candidates, .. }) if candidates.len() == 2
    ));
}
