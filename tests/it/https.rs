//! The sync client over HTTPS to `tally-server serve --tls-cert/--tls-key`: a server
//! whose certificate the system does not know is refused, and trusted once its
//! certificate (or its private CA's) is given (`TALLY_CA_FILE`); a file that holds no
//! certificate is refused naming it.

use tally_core::Explain;
use tally_protocol::paths;
use tally_sync::{HttpTransport, Method, Request, Transport};
use tally_tests::*;

#[test]
fn the_client_trusts_a_private_certificate_it_is_given_and_no_other() {
    let server = Server::start(Backend::Sqlite).unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_pem, key_pem) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.key_pair.serialize_pem()).unwrap();
    let tls = tally_server::serve::tls_config(&cert_pem, &key_pem).unwrap();
    let app = tally_server::router(tally_server::AppState::with_clock(
        server.db.clone(),
        server.clock.clone(),
    ));
    let addr = server.rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let options = tally_server::serve::Options {
            tls: Some(tls),
            ..tally_server::serve::Options::default()
        };
        tokio::spawn(tally_server::serve::serve(
            listener,
            app,
            options,
            std::future::pending(),
        ));
        addr
    });
    let url = format!("https://127.0.0.1:{}", addr.port());
    let health = Request {
        method: Method::Get,
        path: paths::HEALTH.into(),
        token: None,
        body: None,
    };

    let mut trusting = HttpTransport::with_roots(&url, Some(cert.cert.pem().as_bytes())).unwrap();
    assert_eq!(trusting.send(&health).unwrap().status, 200);

    // Unknown: refused at once (no retries), said as such, not as "no network".
    let mut unknown = HttpTransport::with_roots(&url, None).unwrap();
    let e = unknown.send(&health).unwrap_err();
    assert!(e.is_untrusted(), "{e}");
    let mut waits = 0;
    let e = tally_sync::transport::send_with_retry(
        &mut unknown,
        &health,
        &tally_sync::Backoff::default(),
        &mut |_| waits += 1,
    )
    .unwrap_err();
    assert_eq!(waits, 0, "not retried");
    let e = tally_sync::SyncError::from(e);
    assert_eq!(e.code(), "untrusted_certificate");
    assert!(
        e.zh().contains("证书不受信任") && e.zh().contains("TALLY_CA_FILE"),
        "{}",
        e.zh()
    );

    let e = HttpTransport::with_roots(&url, Some(b"not a certificate"))
        .err()
        .expect("a file without a certificate is refused");
    assert_eq!(e.code(), "bad_ca_file");
    assert!(e.zh().contains("TALLY_CA_FILE"), "{}", e.zh());
}
