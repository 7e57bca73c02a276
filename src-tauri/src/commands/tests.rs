//! The command bodies over an in-memory store: households saved and edited, the
//! timeline of a household, and the one-line summaries of entries.

use super::records::{household_detail, save_household};
use crate::describe::{entry_view, Names};
use crate::dto::{HouseholdInput, TimelineKind};
use chrono::NaiveDate;
use tally_core::*;
use tally_store::{FakeTime, OutboxState, Store};

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
        s.add_unit(&OrgUnit {
            code: code.into(),
            name: name.into(),
            level,
            parent: parent.map(Into::into),
        })
        .unwrap();
    }
    s
}

fn input(head: &str) -> HouseholdInput {
    HouseholdInput {
        id: None,
        unit: "150622100201".into(),
        head: head.into(),
        members: Some(4),
        phone: Some("  ".into()),
        categories: vec![Category::FiveGuarantee],
        seepage: false,
        rating: Some(Rating::D),
        cadre: None,
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
    let d = household_detail(&s, id).unwrap();
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
    assert_eq!(d.timeline[1].title, "危房改造：已开工");
    assert_eq!(d.summary.last_visit, Some(day("2026-11-20")));
    assert_eq!(d.summary.unit_name.as_deref(), Some("阿斯尔嘎查"));
}

#[test]
fn entries_read_as_one_chinese_line_each() {
    let mut s = store();
    let id = save_household(&mut s, input("王五")).unwrap();
    s.add_visit(id, None, "已加固").unwrap();
    s.add_cleanup("150622100201", PileKind::Manure, 3.5, Some(2), None)
        .unwrap();
    s.set_renovation(id, RenovationStatus::Started, None, false)
        .unwrap();
    let names = Names::new(&s);
    let lines: Vec<String> = s
        .outbox(Some(OutboxState::Pending), 10)
        .unwrap()
        .into_iter()
        .filter(|e| e.change.table != Table::OrgUnit)
        .map(|e| entry_view(e, &names).summary)
        .collect();
    assert_eq!(
        lines,
        [
            "农户 王五：改造状态→已开工，开工日期→2026-11-27",
            "清理 粪堆 3.5 吨，2 堆（2026-11-27）",
            "走访 王五（2026-11-27）：已加固",
            "新增农户 王五",
        ]
    );
}
