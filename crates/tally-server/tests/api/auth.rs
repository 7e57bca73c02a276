//! Enrolment, tokens, the slow-down of wrong passwords, and the protocol handshake.

use crate::both_backends;
use crate::support::*;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;
use tally_protocol::PROTOCOL_HEADER;
use tally_server::admin;

both_backends!(
    health_is_open_and_stamped,
    enrolment_gives_a_token_that_works,
    wrong_passwords_are_slowed_down,
    revoked_forged_and_disabled_tokens_get_401,
    an_outdated_protocol_gets_426_and_touches_nothing,
    logins_are_bounded_in_size_and_in_concurrent_checks,
);

/// A megabyte user name is refused before anything is checked or stored; when every
/// password check is taken, a login is told to come back (503, Retry-After) instead of
/// queueing its Argon2 memory behind the others.
async fn logins_are_bounded_in_size_and_in_concurrent_checks(h: Harness) {
    let r = h.try_enroll(&"x".repeat(1 << 20), "x").await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "bad_request"),
        "{:?}",
        r.body
    );
    let long = "y".repeat(65);
    let r = h.try_enroll(&long, "x").await;
    assert_eq!(r.status.as_u16(), 422, "65 characters");
    let mut state = tally_server::AppState::with_clock(h.reopen().await, h.clock.clone());
    state.password_checks = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let body = json!({"user": CADRE, "password": PASSWORD, "device_name": "x"});
    let req = request(
        Method::POST,
        "/api/v1/devices",
        None,
        Some(serde_json::to_vec(&body).unwrap()),
    );
    let r = send(tally_server::router(state), req).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", r.body);
    assert_eq!(r.headers[header::RETRY_AFTER], "2");
    assert!(r.body["error"]["message_zh"]
        .as_str()
        .unwrap()
        .contains("秒后再试"));
    assert_eq!(
        h.try_enroll(CADRE, PASSWORD).await.status,
        StatusCode::OK,
        "a free server logs in"
    );
}

async fn health_is_open_and_stamped(h: Harness) {
    let req = Request::get("/api/v1/health").body(Body::empty()).unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!({"status": "ok", "protocol": 1, "server_time_ms": T0})
    );
    assert_eq!(r.server_time(), Some(T0));
    assert_eq!(r.headers[PROTOCOL_HEADER], "1");

    let r = h.get("/api/v1/nowhere", None).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(
        r.server_time(),
        Some(T0),
        "every answer carries the server time"
    );

    let r = h.post("/api/v1/sync/pull", None, &json!({})).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

async fn enrolment_gives_a_token_that_works(h: Harness) {
    let r = h.try_enroll(CADRE, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"], CADRE);
    assert_eq!(r.body["role"], "cadre");
    assert_eq!(r.body["units"], json!([VILLAGE_A1]));
    assert_eq!(r.body["server_time_ms"], T0);
    let token = r.body["token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "32 bytes, base64url");

    let r = h.get("/api/v1/sync/pull", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    let devices = admin::list_devices(&h.db).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].user, CADRE);
    assert_eq!(devices[0].last_seen_ms, Some(T0));
    assert!(!devices[0].revoked);

    let r = h
        .post(
            "/api/v1/devices",
            None,
            &json!({"user": CADRE, "password": PASSWORD, "device_name": "  "}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "bad_request"));
}

async fn wrong_passwords_are_slowed_down(h: Harness) {
    for _ in 0..5 {
        let r = h.try_enroll(CADRE, "wrong password").await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "bad_credentials")
        );
        h.clock.advance(1000);
    }
    // The sixth try is refused even with the right password, for the rest of the window.
    let r = h.try_enroll(CADRE, PASSWORD).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
    );
    assert_eq!(r.headers[header::RETRY_AFTER], "895");
    assert!(r.body["error"]["message_zh"]
        .as_str()
        .unwrap()
        .contains("15 分钟"));

    // The state is in the database: another server process refuses too.
    let other = tally_server::router(tally_server::AppState::with_clock(
        h.reopen().await,
        h.clock.clone(),
    ));
    let body = json!({"user": CADRE, "password": PASSWORD, "device_name": "x"});
    let req = request(
        Method::POST,
        "/api/v1/devices",
        None,
        Some(serde_json::to_vec(&body).unwrap()),
    );
    assert_eq!(send(other, req).await.status, StatusCode::TOO_MANY_REQUESTS);

    // Other users are not affected; unknown names are counted too.
    assert_eq!(h.try_enroll(LEADER, PASSWORD).await.status, StatusCode::OK);
    for _ in 0..5 {
        assert_eq!(
            h.try_enroll("nobody", "x").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        h.try_enroll("nobody", "x").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    h.clock.advance(10 * 60 * 1000);
    let r = h.try_enroll(CADRE, PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers[header::RETRY_AFTER], "295");
    h.clock.advance(295 * 1000);
    let r = h.try_enroll(CADRE, PASSWORD).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the window has passed: {:?}",
        r.body
    );
}

async fn revoked_forged_and_disabled_tokens_get_401(h: Harness) {
    let r = h.get("/api/v1/sync/pull", None).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let forged = tally_server::auth::new_token();
    let r = h.get("/api/v1/sync/pull", Some(&forged)).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let r = h.get("/api/v1/sync/pull", Some("not even base64 ✗")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let mut laptop = h.device(CADRE).await;
    let phone = h.device(CADRE).await;
    admin::revoke_device(&h.db, &*h.clock, &laptop.id.to_string())
        .await
        .unwrap();
    let r = h.pull(&laptop, "", 10).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let change = laptop.household(VILLAGE_A1, "王五");
    let r = h.push(&laptop, &[change]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.pull(&phone, "", 10).await.status, StatusCode::OK);
    let devices = admin::list_devices(&h.db).await.unwrap();
    assert_eq!(devices.iter().filter(|d| d.revoked).count(), 1);
    assert!(
        admin::revoke_device(&h.db, &*h.clock, &uuid::Uuid::nil().to_string())
            .await
            .is_err()
    );

    admin::disable_user(&h.db, CADRE).await.unwrap();
    let r = h.pull(&phone, "", 10).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let r = h.try_enroll(CADRE, PASSWORD).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "user_disabled")
    );
    let (pulled, _) = h.pull_all(&h.device(LEADER).await, "").await;
    assert!(pulled.iter().all(|p| p.change.table.code() == "org_unit"));
}

async fn an_outdated_protocol_gets_426_and_touches_nothing(h: Harness) {
    let mut dev = h.device(CADRE).await;
    let change = dev.household(VILLAGE_A1, "王五");
    let body = serde_json::to_vec(&json!({ "changes": [change] })).unwrap();
    for version in [None, Some("0"), Some("one")] {
        let mut b = Request::post("/api/v1/sync/push")
            .header(header::AUTHORIZATION, format!("Bearer {}", dev.token))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(v) = version {
            b = b.header(PROTOCOL_HEADER, v);
        }
        let r = h.send(b.body(Body::from(body.clone())).unwrap()).await;
        assert_eq!(r.status, StatusCode::UPGRADE_REQUIRED, "{version:?}");
        assert_eq!(r.code(), "client_outdated");
        assert_eq!(
            r.body["error"]["message_zh"],
            "客户端版本过旧，请更新 Tally 后再同步"
        );
        assert_eq!(r.server_time(), Some(T0));
    }
    let enroll = json!({"user": CADRE, "password": PASSWORD, "device_name": "old"});
    let req = Request::post("/api/v1/devices")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_vec(&enroll).unwrap()))
        .unwrap();
    assert_eq!(h.send(req).await.status, StatusCode::UPGRADE_REQUIRED);
    let req = Request::get("/api/v1/sync/pull")
        .header(header::AUTHORIZATION, format!("Bearer {}", dev.token))
        .body(Body::empty())
        .unwrap();
    assert_eq!(h.send(req).await.status, StatusCode::UPGRADE_REQUIRED);

    assert_eq!(
        admin::list_devices(&h.db).await.unwrap().len(),
        1,
        "no device enrolled"
    );
    let (pulled, _) = h.pull_all(&dev, "").await;
    assert!(
        pulled.iter().all(|p| p.change.id != change.id),
        "the refused push stored nothing"
    );
    // A newer client is served (the server answers with its own version).
    let mut req = request(Method::GET, "/api/v1/sync/pull", Some(&dev.token), None);
    req.headers_mut()
        .insert(PROTOCOL_HEADER, "2".parse().unwrap());
    let r = h.send(req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[PROTOCOL_HEADER], "1");
}
