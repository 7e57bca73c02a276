//! Shared helpers for the end-to-end stories: a server (SQLite file or a fresh
//! PostgreSQL schema) seeded with a banner and its users, a transport that calls the
//! server's router in-process, and a nemesis transport that drops, loses, duplicates,
//! replays and cuts requests under a seeded random generator.

use axum::body::Body;
use http_body_util::BodyExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Mutex, MutexGuard};
use tally_core::Level;
use tally_protocol::{Role, PROTOCOL_HEADER, SERVER_TIME_HEADER};
use tally_server::admin::{self, NewUnit};
use tally_server::db::PgDb;
use tally_server::{router, AppState, Db, ManualClock};
use tally_sync::{Method, Request, Response, Transport, TransportError};
use tempfile::TempDir;
use tower::ServiceExt;

/// 2026-06-01T04:00:00Z (noon in Beijing): where simulated time starts.
pub const T0: u64 = 1_780_286_400_000;
pub const PASSWORD: &str = "correct-horse-battery";
pub const BANNER: &str = "150625";
pub const TOWNSHIP: &str = "150625100";
pub const VILLAGE_A: &str = "150625100201";
pub const VILLAGE_B: &str = "150625100202";

/// Which database the server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL URL of the tests. In CI (CI=true) a missing URL fails the test: the
/// PostgreSQL variants must run there.
pub fn pg_url() -> Option<String> {
    match std::env::var("TALLY_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI=true but TALLY_TEST_PG_URL is not set: run the tests through scripts/with-postgres.sh"
            );
            eprintln!("TALLY_TEST_PG_URL is not set: the PostgreSQL variant is not run here");
            None
        }
    }
}

/// PostgreSQL snapshots span the cluster: one test at a time on it.
static PG_LOCK: Mutex<()> = Mutex::new(());

/// Hold this while a test uses the shared PostgreSQL cluster: an open transaction of
/// one test would hold back the pulls of another.
pub fn pg_lock() -> MutexGuard<'static, ()> {
    PG_LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// A server over a fresh database, with its router and a runtime to drive it.
pub struct Server {
    pub db: Db,
    pub clock: Arc<ManualClock>,
    pub rt: Arc<tokio::runtime::Runtime>,
    _dir: TempDir,
    _pg: Option<MutexGuard<'static, ()>>,
}

impl Server {
    /// A fresh server seeded with banner → township → two villages and the users
    /// `cadre-a`, `cadre-a2` (village A), `cadre-b` (village B), `leader` (township)
    /// and `admin`. `None` if the backend is PostgreSQL and no URL is given (outside CI).
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
                let base = pg_url()?;
                let guard = pg_lock();
                let schema = format!("sim_{}", uuid::Uuid::now_v7().simple());
                let db = rt
                    .block_on(PgDb::connect_in_schema(&base, &schema))
                    .expect("connect to TALLY_TEST_PG_URL");
                (Db::Postgres(db), Some(guard))
            }
        };
        let server = Server {
            db,
            clock: Arc::new(ManualClock::at(T0)),
            rt,
            _dir: dir,
            _pg: guard,
        };
        server.seed();
        Some(server)
    }

    fn seed(&self) {
        let units = [
            (BANNER, "杭锦旗", Level::Banner, None),
            (TOWNSHIP, "锡尼镇", Level::Township, Some(BANNER)),
            (VILLAGE_A, "阿斯尔嘎查", Level::Village, Some(TOWNSHIP)),
            (VILLAGE_B, "巴音嘎查", Level::Village, Some(TOWNSHIP)),
        ];
        self.rt.block_on(async {
            for (code, name, level, parent) in units {
                let unit = NewUnit {
                    code: code.into(),
                    name: name.into(),
                    level,
                    parent: parent.map(Into::into),
                };
                admin::add_unit(&self.db, &*self.clock, unit)
                    .await
                    .expect("seed an org unit");
            }
            for (name, role, unit) in [
                ("cadre-a", Role::Cadre, Some(VILLAGE_A)),
                ("cadre-a2", Role::Cadre, Some(VILLAGE_A)),
                ("cadre-b", Role::Cadre, Some(VILLAGE_B)),
                ("leader", Role::Leader, Some(TOWNSHIP)),
                ("admin", Role::Admin, None),
            ] {
                let units: Vec<String> = unit.map(|u| vec![u.to_string()]).unwrap_or_default();
                admin::add_user(&self.db, &*self.clock, name, role, &units, PASSWORD)
                    .await
                    .expect("seed a user");
            }
        });
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
            let server_time_ms = resp
                .headers()
                .get(SERVER_TIME_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
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
