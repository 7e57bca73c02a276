//! Push and pull: receipts, idempotent replay, paging, per-change rejections, gzip,
//! size limits, conflicts.

use crate::both_backends;
use crate::support::*;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use flate2::{read::GzDecoder, write::GzEncoder, Compression};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::{Read, Write};
use tally_core::{FieldEdit, Table};
use tally_protocol::{PushResult, SeqRanges, PROTOCOL_HEADER};
use tower::ServiceExt;

both_backends!(
    a_replayed_batch_gets_the_same_receipts_and_stores_nothing_twice,
    pull_pages_through_everything_once,
    one_rejection_does_not_block_the_batch,
    oversize_bodies_and_batches_are_refused,
    gzip_both_ways,
    concurrent_edits_become_conflicts_for_leaders,
    a_pull_leaves_out_the_devices_own_held_changes_and_passes_them,
);

async fn a_replayed_batch_gets_the_same_receipts_and_stores_nothing_twice(h: Harness) {
    let mut dev = h.device(CADRE).await;
    let house = dev.household(VILLAGE_A1, "王五");
    let visit = dev.change(
        Table::Visit,
        tally_core::RowId(uuid::Uuid::now_v7()),
        VILLAGE_A1,
        json!({"household": house.row.to_string(), "date": TODAY}),
    );
    let load = dev.cleanup(VILLAGE_A1, json!(12.5));
    let batch = vec![house.clone(), visit, load];
    let r = h.push(&dev, &batch).await;
    assert_eq!(r.body["server_time_ms"], T0);
    let seqs = accepted(&r.results());
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    for (res, ch) in r.results().iter().zip(&batch) {
        assert_eq!(res.change_id(), ch.id, "results are in request order");
    }

    let again = h.push(&dev, &batch).await;
    assert_eq!(
        accepted(&again.results()),
        seqs,
        "a replay answers with the receipts"
    );

    // The same change twice in one batch, next to a new one.
    let another = dev.household(VILLAGE_A1, "赵六");
    let r = h
        .push(&dev, &[another.clone(), another.clone(), batch[0].clone()])
        .await;
    let s = accepted(&r.results());
    assert_eq!(s[0], s[1]);
    assert_eq!(s[2], seqs[0]);

    let (pulled, _) = h.pull_all(&dev, "").await;
    let ours: Vec<_> = pulled
        .iter()
        .filter(|p| p.change.table != Table::OrgUnit)
        .collect();
    assert_eq!(ours.len(), 4, "each change stored once");
    let ids: HashSet<_> = ours.iter().map(|p| p.change.id).collect();
    assert_eq!(ids.len(), 4);
    let stored = ours.iter().find(|p| p.change.id == house.id).unwrap();
    assert_eq!(stored.change, house, "stored as sent");
    assert_eq!(stored.seq, seqs[0]);

    let row = h.db.row(house.row).await.unwrap().expect("merged row");
    assert_eq!(row.str("head"), Some("王五"));
    assert_eq!(row.unit, VILLAGE_A1);
}

async fn pull_pages_through_everything_once(h: Harness) {
    let mut dev = h.device(CADRE).await;
    let batch: Vec<_> = (0..7)
        .map(|i| dev.household(VILLAGE_A1, &format!("户主{i}")))
        .collect();
    accepted(&h.push(&dev, &batch).await.results());

    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let r = h.pull(&dev, &cursor, 3).await;
        let page = r.pulled();
        assert!(page.len() <= 3);
        pages += 1;
        seen.extend(page);
        cursor = r.cursor();
        if !r.more() {
            break;
        }
        assert!(pages < 10, "paging does not end");
    }
    // Banner, township and village org units, then the 7 households.
    assert_eq!(seen.len(), 10);
    assert_eq!(pages, 4);
    let ids: HashSet<_> = seen.iter().map(|p| p.change.id).collect();
    assert_eq!(ids.len(), 10, "no change twice");
    assert!(batch.iter().all(|c| ids.contains(&c.id)));

    let r = h.pull(&dev, &cursor, 3).await;
    assert!(r.pulled().is_empty() && !r.more());
    assert_eq!(r.cursor(), cursor, "an empty page keeps the cursor");

    let later = dev.household(VILLAGE_A1, "后来户");
    accepted(&h.push(&dev, std::slice::from_ref(&later)).await.results());
    let r = h.pull(&dev, &cursor, 3).await;
    let page = r.pulled();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].change.id, later.id);

    // The default page size, a clamped one, and a cursor from elsewhere.
    let r = h.get("/api/v1/sync/pull", Some(&dev.token)).await;
    assert_eq!(r.pulled().len(), 11);
    assert_eq!(h.pull(&dev, "", 0).await.pulled().len(), 1);
    let r = h.pull(&dev, "not-a-cursor", 10).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "bad_cursor")
    );
    let r = h
        .get("/api/v1/sync/pull?limit=many", Some(&dev.token))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "bad_request"));
}

async fn one_rejection_does_not_block_the_batch(h: Harness) {
    let mut dev = h.device(CADRE).await;
    let other = h.device(CADRE).await;
    let good = dev.household(VILLAGE_A1, "王五");
    let mut foreign_device = dev.household(VILLAGE_A1, "冒名");
    foreign_device.device = other.id;
    dev.physical_ms = T0 + 4 * 60 * 1000;
    let slightly_ahead = dev.household(VILLAGE_A1, "稍快");
    let mut correction = dev.household(VILLAGE_A1, "更正");
    correction.correction = true;
    let also_good = dev.cleanup(VILLAGE_A1, json!(3));
    dev.physical_ms = T0 + 10 * 60 * 1000;
    let ahead = dev.household(VILLAGE_A1, "快表");
    let batch = vec![
        good,
        foreign_device,
        ahead,
        slightly_ahead,
        correction,
        also_good,
    ];
    let results = h.push(&dev, &batch).await.results();
    let codes: Vec<_> = results.iter().map(outcome).collect();
    assert_eq!(
        codes,
        [
            "accepted",
            "wrong_device",
            "clock_ahead",
            "accepted",
            "forbidden",
            "accepted"
        ]
    );
    match &results[2] {
        PushResult::Rejected { reason_zh, .. } => {
            assert_eq!(reason_zh, "设备时间比服务器快，请校准时间后重新同步")
        }
        other => panic!("{other:?}"),
    }
    let (pulled, _) = h.pull_all(&dev, "").await;
    let stored: HashSet<_> = pulled.iter().map(|p| p.change.id).collect();
    for (ch, code) in batch.iter().zip(&codes) {
        assert_eq!(stored.contains(&ch.id), code == "accepted", "{code}");
    }
}

async fn oversize_bodies_and_batches_are_refused(h: Harness) {
    let mut dev = h.device(CADRE).await;
    let (_, start) = h.pull_all(&dev, "").await;

    let mut big = b"{\"changes\": [], \"pad\": \"".to_vec();
    big.resize(big.len() + 9 * 1024 * 1024, b'x');
    big.extend_from_slice(b"\"}");
    let r = h
        .send(request(
            Method::POST,
            "/api/v1/sync/push",
            Some(&dev.token),
            Some(big.clone()),
        ))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );

    // Small on the wire, too large once decompressed.
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(&big).unwrap();
    let small = gz.finish().unwrap();
    assert!(small.len() < 100 * 1024);
    let mut req = request(
        Method::POST,
        "/api/v1/sync/push",
        Some(&dev.token),
        Some(small),
    );
    req.headers_mut()
        .insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
    let r = h.send(req).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );

    let batch: Vec<_> = (0..1001)
        .map(|i| dev.household(VILLAGE_A1, &format!("户{i}")))
        .collect();
    let r = h.push(&dev, &batch).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "batch_too_large")
    );

    let mut req = request(
        Method::POST,
        "/api/v1/sync/push",
        Some(&dev.token),
        Some(b"{}".to_vec()),
    );
    req.headers_mut()
        .insert(header::CONTENT_ENCODING, "compress".parse().unwrap());
    let r = h.send(req).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.code(), "unsupported_media_type");

    let (pulled, _) = h.pull_all(&dev, &start).await;
    assert!(pulled.is_empty(), "nothing stored");
}

async fn gzip_both_ways(h: Harness) {
    let mut dev = h.device(CADRE).await;
    let change = dev.household(VILLAGE_A1, "王五");
    let body = serde_json::to_vec(&json!({ "changes": [change] })).unwrap();
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&body).unwrap();
    let mut req = request(
        Method::POST,
        "/api/v1/sync/push",
        Some(&dev.token),
        Some(gz.finish().unwrap()),
    );
    req.headers_mut()
        .insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
    accepted(&h.send(req).await.results());

    let req = Request::get("/api/v1/sync/pull")
        .header(PROTOCOL_HEADER, "1")
        .header(header::AUTHORIZATION, format!("Bearer {}", dev.token))
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let res = h.app().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let mut text = String::new();
    GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    let ids: Vec<_> = body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["change"]["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&change.id.to_string()));
}

async fn concurrent_edits_become_conflicts_for_leaders(h: Harness) {
    let mut cadre = h.device(CADRE).await;
    let mut leader = h.device(LEADER).await;
    let inspector = h.device(INSPECTOR).await;
    let created = cadre.household(VILLAGE_A1, "王五");
    accepted(
        &h.push(&cadre, std::slice::from_ref(&created))
            .await
            .results(),
    );

    // Both saw the created value; neither saw the other's edit.
    let a = cadre.edit(&created, json!({"head": "王武"}));
    let b = leader.edit(&created, json!({"head": "王午"}));
    accepted(&h.push(&cadre, std::slice::from_ref(&a)).await.results());
    accepted(&h.push(&leader, std::slice::from_ref(&b)).await.results());

    let r = h.get("/api/v1/conflicts", Some(&leader.token)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let conflicts: Vec<tally_core::Conflict> =
        serde_json::from_value(r.body["conflicts"].clone()).unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let c = &conflicts[0];
    assert_eq!((c.row, c.field.as_str()), (created.row, "head"));
    let values: HashSet<_> = [c.winner_value.clone(), c.loser.value.clone()].into();
    assert_eq!(values, HashSet::from([json!("王武"), json!("王午")]));
    let r = h.get("/api/v1/conflicts", Some(&inspector.token)).await;
    assert_eq!(r.body["conflicts"].as_array().unwrap().len(), 1);
    let r = h.get("/api/v1/conflicts", Some(&cadre.token)).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "forbidden"));

    // Resolving: an edit that saw both values closes the conflict.
    let mut fix = leader.change(
        Table::Household,
        created.row,
        VILLAGE_A1,
        json!({"head": "王五"}),
    );
    let edit: &mut FieldEdit = fix.fields.get_mut("head").unwrap();
    edit.base = Some(c.winner_at);
    edit.saw = vec![c.loser.at];
    accepted(&h.push(&leader, &[fix]).await.results());
    let r = h.get("/api/v1/conflicts", Some(&leader.token)).await;
    assert_eq!(r.body["conflicts"], json!([]));
    let row = h.db.row(created.row).await.unwrap().unwrap();
    assert_eq!(row.str("head"), Some("王五"));
}

async fn a_pull_leaves_out_the_devices_own_held_changes_and_passes_them(h: Harness) {
    let mut a = h.device(CADRE).await;
    let mut other = h.device(CADRE).await;
    let (_, start) = h.pull_all(&a, "").await;
    let mine = [a.household(VILLAGE_A1, "甲"), a.household(VILLAGE_A1, "乙")];
    let my_seqs = accepted(&h.push(&a, &mine).await.results());
    let theirs = other.household(VILLAGE_A1, "丙");
    let their_seq = accepted(
        &h.push(&other, std::slice::from_ref(&theirs))
            .await
            .results(),
    );

    // Held seqs name the other device's change too: only a's own are left out.
    let skip = SeqRanges::of(&[my_seqs.clone(), their_seq].concat()).to_string();
    let r = h
        .get(
            &format!("/api/v1/sync/pull?cursor={start}&skip={skip}"),
            Some(&a.token),
        )
        .await;
    let ids: Vec<_> = r.pulled().iter().map(|p| p.change.id).collect();
    assert_eq!(ids, vec![theirs.id]);
    assert!(!r.more());
    // The cursor passed the left-out changes: nothing comes after it.
    let (rest, _) = h.pull_all(&a, &r.cursor()).await;
    assert!(rest.is_empty(), "{rest:?}");

    // Without `skip` (a device restored from an older copy) its own changes come back.
    let (again, _) = h.pull_all(&a, &start).await;
    let again: HashSet<_> = again.iter().map(|p| p.change.id).collect();
    assert!(mine.iter().all(|c| again.contains(&c.id)));

    // A bad `skip` is refused, naming what is wrong.
    let r = h.get("/api/v1/sync/pull?skip=9-3", Some(&a.token)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.to_string().contains("9-3"), "{}", r.body);
}
