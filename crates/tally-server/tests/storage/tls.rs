//! PostgreSQL over TLS: a URL with `sslmode=require` and the server's certificate in
//! `sslrootcert` gives encrypted connections that work like plain ones; the same URL
//! without the certificate to trust is refused (the server's certificate is checked).

use tally_core::Explain;
use tally_server::db::PgDb;
use tally_testkit::pg;

/// The test PostgreSQL's certificate (scripts/with-postgres.sh makes it).
const CA_VAR: &str = "TALLY_TEST_PG_CA";

#[tokio::test]
async fn postgres_connections_are_encrypted_when_the_url_asks() {
    let Some(base) = pg::pg_url("PostgreSQL over TLS") else {
        return;
    };
    let ca = std::env::var(CA_VAR).unwrap_or_else(|_| {
        panic!("{CA_VAR} is not set: run the PostgreSQL tests through scripts/with-postgres.sh")
    });
    let _lock = pg::lock().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let schema = format!("tls_{}", uuid::Uuid::now_v7().simple());

    let plain = PgDb::connect_in_schema(&base, &schema).await.unwrap();
    assert!(
        !plain.uses_tls().await.unwrap(),
        "no sslmode: a plain connection"
    );

    let url = format!("{base}{sep}sslmode=require&sslrootcert={ca}");
    let tls = PgDb::connect_in_schema(&url, &schema).await.unwrap();
    assert!(tls.uses_tls().await.unwrap(), "sslmode=require: encrypted");
    // The same database through either connection.
    let db = tally_server::Db::new(tls);
    let clock = tally_server::ManualClock::at(1_780_286_400_000);
    tally_server::admin::add_user(
        &db,
        &clock,
        "root",
        tally_core::Role::Admin,
        &[],
        "pw-123456",
    )
    .await
    .unwrap();
    assert!(tally_server::Db::new(plain)
        .user_by_name("root")
        .await
        .unwrap()
        .is_some());

    // Without the certificate to trust, the server's self-signed one is refused.
    let untrusted = format!("{base}{sep}sslmode=require");
    let e = PgDb::connect_in_schema(&untrusted, &schema)
        .await
        .err()
        .expect("an unknown certificate is refused");
    assert!(!e.zh().is_empty());
    let text = format!("{e:?}");
    assert!(text.to_lowercase().contains("certificate"), "{text}");
}
