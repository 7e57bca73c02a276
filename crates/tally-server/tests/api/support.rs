//! The test harness: a fresh server database (a temp SQLite file, or a fresh schema in
//! the PostgreSQL of TALLY_TEST_PG_URL) seeded with a banner's org units and users, the
//! router called directly, and simulated devices that make changes.

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::Arc;
use tally_core::{Change, DeviceId, Hlc, HlcClock, RowId, Table};
use tally_protocol::{
    EnrollResponse, Pulled, PushResult, Role, PROTOCOL_HEADER, SERVER_TIME_HEADER,
};
use tally_server::admin;
use tally_server::db::PgDb;
use tally_server::{router, AppState, Db, ManualClock};
pub use tally_testkit::change::MakesChanges;
use tally_testkit::TestDb;
use tower::ServiceExt;

/// 2025-06-01T00:00:00Z, the server clock at the start of every test.
pub const T0: u64 = 1_748_736_000_000;
pub const TODAY: &str = "2025-06-01";
pub const BANNER: &str = "150621";
pub const TOWN_A: &str = "150621100";
pub const TOWN_B: &str = "150621101";
pub const VILLAGE_A1: &str = "150621100001";
pub const VILLAGE_A2: &str = "150621100002";
pub const VILLAGE_B1: &str = "150621101001";
pub const PASSWORD: &str = "correct-horse-battery";

/// Seeded users: cadre of A1, cadre of B1, leader of township A, inspector of the
/// banner, admin.
pub const CADRE: &str = "batu";
pub const CADRE_B: &str = "wang";
pub const LEADER: &str = "li";
pub const INSPECTOR: &str = "zhao";
pub const ADMIN: &str = "root";

const UNITS_CSV: &str = "code,name,level,parent
150621,达拉特旗,banner,
150621100,树林召镇,township,150621
150621101,王爱召镇,township,150621
150621100001,林原村,village,150621100
150621100002,新民村,village,150621100
150621101001,榆林子村,village,150621101
";

pub use tally_testkit::Backend;

pub struct Harness {
    pub db: Db,
    /// The PostgreSQL backend itself, on PostgreSQL.
    pub pg: Option<PgDb>,
    pub clock: Arc<ManualClock>,
    url: String,
    _db: TestDb,
}

/// An answer: status, headers and the JSON body (`Value::Null` if empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn results(&self) -> Vec<PushResult> {
        assert_eq!(self.status, StatusCode::OK, "{:?}", self.body);
        serde_json::from_value(self.body["results"].clone()).expect("push results")
    }

    pub fn pulled(&self) -> Vec<Pulled> {
        assert_eq!(self.status, StatusCode::OK, "{:?}", self.body);
        serde_json::from_value(self.body["changes"].clone()).expect("pulled changes")
    }

    pub fn cursor(&self) -> String {
        self.body["cursor"].as_str().expect("cursor").to_string()
    }

    pub fn more(&self) -> bool {
        self.body["more"].as_bool().expect("more")
    }

    pub fn server_time(&self) -> Option<u64> {
        self.headers
            .get(SERVER_TIME_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.parse().ok())
    }
}

/// A request with the protocol header (and a bearer token if given).
pub fn request(
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Vec<u8>>,
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(PROTOCOL_HEADER, "1");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if body.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    b.body(body.map_or_else(Body::empty, Body::from)).unwrap()
}

impl Harness {
    /// A seeded server on `backend`; `None` if PostgreSQL is skipped on purpose (see
    /// `tally_testkit`).
    pub async fn new(backend: Backend) -> Option<Harness> {
        let t = TestDb::open(backend, "an API test on PostgreSQL").await?;
        let h = Harness {
            db: t.db.clone(),
            pg: t.pg.clone(),
            clock: Arc::new(ManualClock::at(T0)),
            url: t.url.clone(),
            _db: t,
        };
        let n = admin::import_units(&h.db, &*h.clock, UNITS_CSV.as_bytes())
            .await
            .expect("seed org units");
        assert_eq!(n, 6);
        for (name, role, unit) in [
            (CADRE, Role::Cadre, VILLAGE_A1),
            (CADRE_B, Role::Cadre, VILLAGE_B1),
            (LEADER, Role::Leader, TOWN_A),
            (INSPECTOR, Role::Inspector, BANNER),
        ] {
            admin::add_user(&h.db, &*h.clock, name, role, &[unit.to_string()], PASSWORD)
                .await
                .expect("seed user");
        }
        admin::add_user(&h.db, &*h.clock, ADMIN, Role::Admin, &[], PASSWORD)
            .await
            .expect("seed admin");
        Some(h)
    }

    /// A second server process over the same database.
    /// Run SQL straight on the database (to put it in the state an older build left).
    pub async fn raw_sql(&self, sql: &str) {
        match self.url.strip_prefix("sqlite:") {
            Some(path) => rusqlite::Connection::open(path)
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
            None => {
                let (client, conn) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                let task = tokio::spawn(conn);
                client.batch_execute(sql).await.unwrap();
                drop(client);
                task.await.unwrap().unwrap();
            }
        }
    }

    pub async fn reopen(&self) -> Db {
        Db::open(&self.url).await.expect("reopen the database")
    }

    pub fn app(&self) -> Router {
        router(AppState::with_clock(self.db.clone(), self.clock.clone()))
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        send(self.app(), req).await
    }

    pub async fn get(&self, uri: &str, token: Option<&str>) -> Reply {
        self.send(request(Method::GET, uri, token, None)).await
    }

    pub async fn post(&self, uri: &str, token: Option<&str>, body: &Value) -> Reply {
        let bytes = serde_json::to_vec(body).unwrap();
        self.send(request(Method::POST, uri, token, Some(bytes)))
            .await
    }

    pub async fn try_enroll(&self, user: &str, password: &str) -> Reply {
        let body = json!({"user": user, "password": password, "device_name": "laptop"});
        self.post("/api/v1/devices", None, &body).await
    }

    /// Enrol a device of `user` (seeded password).
    pub async fn device(&self, user: &str) -> Dev {
        let r = self.try_enroll(user, PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let e: EnrollResponse = serde_json::from_value(r.body).unwrap();
        Dev {
            id: e.device_id,
            token: e.token,
            user: e.user,
            clock: HlcClock::default(),
            physical_ms: T0,
        }
    }

    pub async fn push(&self, dev: &Dev, changes: &[Change]) -> Reply {
        self.post(
            "/api/v1/sync/push",
            Some(&dev.token),
            &json!({ "changes": changes }),
        )
        .await
    }

    pub async fn pull(&self, dev: &Dev, cursor: &str, limit: u32) -> Reply {
        self.get(
            &format!("/api/v1/sync/pull?cursor={cursor}&limit={limit}"),
            Some(&dev.token),
        )
        .await
    }

    /// Every change after `cursor`, page by page; the changes and the final cursor.
    pub async fn pull_all(&self, dev: &Dev, cursor: &str) -> (Vec<Pulled>, String) {
        let mut out = Vec::new();
        let mut cursor = cursor.to_string();
        for _ in 0..100 {
            let r = self.pull(dev, &cursor, 1000).await;
            out.extend(r.pulled());
            cursor = r.cursor();
            if !r.more() {
                return (out, cursor);
            }
        }
        panic!("more than 100 pages");
    }
}

pub async fn send(app: Router, req: Request<Body>) -> Reply {
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

/// A simulated device: its id, token and hybrid logical clock.
pub struct Dev {
    pub id: DeviceId,
    pub token: String,
    pub user: String,
    pub clock: HlcClock,
    pub physical_ms: u64,
}

impl Dev {
    pub fn household(&mut self, unit: &str, head: &str) -> Change {
        let row = RowId(uuid::Uuid::now_v7());
        self.change(
            Table::Household,
            row,
            unit,
            json!({"head": head, "members": 3}),
        )
    }

    pub fn cleanup(&mut self, unit: &str, tonnes: Value) -> Change {
        let row = RowId(uuid::Uuid::now_v7());
        self.change(
            Table::Cleanup,
            row,
            unit,
            json!({"kind": "manure", "tonnes": tonnes, "date": TODAY}),
        )
    }
}

/// The seqs of accepted results, panicking on a rejection.
pub fn accepted(results: &[PushResult]) -> Vec<i64> {
    results
        .iter()
        .map(|r| match r {
            PushResult::Accepted { seq, .. } => *seq,
            other => panic!("expected accepted, got {other:?}"),
        })
        .collect()
}

/// The code of a rejected result, or "accepted".
pub fn outcome(r: &PushResult) -> String {
    match r {
        PushResult::Accepted { .. } => "accepted".into(),
        PushResult::Rejected { code, .. } => code.clone(),
    }
}

/// Runs an async test body on SQLite and on PostgreSQL (unless skipped on purpose: see
/// `tally_testkit`).
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::support::{Backend, Harness};

                #[tokio::test]
                async fn sqlite() {
                    let h = Harness::new(Backend::Sqlite).await.expect("sqlite harness");
                    super::$name(h).await;
                }

                #[tokio::test]
                async fn postgres() {
                    if let Some(h) = Harness::new(Backend::Postgres).await {
                        super::$name(h).await;
                    }
                }
            }
        )*
    };
}

impl MakesChanges for Dev {
    fn next(&mut self) -> (Hlc, DeviceId, &str) {
        (
            self.clock.tick(self.physical_ms),
            self.id,
            self.user.as_str(),
        )
    }
}
