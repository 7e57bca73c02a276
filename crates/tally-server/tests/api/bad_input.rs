//! Bad input gets a clear error with a stable code, and stores nothing.

use crate::both_backends;
use crate::support::*;
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use tally_core::{Change, ChangeId, RowId, Table};

both_backends!(
    bad_input_is_refused_and_stores_nothing,
    hostile_repeats_are_refused_and_lose_nothing
);

/// What a case sends: a raw body, or one change edited as JSON.
enum Input {
    Raw(&'static str),
    Change(fn(&mut Value)),
}

struct Case {
    name: &'static str,
    input: Input,
    status: u16,
    /// The error code (whole request) or the rejection code (per change).
    code: &'static str,
    /// A part of the message.
    says: &'static str,
}

fn cases() -> Vec<Case> {
    use Input::*;
    vec![
        Case {
            name: "malformed JSON",
            input: Raw("{\"changes\": [{\"id\": "),
            status: 400,
            code: "bad_json",
            says: "EOF",
        },
        Case {
            name: "not JSON at all",
            input: Raw("changes=1"),
            status: 400,
            code: "bad_json",
            says: "",
        },
        Case {
            name: "wrong type of a change field",
            input: Change(|c| c["hlc"] = json!("yesterday")),
            status: 422,
            code: "bad_request",
            says: "changes[0].hlc",
        },
        Case {
            name: "wrong type of the batch",
            input: Raw("{\"changes\": {}}"),
            status: 422,
            code: "bad_request",
            says: "changes",
        },
        Case {
            name: "unknown table",
            input: Change(|c| c["table"] = json!("barn")),
            status: 422,
            code: "bad_request",
            says: "changes[0].table",
        },
        Case {
            name: "not a uuid",
            input: Change(|c| c["row"] = json!("row-1")),
            status: 422,
            code: "bad_request",
            says: "changes[0].row",
        },
        Case {
            name: "unknown field",
            input: Change(|c| c["fields"]["colour"] = json!({"value": "red"})),
            status: 200,
            code: "unknown_field",
            says: "colour",
        },
        Case {
            name: "negative tonnes",
            input: Change(|c| c["fields"]["tonnes"]["value"] = json!(-3)),
            status: 200,
            code: "invalid_value",
            says: "tonnes",
        },
        Case {
            name: "5 000 tonnes in one entry",
            input: Change(|c| c["fields"]["tonnes"]["value"] = json!(5000)),
            status: 200,
            code: "invalid_value",
            says: "at most 2000",
        },
        Case {
            name: "tonnes as text",
            input: Change(|c| c["fields"]["tonnes"]["value"] = json!("12")),
            status: 200,
            code: "invalid_value",
            says: "a number",
        },
        Case {
            name: "a date far ahead",
            input: Change(|c| c["fields"]["date"]["value"] = json!("2025-06-09")),
            status: 200,
            code: "invalid_value",
            says: "date",
        },
        Case {
            name: "progress beyond the road's length",
            input: Change(|c| {
                c["table"] = json!("works");
                c["fields"] = json!({
                    "kind": {"value": "road"},
                    "quantity": {"value": 5},
                    "status": {"value": "started"},
                    "progress:0190a1b2-0000-7000-8000-0000000000e1":
                        {"value": {"date": TODAY, "quantity": 6}},
                });
            }),
            status: 200,
            code: "beyond_planned",
            says: "more than the planned quantity 5",
        },
        Case {
            name: "a progress entry under a field name that is no entry id",
            input: Change(|c| {
                c["table"] = json!("works");
                c["fields"] = json!({
                    "kind": {"value": "road"},
                    "quantity": {"value": 5},
                    "status": {"value": "started"},
                    "progress:1": {"value": {"date": TODAY, "quantity": 1}},
                });
            }),
            status: 200,
            code: "unknown_field",
            says: "progress:1",
        },
        Case {
            name: "a works item off the map",
            input: Change(|c| {
                c["table"] = json!("works");
                c["fields"] = json!({
                    "kind": {"value": "road"},
                    "quantity": {"value": 5},
                    "status": {"value": "planned"},
                    "lat": {"value": 123.4},
                });
            }),
            status: 200,
            code: "invalid_value",
            says: "lat must be more than -90 and at most 90, got 123.4",
        },
        Case {
            name: "missing required field",
            input: Change(|c| {
                c["fields"].as_object_mut().unwrap().remove("kind");
            }),
            status: 200,
            code: "missing_field",
            says: "kind",
        },
        Case {
            name: "no fields",
            input: Change(|c| c["fields"] = json!({})),
            status: 200,
            code: "empty_change",
            says: "",
        },
        Case {
            name: "unknown village",
            input: Change(|c| c["unit"] = json!("150621999999")),
            status: 200,
            code: "unknown_unit",
            says: "150621999999",
        },
        Case {
            name: "a row id of another table",
            input: Change(|c| {
                c["row"] =
                    json!(
                        RowId::natural(tally_core::NaturalKey::OrgUnit { code: VILLAGE_A1 })
                            .to_string()
                    )
            }),
            status: 200,
            code: "table_mismatch",
            says: "org_unit",
        },
        Case {
            name: "a cadre flagging their village (沿黄渗漏区 is set by leaders)",
            input: Change(|c| {
                c["table"] = json!("org_unit");
                c["row"] =
                    json!(
                        RowId::natural(tally_core::NaturalKey::OrgUnit { code: VILLAGE_A1 })
                            .to_string()
                    );
                c["fields"] = json!({"seepage": {"value": true}});
            }),
            status: 200,
            code: "forbidden",
            says: "org_unit",
        },
        Case {
            name: "signed with another account's name",
            input: Change(|c| c["author"] = json!("leader1")),
            status: 200,
            code: "wrong_author",
            says: "leader1",
        },
        Case {
            name: "a runaway clock counter",
            input: Change(|c| c["hlc"]["count"] = json!(u32::MAX)),
            status: 200,
            code: "bad_clock",
            says: "4294967295",
        },
        Case {
            name: "a time before the deployment",
            input: Change(|c| c["hlc"]["ms"] = json!(1_000)),
            status: 200,
            code: "bad_clock",
            says: "",
        },
        Case {
            name: "a cadre settling a conflict",
            input: Change(|c| {
                c["fields"]["tonnes"]["saw"] = json!([{
                    "hlc": {"ms": 1_748_000_000_000u64, "count": 0},
                    "device": "0190a1b2-0000-7000-8000-000000000009"
                }])
            }),
            status: 200,
            code: "forbidden",
            says: "conflict",
        },
        Case {
            name: "a megabyte author",
            input: Change(|c| c["author"] = json!("x".repeat(1 << 20))),
            status: 200,
            code: "invalid_value",
            says: "author",
        },
        Case {
            name: "an edit settling 65 versions",
            input: Change(|c| {
                let saw: Vec<Value> = (0..65u64)
                    .map(|i| {
                        json!({"hlc": {"ms": 1_748_000_000_000u64 + i, "count": 0},
                               "device": "0190a1b2-0000-7000-8000-000000000009"})
                    })
                    .collect();
                c["fields"]["tonnes"]["saw"] = json!(saw);
            }),
            status: 200,
            code: "invalid_value",
            says: "64",
        },
        Case {
            name: "a visit to a household nobody recorded",
            input: Change(|c| visit_of(c, "0190a1b2-0000-7000-8000-0000000000ff")),
            status: 200,
            code: "unknown_reference",
            says: "0190a1b2-0000-7000-8000-0000000000ff",
        },
        Case {
            name: "a visit to another village's household",
            input: Change(|c| visit_of(c, B1_HOUSEHOLD)),
            status: 200,
            code: "reference_elsewhere",
            says: VILLAGE_B1,
        },
        Case {
            name: "a cleanup in a township",
            input: Change(|c| c["unit"] = json!(TOWN_A)),
            status: 403,
            code: "out_of_scope",
            says: "",
        },
    ]
}

/// A household of village B1 (recorded by its own cadre before the cases run).
const B1_HOUSEHOLD: &str = "0190a1b2-0000-7000-8000-0000000000b1";

/// Turn the case's cleanup into a visit of `household`.
fn visit_of(c: &mut Value, household: &str) {
    c["table"] = json!("visit");
    c["fields"] = json!({"household": {"value": household}, "date": {"value": TODAY}});
}

async fn bad_input_is_refused_and_stores_nothing(h: Harness) {
    let mut b = h.device(CADRE_B).await;
    let row = RowId(B1_HOUSEHOLD.parse().unwrap());
    let house = b.change(Table::Household, row, VILLAGE_B1, json!({"head": "王五"}));
    accepted(&h.push(&b, &[house]).await.results());
    let mut dev = h.device(CADRE).await;
    let (_, start) = h.pull_all(&dev, "").await;
    for case in cases() {
        let body = match case.input {
            Input::Raw(text) => text.as_bytes().to_vec(),
            Input::Change(edit) => {
                let change = dev.cleanup(VILLAGE_A1, json!(12));
                assert_eq!(change.table, Table::Cleanup);
                let mut value = serde_json::to_value(&change).unwrap();
                edit(&mut value);
                serde_json::to_vec(&json!({ "changes": [value] })).unwrap()
            }
        };
        let r = h
            .send(request(
                Method::POST,
                "/api/v1/sync/push",
                Some(&dev.token),
                Some(body),
            ))
            .await;
        assert_eq!(
            r.status.as_u16(),
            case.status,
            "{}: {:?}",
            case.name,
            r.body
        );
        let message = if r.status == StatusCode::OK {
            let result = &r.body["results"][0];
            assert_eq!(result["status"], "rejected", "{}", case.name);
            assert_eq!(result["code"], case.code, "{}: {result}", case.name);
            assert!(!result["reason_zh"].as_str().unwrap().is_empty());
            result["reason"].as_str().unwrap().to_string()
        } else {
            assert_eq!(r.code(), case.code, "{}: {:?}", case.name, r.body);
            assert!(!r.body["error"]["message_zh"].as_str().unwrap().is_empty());
            r.body["error"]["message"].as_str().unwrap().to_string()
        };
        assert!(
            message.contains(case.says),
            "{}: {message:?} should mention {:?}",
            case.name,
            case.says
        );
        let (pulled, cursor) = h.pull_all(&dev, &start).await;
        assert!(pulled.is_empty(), "{}: stored {pulled:?}", case.name);
        assert_eq!(cursor, start);
    }
    // And the same change without the fault is accepted.
    let good = dev.cleanup(VILLAGE_A1, json!(12));
    accepted(&h.push(&dev, &[good]).await.results());
}

/// A repeat that is not one: what it sends after the cadre's cleanup (`first`) and, for
/// some cases, an edit that superseded it (`later`) were stored.
struct Repeat {
    name: &'static str,
    /// Sent by the cadre's other enrolled device instead of the cadre's own.
    other_device: bool,
    hostile: fn(first: &Change, later: &Change) -> Change,
    code: &'static str,
}

fn impostor(of: &Change, tonnes: i64) -> Change {
    let mut c = of.clone();
    c.id = ChangeId(uuid::Uuid::now_v7());
    c.fields.get_mut("tonnes").expect("tonnes").value = json!(tonnes);
    c
}

fn repeats() -> Vec<Repeat> {
    vec![
        Repeat {
            name: "a known change id with other content",
            other_device: false,
            hostile: |first, _| {
                let mut c = first.clone();
                c.fields.get_mut("tonnes").expect("tonnes").value = json!(99);
                c
            },
            code: "replay_mismatch",
        },
        Repeat {
            name: "another change id claiming a stored version",
            other_device: false,
            hostile: |_, later| impostor(later, 98),
            code: "version_taken",
        },
        Repeat {
            name: "another change id claiming the version of a superseded edit",
            other_device: false,
            hostile: |first, _| impostor(first, 97),
            code: "version_taken",
        },
        Repeat {
            name: "a stored version claimed on a new row",
            other_device: false,
            hostile: |first, _| {
                let mut c = impostor(first, 96);
                c.row = RowId(uuid::Uuid::now_v7());
                c
            },
            code: "version_taken",
        },
        Repeat {
            name: "another device replaying a known change id",
            other_device: true,
            hostile: |first, _| first.clone(),
            code: "wrong_device",
        },
    ]
}

/// Each hostile repeat is refused with its own code, and the stored edits (the cleanup,
/// the edit that superseded it) stay exactly as they were: nothing lost, nothing added.
async fn hostile_repeats_are_refused_and_lose_nothing(h: Harness) {
    let mut dev = h.device(CADRE).await;
    let other = h.device(CADRE).await;
    for case in repeats() {
        let (_, start) = h.pull_all(&dev, "").await;
        let first = dev.cleanup(VILLAGE_A1, json!(12));
        let later = dev.edit(&first, json!({"tonnes": 15}));
        accepted(
            &h.push(&dev, &[first.clone(), later.clone()])
                .await
                .results(),
        );
        let hostile = (case.hostile)(&first, &later);
        let by = if case.other_device { &other } else { &dev };
        let results = h.push(by, std::slice::from_ref(&hostile)).await.results();
        assert_eq!(
            outcome(&results[0]),
            case.code,
            "{}: {results:?}",
            case.name
        );
        let (pulled, _) = h.pull_all(&dev, &start).await;
        let got: Vec<&Change> = pulled.iter().map(|p| &p.change).collect();
        assert_eq!(got, vec![&first, &later], "{}", case.name);
    }
}
