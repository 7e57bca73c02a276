//! Tests of the facts and the roll-up, as tables through one `check` helper.

use super::*;
use crate::ids::RowId;

fn d(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, month, day).unwrap()
}

fn id(n: u128) -> RowId {
    RowId(uuid::Uuid::from_u128(n))
}

fn unit(code: &str, level: Level, parent: Option<&str>) -> OrgUnit {
    OrgUnit::new(code, code, level, parent)
}

type Dates = [Option<NaiveDate>; 3];

fn house(n: u128, unit: &str, status: Option<RenovationStatus>, [s, c, a]: Dates) -> Household {
    Household {
        id: id(n),
        unit: unit.into(),
        head: format!("户{n}"),
        members: 3,
        phone: None,
        id_number: None,
        categories: vec![],
        seepage: false,
        rating: Some(Rating::D),
        renovation: status,
        planned_on: None,
        started_on: s,
        completed_on: c,
        accepted_on: a,
        cadre: None,
        pension: None,
        medical: None,
        deleted: false,
    }
}

fn load(n: u128, unit: &str, kind: PileKind, tonnes: f64, date: NaiveDate) -> Cleanup {
    Cleanup {
        id: id(n),
        unit: unit.into(),
        kind,
        tonnes,
        piles: 1,
        date,
        deleted: false,
    }
}

fn demolition(n: u128, unit: &str, date: NaiveDate) -> Demolition {
    Demolition {
        id: id(n),
        unit: unit.into(),
        household: None,
        area_m2: None,
        date,
        deleted: false,
    }
}

fn works(
    n: u128,
    unit: &str,
    kind: WorksKind,
    quantity: f64,
    status: WorksStatus,
    [s, c, a]: Dates,
) -> Works {
    Works {
        id: id(n),
        unit: unit.into(),
        kind,
        name: None,
        location: None,
        note: None,
        quantity,
        people: (kind == WorksKind::Water).then_some(300),
        status,
        started_on: s,
        completed_on: c,
        accepted_on: (status == WorksStatus::Accepted).then_some(a).flatten(),
        lat: None,
        lon: None,
        progress: vec![],
        deleted: false,
    }
}

fn target(n: u128, unit: &str, metric: Metric, quantity: f64, deadline: NaiveDate) -> Target {
    Target {
        id: id(n),
        unit: unit.into(),
        metric,
        pile: None,
        quantity,
        deadline,
        from: None,
        milestones: vec![],
        deleted: false,
    }
}

/// Banner 15 › townships 1501, 1502 › villages 150101 (with hamlet 15010101), 150102.
fn records() -> Records {
    use RenovationStatus::*;
    let none = None;
    Records {
        units: vec![
            unit("15", Level::Banner, None),
            unit("1501", Level::Township, Some("15")),
            unit("1502", Level::Township, Some("15")),
            unit("150101", Level::Village, Some("1501")),
            unit("150102", Level::Village, Some("1501")),
            unit("15010101", Level::Hamlet, Some("150101")),
        ],
        households: vec![
            house(
                1,
                "150101",
                Some(Completed),
                [Some(d(5, 1)), Some(d(6, 5)), none],
            ),
            house(
                2,
                "15010101",
                Some(Accepted),
                [Some(d(4, 1)), Some(d(5, 20)), Some(d(6, 8))],
            ),
            house(3, "150102", Some(Started), [Some(d(6, 9)), none, none]),
            house(
                4,
                "150102",
                Some(Completed),
                [Some(d(6, 1)), Some(d(6, 11)), none],
            ),
            house(5, "150101", Some(Planned), [none; 3]),
            Household {
                deleted: true,
                ..house(
                    6,
                    "150101",
                    Some(Completed),
                    [Some(d(5, 1)), Some(d(6, 5)), none],
                )
            },
            house(7, "150101", None, [none; 3]),
            house(8, "150102", Some(Started), [none; 3]),
            house(9, "150101", Some(Started), [Some(d(6, 12)), none, none]),
        ],
        cleanups: vec![
            load(11, "150101", PileKind::Manure, 10.5, d(6, 6)),
            load(12, "15010101", PileKind::Hay, 4.5, d(5, 30)),
            load(13, "150102", PileKind::Manure, 2.0, d(6, 10)),
            load(14, "150101", PileKind::Garbage, 7.0, d(6, 11)),
            Cleanup {
                deleted: true,
                ..load(15, "150101", PileKind::Manure, 100.0, d(6, 6))
            },
        ],
        demolitions: vec![
            demolition(21, "150101", d(6, 4)),
            demolition(22, "150102", d(6, 3)),
            Demolition {
                deleted: true,
                ..demolition(23, "150102", d(6, 5))
            },
        ],
        works: vec![
            works(
                31,
                "150101",
                WorksKind::Road,
                1.5,
                WorksStatus::Completed,
                [Some(d(5, 1)), Some(d(6, 7)), none],
            ),
            works(
                32,
                "150102",
                WorksKind::Road,
                2.0,
                WorksStatus::Started,
                [Some(d(6, 1)), none, none],
            ),
            works(
                33,
                "150102",
                WorksKind::Water,
                1.0,
                WorksStatus::Completed,
                [none, Some(d(5, 15)), none],
            ),
            works(
                34,
                "150101",
                WorksKind::Clinic,
                1.0,
                WorksStatus::Completed,
                [none, Some(d(5, 15)), none],
            ),
            works(
                35,
                "150101",
                WorksKind::Road,
                3.0,
                WorksStatus::Planned,
                [none; 3],
            ),
        ],
        targets: vec![
            target(41, "1501", Metric::Renovation, 10.0, d(6, 30)),
            target(42, "150101", Metric::Renovation, 4.0, d(6, 20)),
            target(43, "150102", Metric::Renovation, 3.0, d(6, 15)),
            target(44, "150101", Metric::CleanupTonnes, 30.0, d(6, 20)),
            target(45, "150102", Metric::CleanupTonnes, 10.0, d(6, 30)),
            target(46, "1502", Metric::RoadKm, 5.0, d(12, 31)),
            Target {
                deleted: true,
                ..target(47, "150101", Metric::RoadKm, 4.0, d(6, 30))
            },
            target(48, "15", Metric::Demolition, 10.0, d(6, 10)),
        ],
    }
}

/// Expected values of one row: target, started, completed, percent, remaining,
/// required per day, last 7 days per day.
type Want = (
    Option<f64>,
    f64,
    f64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    f64,
);

fn metric(metric: Metric) -> RowKey {
    RowKey::metric(metric)
}

fn pile(pile: PileKind) -> RowKey {
    RowKey {
        metric: Metric::CleanupTonnes,
        pile: Some(pile),
    }
}

fn check(root: &str, as_of: NaiveDate, key: RowKey, want: Want) {
    let r = records();
    let l = ledger(&r.units, &r.targets, &facts(&r), root, as_of).expect("known unit");
    assert_eq!((l.unit.as_str(), l.as_of), (root, as_of));
    assert_eq!(l.rows.len(), Metric::ALL.len() + PileKind::ALL.len());
    let row = l.rows.iter().find(|x| x.key == key).expect("a row per key");
    let got = (
        row.target,
        row.started,
        row.completed,
        row.percent,
        row.remaining,
        row.required_per_day,
        row.last_7_days_per_day,
    );
    assert_eq!(got, want, "{root} {key:?} as of {as_of}");
}

#[test]
fn ledger_rows() {
    let day = d(6, 10);
    // (unit, as of, row, (target, started, completed, percent, remaining, per day needed,
    // per day in the last 7 days))
    #[rustfmt::skip]
    let cases: Vec<(&str, NaiveDate, RowKey, Want)> = vec![
        // Own target: 2 of 4 done (one this week), 2 left over 10 days.
        ("150101", day, metric(Metric::Renovation), (Some(4.0), 2.0, 2.0, Some(50.0), Some(2.0), Some(0.2), 0.143)),
        // Completed on 06-11 is after as_of; an undated start always counts.
        ("150102", day, metric(Metric::Renovation), (Some(3.0), 3.0, 0.0, Some(0.0), Some(3.0), Some(0.6), 0.0)),
        ("150102", d(6, 12), metric(Metric::Renovation), (Some(3.0), 3.0, 1.0, Some(33.33), Some(2.0), Some(0.667), 0.143)),
        // The township's own target overrides its villages'.
        ("1501", day, metric(Metric::Renovation), (Some(10.0), 5.0, 2.0, Some(20.0), Some(8.0), Some(0.4), 0.143)),
        // The banner has no target: its townships' are rolled up.
        ("15", day, metric(Metric::Renovation), (Some(10.0), 5.0, 2.0, Some(20.0), Some(8.0), Some(0.4), 0.143)),
        ("15010101", day, metric(Metric::Renovation), (None, 1.0, 1.0, None, None, None, 0.0)),
        ("150101", day, metric(Metric::CleanupTonnes), (Some(30.0), 15.0, 15.0, Some(50.0), Some(15.0), Some(1.5), 1.5)),
        // Two villages' targets rolled up: 15/10 days + 8/20 days.
        ("1501", day, metric(Metric::CleanupTonnes), (Some(40.0), 17.0, 17.0, Some(42.5), Some(23.0), Some(1.9), 1.786)),
        ("1501", d(6, 11), metric(Metric::CleanupTonnes), (Some(40.0), 24.0, 24.0, Some(60.0), Some(16.0), Some(1.31), 2.786)),
        ("1501", day, pile(PileKind::Manure), (None, 12.5, 12.5, None, None, None, 1.786)),
        ("1501", day, pile(PileKind::Hay), (None, 4.5, 4.5, None, None, None, 0.0)),
        ("1501", day, pile(PileKind::Garbage), (None, 0.0, 0.0, None, None, None, 0.0)),
        ("1501", d(6, 11), pile(PileKind::Garbage), (None, 7.0, 7.0, None, None, None, 1.0)),
        // The deadline is today: everything left is needed today. 06-03 is outside the week.
        ("15", day, metric(Metric::Demolition), (Some(10.0), 2.0, 2.0, Some(20.0), Some(8.0), Some(8.0), 0.143)),
        // A deleted target counts for nothing; a planned road neither.
        ("1501", day, metric(Metric::RoadKm), (None, 3.5, 1.5, None, None, None, 0.214)),
        ("1502", day, metric(Metric::RoadKm), (Some(5.0), 0.0, 0.0, Some(0.0), Some(5.0), Some(0.025), 0.0)),
        ("15", day, metric(Metric::RoadKm), (Some(5.0), 3.5, 1.5, Some(30.0), Some(3.5), Some(0.025), 0.214)),
        ("15", day, metric(Metric::WaterSites), (None, 1.0, 1.0, None, None, None, 0.0)),
        ("15", day, metric(Metric::WaterPeople), (None, 300.0, 300.0, None, None, None, 0.0)),
        ("15", d(5, 10), metric(Metric::WaterPeople), (None, 0.0, 0.0, None, None, None, 0.0)),
    ];
    for (root, as_of, key, want) in cases {
        check(root, as_of, key, want);
    }
}

#[test]
fn deadlines_and_pace() {
    let r = records();
    let l = ledger(&r.units, &r.targets, &facts(&r), "150101", d(6, 10)).unwrap();
    let reno = &l.rows[0];
    assert_eq!(
        (reno.key, reno.deadline),
        (metric(Metric::Renovation), Some(d(6, 20)))
    );
    assert!(
        reno.behind_pace(),
        "0.143 a day is less than the 0.2 needed"
    );
    let banner = ledger(&r.units, &r.targets, &facts(&r), "15", d(6, 10)).unwrap();
    assert_eq!(
        banner.rows[0].deadline, None,
        "a rolled-up target has no one deadline"
    );
}

#[test]
fn deleted_records_make_no_facts() {
    let mut r = records();
    let before = facts(&r).len();
    for h in &mut r.households {
        h.deleted = true;
    }
    r.cleanups.iter_mut().for_each(|c| c.deleted = true);
    r.demolitions.iter_mut().for_each(|x| x.deleted = true);
    r.works.iter_mut().for_each(|w| w.deleted = true);
    assert!(before > 0);
    assert_eq!(facts(&r), vec![]);
}

#[test]
fn an_unknown_unit_has_no_ledger() {
    let r = records();
    assert_eq!(
        ledger(&r.units, &r.targets, &facts(&r), "99", d(6, 10)),
        None
    );
}

#[test]
fn milestones_read_in_each_language() {
    let day = |s: &str| s.parse::<NaiveDate>().unwrap();
    let missed = MilestoneStatus {
        date: day("2016-06-30"),
        quantity: 5.0,
        completed: 1.0,
        state: MilestoneState::Missed,
        required_per_day: None,
    };
    let ahead = MilestoneStatus {
        date: day("2016-12-31"),
        quantity: 20.0,
        completed: 1.5,
        state: MilestoneState::AtRisk,
        required_per_day: Some(0.109),
    };
    assert_eq!(missed.describe(Lang::Zh), "2016-06-30 完成 1/5（未达成）");
    assert_eq!(
        ahead.describe(Lang::Zh),
        "2016-12-31 完成 1.5/20（有风险，每日需完成 0.109）"
    );
    assert_eq!(
        ahead.describe(Lang::En),
        "2016-12-31 1.5 of 20 done (at risk, 0.109 needed a day)"
    );
    assert_eq!(period_start(day("2016-01-01"), Lang::Zh), "2016-01-01 起");
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    assert!(!cjk(&missed.describe(Lang::En)) && !cjk(&period_start(day("2016-01-01"), Lang::En)));
}
