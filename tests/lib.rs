//! Shared helpers for the end-to-end stories: a server (SQLite file or a fresh
//! PostgreSQL schema) seeded with a banner and its users, a transport that calls the
//! server's router in-process, and a nemesis transport that drops, loses, duplicates,
//! replays and cuts requests under a seeded random generator.

use axum::body::Body;
use http_body_util::BodyExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use tally_protocol::PROTOCOL_HEADER;
use tally_server::{router, AppState, Db, ManualClock};
use tally_sync::{Method, Request, Response, Transport, TransportError};
use tally_testkit::pg;
use tempfile::TempDir;
use tower::ServiceExt;

pub use tally_testkit::banner::{BANNER, PASSWORD, TOWNSHIP, VILLAGE_A, VILLAGE_B};
pub use tally_testkit::pg::lock_blocking as pg_lock;
pub use tally_testkit::Backend;

/// 2026-06-01T04:00:00Z (noon in Beijing): where simulated time starts.
pub const T0: u64 = 1_780_286_400_000;

/// A server over a fresh database, with its router and a runtime to drive it.
pub struct Server {
    pub db: Db,
    pub clock: Arc<ManualClock>,
    pub rt: Arc<tokio::runtime::Runtime>,
    _dir: TempDir,
    _pg: Option<pg::PgGuard>,
}

impl Server {
    /// A fresh server seeded with the test banner and its users
    /// (`tally_testkit::banner`). `None` if the backend is PostgreSQL and it is skipped
    /// on purpose (see `tally_testkit`).
    pub fn start(backend: Backend) -> Option<Server> {
        let rt = Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        );
        let dir = tempfile::tempdir().unwrap();
        let (db, guard) = match backend {
            Backend::Sqlite => {
                let url = format!("sqlite:{}", dir.path().join("server.db").display());
                (
                    rt.block_on(Db::open(&url))
                        .expect("open the server's SQLite"),
                    None,
                )
            }
            Backend::Postgres => {
                let base = pg::pg_url("a simulated server on PostgreSQL")?;
                let guard = pg::lock_blocking();
                let schema = rt.block_on(pg::fresh_schema(&base, "sim"));
                (Db::new(schema.db), Some(guard))
            }
        };
        let server = Server {
            db,
            clock: Arc::new(ManualClock::at(T0)),
            rt,
            _dir: dir,
            _pg: guard,
        };
        server.rt.block_on(tally_testkit::banner::seed_server(
            &server.db,
            &*server.clock,
        ));
        Some(server)
    }

    /// A transport straight into this server's router.
    pub fn transport(&self) -> RouterTransport {
        let app = router(AppState::with_clock(self.db.clone(), self.clock.clone()));
        RouterTransport {
            app,
            rt: self.rt.clone(),
        }
    }
}

/// Calls the router in-process: the whole HTTP stack of the server, no sockets.
#[derive(Clone)]
pub struct RouterTransport {
    app: axum::Router,
    rt: Arc<tokio::runtime::Runtime>,
}

impl Transport for RouterTransport {
    fn send(&mut self, req: &Request) -> Result<Response, TransportError> {
        let mut b = axum::http::Request::builder()
            .method(match req.method {
                Method::Get => axum::http::Method::GET,
                Method::Post => axum::http::Method::POST,
            })
            .uri(&req.path)
            .header(PROTOCOL_HEADER, "1");
        if let Some(t) = &req.token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        if req.body.is_some() {
            b = b.header("content-type", "application/json");
        }
        let http = b
            .body(req.body.clone().map_or_else(Body::empty, Body::from))
            .map_err(|e| TransportError(e.to_string()))?;
        let app = self.app.clone();
        self.rt.block_on(async move {
            let resp = app
                .oneshot(http)
                .await
                .map_err(|e| TransportError(e.to_string()))?;
            let status = resp.status().as_u16();
            let server_time_ms = tally_sync::transport::server_time(resp.headers());
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| TransportError(e.to_string()))?
                .to_bytes()
                .to_vec();
            Ok(Response {
                status,
                wire_bytes: body.len(),
                body,
                server_time_ms,
            })
        })
    }
}

/// How often each fault strikes a request (probabilities, checked in this order).
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// The request never reaches the server.
    pub drop_request: f64,
    /// A 503 from a proxy; the server never saw the request.
    pub server_error: f64,
    /// An earlier push is delivered again before this request (late duplicate, reordered).
    pub replay_old: f64,
    /// The request is delivered twice.
    pub duplicate: f64,
    /// The server handled the request but the answer is lost.
    pub lose_response: f64,
    /// The answer arrives cut short (half the body).
    pub cut_response: f64,
    /// The server handled the request, and the device dies before reading the answer.
    pub crash_after_send: f64,
}

impl Faults {
    pub fn none() -> Faults {
        Faults::default()
    }

    /// A bad network: every fault in a few percent of requests.
    pub fn hostile() -> Faults {
        Faults {
            drop_request: 0.08,
            server_error: 0.05,
            replay_old: 0.08,
            duplicate: 0.08,
            lose_response: 0.08,
            cut_response: 0.04,
            crash_after_send: 0.04,
        }
    }
}

/// A transport between a device and the server that misbehaves on purpose.
pub struct Nemesis {
    pub inner: RouterTransport,
    pub faults: Faults,
    rng: StdRng,
    old_pushes: Vec<Request>,
    /// Set when a crash fault struck: the device must be "restarted" (reopened).
    pub crashed: bool,
    /// How many faults struck, by kind (for the test's report).
    pub struck: [usize; 7],
}

impl Nemesis {
    pub fn new(inner: RouterTransport, seed: u64) -> Nemesis {
        Nemesis {
            inner,
            faults: Faults::none(),
            rng: StdRng::seed_from_u64(seed),
            old_pushes: Vec::new(),
            crashed: false,
            struck: [0; 7],
        }
    }

    fn roll(&mut self, p: f64, kind: usize) -> bool {
        let hit = p > 0.0 && self.rng.gen::<f64>() < p;
        if hit {
            self.struck[kind] += 1;
        }
        hit
    }
}

impl Transport for Nemesis {
    fn send(&mut self, req: &Request) -> Result<Response, TransportError> {
        if self.crashed {
            return Err(TransportError("the device is down".into()));
        }
        let f = self.faults;
        if self.roll(f.drop_request, 0) {
            return Err(TransportError("connection reset (request dropped)".into()));
        }
        if self.roll(f.server_error, 1) {
            let body = br#"{"error":{"code":"bad_gateway","message":"proxy error","message_zh":"proxy error"}}"#.to_vec();
            return Ok(Response {
                status: 503,
                wire_bytes: body.len(),
                body,
                server_time_ms: None,
            });
        }
        if !self.old_pushes.is_empty() && self.roll(f.replay_old, 2) {
            let i = self.rng.gen_range(0..self.old_pushes.len());
            let old = self.old_pushes[i].clone();
            let _ = self.inner.send(&old);
        }
        if req.method == Method::Post && req.path.ends_with("/sync/push") {
            if self.old_pushes.len() >= 16 {
                self.old_pushes.remove(0);
            }
            self.old_pushes.push(req.clone());
        }
        let mut resp = self.inner.send(req)?;
        if self.roll(f.duplicate, 3) {
            resp = self.inner.send(req)?;
        }
        if self.roll(f.lose_response, 4) {
            return Err(TransportError("connection reset (answer lost)".into()));
        }
        if self.roll(f.cut_response, 5) {
            resp.body.truncate(resp.body.len() / 2);
            return Ok(resp);
        }
        if self.roll(f.crash_after_send, 6) {
            self.crashed = true;
            return Err(TransportError("the device crashed".into()));
        }
        Ok(resp)
    }
}
