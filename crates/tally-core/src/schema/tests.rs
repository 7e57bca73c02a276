//! Tests of field specs and `validate_change`, as tables through one `check` helper.

use super::*;
use crate::change::{FieldEdit, FieldState, Version};
use crate::hlc::Hlc;
use crate::ids::{ChangeId, DeviceId, RowId};
use serde_json::json;
use std::collections::BTreeMap;

/// Today is 2024-06-01 (the server's UTC day: events up to tomorrow); the banner 15 has the township 1501, the village 150101 and
/// its hamlet 15010101.
struct Ctx;

impl Context for Ctx {
    fn latest_event_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 6, 2).unwrap()
    }
    fn unit_level(&self, code: &str) -> Option<Level> {
        match code {
            "15" => Some(Level::Banner),
            "1501" => Some(Level::Township),
            "150101" => Some(Level::Village),
            "15010101" => Some(Level::Hamlet),
            _ => None,
        }
    }
    fn unit_parent(&self, code: &str) -> Option<String> {
        match code {
            "1501" => Some("15".into()),
            "150101" => Some("1501".into()),
            "15010101" => Some("150101".into()),
            _ => None,
        }
    }
    fn household_unit(&self, id: RowId) -> Option<String> {
        [(HOUSEHOLD, "150101"), (HAMLET_HOUSEHOLD, "15010101")]
            .iter()
            .find(|(h, _)| *h == id)
            .map(|(_, unit)| unit.to_string())
    }
}

/// The households Ctx knows: one in the village 150101, one in its hamlet.
const HOUSEHOLD: RowId = RowId(uuid::Uuid::from_u128(
    0x0190_a1b2_0000_7000_8000_0000_0000_0001,
));
const HAMLET_HOUSEHOLD: RowId = RowId(uuid::Uuid::from_u128(
    0x0190_a1b2_0000_7000_8000_0000_0000_0002,
));

const SEEN: Version = Version {
    hlc: Hlc {
        ms: 1_000,
        count: 0,
    },
    device: DeviceId(uuid::Uuid::from_u128(1)),
};

fn change(table: Table, unit: &str, fields: &[(&str, Value)]) -> Change {
    Change {
        id: ChangeId(uuid::Uuid::from_u128(99)),
        table,
        row: RowId(uuid::Uuid::from_u128(7)),
        unit: unit.to_string(),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), FieldEdit::new(v.clone())))
            .collect(),
        hlc: Hlc::new(2_000, 0),
        device: DeviceId(uuid::Uuid::from_u128(2)),
        author: "wang".into(),
        correction: false,
    }
}

fn household(fields: &[(&str, Value)]) -> Change {
    change(Table::Household, "150101", fields)
}

fn cleanup(fields: &[(&str, Value)]) -> Change {
    let mut all = vec![
        ("kind", json!("manure")),
        ("tonnes", json!(3.5)),
        ("date", json!("2024-05-30")),
    ];
    all.retain(|(k, _)| !fields.iter().any(|(f, _)| f == k));
    all.extend(fields.iter().cloned());
    change(Table::Cleanup, "150101", &all)
}

/// A new works item: a 5 km road, started, with `fields` added or replacing those.
fn works(fields: &[(&str, Value)]) -> Change {
    let mut all = vec![
        ("kind", json!("road")),
        ("quantity", json!(5)),
        ("status", json!("started")),
    ];
    all.retain(|(k, _)| !fields.iter().any(|(f, _)| f == k));
    all.extend(fields.iter().cloned());
    change(Table::Works, "150101", &all)
}

/// A new target of township 1501: 100 households renovated by the end of 2024, with
/// `fields` added or replacing those.
fn target(fields: &[(&str, Value)]) -> Change {
    let mut all = vec![
        ("metric", json!("renovation")),
        ("quantity", json!(100)),
        ("deadline", json!("2024-12-31")),
    ];
    all.retain(|(k, _)| !fields.iter().any(|(f, _)| f == k));
    all.extend(fields.iter().cloned());
    change(Table::Target, "1501", &all)
}

/// The field of progress entry `n`.
fn entry(n: u128) -> String {
    crate::schema::progress_field(uuid::Uuid::from_u128(n))
}

/// A stored 5 km road with 3.2 km done (and a withdrawn entry of 1 km).
fn road_with_progress() -> Row {
    let (first, withdrawn) = (entry(1), entry(2));
    let c = works(&[
        (&first, json!({"date": "2024-05-20", "quantity": 3.2})),
        (
            &withdrawn,
            json!({"date": "2024-05-21", "quantity": 1, "withdrawn": "录重了"}),
        ),
    ]);
    crate::merge::merge(None, &c).row
}

/// A household in 150101 whose renovation is `completed` at version `SEEN`.
fn completed_household() -> Row {
    let state = |value: Value| FieldState {
        value,
        at: SEEN,
        epoch: 0,
        author: "li".into(),
        change: ChangeId(uuid::Uuid::from_u128(98)),
        seen: Default::default(),
        losers: Vec::new(),
    };
    Row {
        table: Table::Household,
        id: RowId(uuid::Uuid::from_u128(7)),
        unit: "150101".into(),
        fields: BTreeMap::from([
            ("head".to_string(), state(json!("张三"))),
            ("renovation".to_string(), state(json!("completed"))),
        ]),
    }
}

/// The township 1501 as stored.
fn township() -> Row {
    let c = change(
        Table::OrgUnit,
        "1501",
        &[
            ("code", json!("1501")),
            ("name", json!("一镇")),
            ("level", json!("township")),
            ("parent", json!("15")),
        ],
    );
    crate::merge::merge(None, &c).row
}

/// Renovation set to `value` by an editor whose base was `base`.
fn renovation(value: &str, base: Option<Version>, correction: bool) -> Change {
    let mut c = household(&[("renovation", json!(value))]);
    let edit = c.fields.get_mut("renovation").unwrap();
    edit.base = base;
    edit.epoch = u32::from(correction);
    c.correction = correction;
    c
}

/// The error code and the words its message must hold.
type Want = (&'static str, &'static [&'static str]);

/// `want`: `None` for a valid change, or the error it must fail with.
fn check(what: &str, c: Change, existing: Option<Row>, want: Option<Want>) {
    let got = validate_change(&c, existing.as_ref(), &Ctx);
    match (got, want) {
        (Ok(()), None) => {}
        (Err(e), Some((code, words))) => {
            assert_eq!(e.code(), code, "{what}: {e}");
            let msg = e.to_string();
            for w in words {
                assert!(msg.contains(w), "{what}: {msg:?} does not mention {w:?}");
            }
            assert!(!e.zh().is_empty(), "{what}");
        }
        (got, want) => panic!("{what}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn bad_changes_are_rejected_naming_the_field_and_value() {
    let none = None;
    let cases: Vec<(&str, Change, Option<Row>, Want)> = vec![
        (
            "negative tonnes",
            cleanup(&[("tonnes", json!(-3))]),
            none.clone(),
            ("invalid_value", &["tonnes", "-3", "2000"]),
        ),
        (
            "5 000 tonnes in one entry (more than a village's day)",
            cleanup(&[("tonnes", json!(5000))]),
            none.clone(),
            ("invalid_value", &["tonnes", "5000", "2000"]),
        ),
        (
            "zero tonnes",
            cleanup(&[("tonnes", json!(0.0))]),
            none.clone(),
            ("invalid_value", &["tonnes", "0"]),
        ),
        (
            "rating E",
            household(&[("head", json!("张三")), ("rating", json!("E"))]),
            none.clone(),
            ("invalid_value", &["rating", "\"E\"", "A, B, C, D"]),
        ),
        (
            "a label instead of the code",
            household(&[("head", json!("张三")), ("rating", json!("C级"))]),
            none.clone(),
            ("invalid_value", &["rating", "C级"]),
        ),
        (
            "lower-case code",
            household(&[("head", json!("张三")), ("rating", json!("c"))]),
            none.clone(),
            ("invalid_value", &["rating", "\"c\""]),
        ),
        (
            "date 30 days ahead",
            cleanup(&[("date", json!("2024-07-01"))]),
            none.clone(),
            ("invalid_value", &["date", "2024-07-01", "2024-06-02"]),
        ),
        (
            "date before 2000",
            cleanup(&[("date", json!("1999-12-31"))]),
            none.clone(),
            ("invalid_value", &["date", "1999-12-31"]),
        ),
        (
            "not a date",
            cleanup(&[("date", json!("2024-02-30"))]),
            none.clone(),
            ("invalid_value", &["date", "2024-02-30"]),
        ),
        (
            "unknown village",
            change(Table::Household, "999999", &[("head", json!("张三"))]),
            none.clone(),
            ("unknown_unit", &["999999"]),
        ),
        (
            "household on a township",
            change(Table::Household, "1501", &[("head", json!("张三"))]),
            none.clone(),
            ("wrong_level", &["household", "1501", "township"]),
        ),
        (
            "cleanup on the banner",
            Change {
                unit: "15".into(),
                ..cleanup(&[])
            },
            none.clone(),
            ("wrong_level", &["cleanup", "\"15\"", "banner"]),
        ),
        (
            "unknown field",
            household(&[("head", json!("张三")), ("colour", json!("red"))]),
            none.clone(),
            ("unknown_field", &["colour", "household"]),
        ),
        (
            "members as text",
            household(&[("head", json!("张三")), ("members", json!("3"))]),
            none.clone(),
            ("invalid_value", &["members", "\"3\"", "whole number"]),
        ),
        (
            "tonnes as text",
            cleanup(&[("tonnes", json!("3"))]),
            none.clone(),
            ("invalid_value", &["tonnes", "\"3\"", "number"]),
        ),
        (
            "deleted as text",
            household(&[("head", json!("张三")), ("deleted", json!("yes"))]),
            none.clone(),
            ("invalid_value", &["deleted", "\"yes\""]),
        ),
        (
            "head as a number",
            household(&[("head", json!(12))]),
            none.clone(),
            ("invalid_value", &["head", "12", "text"]),
        ),
        (
            "head of blanks",
            household(&[("head", json!("  "))]),
            none.clone(),
            ("invalid_value", &["head", "\"  \"", "1 to 40"]),
        ),
        (
            "half a member",
            household(&[("head", json!("张三")), ("members", json!(1.5))]),
            none.clone(),
            ("invalid_value", &["members", "1.5"]),
        ),
        (
            "no members",
            household(&[("head", json!("张三")), ("members", json!(0))]),
            none.clone(),
            ("invalid_value", &["members", "0", "1 to 50"]),
        ),
        (
            "more pension-insured members than members",
            household(&[
                ("head", json!("张三")),
                ("members", json!(3)),
                ("pension", json!(4)),
            ]),
            none.clone(),
            ("more_than_members", &["pension", "4", "3 members"]),
        ),
        (
            "medical insurance over a stored household's members",
            household(&[("medical", json!(2))]),
            Some(completed_household()),
            ("more_than_members", &["medical", "2", "1 members"]),
        ),
        (
            "progress beyond the planned quantity",
            works(&[(&entry(3), json!({"date": "2024-05-30", "quantity": 2}))]),
            Some(road_with_progress()),
            ("beyond_planned", &["5.2", "5"]),
        ),
        (
            "a new road whose progress passes its length",
            works(&[(&entry(3), json!({"date": "2024-05-30", "quantity": 6}))]),
            none.clone(),
            ("beyond_planned", &["6", "5"]),
        ),
        (
            "a planned quantity cut below what is done",
            change(Table::Works, "150101", &[("quantity", json!(3))]),
            Some(road_with_progress()),
            ("beyond_planned", &["3.2", "3"]),
        ),
        (
            "negative progress",
            works(&[(&entry(3), json!({"date": "2024-05-30", "quantity": -1}))]),
            none.clone(),
            ("invalid_value", &["quantity", "-1"]),
        ),
        (
            "progress without a date",
            works(&[(&entry(3), json!({"quantity": 1}))]),
            none.clone(),
            ("missing_field", &["date"]),
        ),
        (
            "progress dated in the future",
            works(&[(&entry(3), json!({"date": "2030-01-01", "quantity": 1}))]),
            none.clone(),
            ("invalid_value", &["date", "2030-01-01"]),
        ),
        (
            "progress as a bare number",
            works(&[(&entry(3), json!(1.5))]),
            none.clone(),
            ("invalid_value", &["progress", "1.5"]),
        ),
        (
            "progress with a part no entry has",
            works(&[(
                &entry(3),
                json!({"date": "2024-05-30", "quantity": 1, "unit": "m"}),
            )]),
            none.clone(),
            ("unknown_field", &["progress.unit"]),
        ),
        (
            "a progress field that names no entry id",
            works(&[("progress:12", json!({"date": "2024-05-30", "quantity": 1}))]),
            none.clone(),
            ("unknown_field", &["progress:12"]),
        ),
        (
            "a progress entry id in upper case (one entry, one field name)",
            works(&[(
                &entry(0xabcdef)
                    .to_uppercase()
                    .replace("PROGRESS", "progress"),
                json!({"date": "2024-05-30", "quantity": 1}),
            )]),
            none.clone(),
            ("unknown_field", &["progress:"]),
        ),
        (
            "a latitude off the earth",
            works(&[("lat", json!(123.4))]),
            none.clone(),
            ("invalid_value", &["lat", "123.4"]),
        ),
        (
            "a longitude given as text",
            works(&[("lon", json!("东经111度"))]),
            none.clone(),
            ("invalid_value", &["lon", "东经111度"]),
        ),
        (
            "a works status no one knows",
            works(&[("status", json!("verified"))]),
            none.clone(),
            ("invalid_value", &["status", "verified", "accepted"]),
        ),
        (
            "a milestone after the deadline",
            target(&[("milestones", json!([{"date": "2025-01-31", "quantity": 5}]))]),
            none.clone(),
            (
                "invalid_value",
                &["milestones", "2025-01-31=5", "2024-12-31"],
            ),
        ),
        (
            "a milestone before the period starts",
            target(&[
                ("from", json!("2024-07-01")),
                ("milestones", json!([{"date": "2024-06-30", "quantity": 5}])),
            ]),
            none.clone(),
            ("invalid_value", &["milestones", "2024-07-01", "2024-12-31"]),
        ),
        (
            "a milestone above the target's quantity",
            target(&[(
                "milestones",
                json!([{"date": "2024-09-30", "quantity": 150}]),
            )]),
            none.clone(),
            ("invalid_value", &["milestones", "150", "100"]),
        ),
        (
            "two milestones on one day",
            target(&[(
                "milestones",
                json!([{"date": "2024-09-30", "quantity": 10}, {"date": "2024-09-30", "quantity": 20}]),
            )]),
            none.clone(),
            ("invalid_value", &["milestones", "one milestone a day"]),
        ),
        (
            "a milestone without a quantity",
            target(&[("milestones", json!([{"date": "2024-09-30"}]))]),
            none.clone(),
            ("invalid_value", &["milestones"]),
        ),
        (
            "a negative milestone",
            target(&[(
                "milestones",
                json!([{"date": "2024-09-30", "quantity": -5}]),
            )]),
            none.clone(),
            ("invalid_value", &["milestones", "-5"]),
        ),
        (
            "a period that starts after its deadline",
            target(&[("from", json!("2025-01-01"))]),
            none.clone(),
            ("invalid_value", &["from", "2025-01-01", "2024-12-31"]),
        ),
        (
            "a pile kind on a renovation target",
            target(&[("pile", json!("hay"))]),
            none.clone(),
            ("invalid_value", &["pile", "hay"]),
        ),
        (
            "a pile kind no one knows",
            target(&[
                ("metric", json!("cleanup-tonnes")),
                ("pile", json!("rubble")),
            ]),
            none.clone(),
            ("invalid_value", &["pile", "rubble"]),
        ),
        (
            "negative pension-insured members",
            household(&[("head", json!("张三")), ("pension", json!(-1))]),
            none.clone(),
            ("invalid_value", &["pension", "-1"]),
        ),
        (
            "phone with letters",
            household(&[("head", json!("张三")), ("phone", json!("138abc"))]),
            none.clone(),
            ("invalid_value", &["phone", "138abc"]),
        ),
        (
            // Digits and spaces: 7 to 15 digits once the spaces go, but 6 MB stored.
            "a phone padded with spaces",
            household(&[
                ("head", json!("张三")),
                ("phone", json!(format!("138{}00000000", " ".repeat(40)))),
            ]),
            none.clone(),
            (
                "invalid_value",
                &["phone", "0 to 32 characters", "(51 chars)"],
            ),
        ),
        (
            "a category twice",
            household(&[
                ("head", json!("张三")),
                ("categories", json!(["subsistence", "subsistence"])),
            ]),
            none.clone(),
            ("invalid_value", &["categories", "different"]),
        ),
        (
            "a long list of categories",
            household(&[
                ("head", json!("张三")),
                ("categories", json!(vec!["subsistence"; 400])),
            ]),
            none.clone(),
            ("invalid_value", &["categories", "400 items"]),
        ),
        (
            "unknown category",
            household(&[("head", json!("张三")), ("categories", json!(["rich"]))]),
            none.clone(),
            ("invalid_value", &["categories", "rich", "five-guarantee"]),
        ),
        (
            "visit of no household",
            change(
                Table::Visit,
                "150101",
                &[
                    ("household", json!("nobody")),
                    ("date", json!("2024-06-01")),
                ],
            ),
            none.clone(),
            ("invalid_value", &["household", "nobody"]),
        ),
        (
            "visit of a household nobody recorded",
            change(
                Table::Visit,
                "150101",
                &[
                    ("household", json!("0190a1b2-0000-7000-8000-0000000000ff")),
                    ("date", json!("2024-06-01")),
                ],
            ),
            none.clone(),
            (
                "unknown_reference",
                &["household", "0190a1b2-0000-7000-8000-0000000000ff"],
            ),
        ),
        (
            "visit in the village of its hamlet's household",
            change(
                Table::Visit,
                "150101",
                &[
                    ("household", json!(HAMLET_HOUSEHOLD.to_string())),
                    ("date", json!("2024-06-01")),
                ],
            ),
            none.clone(),
            ("reference_elsewhere", &["household", "15010101", "150101"]),
        ),
        (
            "demolition of another village's household",
            change(
                Table::Demolition,
                "15010101",
                &[
                    ("household", json!(HOUSEHOLD.to_string())),
                    ("date", json!("2024-06-01")),
                ],
            ),
            none.clone(),
            ("reference_elsewhere", &["household", "150101", "15010101"]),
        ),
        (
            "household without head",
            household(&[("members", json!(3))]),
            none.clone(),
            ("missing_field", &["head"]),
        ),
        (
            "cleanup without date",
            change(
                Table::Cleanup,
                "150101",
                &[("kind", json!("hay")), ("tonnes", json!(1))],
            ),
            none.clone(),
            ("missing_field", &["date"]),
        ),
        (
            "target without deadline",
            change(
                Table::Target,
                "1501",
                &[("metric", json!("renovation")), ("quantity", json!(80))],
            ),
            none.clone(),
            ("missing_field", &["deadline"]),
        ),
        (
            "deadline 11 years ahead",
            change(
                Table::Target,
                "1501",
                &[
                    ("metric", json!("renovation")),
                    ("quantity", json!(80)),
                    ("deadline", json!("2035-06-01")),
                ],
            ),
            none.clone(),
            ("invalid_value", &["deadline", "2035-06-01"]),
        ),
        (
            "village without parent",
            change(
                Table::OrgUnit,
                "150102",
                &[
                    ("code", json!("150102")),
                    ("name", json!("二村")),
                    ("level", json!("village")),
                ],
            ),
            none.clone(),
            ("missing_field", &["parent"]),
        ),
        (
            // A township turned into a hamlet under its own village: levels alone would
            // allow it, the tree would be a cycle cut off from the banner.
            "township under its own village",
            change(
                Table::OrgUnit,
                "1501",
                &[("level", json!("hamlet")), ("parent", json!("150101"))],
            ),
            Some(township()),
            ("unit_cycle", &["1501", "150101"]),
        ),
        (
            "an ID number whose check digit does not match",
            household(&[
                ("head", json!("张三")),
                ("id_number", json!("110105194912310021")),
            ]),
            none.clone(),
            (
                "invalid_value",
                &["id_number", "110105194912310021", "check digit"],
            ),
        ),
        (
            "an ID number of 16 digits",
            household(&[
                ("head", json!("张三")),
                ("id_number", json!("1101051949123100")),
            ]),
            none.clone(),
            ("invalid_value", &["id_number", "1101051949123100"]),
        ),
        (
            "an ID number with a lower-case x (stored upper-case)",
            household(&[
                ("head", json!("张三")),
                ("id_number", json!("11010519491231002x")),
            ]),
            none.clone(),
            ("invalid_value", &["id_number", "11010519491231002x"]),
        ),
        (
            "an ID number that is a number, not text",
            household(&[
                ("head", json!("张三")),
                ("id_number", json!(110_105_194_912_310_u64)),
            ]),
            none.clone(),
            ("invalid_value", &["id_number", "text"]),
        ),
        (
            "a township flagged as seepage zone (flags are for villages)",
            change(Table::OrgUnit, "1501", &[("seepage", json!(true))]),
            Some(township()),
            ("flag_not_on_village", &["1501", "township", "seepage"]),
        ),
        (
            "a new township flagged as key village",
            change(
                Table::OrgUnit,
                "1502",
                &[
                    ("code", json!("1502")),
                    ("name", json!("二镇")),
                    ("level", json!("township")),
                    ("parent", json!("15")),
                    ("key_village", json!(true)),
                ],
            ),
            none.clone(),
            ("flag_not_on_village", &["1502", "key-village"]),
        ),
        (
            "a flag that is not yes or no",
            change(Table::OrgUnit, "1501", &[("seepage", json!("是"))]),
            Some(township()),
            ("invalid_value", &["seepage", "是"]),
        ),
        (
            "unit under itself",
            change(Table::OrgUnit, "1501", &[("parent", json!("1501"))]),
            Some(township()),
            ("unit_cycle", &["1501"]),
        ),
        (
            "unit under an unknown parent",
            change(
                Table::OrgUnit,
                "150102",
                &[
                    ("code", json!("150102")),
                    ("name", json!("二村")),
                    ("level", json!("village")),
                    ("parent", json!("1599")),
                ],
            ),
            none.clone(),
            ("unknown_unit", &["1599"]),
        ),
        (
            "empty change",
            household(&[]),
            none.clone(),
            ("empty_change", &[]),
        ),
        (
            "moving a row to another village",
            change(Table::Household, "15010101", &[("head", json!("李四"))]),
            Some(completed_household()),
            ("unit_mismatch", &["150101", "15010101"]),
        ),
        (
            "renovation back from a value the editor saw",
            renovation("started", Some(SEEN), false),
            Some(completed_household()),
            ("status_backwards", &["renovation", "completed", "started"]),
        ),
        (
            "renovation cleared from a value the editor saw",
            change(Table::Household, "150101", &[("renovation", Value::Null)])
                .with_base("renovation", SEEN),
            Some(completed_household()),
            ("status_backwards", &["renovation", "completed"]),
        ),
        (
            "a correction back that keeps the epoch would lose unseen",
            renovation("started", Some(SEEN), true).with_epoch("renovation", 0),
            Some(completed_household()),
            ("invalid_value", &["renovation", "epoch 0", "epoch 1"]),
        ),
        (
            "a raised epoch without a correction",
            renovation("accepted", Some(SEEN), false).with_epoch("renovation", 1),
            Some(completed_household()),
            ("invalid_value", &["renovation", "epoch 1", "epoch 0"]),
        ),
        (
            "an epoch raised by two",
            renovation("started", Some(SEEN), true).with_epoch("renovation", 2),
            Some(completed_household()),
            ("invalid_value", &["renovation", "epoch 2"]),
        ),
        (
            "a raised epoch on a plain field",
            Change {
                correction: true,
                ..household(&[("head", json!("张三"))]).with_epoch("head", 1)
            },
            None,
            ("invalid_value", &["head", "epoch 1"]),
        ),
    ];
    for (what, c, existing, want) in cases {
        check(what, c, existing, Some(want));
    }
}

trait EditExt {
    fn with_base(self, field: &str, base: Version) -> Self;
    fn with_epoch(self, field: &str, epoch: u32) -> Self;
}

impl EditExt for Change {
    fn with_base(mut self, field: &str, base: Version) -> Self {
        self.fields.get_mut(field).unwrap().base = Some(base);
        self
    }
    fn with_epoch(mut self, field: &str, epoch: u32) -> Self {
        self.fields.get_mut(field).unwrap().epoch = epoch;
        self
    }
}

#[test]
fn good_changes_pass() {
    let cases: Vec<(&str, Change, Option<Row>)> = vec![
        (
            "household with a head only",
            household(&[("head", json!("张三"))]),
            None,
        ),
        (
            "household with every field",
            household(&[
                ("head", json!("张三")),
                ("members", json!(4)),
                ("phone", json!("+86 138-0000-0000")),
                ("categories", json!(["five-guarantee", "低保户"])),
                ("seepage", json!(true)),
                ("rating", json!("D")),
                ("renovation", json!("started")),
                ("started_on", json!("2024-06-02")),
                ("cadre", json!("")),
                ("deleted", json!(false)),
                ("id_number", json!("11010519491231002X")),
            ]),
            None,
        ),
        (
            "an old 15-digit ID number",
            household(&[
                ("head", json!("张三")),
                ("id_number", json!("110105491231002")),
            ]),
            None,
        ),
        (
            "a village flagged as seepage zone and key village",
            change(
                Table::OrgUnit,
                "150101",
                &[
                    ("code", json!("150101")),
                    ("name", json!("一村")),
                    ("level", json!("village")),
                    ("parent", json!("1501")),
                    ("seepage", json!(true)),
                    ("key_village", json!(true)),
                ],
            ),
            None,
        ),
        (
            "a road with its place on the map and a first progress entry",
            works(&[
                ("lat", json!(40.21)),
                ("lon", json!(111.03)),
                (
                    &entry(1),
                    json!({"date": "2024-05-30", "quantity": 1.5, "note": "东段"}),
                ),
            ]),
            None,
        ),
        (
            "progress that reaches the planned quantity exactly (in tenths)",
            change(
                Table::Works,
                "150101",
                &[(&entry(3), json!({"date": "2024-05-30", "quantity": 1.8}))],
            ),
            Some(road_with_progress()),
        ),
        (
            "withdrawing an entry with its reason",
            change(
                Table::Works,
                "150101",
                &[(
                    &entry(1),
                    json!({"date": "2024-05-20", "quantity": 3.2, "withdrawn": "录错村了"}),
                )],
            ),
            Some(road_with_progress()),
        ),
        (
            "a works item accepted",
            works(&[
                ("status", json!("accepted")),
                ("accepted_on", json!("2024-06-01")),
            ]),
            None,
        ),
        (
            "household in a hamlet",
            change(Table::Household, "15010101", &[("head", json!("张三"))]),
            None,
        ),
        (
            "visit of a household of its village",
            change(
                Table::Visit,
                "150101",
                &[
                    ("household", json!(HOUSEHOLD.to_string())),
                    ("date", json!("2024-06-01")),
                ],
            ),
            None,
        ),
        (
            "demolition with no household named",
            change(
                Table::Demolition,
                "15010101",
                &[("household", Value::Null), ("date", json!("2024-06-01"))],
            ),
            None,
        ),
        (
            "nulls for optional fields",
            household(&[
                ("head", json!("张三")),
                ("phone", Value::Null),
                ("rating", Value::Null),
            ]),
            None,
        ),
        (
            "cleanup of a village's day, 1 800 tonnes",
            cleanup(&[("tonnes", json!(1800))]),
            None,
        ),
        (
            "cleanup of 0.1 tonnes dated tomorrow",
            cleanup(&[("tonnes", json!(0.1)), ("date", json!("2024-06-02"))]),
            None,
        ),
        (
            "target on a township",
            change(
                Table::Target,
                "1501",
                &[
                    ("metric", json!("road-km")),
                    ("quantity", json!(249.6)),
                    ("deadline", json!("2024-10-31")),
                ],
            ),
            None,
        ),
        (
            "village under the township",
            change(
                Table::OrgUnit,
                "150102",
                &[
                    ("code", json!("150102")),
                    ("name", json!("二村")),
                    ("level", json!("village")),
                    ("parent", json!("1501")),
                ],
            ),
            None,
        ),
        (
            "banner without parent",
            change(
                Table::OrgUnit,
                "16",
                &[
                    ("code", json!("16")),
                    ("name", json!("旗")),
                    ("level", json!("banner")),
                ],
            ),
            None,
        ),
        (
            "tombstone that arrives before its row",
            household(&[("deleted", json!(true))]),
            None,
        ),
        (
            "update without required fields",
            household(&[("members", json!(5))]),
            Some(completed_household()),
        ),
        (
            "renovation forward",
            renovation("accepted", Some(SEEN), false),
            Some(completed_household()),
        ),
        (
            "renovation back with a correction",
            renovation("started", Some(SEEN), true),
            Some(completed_household()),
        ),
        (
            "a correction forward in the same epoch",
            renovation("accepted", Some(SEEN), true).with_epoch("renovation", 0),
            Some(completed_household()),
        ),
        // The editor had not seen `completed`: a concurrent edit, which the merge settles.
        (
            "renovation back from an unseen value",
            renovation("started", None, false),
            Some(completed_household()),
        ),
    ];
    for (what, c, existing) in cases {
        check(what, c, existing, None);
    }
}

#[test]
fn rank_orders_forward_only_values_and_nothing_else() {
    let r = |t, f, v: Value| rank(t, f, &v);
    assert_eq!(r(Table::Household, "renovation", Value::Null), 0);
    assert_eq!(r(Table::Household, "renovation", json!("planned")), 1);
    assert_eq!(r(Table::Household, "renovation", json!("已验收")), 4);
    assert_eq!(r(Table::Works, "status", json!("completed")), 3);
    assert_eq!(r(Table::Household, "rating", json!("D")), 0);
}

#[test]
fn the_chinese_message_names_the_field_and_value() {
    let e = validate_change(&cleanup(&[("tonnes", json!(-3))]), None, &Ctx).unwrap_err();
    assert_eq!(e.field(), Some("tonnes"));
    assert!(
        e.zh().contains("吨数") && e.zh().contains("-3"),
        "{}",
        e.zh()
    );
}
