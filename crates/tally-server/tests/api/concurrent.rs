//! Many devices at once: pushes that arrive together are committed together (SQLite)
//! yet answered one by one, each with its own receipts, a refused one leaving the
//! others stored; and a pull within a few units (read through the unit index) sees
//! exactly what a walk of the whole log filtered by scope sees, in pages of any size.

use crate::both_backends;
use crate::support::*;
use axum::http::{Method, StatusCode};
use serde_json::json;
use std::collections::BTreeSet;
use tally_core::{Change, Table};
use tally_protocol::Pulled;

both_backends!(
    pushes_arriving_together_each_get_their_own_receipts,
    a_narrow_pull_sees_what_the_whole_log_filtered_by_scope_sees,
    one_version_claimed_by_two_pushes_at_once_is_stored_once_and_refused_once,
);

/// A hostile device sends two different changes under one version (HLC + device), on
/// two rows, in two pushes at the same moment: one is stored, the other is refused as
/// `version_taken` (never a server failure), many times over.
async fn one_version_claimed_by_two_pushes_at_once_is_stored_once_and_refused_once(h: Harness) {
    let mut dev = h.device(CADRE).await;
    for round in 0..12 {
        let first = dev.cleanup(VILLAGE_A1, json!(1));
        let mut second = dev.cleanup(VILLAGE_A1, json!(2));
        second.hlc = first.hlc;
        let a = tokio::spawn(send(
            h.app(),
            push_request(&dev, std::slice::from_ref(&first)),
        ));
        let b = tokio::spawn(send(
            h.app(),
            push_request(&dev, std::slice::from_ref(&second)),
        ));
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        assert_eq!(
            (a.status, b.status),
            (StatusCode::OK, StatusCode::OK),
            "round {round}: {:?} {:?}",
            a.body,
            b.body
        );
        let mut codes = vec![outcome(&a.results()[0]), outcome(&b.results()[0])];
        codes.sort();
        assert_eq!(codes, ["accepted", "version_taken"], "round {round}");
    }
}

fn push_request(dev: &Dev, changes: &[Change]) -> axum::http::Request<axum::body::Body> {
    let body = serde_json::to_vec(&json!({ "changes": changes })).unwrap();
    request(
        Method::POST,
        "/api/v1/sync/push",
        Some(&dev.token),
        Some(body),
    )
}

async fn pushes_arriving_together_each_get_their_own_receipts(h: Harness) {
    let mut a = h.device(CADRE).await;
    let mut b = h.device(CADRE_B).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let ours = vec![
            a.household(VILLAGE_A1, &format!("甲{i}")),
            a.cleanup(VILLAGE_A1, json!(1.5)),
        ];
        tasks.push((true, tokio::spawn(send(h.app(), push_request(&a, &ours)))));
        let theirs = vec![b.household(VILLAGE_B1, &format!("乙{i}"))];
        tasks.push((true, tokio::spawn(send(h.app(), push_request(&b, &theirs)))));
    }
    // Out of the cadre's scope: refused whole, and nothing else is disturbed.
    let stray = vec![a.household(VILLAGE_B1, "越界")];
    tasks.push((false, tokio::spawn(send(h.app(), push_request(&a, &stray)))));
    let mut seqs = BTreeSet::new();
    let mut stored = 0;
    for (ok, task) in tasks {
        let r = task.await.unwrap();
        if ok {
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            for seq in accepted(&r.results()) {
                assert!(seqs.insert(seq), "seq {seq} given twice");
                stored += 1;
            }
        } else {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
        }
    }
    assert_eq!(stored, 24);
    let admin = h.device(ADMIN).await;
    let (all, _) = h.pull_all(&admin, "").await;
    let households = all.iter().filter(|p| p.change.table == Table::Household);
    assert_eq!(households.count(), 16, "the refused push stored nothing");
}

async fn a_narrow_pull_sees_what_the_whole_log_filtered_by_scope_sees(h: Harness) {
    let mut a = h.device(CADRE).await;
    let mut b = h.device(CADRE_B).await;
    for i in 0..7 {
        let ours = a.household(VILLAGE_A1, &format!("甲{i}"));
        accepted(&h.push(&a, &[ours]).await.results());
        let theirs = b.household(VILLAGE_B1, &format!("乙{i}"));
        accepted(&h.push(&b, &[theirs]).await.results());
    }
    let admin = h.device(ADMIN).await;
    let (all, _) = h.pull_all(&admin, "").await;
    let ancestors = [BANNER, TOWN_A];
    let expected: Vec<i64> = all
        .iter()
        .filter(|p| {
            p.change.unit == VILLAGE_A1
                || (p.change.table == Table::OrgUnit && ancestors.contains(&p.change.unit.as_str()))
        })
        .map(|p| p.seq)
        .collect();
    assert!(expected.len() > 7, "{expected:?}");
    for limit in [1, 3, 1000] {
        let mut got: Vec<Pulled> = Vec::new();
        let mut cursor = String::new();
        for _ in 0..100 {
            let r = h.pull(&a, &cursor, limit).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            got.extend(r.pulled());
            cursor = r.cursor();
            if !r.more() {
                break;
            }
        }
        let seqs: Vec<i64> = got.iter().map(|p| p.seq).collect();
        assert_eq!(seqs, expected, "pages of {limit}");
    }
}
