//! Reports: what each table holds for a unit's scope, and that both layouts are written.

use chrono::NaiveDate;
use tally_core::*;
use tally_export::*;
use tally_store::*;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A township with two villages, records in both, on 2026-11-27.
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
        (
            "150622100202",
            "巴音嘎查",
            Level::Village,
            Some("150622100"),
        ),
    ] {
        s.add_unit(&OrgUnit::new(code, name, level, parent))
            .unwrap();
    }
    let h = s
        .add_household(&NewHousehold {
            village: "150622100201".into(),
            head: "张三".into(),
            members: Some(4),
            categories: vec![Category::FiveGuarantee, Category::DisabledPoor],
            rating: Some(Rating::D),
            ..Default::default()
        })
        .unwrap();
    s.set_renovation(
        h,
        RenovationStatus::Completed,
        Some(day("2026-11-20")),
        false,
    )
    .unwrap();
    s.add_visit(h, Some(day("2026-11-25")), "墙体裂缝已加固")
        .unwrap();
    s.add_cleanup("150622100201", PileKind::Manure, 3.5, Some(2), None)
        .unwrap();
    s.add_cleanup("150622100202", PileKind::Hay, 1.25, None, None)
        .unwrap();
    s.add_demolition("150622100201", Some(h), Some(80.0), None)
        .unwrap();
    s.set_target("150622100", Metric::Renovation, 10.0, day("2026-12-31"))
        .unwrap();
    s
}

fn sheet<'a>(r: &'a Report, name: &str) -> &'a Sheet {
    r.sheets.iter().find(|s| s.name == name).unwrap()
}

#[test]
fn a_report_has_the_ledger_of_the_unit_and_its_villages_and_one_sheet_per_kind() {
    let s = store();
    let r = report(&s, "150622100", None).unwrap();
    let names: Vec<_> = r.sheets.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "台账",
            "分类统计",
            "农户",
            "走访",
            "拆除",
            "清理",
            "工程",
            "指标"
        ]
    );
    assert!(r.title.starts_with("锡尼镇"), "{}", r.title);
    let ledger = sheet(&r, "台账");
    let renovation = ledger
        .rows
        .iter()
        .find(|row| row[0] == Cell::from("锡尼镇") && row[1] == Cell::from("危房改造(户)"))
        .expect("the township's renovation line");
    assert_eq!(renovation[2], Cell::Number(10.0), "target");
    assert_eq!(renovation[4], Cell::Number(1.0), "completed");
    assert_eq!(renovation[5], Cell::Number(0.0), "accepted");
    assert_eq!(renovation[6], Cell::Number(10.0), "percent");
    assert!(
        ledger
            .rows
            .iter()
            .any(|row| row[0] == Cell::from("巴音嘎查")),
        "each village has its own lines"
    );
    let households = sheet(&r, "农户");
    assert_eq!(households.rows.len(), 1);
    assert_eq!(households.rows[0][4], Cell::from("五保户、残疾人贫困户"));
    assert_eq!(households.rows[0][7], Cell::from("已竣工"));
    // Words as the screens use them: 否 (not blank), D级 (not D).
    assert_eq!(households.rows[0][5], Cell::from("否"));
    assert_eq!(households.rows[0][6], Cell::from("D级"));
    assert_eq!(sheet(&r, "走访").rows[0][1], Cell::from("张三"));
    assert_eq!(sheet(&r, "拆除").rows[0][1], Cell::from("张三"));
    assert_eq!(sheet(&r, "清理").rows.len(), 2);
}

#[test]
fn a_village_report_holds_only_its_own_records() {
    let s = store();
    let r = report(&s, "150622100202", None).unwrap();
    assert_eq!(sheet(&r, "清理").rows.len(), 1);
    assert_eq!(sheet(&r, "清理").rows[0][1], Cell::from("草堆"));
    assert!(sheet(&r, "农户").rows.is_empty());
    assert!(matches!(
        report(&s, "999", None),
        Err(ExportError::Store(StoreError::NotFound { .. }))
    ));
}

#[test]
fn both_layouts_are_written() {
    let s = store();
    let r = report(&s, "150622100", Some(day("2026-11-27"))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stem = file_stem(&r, "锡尼镇");
    assert_eq!(stem, "台账_锡尼镇_150622100_2026-11-27");
    let xlsx = dir.path().join(format!("{stem}.xlsx"));
    write_xlsx(&r, &xlsx).unwrap();
    let bytes = std::fs::read(&xlsx).unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip file");
    let files = write_csv(&r, dir.path(), &stem).unwrap();
    assert_eq!(files.len(), 8);
    let groups = std::fs::read_to_string(dir.path().join(format!("{stem}_分类统计.csv"))).unwrap();
    assert!(
        groups.starts_with("\u{feff}单位,分类,户数,已改造,待改造\n"),
        "{groups}"
    );
    assert!(groups.contains("锡尼镇,五保户,"), "{groups}");
    let cleanup = std::fs::read_to_string(dir.path().join(format!("{stem}_清理.csv"))).unwrap();
    assert!(
        cleanup.starts_with("\u{feff}所属村,堆类,吨数,堆数,清理日期\n"),
        "{cleanup}"
    );
    assert!(
        cleanup.contains("阿斯尔嘎查,粪堆,3.5,2,2026-11-27"),
        "{cleanup}"
    );
}

#[test]
fn metric_labels_name_the_pile_kind() {
    let firewood = RowKey {
        metric: Metric::CleanupTonnes,
        pile: Some(PileKind::Firewood),
    };
    assert_eq!(firewood.label(Lang::Zh), "清理(吨)·柴堆");
    assert_eq!(firewood.label(Lang::En), "Cleanup (t)·Firewood");
    assert_eq!(
        RowKey::metric(Metric::Renovation).label(Lang::Zh),
        "危房改造(户)"
    );
    // An unknown metric is refused where it is read, not shown as a raw code.
    assert!(serde_json::from_str::<RowKey>(r#"{"metric":"something-new","pile":null}"#).is_err());
}
