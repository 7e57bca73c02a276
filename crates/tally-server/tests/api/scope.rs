//! Scope: a cadre cannot push to or pull from another village (403, nothing stored);
//! a first pull brings the org units and rows in scope; roles limit what is written.

use crate::both_backends;
use crate::support::*;
use axum::http::StatusCode;
use serde_json::json;
use std::collections::HashSet;
use tally_core::{RowId, Table};

both_backends!(
    a_first_pull_brings_what_is_in_scope,
    a_cadre_cannot_push_to_or_pull_from_another_village,
    roles_limit_what_is_written,
);

fn org_units(pulled: &[tally_protocol::Pulled]) -> HashSet<String> {
    pulled
        .iter()
        .filter(|p| p.change.table == Table::OrgUnit)
        .map(|p| p.change.unit.clone())
        .collect()
}

fn set(codes: &[&str]) -> HashSet<String> {
    codes.iter().map(|c| c.to_string()).collect()
}

async fn a_first_pull_brings_what_is_in_scope(h: Harness) {
    let mut cadre = h.device(CADRE).await;
    let mut cadre_b = h.device(CADRE_B).await;
    let mut leader = h.device(LEADER).await;
    let inspector = h.device(INSPECTOR).await;
    let admin = h.device(ADMIN).await;
    let in_a1 = cadre.household(VILLAGE_A1, "王五");
    let in_a2 = leader.household(VILLAGE_A2, "李四");
    let in_b1 = cadre_b.household(VILLAGE_B1, "张三");
    accepted(&h.push(&cadre, std::slice::from_ref(&in_a1)).await.results());
    accepted(
        &h.push(&leader, std::slice::from_ref(&in_a2))
            .await
            .results(),
    );
    accepted(
        &h.push(&cadre_b, std::slice::from_ref(&in_b1))
            .await
            .results(),
    );

    let rows = |pulled: &[tally_protocol::Pulled]| -> HashSet<RowId> {
        pulled
            .iter()
            .filter(|p| p.change.table != Table::OrgUnit)
            .map(|p| p.change.row)
            .collect()
    };
    let (p, _) = h.pull_all(&cadre, "").await;
    assert_eq!(org_units(&p), set(&[BANNER, TOWN_A, VILLAGE_A1]));
    assert_eq!(rows(&p), HashSet::from([in_a1.row]));

    let (p, _) = h.pull_all(&leader, "").await;
    assert_eq!(
        org_units(&p),
        set(&[BANNER, TOWN_A, VILLAGE_A1, VILLAGE_A2])
    );
    assert_eq!(rows(&p), HashSet::from([in_a1.row, in_a2.row]));

    for reader in [&inspector, &admin] {
        let (p, _) = h.pull_all(reader, "").await;
        assert_eq!(
            org_units(&p),
            set(&[BANNER, TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1])
        );
        assert_eq!(rows(&p), HashSet::from([in_a1.row, in_a2.row, in_b1.row]));
    }

    // Narrowed to one village (with its ancestors' org units).
    let r = h
        .get(
            &format!("/api/v1/sync/pull?unit={VILLAGE_A2}"),
            Some(&leader.token),
        )
        .await;
    let p = r.pulled();
    assert_eq!(org_units(&p), set(&[BANNER, TOWN_A, VILLAGE_A2]));
    assert_eq!(rows(&p), HashSet::from([in_a2.row]));
}

async fn a_cadre_cannot_push_to_or_pull_from_another_village(h: Harness) {
    let mut cadre = h.device(CADRE).await;
    let leader = h.device(LEADER).await;
    let (_, start) = h.pull_all(&leader, "").await;

    let foreign = [
        cadre.household(VILLAGE_A2, "越界"),
        cadre.cleanup(VILLAGE_B1, json!(5)),
    ];
    let r = h.push(&cadre, &foreign).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "out_of_scope")
    );
    assert_eq!(
        r.body["error"]["message_zh"],
        format!("这 2 条记录都超出您负责的范围（{VILLAGE_A1}）")
    );
    let (p, _) = h.pull_all(&leader, &start).await;
    assert!(p.is_empty(), "nothing stored: {p:?}");

    // Mixed: the foreign change is rejected, the rest stored.
    let own = cadre.household(VILLAGE_A1, "本村");
    let foreign = cadre.household(VILLAGE_A2, "越界");
    let results = h
        .push(&cadre, &[own.clone(), foreign.clone()])
        .await
        .results();
    let codes: Vec<_> = results.iter().map(outcome).collect();
    assert_eq!(codes, ["accepted", "out_of_scope"]);
    let (p, _) = h.pull_all(&leader, &start).await;
    let ids: Vec<_> = p.iter().map(|x| x.change.id).collect();
    assert_eq!(ids, [own.id]);

    // A row of another village cannot be edited by naming one's own village.
    let mut leader_dev = h.device(LEADER).await;
    let theirs = leader_dev.household(VILLAGE_A2, "李四");
    accepted(
        &h.push(&leader_dev, std::slice::from_ref(&theirs))
            .await
            .results(),
    );
    let hijack = cadre.change(
        Table::Household,
        theirs.row,
        VILLAGE_A1,
        json!({"head": "改"}),
    );
    let results = h.push(&cadre, &[hijack]).await;
    assert_eq!(results.status, StatusCode::FORBIDDEN);

    for unit in [VILLAGE_A2, VILLAGE_B1, TOWN_A, "nowhere"] {
        let r = h
            .get(
                &format!("/api/v1/sync/pull?unit={unit}"),
                Some(&cadre.token),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "out_of_scope"),
            "{unit}"
        );
    }
    let r = h
        .get(
            &format!("/api/v1/sync/pull?unit={VILLAGE_A1}"),
            Some(&cadre.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

async fn roles_limit_what_is_written(h: Harness) {
    let mut cadre = h.device(CADRE).await;
    let mut leader = h.device(LEADER).await;
    let mut inspector = h.device(INSPECTOR).await;
    let target = |dev: &mut Dev, unit: &str| {
        dev.change(
            Table::Target,
            RowId::natural(tally_core::NaturalKey::Target {
                unit,
                metric: tally_core::Metric::Renovation,
                pile: None,
                from: None,
            }),
            unit,
            json!({"metric": "renovation", "quantity": 40, "deadline": "2025-10-31"}),
        )
    };

    let by_inspector = inspector.household(VILLAGE_A1, "督查");
    let r = h.push(&inspector, &[by_inspector]).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "out_of_scope")
    );

    let c = target(&mut cadre, VILLAGE_A1);
    let results = h.push(&cadre, &[c]).await.results();
    assert_eq!(outcome(&results[0]), "forbidden");
    let c = target(&mut leader, TOWN_A);
    let results = h.push(&leader, &[c]).await.results();
    assert_eq!(outcome(&results[0]), "accepted");
    let c = target(&mut leader, TOWN_B);
    let r = h.push(&leader, &[c]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Org units: a leader may add a hamlet in the township, a cadre may not.
    let hamlet = |dev: &mut Dev, code: &str, parent: &str| {
        dev.change(
            Table::OrgUnit,
            RowId::natural(tally_core::NaturalKey::OrgUnit { code }),
            code,
            json!({"code": code, "name": "小营子", "level": "hamlet", "parent": parent}),
        )
    };
    let h1 = format!("{VILLAGE_A1}01");
    let c = hamlet(&mut cadre, &h1, VILLAGE_A1);
    let results = h.push(&cadre, &[c]).await.results();
    assert_eq!(outcome(&results[0]), "forbidden");
    let c = hamlet(&mut leader, &h1, VILLAGE_A1);
    let results = h.push(&leader, &[c]).await.results();
    assert_eq!(outcome(&results[0]), "accepted");
    let bad_level = hamlet(&mut leader, "150621100003", TOWN_A);
    let results = h.push(&leader, &[bad_level]).await.results();
    assert_eq!(outcome(&results[0]), "wrong_level");
    // The new hamlet is in the cadre's scope at once (descendant of the village).
    let in_hamlet = cadre.household(&h1, "新户");
    let results = h.push(&cadre, &[in_hamlet]).await.results();
    assert_eq!(outcome(&results[0]), "accepted");

    // A deleted unit takes no new rows, but what it has stays readable.
    let before = leader.household(VILLAGE_A2, "旧户");
    accepted(
        &h.push(&leader, std::slice::from_ref(&before))
            .await
            .results(),
    );
    let delete = leader.change(
        Table::OrgUnit,
        RowId::natural(tally_core::NaturalKey::OrgUnit { code: VILLAGE_A2 }),
        VILLAGE_A2,
        json!({"deleted": true}),
    );
    accepted(&h.push(&leader, &[delete]).await.results());
    let after = leader.household(VILLAGE_A2, "新户");
    let results = h.push(&leader, &[after]).await.results();
    assert_eq!(outcome(&results[0]), "unknown_unit");
    let r = h
        .get(
            &format!("/api/v1/sync/pull?unit={VILLAGE_A2}"),
            Some(&leader.token),
        )
        .await;
    assert!(r.pulled().iter().any(|p| p.change.id == before.id));
}
