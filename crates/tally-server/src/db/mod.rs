//! The server's storage: one trait, [`ServerDb`] (accounts in its supertrait
//! [`Accounts`]), implemented once per backend —
//! [`SqliteDb`] (the default, one office PC) and [`PgDb`] (several server processes) —
//! so handlers never know which. Push decisions are made by `crate::push::plan` inside
//! each backend's transaction, so both backends accept and reject exactly the same
//! changes; `tests/storage` runs one conformance suite against both.
//!
//! Handlers, admin commands and tests hold a [`Db`]: a cheap, cloneable handle over an
//! `Arc<dyn ServerDb>` that derefs to the trait. It keeps one concrete type in
//! `AppState` and in every caller, and gives `Db::open(url)` a home (the URL picks the
//! backend); everything else is the trait's.

pub mod postgres;
pub mod sqlite;

use crate::error::DbError;
use crate::push::Author;
use crate::scope::{ReadFilter, UnitTree};
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::value::RawValue;
use std::ops::Deref;
use std::sync::Arc;
use tally_core::ledger::{self, DayKey, DaySum, DaySums, Totals};
use tally_core::{Change, Conflict, DeviceId, Hlc, Ledger, Row, RowId, Target, VillageFlag};
use tally_protocol::{Pulled, PushResult, Role, SeqRanges};

pub use postgres::{PgDb, PgPushTx};
pub use sqlite::SqliteDb;

/// The server's database: a handle over one backend (see the module doc).
#[derive(Clone)]
pub struct Db(Arc<dyn ServerDb>);

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
    pub units: Vec<String>,
}

/// An account as an admin lists it: never its password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserListing {
    pub name: String,
    pub role: Role,
    pub units: Vec<String>,
    pub disabled: bool,
    pub created_ms: u64,
    /// Devices enrolled and not revoked.
    pub devices: u64,
}

/// What a bearer token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceAuth {
    pub device: DeviceId,
    pub user: String,
    pub role: Role,
    pub units: Vec<String>,
    pub revoked: bool,
    pub disabled: bool,
    pub last_seen_ms: Option<u64>,
}

/// A device about to be enrolled.
#[derive(Clone, Debug)]
pub struct NewDevice {
    pub id: DeviceId,
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    pub created_ms: u64,
}

/// One enrolled device, for `tally-server device list`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceRow {
    pub id: DeviceId,
    pub user: String,
    pub name: String,
    pub created_ms: u64,
    pub last_seen_ms: Option<u64>,
    pub revoked: bool,
}

/// Whether one rejected change stops the whole batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushMode {
    /// Devices: every change on its own; a rejection never blocks the rest.
    PerChange,
    /// Admin imports: store everything or nothing.
    AllOrNothing,
}

/// What a push did.
#[derive(Clone, Debug, PartialEq)]
pub struct Pushed {
    pub results: Vec<PushResult>,
    /// Whether the accepted changes were stored (false: all out of scope, or an
    /// all-or-nothing batch with a rejection; then nothing was).
    pub stored: bool,
    /// Every change was out of the author's scope (answered 403 by the API).
    pub all_out_of_scope: bool,
}

/// A change as stored: its seq and its JSON, passed to the puller as it is (the body
/// is the server's own serialisation of the change it accepted).
pub type StoredChange = Pulled<Box<RawValue>>;

/// A stored change from its seq and body.
pub fn stored_change(seq: i64, body: String) -> Result<StoredChange, DbError> {
    Ok(Pulled {
        seq,
        change: RawValue::from_string(body)?,
    })
}

/// The asking device's own changes it already holds: left out of its pull pages.
#[derive(Clone, Debug, Default)]
pub struct Held {
    /// The device, as stored in `changes.device`.
    pub device: String,
    pub seqs: SeqRanges,
}

impl Held {
    pub fn of(device: DeviceId, seqs: SeqRanges) -> Held {
        Held {
            device: device.to_string(),
            seqs,
        }
    }

    /// Whether the change `seq`, made on `device`, is left out.
    pub fn skips(&self, device: &str, seq: i64) -> bool {
        !self.seqs.is_empty() && device == self.device && self.seqs.contains(seq)
    }
}

/// A page of pulled changes.
#[derive(Clone, Debug)]
pub struct PullPage {
    pub changes: Vec<StoredChange>,
    pub cursor: String,
    pub more: bool,
}

/// How big a pull page may be: at most `changes` changes and, after the first, `bytes`
/// bytes of their JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSize {
    pub changes: u32,
    pub bytes: usize,
}

impl PageSize {
    /// At most `changes`, and the protocol's byte bound.
    pub fn of(changes: u32) -> PageSize {
        PageSize {
            changes,
            bytes: tally_protocol::MAX_PULL_BYTES,
        }
    }

    /// How many of these bodies (in order) the page takes: the first always, then
    /// while their bytes stay within the bound.
    pub fn fits<'a>(&self, bodies: impl Iterator<Item = &'a str>) -> usize {
        let mut total = 0usize;
        let mut n = 0;
        for body in bodies.take(self.changes as usize) {
            total = total.saturating_add(body.len());
            if n > 0 && total > self.bytes {
                break;
            }
            n += 1;
        }
        n
    }
}

/// Millisecond counts are u64 in Rust and BIGINT/INTEGER in the databases.
pub(crate) fn to_i64(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0)
}

pub(crate) fn parse_role(s: &str) -> Result<Role, DbError> {
    s.parse()
        .map_err(|e: String| DbError::Corrupt(format!("users.role: {e}")))
}

pub(crate) fn parse_device(s: &str) -> Result<DeviceId, DbError> {
    s.parse()
        .map_err(|e| DbError::Corrupt(format!("bad device id {s:?}: {e}")))
}

/// The tables whose rows make ledger facts (what a rebuild of the sums reads).
pub(crate) const FACT_TABLES: [&str; 4] = ["household", "works", "demolition", "cleanup"];

/// Per-day sums of merged rows given as their stored JSON.
pub(crate) fn sums_of_rows(bodies: &[String]) -> Result<DaySums, DbError> {
    let mut sums = DaySums::default();
    for body in bodies {
        sums.add_row(&serde_json::from_str::<Row>(body)?, 1);
    }
    Ok(sums)
}

/// Targets from their rows' stored JSON (deleted ones too: the ledger skips them).
pub(crate) fn targets_of_rows(bodies: &[String]) -> Result<Vec<Target>, DbError> {
    let mut out = Vec::with_capacity(bodies.len());
    for body in bodies {
        out.extend(Target::from_row(&serde_json::from_str::<Row>(body)?));
    }
    Ok(out)
}

/// One stored per-day sum: unit, metric, pile, day, then started, completed, accepted,
/// facts.
pub(crate) fn day_sum(
    text: [String; 4],
    [started, completed, accepted, facts]: [i64; 4],
) -> Result<(DayKey, DaySum), DbError> {
    let [unit, metric, pile, day] = text;
    let key = DayKey::parse(unit, &metric, &pile, &day)
        .map_err(|e| DbError::Corrupt(format!("day_sums: {e}")))?;
    Ok((
        key,
        DaySum {
            started,
            completed,
            accepted,
            facts,
        },
    ))
}

/// One row of summed totals: unit, metric, pile, then its figures (`Totals::parse`).
pub(crate) fn totals(text: [String; 3], sums: &[i64]) -> Result<Totals, DbError> {
    let [unit, metric, pile] = text;
    Totals::parse(unit, &metric, &pile, sums)
        .map_err(|e| DbError::Corrupt(format!("day_sums: {e}")))
}

/// The next server HLC timestamps after `last`, at physical time `now_ms`.
pub(crate) fn next_hlcs(last: Hlc, now_ms: u64, n: usize) -> Vec<Hlc> {
    let mut clock = tally_core::HlcClock::new(last);
    (0..n).map(|_| clock.tick(now_ms)).collect()
}

impl Db {
    /// A handle over `backend`.
    pub fn new(backend: impl ServerDb) -> Db {
        Db(Arc::new(backend))
    }

    /// Open (creating if needed) and migrate the database named by `url`:
    /// `sqlite:PATH` or `postgres://…` / `postgresql://…`.
    pub async fn open(url: &str) -> Result<Db, DbError> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path).to_string();
            Ok(Db::new(SqliteDb::open(path).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Db::new(PgDb::connect(url).await?))
        } else {
            Err(DbError::Url(url.to_string()))
        }
    }
}

/// Users, devices and their tokens, failed logins: once per backend.
#[async_trait::async_trait]
pub trait Accounts: Send + Sync + 'static {
    async fn user_by_name(&self, name: &str) -> Result<Option<UserRecord>, DbError>;

    /// Create a user; `None` if the name is taken.
    async fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        units: &[String],
        now_ms: u64,
    ) -> Result<Option<i64>, DbError>;

    /// Disable (or enable) a user; false if there is no such user.
    async fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<bool, DbError>;

    /// Every account (no secrets), by name.
    async fn list_users(&self) -> Result<Vec<UserListing>, DbError>;

    /// Change a user's role and/or units (units replaced whole); false if there is no
    /// such user.
    async fn update_user(
        &self,
        name: &str,
        role: Option<Role>,
        units: Option<&[String]>,
    ) -> Result<bool, DbError>;

    /// Set a user's password hash; with `revoke_at`, every device of the user is revoked
    /// then (they must log in again). False if there is no such user.
    async fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        revoke_at: Option<u64>,
    ) -> Result<bool, DbError>;

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceAuth>, DbError>;

    /// The device with this id and the hash of its current token (sneakernet bundles
    /// are sealed with it).
    async fn device_by_id(&self, id: DeviceId) -> Result<Option<(DeviceAuth, String)>, DbError>;

    async fn touch_device(&self, id: DeviceId, now_ms: u64) -> Result<(), DbError>;

    /// Enrol a device, or give an enrolled one a new token. `false`: the id belongs to
    /// another user (the account that first enrolled it, revoked or not) and nothing was
    /// changed.
    async fn add_device(&self, device: NewDevice) -> Result<bool, DbError>;

    async fn list_devices(&self) -> Result<Vec<DeviceRow>, DbError>;

    /// Revoke a device's token; false if there is no such device.
    async fn revoke_device(&self, id: DeviceId, now_ms: u64) -> Result<bool, DbError>;

    /// Count a login attempt of `user` from `source` (`limits::source_key`) at `now_ms`
    /// unless [`crate::limits::verdict`] refuses it, in one transaction with the count
    /// (concurrent attempts cannot all pass); `Err(ms)` until one frees up. Forgets
    /// attempts older than the window, and the oldest beyond `limits::MAX_ROWS`.
    async fn begin_login_attempt(
        &self,
        user: &str,
        source: &str,
        now_ms: u64,
    ) -> Result<Result<(), u64>, DbError>;

    /// The password was right: forget the account's attempts from that source (the
    /// one just counted included).
    async fn login_succeeded(&self, user: &str, source: &str) -> Result<(), DbError>;
}

impl Deref for Db {
    type Target = dyn ServerDb;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

/// What the server stores, once per backend. Every method is one transaction (or one
/// read); a push is decided by `crate::push::plan` inside its transaction. Accounts
/// are a trait of their own ([`Accounts`]), implemented next to their queries.
#[async_trait::async_trait]
pub trait ServerDb: Accounts {
    /// The backend's name, for logs.
    fn backend(&self) -> &'static str;

    /// The device id the server authors its own changes (org units) with.
    async fn server_device(&self) -> Result<DeviceId, DbError>;

    /// `n` fresh server HLC timestamps (monotonic across processes).
    async fn tick_server_hlc(&self, now_ms: u64, n: usize) -> Result<Vec<Hlc>, DbError>;

    /// The org-unit tree, read again only when `units_version` moved (every write of
    /// org units, from this process or another, moves it in its transaction).
    async fn unit_tree(&self) -> Result<Arc<UnitTree>, DbError>;

    /// Validate, store and merge a batch in one transaction.
    async fn push(
        &self,
        changes: Vec<Change>,
        who: Author,
        now_ms: u64,
        mode: PushMode,
    ) -> Result<Pushed, DbError>;

    /// Changes after `cursor` ("" = from the start) within `filter`, in commit order: a
    /// page of at most `size` less those `held` leaves out (the cursor passes them too).
    async fn pull(
        &self,
        filter: ReadFilter,
        cursor: &str,
        size: PageSize,
        held: Held,
    ) -> Result<PullPage, DbError>;

    /// Open conflicts of these units (`None`: all).
    async fn conflicts(&self, units: Option<Vec<String>>) -> Result<Vec<Conflict>, DbError>;

    /// The merged state of one row.
    async fn row(&self, id: RowId) -> Result<Option<Row>, DbError>;

    /// Every target (withdrawn ones too: the ledger skips them).
    async fn targets(&self) -> Result<Vec<Target>, DbError>;

    /// The per-day sums added up to `as_of` over a ledger's window
    /// (`ledger::sums::totals_sql`).
    async fn totals(
        &self,
        as_of: NaiveDate,
        window: ledger::Window,
    ) -> Result<Vec<Totals>, DbError>;

    /// The stored per-day sums and the merged rows' JSON they come from.
    async fn day_sums_and_rows(&self) -> Result<(DaySums, Vec<String>), DbError>;

    /// The progress ledger of `root`'s subtree as of a day, from the per-day sums the
    /// pushes keep, by the same core roll-up the devices use. `None` if the unit is
    /// unknown.
    async fn ledger(&self, root: &str, as_of: NaiveDate) -> Result<Option<Ledger>, DbError> {
        self.ledger_of(root, as_of, None).await
    }

    /// The ledger counting only the villages flagged `only` (`ledger::ledger_of`).
    async fn ledger_of(
        &self,
        root: &str,
        as_of: NaiveDate,
        only: Option<VillageFlag>,
    ) -> Result<Option<Ledger>, DbError> {
        let units = self.unit_tree().await?.live_units();
        let targets = self.targets().await?;
        let window = ledger::window_of(&units, &targets, root, as_of, only);
        let totals = self.totals(as_of, window.clone()).await?;
        let facts = ledger::facts_of_totals(&totals, as_of, &window);
        Ok(ledger::ledger_of(
            &units, &targets, &facts, root, as_of, only,
        ))
    }

    /// Whether the stored per-day sums are what the merged rows make now (a
    /// consistency check for tests and operators).
    async fn day_sums_consistent(&self) -> Result<bool, DbError> {
        let (stored, bodies) = self.day_sums_and_rows().await?;
        Ok(stored == sums_of_rows(&bodies)?)
    }
}
