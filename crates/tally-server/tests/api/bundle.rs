//! Sneakernet bundles imported on the server: stored exactly as the device's push would
//! be (same checks, the device's account as author, idempotent), receipts sealed for the
//! device; every bad bundle refused whole with its own code and nothing stored.

use crate::both_backends;
use crate::support::*;
use serde_json::json;
use std::io::{Read, Write};
use tally_core::{Change, Explain};
use tally_protocol::bundle::{
    key_of_token, seal, BundlePayload, Kind, ReceiptsPayload, ReceiptsPull, Sealed,
};
use tally_server::bundle::{import, ImportError};

both_backends!(
    a_bundle_is_stored_as_its_push_and_answered_with_sealed_receipts,
    bad_bundles_are_refused_whole_and_store_nothing,
    a_leaders_device_forwards_a_bundle_of_its_scope_and_no_one_else_does
);

fn bundle(dev: &Dev, cursor: &str, changes: Vec<Change>) -> BundlePayload {
    BundlePayload {
        bundle_id: "bundle-1".into(),
        device_id: dev.id,
        user: dev.user.clone(),
        created_ms: T0,
        cursor: cursor.into(),
        changes,
    }
}

fn sealed_for(dev: &Dev, payload: &BundlePayload) -> Vec<u8> {
    seal(Kind::Bundle, payload, &key_of_token(&dev.token))
}

fn receipts(dev: &Dev, file: &[u8]) -> ReceiptsPayload<ReceiptsPull> {
    Sealed::read(file, Kind::Receipts)
        .and_then(|s| s.open(&key_of_token(&dev.token)))
        .expect("receipts sealed for the device")
}

async fn a_bundle_is_stored_as_its_push_and_answered_with_sealed_receipts(h: Harness) {
    let mut dev = h.device(CADRE).await;
    let mut leader = h.device(LEADER).await;
    let (_, cursor) = h.pull_all(&dev, "").await;
    let from_leader = leader.cleanup(VILLAGE_A1, json!(3));
    accepted(
        &h.push(&leader, std::slice::from_ref(&from_leader))
            .await
            .results(),
    );
    let mine = vec![
        dev.household(VILLAGE_A1, "巴特尔"),
        dev.cleanup(VILLAGE_A1, json!(12.5)),
        dev.cleanup(VILLAGE_B1, json!(1)),
    ];
    let file = sealed_for(&dev, &bundle(&dev, &cursor, mine.clone()));

    let done = import(&h.db, &file, T0, true, None).await.unwrap();
    assert_eq!((done.changes, done.accepted, done.rejected), (3, 2, 1));
    let back = receipts(&dev, &done.receipts);
    assert_eq!(back.bundle_id, "bundle-1");
    let codes: Vec<String> = back.results.iter().map(outcome).collect();
    assert_eq!(codes, ["accepted", "accepted", "out_of_scope"]);
    assert_eq!(back.digests.len(), 2);
    // The receipts carry what came after the bundle's cursor: the leader's load, and the
    // device's own changes as stored (the device checks its copies against them).
    let pull = back.pull.expect("changes asked for");
    let got: Vec<Change> = pull
        .changes
        .iter()
        .map(|p| serde_json::from_str(p.change.get()).unwrap())
        .collect();
    assert_eq!(got, vec![from_leader, mine[0].clone(), mine[1].clone()]);
    assert!(!pull.more);
    assert_eq!(back.pulled_after, cursor);

    // The same bundle again: the same receipts, nothing stored twice.
    let again = import(&h.db, &file, T0 + 1000, false, None).await.unwrap();
    assert_eq!(receipts(&dev, &again.receipts).results, back.results);
    assert!(receipts(&dev, &again.receipts).pull.is_none());
    let (all, _) = h.pull_all(&leader, "").await;
    let stored: Vec<&Change> = all
        .iter()
        .map(|p| &p.change)
        .filter(|c| c.device == dev.id)
        .collect();
    assert_eq!(stored, vec![&mine[0], &mine[1]]);
    // What the device pushes online afterwards is a replay, answered with the same seqs.
    let online = h.push(&dev, &mine[..2]).await.results();
    assert_eq!(online, back.results[..2]);
}

/// A bundle refused whole: what the server says.
struct Refused {
    name: &'static str,
    code: &'static str,
    says: &'static str,
}

async fn bad_bundles_are_refused_whole_and_store_nothing(h: Harness) {
    let mut dev = h.device(CADRE).await;
    let other = h.device(CADRE_B).await;
    let revoked = h.device(CADRE).await;
    let leader = h.device(LEADER).await;
    let good = |dev: &mut Dev| {
        let load = dev.cleanup(VILLAGE_A1, json!(7));
        bundle(dev, "", vec![load])
    };
    let gunzip = |file: &[u8]| {
        let mut s = String::new();
        flate2::read::GzDecoder::new(file)
            .read_to_string(&mut s)
            .unwrap();
        s
    };
    let gzip = |text: &str| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap()
    };
    let payload = good(&mut dev);
    let file = sealed_for(&dev, &payload);
    let mut stranger = h.device(CADRE).await;
    stranger.id = tally_core::DeviceId(uuid::Uuid::now_v7());
    admin_revoke(&h, &revoked).await;
    let rows: Vec<(Refused, Vec<u8>)> = vec![
        (
            Refused {
                name: "a changed value",
                code: "bundle_tampered",
                says: "改动",
            },
            {
                let text = gunzip(&file);
                let changed = text.replace("{\"value\":7}", "{\"value\":700}");
                assert_ne!(changed, text);
                gzip(&changed)
            },
        ),
        (
            Refused {
                name: "sealed with another device's token",
                code: "bundle_tampered",
                says: "校验不符",
            },
            seal(Kind::Bundle, &payload, &key_of_token(&other.token)),
        ),
        (
            Refused {
                name: "cut short on the stick",
                code: "bundle_unreadable",
                says: "不完整",
            },
            file[..file.len() / 2].to_vec(),
        ),
        (
            Refused {
                name: "not a bundle at all",
                code: "bundle_unreadable",
                says: "不是",
            },
            b"PK\x03\x04 a spreadsheet".to_vec(),
        ),
        (
            Refused {
                name: "a receipts file",
                code: "bundle_wrong_kind",
                says: "回执文件",
            },
            seal(Kind::Receipts, &payload, &key_of_token(&dev.token)),
        ),
        (
            Refused {
                name: "a device this server never enrolled",
                code: "bundle_unknown_device",
                says: "从未登记",
            },
            sealed_for(&stranger, &bundle(&stranger, "", vec![])),
        ),
        (
            Refused {
                name: "a revoked device",
                code: "bundle_device_revoked",
                says: "已停用的设备",
            },
            sealed_for(&revoked, &bundle(&revoked, "", vec![])),
        ),
    ];
    let (before, _) = h.pull_all(&leader, "").await;
    for (case, bytes) in rows {
        let e = import(&h.db, &bytes, T0, true, None).await.unwrap_err();
        assert_eq!(e.code(), case.code, "{}: {e}", case.name);
        assert!(e.zh().contains(case.says), "{}: {}", case.name, e.zh());
        let (after, _) = h.pull_all(&leader, "").await;
        assert_eq!(after.len(), before.len(), "{}: nothing stored", case.name);
    }
    // A disabled account's bundle, and a bundle sealed before the device logged in again.
    let payload = good(&mut dev);
    let file = sealed_for(&dev, &payload);
    tally_server::admin::disable_user(&h.db, CADRE)
        .await
        .unwrap();
    let e = import(&h.db, &file, T0, false, None).await.unwrap_err();
    assert!(matches!(e, ImportError::Disabled(_)), "{e}");
    // Per-change refusals are the push's own: another author, a clock far ahead.
    let mut b = h.device(CADRE_B).await;
    let mut forged = b.cleanup(VILLAGE_B1, json!(2));
    forged.author = LEADER.into();
    let ahead = {
        b.physical_ms = T0 + 3_600_000;
        b.cleanup(VILLAGE_B1, json!(2))
    };
    let done = import(
        &h.db,
        &sealed_for(&b, &bundle(&b, "", vec![forged, ahead])),
        T0,
        false,
        None,
    )
    .await
    .unwrap();
    let codes: Vec<String> = receipts(&b, &done.receipts)
        .results
        .iter()
        .map(outcome)
        .collect();
    assert_eq!(codes, ["wrong_author", "clock_ahead"]);
    // Sealed under the token the device had before it logged in again.
    let stale = sealed_for(&other, &bundle(&other, "", vec![]));
    let body = json!({"user": CADRE_B, "password": PASSWORD, "device_name": "laptop",
                      "device_id": other.id});
    let again = h.post("/api/v1/devices", None, &body).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_ne!(again.body["token"].as_str().unwrap(), other.token);
    let e = import(&h.db, &stale, T0, false, None).await.unwrap_err();
    assert_eq!(e.code(), "bundle_tampered", "{e}");
}

async fn admin_revoke(h: &Harness, dev: &Dev) {
    tally_server::admin::revoke_device(&h.db, &*h.clock, &dev.id.to_string())
        .await
        .unwrap();
}

/// POST a bundle to /api/v1/bundles as `by`: the status, and the body's bytes.
async fn forward(h: &Harness, by: Option<&Dev>, file: Vec<u8>) -> (u16, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = request(
        axum::http::Method::POST,
        "/api/v1/bundles?with_changes=true",
        by.map(|d| d.token.as_str()),
        Some(file),
    );
    let res = h.app().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, bytes)
}

fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body).unwrap()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn a_leaders_device_forwards_a_bundle_of_its_scope_and_no_one_else_does(h: Harness) {
    let mut cadre = h.device(CADRE).await;
    let mut far = h.device(CADRE_B).await;
    let leader = h.device(LEADER).await;
    let inspector = h.device(INSPECTOR).await;
    let load = cadre.cleanup(VILLAGE_A1, json!(4));
    let file = sealed_for(&cadre, &bundle(&cadre, "", vec![load.clone()]));

    // Refused, storing nothing: no login, a cadre, an inspector, a bundle from a village
    // outside the leader's township, a file that is not a bundle.
    let other = far.cleanup(VILLAGE_B1, json!(1));
    let outside = sealed_for(&far, &bundle(&far, "", vec![other]));
    let cases: [(Option<&Dev>, Vec<u8>, u16, &str); 5] = [
        (None, file.clone(), 401, "unauthorized"),
        (Some(&far), file.clone(), 403, "forbidden"),
        (Some(&inspector), file.clone(), 403, "forbidden"),
        (Some(&leader), outside, 403, "out_of_scope"),
        (
            Some(&leader),
            b"not a bundle".to_vec(),
            422,
            "bundle_unreadable",
        ),
    ];
    for (by, body, status, code) in cases {
        let (got, answer) = forward(&h, by, body).await;
        assert_eq!((got, error_code(&answer).as_str()), (status, code));
    }
    let (all, _) = h.pull_all(&leader, "").await;
    assert!(all
        .iter()
        .all(|p| p.change.device != cadre.id && p.change.device != far.id));

    // The leader's device carries it: stored as the cadre's push, receipts for the cadre.
    let (status, answer) = forward(&h, Some(&leader), file).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let back = receipts(&cadre, &answer);
    assert_eq!(
        back.results.iter().map(outcome).collect::<Vec<_>>(),
        ["accepted"]
    );
    let (all, _) = h.pull_all(&leader, "").await;
    let stored: Vec<&Change> = all
        .iter()
        .map(|p| &p.change)
        .filter(|c| c.device == cadre.id)
        .collect();
    assert_eq!(stored, vec![&load]);
    assert_eq!(
        stored[0].author, CADRE,
        "the cadre's change, not the leader's"
    );
}
