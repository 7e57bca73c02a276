//! The command bodies over an in-memory store: households saved and edited, the
//! timeline of a household, works moved on as one change, and entries and conflicts
//! as the codes and values the UI words.

use super::records::{correct_record, save_household, save_works, withdrawn};
use crate::describe::{conflict_view, entry_view, Names};
use crate::dto::{CorrectInput, HouseholdInput, WorksInput};
use chrono::NaiveDate;
use serde_json::json;
use tally_core::*;
use tally_store::{FakeTime, OutboxState, Store, TimelineKind};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn store() -> Store {
    let mut s = Store::open_in_memory(Box::new(FakeTime::on(day("2026-11-27")))).unwrap();
    s.init("测试机").unwrap();
    for (code, name, level, parent) in [
        ("150622", "杭锦旗", Level::Banner, None),
        ("150622100", "锡尼镇", Level::Township, Some("150622")),
        (
            "150622100201",
            "阿斯尔嘎查",
            Level::Village,
            Some("150622100"),
        ),
    ] {
        s.add_unit(&OrgUnit::new(code, name, level, parent))
            .unwrap();
    }
    s
}

fn input(head: &str) -> HouseholdInput {
    HouseholdInput {
        id: None,
        unit: "150622100201".into(),
        head: head.into(),
        members: "4".into(),
        phone: Some("  ".into()),
        id_number: None,
        categories: vec![Category::FiveGuarantee],
        seepage: false,
        rating: Some(Rating::D),
        cadre: None,
        pension: "3".into(),
        medical: String::new(),
        confirmed: false,
    }
}

#[test]
fn a_household_is_created_then_only_its_changed_fields_are_written() {
    let mut s = store();
    let id = save_household(&mut s, input("张三")).unwrap();
    let before = s.pending_count().unwrap();
    let same = HouseholdInput {
        id: Some(id),
        ..input("张三")
    };
    assert_eq!(
        save_household(&mut s, same).unwrap(),
        id,
        "saving unchanged is fine"
    );
    assert_eq!(s.pending_count().unwrap(), before, "and writes nothing");
    let renamed = HouseholdInput {
        id: Some(id),
        cadre: Some("王五".into()),
        ..input("张三")
    };
    save_household(&mut s, renamed).unwrap();
    let row = s.row(Table::Household, id).unwrap().unwrap();
    assert_eq!(row.str("cadre"), Some("王五"));
    assert!(
        row.value("phone").is_none_or(|v| v.is_null()),
        "a blank phone is stored as no phone"
    );
    let err = save_household(&mut s, input(" ")).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("head"));
    assert_eq!(err.message_zh, "请填写户主姓名");
    let before = s.pending_count().unwrap();
    for (typed, code) in [
        ("四", "invalid_value"),
        ("0", "invalid_value"),
        ("16", "unusual_value"),
    ] {
        let h = HouseholdInput {
            members: typed.into(),
            ..input("钱七")
        };
        let err = save_household(&mut s, h).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            (code, Some("members")),
            "{typed}"
        );
    }
    assert_eq!(s.pending_count().unwrap(), before, "nothing saved");
    let confirmed = HouseholdInput {
        members: "16".into(),
        confirmed: true,
        ..input("钱七")
    };
    let id = save_household(&mut s, confirmed).unwrap();
    let row = s.row(Table::Household, id).unwrap().unwrap();
    assert_eq!(
        row.value("members"),
        Some(&json!(16)),
        "saved once confirmed"
    );
}

#[test]
fn the_timeline_holds_visits_renovation_steps_and_demolition_newest_first() {
    let mut s = store();
    let id = save_household(&mut s, input("李四")).unwrap();
    s.add_visit(id, Some(day("2026-11-20")), "墙体裂缝")
        .unwrap();
    s.set_renovation(
        id,
        RenovationStatus::Started,
        Some(day("2026-11-22")),
        false,
    )
    .unwrap();
    s.add_demolition(
        "150622100201",
        Some(id),
        Some(60.0),
        Some(day("2026-11-25")),
    )
    .unwrap();
    let d = s.household_page(id).unwrap();
    let kinds: Vec<(TimelineKind, NaiveDate)> =
        d.timeline.iter().map(|t| (t.kind, t.date)).collect();
    assert_eq!(
        kinds,
        [
            (TimelineKind::Demolition, day("2026-11-25")),
            (TimelineKind::Renovation, day("2026-11-22")),
            (TimelineKind::Visit, day("2026-11-20")),
        ]
    );
    assert_eq!(d.timeline[1].status, Some(RenovationStatus::Started));
    assert_eq!(d.timeline[0].area_m2, Some(60.0));
    assert_eq!(d.timeline[2].note.as_deref(), Some("墙体裂缝"));
    assert_eq!(d.summary.last_visit, Some(day("2026-11-20")));
    assert_eq!(d.summary.unit_name.as_deref(), Some("阿斯尔嘎查"));
}

#[test]
fn entries_carry_codes_values_and_what_was_typed() {
    let mut s = store();
    let id = save_household(&mut s, input("王五")).unwrap();
    s.add_visit(id, None, "已加固").unwrap();
    s.add_cleanup("150622100201", PileKind::Manure, 3.5, Some(2), None)
        .unwrap();
    s.set_renovation(id, RenovationStatus::Started, None, false)
        .unwrap();
    let names = Names::new(&s);
    let summaries: Vec<serde_json::Value> = s
        .outbox(Some(OutboxState::Pending), 10)
        .unwrap()
        .into_iter()
        .filter(|e| e.change.table != Table::OrgUnit)
        .map(|e| serde_json::to_value(entry_view(e, &names).summary).unwrap())
        .collect();
    // The UI words these (ui/src/composables/summary.spec.ts): 农户 王五：改造状态→已开工，
    // 开工日期→2026-11-27 / 清理 粪堆 3.5 吨，2 堆（2026-11-27） / 走访 王五（2026-11-27）：已加固
    // / 新增农户 王五.
    assert_eq!(
        summaries,
        [
            json!({"kind": "household-edit", "head": "王五", "fields": [
                {"field": "renovation", "value": "started"},
                {"field": "started_on", "value": "2026-11-27"},
            ]}),
            json!({"kind": "cleanup", "pile": "manure", "tonnes": 3.5, "piles": 2, "date": "2026-11-27"}),
            json!({"kind": "visit", "household": "王五", "date": "2026-11-27", "note": "已加固"}),
            json!({"kind": "new-household", "head": "王五"}),
        ]
    );
}

#[test]
fn a_works_item_moves_on_as_one_change_or_not_at_all() {
    let mut s = store();
    let works = |id, quantity: &str, status| WorksInput {
        id,
        unit: "150622100201".into(),
        kind: WorksKind::Road,
        quantity: quantity.into(),
        people: String::new(),
        status,
        date: Some(day("2026-11-20")),
        name: "村东主街".into(),
        location: " ".into(),
        note: String::new(),
        lat: "40.21".into(),
        lon: String::new(),
        confirmed: false,
        correction: false,
    };
    let mut off_the_map = works(None, "2", WorksStatus::Started);
    off_the_map.lat = "４００".into();
    let bad = save_works(&mut s, off_the_map).unwrap_err();
    assert_eq!(bad.field.as_deref(), Some("lat"));
    assert!(s.works(None).unwrap().is_empty(), "nothing stored");
    let id = save_works(&mut s, works(None, "2", WorksStatus::Started)).unwrap();
    let saved = s.works(None).unwrap();
    assert_eq!(saved[0].name.as_deref(), Some("村东主街"));
    assert_eq!((saved[0].lat, saved[0].lon), (Some(40.21), None));
    assert_eq!(
        (saved[0].location.as_deref(), saved[0].note.as_deref()),
        (None, None),
        "blank is none"
    );
    let before = s.pending_count().unwrap();
    for typed in ["-1", "2.5公里", "", "1200"] {
        let bad = save_works(&mut s, works(Some(id), typed, WorksStatus::Completed)).unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("quantity"), "{typed:?}");
    }
    let w = s.works(Some("150622100")).unwrap();
    assert_eq!(
        (w.len(), w[0].status, s.pending_count().unwrap()),
        (1, WorksStatus::Started, before),
        "a bad quantity leaves the status as it was"
    );
    save_works(&mut s, works(Some(id), "2.5", WorksStatus::Completed)).unwrap();
    let w = &s.works(None).unwrap()[0];
    assert_eq!((w.status, w.quantity), (WorksStatus::Completed, 2.5));
    assert_eq!(s.pending_count().unwrap(), before + 1, "one change");
    save_works(&mut s, works(Some(id), "2.5", WorksStatus::Completed)).unwrap();
    assert_eq!(
        s.pending_count().unwrap(),
        before + 1,
        "saving again writes nothing"
    );
    // Back to started: refused, unless it is a leader's correction.
    let back = save_works(&mut s, works(Some(id), "2.5", WorksStatus::Started)).unwrap_err();
    assert_eq!(back.code, "status_backwards");
    let corrected = WorksInput {
        correction: true,
        ..works(Some(id), "2.5", WorksStatus::Started)
    };
    save_works(&mut s, corrected).unwrap();
    assert_eq!(s.works(None).unwrap()[0].status, WorksStatus::Started);
}

#[test]
fn a_conflict_names_its_household_and_keeps_the_values_as_stored() {
    let mut s = store();
    let id = save_household(&mut s, input("赵六")).unwrap();
    let mine = s
        .edit_household(
            id,
            &tally_store::HouseholdChanges {
                rating: Some(Some(Rating::C)),
                ..Default::default()
            },
        )
        .unwrap();
    // A concurrent edit from another device that saw the same version.
    let base = s.history(Table::Household, id).unwrap()[0].change.clone();
    let theirs = Change {
        id: ChangeId(uuid::Uuid::from_u128(7)),
        fields: [(
            "rating".to_string(),
            FieldEdit {
                base: Some(base.version()),
                ..FieldEdit::new(json!("B"))
            },
        )]
        .into(),
        device: DeviceId(uuid::Uuid::from_u128(9)),
        author: "other".into(),
        hlc: mine.change().unwrap().hlc,
        ..base
    };
    s.apply_remote(&[(1, theirs)], "1").unwrap();
    let names = Names::new(&s);
    let views: Vec<_> = s
        .conflicts()
        .unwrap()
        .into_iter()
        .map(|c| conflict_view(c, &names))
        .collect();
    assert_eq!(views.len(), 1);
    let v = &views[0];
    assert_eq!(
        (
            v.household.as_deref(),
            v.unit_name.as_str(),
            v.conflict.field.as_str()
        ),
        (Some("赵六"), "阿斯尔嘎查", "rating")
    );
    assert!(
        [
            v.conflict.winner_value.clone(),
            v.conflict.loser.value.clone()
        ]
        .iter()
        .all(|x| *x == json!("B") || *x == json!("C")),
        "values as stored (codes), worded by the UI"
    );
}

#[test]
fn an_entry_whose_record_was_withdrawn_says_so() {
    let mut s = store();
    let load = s
        .add_cleanup("150622100201", PileKind::Manure, 150.0, Some(1), None)
        .unwrap();
    let road = s
        .add_works(
            "150622100201",
            WorksKind::Road,
            5.0,
            None,
            WorksStatus::Started,
            None,
        )
        .unwrap();
    let entry = s
        .add_progress(
            road,
            &tally_store::NewProgress {
                quantity: 1.2,
                ..Default::default()
            },
        )
        .unwrap();
    let views = |s: &Store| {
        let names = Names::new(s);
        s.outbox(Some(OutboxState::Pending), 20)
            .unwrap()
            .into_iter()
            .filter(|e| e.change.table != Table::OrgUnit)
            .map(|e| {
                let v = entry_view(e, &names);
                let gone = withdrawn(s, &v).unwrap();
                (v.row, v.summary.clone(), gone)
            })
            .collect::<Vec<_>>()
    };
    assert!(views(&s).iter().all(|(_, _, gone)| !gone));
    s.withdraw_record(load.0, "录错了").unwrap();
    s.withdraw_record(entry, "录重了").unwrap();
    for (row, summary, gone) in views(&s) {
        // The load and what says it, the progress entry and its withdrawal; not the road.
        let want = row == load || matches!(summary, EntrySummary::Progress { .. });
        assert_eq!(gone, want, "{summary:?}");
    }
}

/// An entry corrected from the desktop: only the fields given change, a progress entry
/// by its own id, an unusual value only once confirmed, bad text named beside its field,
/// nothing written on an error.
#[test]
fn an_entry_is_corrected_in_place() {
    let mut s = store();
    let village = "150622100201";
    let load = s
        .add_cleanup(
            village,
            PileKind::Manure,
            12.0,
            Some(2),
            Some(day("2026-11-27")),
        )
        .unwrap();
    let correct = |s: &mut Store, id: String, fields: &[(&str, &str)], confirmed| {
        correct_record(
            s,
            &CorrectInput {
                id,
                fields: fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                confirmed,
            },
        )
    };
    correct(
        &mut s,
        load.to_string(),
        &[("tonnes", "1.5"), ("kind", "hay")],
        false,
    )
    .unwrap();
    let row = s.row(Table::Cleanup, load).unwrap().unwrap();
    assert_eq!(
        (row.value("tonnes"), row.str("kind"), row.value("piles")),
        (Some(&json!(1.5)), Some("hay"), Some(&json!(2)))
    );
    let before = s.pending_count().unwrap();
    let unusual = correct(&mut s, load.to_string(), &[("tonnes", "350")], false).unwrap_err();
    assert_eq!(unusual.code, "unusual_value");
    let bad = correct(&mut s, load.to_string(), &[("date", "昨天")], false).unwrap_err();
    assert_eq!(
        (bad.code.as_str(), bad.field.as_deref()),
        ("invalid_value", Some("date"))
    );
    let unknown = correct(&mut s, load.to_string(), &[("colour", "red")], false).unwrap_err();
    assert_eq!(unknown.code, "unknown_field");
    assert_eq!(s.pending_count().unwrap(), before, "nothing written");
    correct(&mut s, load.to_string(), &[("tonnes", "350")], true).unwrap();

    let road = save_works(
        &mut s,
        WorksInput {
            id: None,
            unit: village.into(),
            kind: WorksKind::Road,
            quantity: "5".into(),
            people: String::new(),
            status: WorksStatus::Started,
            date: Some(day("2026-11-20")),
            name: String::new(),
            location: String::new(),
            note: String::new(),
            lat: String::new(),
            lon: String::new(),
            confirmed: false,
            correction: false,
        },
    )
    .unwrap();
    let entry = s
        .add_progress(
            road,
            &tally_store::NewProgress {
                quantity: 1.2,
                date: Some(day("2026-11-25")),
                note: None,
            },
        )
        .unwrap();
    correct(
        &mut s,
        entry.to_string(),
        &[("quantity", "2.2"), ("note", "东段")],
        false,
    )
    .unwrap();
    let works = s.works(Some(village)).unwrap();
    let p = &works[0].progress[0];
    assert_eq!((p.quantity, p.note.as_deref()), (2.2, Some("东段")));
    let beyond = correct(&mut s, entry.to_string(), &[("quantity", "9")], false).unwrap_err();
    assert_eq!(beyond.code, "beyond_planned");
}
