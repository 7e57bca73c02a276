//! Accounts: users, devices and their tokens, failed logins.

use tally_core::DeviceId;
use tally_protocol::Role;
use tally_server::db::NewDevice;
use tally_server::limits;
use tally_testkit::{per_backend, Backend, TestDb};

per_backend!(users_and_devices, failed_logins_are_counted_and_cleared);

fn device(user_id: i64, token_hash: &str) -> NewDevice {
    NewDevice {
        id: DeviceId(uuid::Uuid::now_v7()),
        user_id,
        name: "laptop".into(),
        token_hash: token_hash.into(),
        created_ms: 1_000,
    }
}

async fn users_and_devices(backend: Backend) {
    let Some(t) = TestDb::open(backend, "accounts on PostgreSQL").await else {
        return;
    };
    let db = &t.db;
    let units = vec!["150625100201".to_string()];
    let id = db
        .add_user("batu", Role::Cadre, "hash", &units, 1_000)
        .await
        .unwrap();
    let id = id.expect("a new user");
    assert_eq!(
        db.add_user("batu", Role::Leader, "h2", &[], 1_000)
            .await
            .unwrap(),
        None
    );
    let user = db.user_by_name("batu").await.unwrap().expect("the user");
    assert_eq!(
        (
            user.id,
            user.role,
            user.password_hash.as_str(),
            user.disabled,
            &user.units
        ),
        (id, Role::Cadre, "hash", false, &units)
    );
    assert_eq!(db.user_by_name("nobody").await.unwrap(), None);

    let laptop = device(id, "token-1");
    assert!(db.add_device(laptop.clone()).await.unwrap());
    let auth = db
        .device_by_token("token-1")
        .await
        .unwrap()
        .expect("the device");
    assert_eq!(
        (
            auth.device,
            auth.user.as_str(),
            auth.role,
            auth.revoked,
            auth.last_seen_ms
        ),
        (laptop.id, "batu", Role::Cadre, false, None)
    );
    db.touch_device(laptop.id, 5_000).await.unwrap();
    let seen = db
        .device_by_token("token-1")
        .await
        .unwrap()
        .unwrap()
        .last_seen_ms;
    assert_eq!(seen, Some(5_000));

    // The same id for another user's active device changes nothing.
    let other = db
        .add_user("wang", Role::Cadre, "h", &[], 1_000)
        .await
        .unwrap()
        .unwrap();
    let taken = NewDevice {
        user_id: other,
        token_hash: "token-2".into(),
        ..laptop.clone()
    };
    assert!(!db.add_device(taken.clone()).await.unwrap());
    assert_eq!(db.device_by_token("token-2").await.unwrap(), None);
    // A new token for the user's own device replaces the old one.
    let renewed = NewDevice {
        token_hash: "token-3".into(),
        ..laptop.clone()
    };
    assert!(db.add_device(renewed).await.unwrap());
    assert_eq!(db.device_by_token("token-1").await.unwrap(), None);
    assert!(db.device_by_token("token-3").await.unwrap().is_some());

    let listed = db.list_devices().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].id, listed[0].user.as_str()), (laptop.id, "batu"));

    assert!(db.revoke_device(laptop.id, 6_000).await.unwrap());
    assert!(
        db.device_by_token("token-3")
            .await
            .unwrap()
            .unwrap()
            .revoked
    );
    assert!(!db
        .revoke_device(DeviceId(uuid::Uuid::now_v7()), 6_000)
        .await
        .unwrap());
    // Revoked, the id still belongs to the account that first enrolled it: another user
    // cannot take it over and push as that device.
    assert!(!db.add_device(taken).await.unwrap());
    assert_eq!(db.device_by_token("token-2").await.unwrap(), None);

    assert!(db.set_user_disabled("batu", true).await.unwrap());
    assert!(db.user_by_name("batu").await.unwrap().unwrap().disabled);
    assert!(!db.set_user_disabled("nobody", true).await.unwrap());
}

async fn failed_logins_are_counted_and_cleared(backend: Backend) {
    let Some(t) = TestDb::open(backend, "accounts on PostgreSQL").await else {
        return;
    };
    let db = &t.db;
    const T: u64 = 1_750_000_000_000;
    const HOME: &str = "192.0.2.1";
    const AWAY: &str = "198.51.100.9";
    // Five attempts of one account from one source; the sixth waits for the first.
    for i in 0..limits::PER_ACCOUNT as u64 {
        assert_eq!(
            db.begin_login_attempt("batu", AWAY, T + i * 1000)
                .await
                .unwrap(),
            Ok(())
        );
    }
    let wait = db
        .begin_login_attempt("batu", AWAY, T + 5_000)
        .await
        .unwrap();
    assert_eq!(wait, Err(limits::WINDOW_MS - 5_000));
    // The account from another source, and another account from that source, may try.
    assert_eq!(
        db.begin_login_attempt("batu", HOME, T + 5_000)
            .await
            .unwrap(),
        Ok(())
    );
    assert_eq!(
        db.begin_login_attempt("wang", AWAY, T + 5_000)
            .await
            .unwrap(),
        Ok(())
    );
    // A right password forgets the account's attempts from its source only.
    db.login_succeeded("batu", HOME).await.unwrap();
    assert!(db
        .begin_login_attempt("batu", AWAY, T + 6_000)
        .await
        .unwrap()
        .is_err());
    // Attempts leave with their window (the first at T: gone just after T + window).
    assert_eq!(
        db.begin_login_attempt("batu", AWAY, T + limits::WINDOW_MS + 1)
            .await
            .unwrap(),
        Ok(())
    );
    // One source may try so many accounts, then waits.
    let spray = "203.0.113.5";
    for i in 0..limits::PER_SOURCE {
        let name = format!("user{i}");
        assert_eq!(
            db.begin_login_attempt(&name, spray, T).await.unwrap(),
            Ok(()),
            "{i}"
        );
    }
    assert!(db
        .begin_login_attempt("one-more", spray, T)
        .await
        .unwrap()
        .is_err());
}
