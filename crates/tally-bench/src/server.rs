//! A real server for the benchmarks: the axum router on a `TcpListener` bound to
//! 127.0.0.1 port 0, over a fresh SQLite file or a fresh PostgreSQL schema, seeded with
//! a banner's org units and the benchmark village's households, and with users whose devices are enrolled directly (a token
//! made and stored hashed, as enrolment does, without Argon2's deliberate slowness).

use crate::device::{household, HOUSEHOLDS};
use anyhow::{Context, Result};
use serde_json::json;
use std::sync::Arc;
use tally_core::{DeviceId, FieldEdit, Table};
use tally_protocol::Role;
use tally_server::admin::{self, ServerRow};
use tally_server::auth::{new_token, token_hash};
use tally_server::db::{NewDevice, PgDb};
use tally_server::{router, AppState, Db, SystemClock, WallClock};
use tempfile::TempDir;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

pub const BANNER: &str = "150625";
pub const TOWNSHIP: &str = "150625100";
/// The village every single-village scenario writes in.
pub const VILLAGE: &str = "150625100201";

/// The database a server runs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// A running server; stops when dropped.
pub struct Server {
    pub rt: Arc<Runtime>,
    pub db: Db,
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    _dir: Option<TempDir>,
}

/// Where and how a server starts: its units, its SQLite folder, its address.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Villages of the banner, `per_township` to a township.
    pub villages: usize,
    pub per_township: usize,
    /// Keep the SQLite file here (a temporary folder if `None`).
    pub dir: Option<std::path::PathBuf>,
    /// The listening address (`127.0.0.1:0`: any free port).
    pub listen: String,
    /// Seed the benchmark village's households (the visits' households); the ledger
    /// scenario makes its own, the same on device and server.
    pub households: bool,
}

impl Setup {
    pub fn villages(villages: usize) -> Setup {
        Setup {
            villages,
            per_township: 100,
            dir: None,
            listen: "127.0.0.1:0".into(),
            households: true,
        }
    }
}

/// The code of village `i` (0-based) of the banner's townships, 100 villages each.
pub fn village_code(i: usize) -> String {
    if i == 0 {
        return VILLAGE.to_string();
    }
    village_code_in(i, 100)
}

/// The code of village `i` (0-based) when a township has `per_township` villages.
pub fn village_code_in(i: usize, per_township: usize) -> String {
    let per = per_township.clamp(1, 100);
    format!("{}{:03}", township_code(i / per), 201 + i % per)
}

fn township_code(t: usize) -> String {
    format!("{BANNER}{:03}", 100 + t)
}

impl Server {
    /// Start a server with the banner, its townships and `villages` villages.
    pub fn start(backend: &Backend, villages: usize) -> Result<Server> {
        Self::start_with(backend, &Setup::villages(villages))
    }

    /// Start a server as `setup` says.
    pub fn start_with(backend: &Backend, setup: &Setup) -> Result<Server> {
        let rt = Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("server")
                .enable_all()
                .build()?,
        );
        let temp = match &setup.dir {
            Some(_) => None,
            None => Some(tempfile::tempdir()?),
        };
        let dir = match (&setup.dir, &temp) {
            (Some(d), _) => d.clone(),
            (None, Some(t)) => t.path().to_path_buf(),
            (None, None) => unreachable!("a temporary folder is made when none is given"),
        };
        std::fs::create_dir_all(&dir)?;
        let db = match backend {
            Backend::Sqlite => {
                let url = format!("sqlite:{}", dir.join("server.db").display());
                rt.block_on(Db::open(&url))?
            }
            Backend::Postgres(url) => {
                let schema = format!("bench_{}", uuid::Uuid::now_v7().simple());
                Db::new(
                    rt.block_on(PgDb::connect_in_schema(url, &schema))
                        .context("connect to PostgreSQL")?,
                )
            }
        };
        rt.block_on(seed(&db, setup.villages.max(1), setup.per_township))?;
        if setup.households {
            rt.block_on(seed_households(&db))?;
        }
        let listener = rt
            .block_on(tokio::net::TcpListener::bind(&setup.listen))
            .with_context(|| format!("listen on {}", setup.listen))?;
        let addr = listener.local_addr()?;
        let app = router(AppState::new(db.clone()));
        let (stop, stopped) = oneshot::channel::<()>();
        rt.spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                eprintln!("tally-bench: server stopped: {e}");
            }
        });
        Ok(Server {
            rt,
            db,
            url: format!("http://{addr}"),
            stop: Some(stop),
            _dir: temp,
        })
    }

    /// Create a user and enrol `device` for it; returns the bearer token.
    pub fn enroll(
        &self,
        user: &str,
        role: Role,
        units: &[String],
        device: DeviceId,
    ) -> Result<String> {
        let now = SystemClock.now_ms();
        let db = self.db.clone();
        let (user, units) = (user.to_string(), units.to_vec());
        self.rt.block_on(async move {
            let id = match db.user_by_name(&user).await? {
                Some(u) => u.id,
                None => db
                    .add_user(&user, role, "bench: no password login", &units, now)
                    .await?
                    .context("user exists")?,
            };
            let token = new_token();
            let stored = db
                .add_device(NewDevice {
                    id: device,
                    user_id: id,
                    name: format!("{user} device"),
                    token_hash: token_hash(&token),
                    created_ms: now,
                })
                .await?;
            anyhow::ensure!(stored, "device {device} belongs to another user");
            Ok(token)
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn seed(db: &Db, villages: usize, per_township: usize) -> Result<()> {
    let per = per_township.clamp(1, 100);
    let mut csv = String::from("code,name,level,parent\n");
    csv.push_str(&format!("{BANNER},杭锦旗,banner,\n"));
    for t in 0..villages.div_ceil(per) {
        csv.push_str(&format!("{},苏木{t},township,{BANNER}\n", township_code(t)));
    }
    for i in 0..villages {
        let code = village_code_in(i, per);
        csv.push_str(&format!("{code},嘎查{i},village,{}\n", &code[..9]));
    }
    admin::import_units(db, &SystemClock, csv.as_bytes())
        .await
        .map_err(|e| anyhow::anyhow!("seed org units: {e}"))?;
    Ok(())
}

/// The households the benchmark's visits go to, stored as the server's own changes.
async fn seed_households(db: &Db) -> Result<()> {
    let rows = (0..HOUSEHOLDS)
        .map(|n| ServerRow {
            table: Table::Household,
            row: household(n),
            unit: VILLAGE.into(),
            fields: [
                ("head", json!(format!("户主{n:02}"))),
                ("members", json!(3)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), FieldEdit::new(v)))
            .collect(),
        })
        .collect();
    let pushed = admin::push_as_server(db, SystemClock.now_ms(), rows).await?;
    anyhow::ensure!(
        pushed.stored,
        "seed households: {:?}",
        pushed.results.first()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn village_codes_sit_under_their_township() {
        assert_eq!(village_code(0), VILLAGE);
        assert_eq!(village_code(1), "150625100202");
        assert_eq!(village_code(100), "150625101201");
        assert_eq!(&village_code(250)[..9], "150625102");
    }
}
