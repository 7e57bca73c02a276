//! The server on a real TCP socket (127.0.0.1), as `tally-server serve` runs it: a
//! half-sent request and an idle connection are closed, a flood of idle connections
//! cannot keep a health check out, HTTPS works with a certificate from PEM files, and
//! handlers learn the peer's address (the login limit is per source).

use crate::support::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use tally_server::serve::{self, Options};

/// Serve the harness's database with `options` on 127.0.0.1; the address.
async fn start(h: &Harness, options: Options) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = tally_server::router(tally_server::AppState::with_clock(
        h.reopen().await,
        h.clock.clone(),
    ));
    tokio::spawn(serve::serve(listener, app, options, std::future::pending()));
    addr
}

fn quick() -> Options {
    Options {
        max_connections: 8,
        idle_timeout: Duration::from_millis(400),
        header_timeout: Duration::from_millis(400),
        request_timeout: Duration::from_millis(700),
        tls: None,
    }
}

/// Send `bytes` and read until the server closes; what it answered and how long it took.
fn send_and_wait(addr: SocketAddr, bytes: &[u8]) -> (String, Duration) {
    let t = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    (String::from_utf8_lossy(&out).into_owned(), t.elapsed())
}

fn health(addr: SocketAddr) -> String {
    let (answer, _) = send_and_wait(
        addr,
        b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed_and_cannot_keep_others_out() {
    let h = Harness::new(Backend::Sqlite).await.unwrap();
    let addr = start(&h, quick()).await;
    tokio::task::spawn_blocking(move || {
        // What each gets: closed with no answer, or told it took too long (408).
        let cases: [(&str, &[u8], &str); 3] = [
            ("a half-sent header", b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ", ""),
            ("nothing at all", b"", ""),
            (
                "a half-sent body",
                b"POST /api/v1/devices HTTP/1.1\r\nHost: x\r\nX-Tally-Protocol: 1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user\":",
                "408",
            ),
        ];
        for (what, bytes, status) in cases {
            let (answer, took) = send_and_wait(addr, bytes);
            assert!(took < Duration::from_secs(5), "{what}: held for {took:?}");
            if status.is_empty() {
                assert!(answer.is_empty(), "{what}: {answer}");
            } else {
                assert!(answer.starts_with(&format!("HTTP/1.1 {status}")), "{what}: {answer}");
                assert!(answer.contains("timed_out") && answer.contains("请求超过"), "{what}: {answer}");
            }
        }
        // Twenty idle connections against a cap of eight: health still answers, at once.
        let idle: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(addr).unwrap()).collect();
        std::thread::sleep(Duration::from_millis(100));
        let t = Instant::now();
        let answer = health(addr);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(t.elapsed() < Duration::from_secs(2), "health took {:?}", t.elapsed());
        // The cap held: the quietest were closed to make room (13 of the 21), not before
        // the idle timeout for the rest.
        let closed = idle
            .iter()
            .filter(|s| {
                s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
                matches!((&mut &**s).read(&mut [0u8; 1]), Ok(0))
            })
            .count();
        assert_eq!(closed, 13, "of 20 idle connections with a cap of 8 and a health check");
        drop(idle);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_from_pem_files() {
    let h = Harness::new(Backend::Sqlite).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_pem, key_pem) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.key_pair.serialize_pem()).unwrap();
    let tls = serve::tls_config(&cert_pem, &key_pem).unwrap();
    let addr = start(
        &h,
        Options {
            tls: Some(tls),
            ..quick()
        },
    )
    .await;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", addr)
        .build()
        .unwrap();
    let r = client
        .get(format!("https://localhost:{}/api/v1/health", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Plain HTTP to the HTTPS port gets no answer.
    let plain = tokio::task::spawn_blocking(move || health(addr))
        .await
        .unwrap();
    assert!(!plain.contains("200 OK"), "{plain}");

    // Files that are not a certificate and key are refused, naming what was wrong.
    let cases = [
        (
            dir.path().join("missing.pem"),
            key_pem.clone(),
            "missing.pem",
        ),
        (key_pem.clone(), key_pem.clone(), "no certificate"),
        (cert_pem.clone(), cert_pem.clone(), "key.pem"),
    ];
    for (c, k, says) in cases {
        let e = serve::tls_config(&c, &k).unwrap_err().to_string();
        let says = if says == "key.pem" { "cert.pem" } else { says };
        assert!(e.contains(says), "{e:?} should mention {says:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_limit_counts_the_peer_address() {
    let h = Harness::new(Backend::Sqlite).await.unwrap();
    let addr = start(
        &h,
        Options {
            idle_timeout: Duration::from_secs(5),
            ..quick()
        },
    )
    .await;
    let client = reqwest::Client::new();
    let enroll = |password: &'static str| {
        client
            .post(format!("http://{addr}/api/v1/devices"))
            .header(tally_protocol::PROTOCOL_HEADER, "1")
            .json(&serde_json::json!({"user": CADRE, "password": password, "device_name": "x"}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(enroll("wrong").await.unwrap().status(), 401);
    }
    assert_eq!(
        enroll(PASSWORD).await.unwrap().status(),
        429,
        "this source is limited"
    );
    // The same account through the router with no peer address (another source): fine.
    assert_eq!(h.try_enroll(CADRE, PASSWORD).await.status.as_u16(), 200);
}
