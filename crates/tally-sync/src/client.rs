//! The device side of sync: enrol, then push the outbox and pull until up to date,
//! measuring the clock offset on the way. Every step is safe to repeat: a lost answer
//! means the same batch is sent again and the server stores nothing twice.

use crate::plan::{self, BadAnswer, PushPlan};
use crate::transport::{
    send_with_retry, Backoff, Method, Request, Response, Transport, TransportError,
};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::sync::Mutex;
use std::time::Duration;
use tally_core::{ChangeId, Explain};
use tally_protocol::*;
use tally_store::{ApplyStats, Remote, Store, StoreError};
use thiserror::Error;

/// Why a sync stopped. Nothing in the outbox is lost in any of these cases.
#[derive(Debug, Error)]
pub enum SyncError {
    #[error("cannot reach the server: {0}")]
    Offline(TransportError),
    #[error("{0}")]
    Untrusted(TransportError),
    #[error("this version of Tally is too old for the server; please update ({0})")]
    Outdated(String),
    #[error("the server refused this device: {0}; log in again")]
    Unauthorized(String),
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("too many wrong passwords; try again in a while")]
    TooManyAttempts,
    #[error("this device is not logged in to a server: run `tally login` first")]
    NotLoggedIn,
    /// Logging in as another user while the previous user's entries wait to be sent:
    /// they would leave under the new user's name (nothing was changed).
    #[error("{pending} entries of {previous} have not been sent yet: sync first (or write them to a transfer file with `tally bundle export`), then log in as {user}")]
    HandOver {
        previous: String,
        user: String,
        pending: usize,
    },
    #[error("the server refused the request ({status} {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        /// The server's reason, in English and in Chinese, as it sent them.
        message: String,
        message_zh: String,
    },
    #[error("the server sent an answer that cannot be read: {0}")]
    BadAnswer(String),
    #[error(transparent)]
    Bundle(#[from] tally_protocol::bundle::BundleError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TransportError> for SyncError {
    fn from(e: TransportError) -> Self {
        if e.is_untrusted() {
            SyncError::Untrusted(e)
        } else {
            SyncError::Offline(e)
        }
    }
}

impl Explain for SyncError {
    fn code(&self) -> &'static str {
        match self {
            SyncError::Offline(_) => "offline",
            SyncError::Untrusted(_) => "untrusted_certificate",
            SyncError::Outdated(_) => codes::CLIENT_OUTDATED,
            SyncError::Unauthorized(_) => codes::UNAUTHORIZED,
            SyncError::BadCredentials => codes::BAD_CREDENTIALS,
            SyncError::TooManyAttempts => codes::TOO_MANY_ATTEMPTS,
            SyncError::NotLoggedIn => "not_logged_in",
            SyncError::HandOver { .. } => "unsent_entries_of_another_user",
            SyncError::Refused { .. } => "refused",
            SyncError::BadAnswer(_) => "bad_answer",
            SyncError::Bundle(e) => e.code(),
            SyncError::Store(e) => e.code(),
        }
    }

    fn zh(&self) -> String {
        match self {
            SyncError::Offline(_) => {
                "连不上服务器（没有网络或服务器未开），录入的内容已保存在本机，稍后再同步".into()
            }
            SyncError::Untrusted(_) => format!(
                "服务器的证书不受信任，为安全没有连接。若服务器用的是自签名或单位内部的证书，请把该证书文件的路径设在环境变量 {} 中",
                crate::transport::CA_FILE
            ),
            SyncError::Outdated(_) => {
                "客户端版本过旧，请更新 Tally 后再同步（待同步内容不受影响）".into()
            }
            SyncError::Unauthorized(_) => "本设备的登录已失效，请重新登录".into(),
            SyncError::BadCredentials => "用户名或密码不对".into(),
            SyncError::TooManyAttempts => "密码错误次数过多，请稍后再试".into(),
            SyncError::NotLoggedIn => "本设备还没有登录服务器".into(),
            SyncError::HandOver {
                previous,
                user,
                pending,
            } => format!(
                "本机还有 {previous} 录入的 {pending} 条记录没有同步：请先同步（或用“U盘同步”导出到文件），再以 {user} 登录"
            ),
            SyncError::Refused { message_zh, .. } => format!("服务器拒绝了请求：{message_zh}"),
            SyncError::BadAnswer(_) => "服务器的回复无法识别".into(),
            SyncError::Bundle(e) => e.zh(),
            SyncError::Store(e) => e.zh(),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            SyncError::Store(e) => e.field(),
            _ => None,
        }
    }
}

/// How the sync client reaches the device store: for one step at a time (read a batch,
/// record receipts, apply a page), so that whoever else uses the store — the desktop
/// app saving an entry — waits at most one step, never a whole sync.
pub trait StoreAccess: Sync {
    fn step<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R;
}

/// A store shared with the app.
pub type SharedStore = parking_lot::Mutex<Store>;

/// After each step the lock goes to whoever waits for it (a fair unlock): the sync's
/// next step queues behind an entry being saved instead of taking the store back at once.
impl StoreAccess for SharedStore {
    fn step<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let mut store = self.lock();
        let out = f(&mut store);
        parking_lot::MutexGuard::unlock_fair(store);
        out
    }
}

/// A store the caller lends to one sync (the CLI, tests).
impl StoreAccess for Mutex<&mut Store> {
    fn step<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut self
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// How the client behaves; the defaults suit a real network.
#[derive(Clone, Copy, Debug)]
pub struct SyncOptions {
    pub push_batch: usize,
    pub pull_limit: u32,
    /// The most pulled changes applied in one step (one transaction, the store held for
    /// it): an app that saves entries while a sync runs waits for one step at most.
    pub apply_step: usize,
    pub backoff: Backoff,
}

/// The apply step of an app in which people save entries while a sync runs (the
/// desktop): a step of 100 changes holds the store for a few milliseconds, ten or
/// twenty when the window, the sync and a local server share two cores. (250 left saves
/// at a p95 of ~240 ms through the window at banner scale; BENCHMARKS.md.)
pub const INTERACTIVE_APPLY_STEP: usize = 100;

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            // As many as the server takes in one push, and pages of 2 000: fewer round
            // trips and fewer commits on both ends (a page is ~120 KB gzipped).
            push_batch: MAX_PUSH_CHANGES,
            pull_limit: 2000,
            // A whole page in one transaction: the fewest commits, for the CLI.
            apply_step: 2000,
            backoff: Backoff::default(),
        }
    }
}

/// Where a sync is, for a progress indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "phase", rename_all = "kebab-case")]
pub enum Progress {
    Pushing { sent: usize, total: usize },
    Pulling { received: usize },
}

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SyncReport {
    pub sent: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub received: usize,
    pub conflicts: usize,
    /// Server clock minus device clock, as measured now.
    pub clock_offset_ms: i64,
    /// Unsent changes re-stamped because the device clock had run ahead.
    pub restamped: usize,
    pub requests: usize,
    pub wire_bytes: usize,
}

/// A device talking to one server.
pub struct Client<'a> {
    transport: &'a mut dyn Transport,
    options: SyncOptions,
    sleep: Box<dyn FnMut(Duration) + 'a>,
    requests: usize,
    wire_bytes: usize,
}

impl<'a> Client<'a> {
    pub fn new(transport: &'a mut dyn Transport, options: SyncOptions) -> Client<'a> {
        Client {
            transport,
            options,
            sleep: Box::new(std::thread::sleep),
            requests: 0,
            wire_bytes: 0,
        }
    }

    /// Replace the sleep between retries (tests and simulations do not wait).
    pub fn with_sleep(mut self, sleep: impl FnMut(Duration) + 'a) -> Client<'a> {
        self.sleep = Box::new(sleep);
        self
    }

    fn call(
        &mut self,
        method: Method,
        path: String,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Result<Response, SyncError> {
        let req = Request {
            method,
            path,
            token: token.map(str::to_string),
            body,
        };
        let resp = send_with_retry(
            self.transport,
            &req,
            &self.options.backoff,
            &mut *self.sleep,
        )?;
        self.requests += 1;
        self.wire_bytes += resp.wire_bytes;
        if (200..300).contains(&resp.status) {
            return Ok(resp);
        }
        let (code, message, message_zh) = resp
            .error()
            .map(|e| (e.error.code, e.error.message, e.error.message_zh))
            .unwrap_or_else(|| {
                let text: String = String::from_utf8_lossy(&resp.body)
                    .chars()
                    .take(200)
                    .collect();
                (String::new(), text.clone(), text)
            });
        Err(match (resp.status, code.as_str()) {
            (426, _) => SyncError::Outdated(message),
            (429, _) => SyncError::TooManyAttempts,
            (_, codes::BAD_CREDENTIALS) => SyncError::BadCredentials,
            (401, _) | (_, codes::USER_DISABLED) => SyncError::Unauthorized(message),
            (status, _) => SyncError::Refused {
                status,
                code,
                message,
                message_zh,
            },
        })
    }

    fn json<'r, T: Deserialize<'r>>(resp: &'r Response) -> Result<T, SyncError> {
        serde_json::from_slice(&resp.body).map_err(|e| SyncError::BadAnswer(e.to_string()))
    }

    fn body(value: &impl Serialize) -> Result<Vec<u8>, SyncError> {
        serde_json::to_vec(value).map_err(|e| SyncError::BadAnswer(e.to_string()))
    }

    /// Enrol this device for a user and keep the token.
    pub fn login(
        &mut self,
        store: &mut Store,
        server: &str,
        user: &str,
        password: &str,
    ) -> Result<EnrollResponse, SyncError> {
        let device = store.device()?.clone();
        // A laptop handed over: the previous user's unsent entries would be sent under
        // the new user's token. Refused before anything is asked of the server.
        let previous = store.sync_meta()?.user;
        if let Some(previous) = previous.filter(|p| p != user.trim()) {
            let pending = store.pending_count()?;
            if pending > 0 {
                return Err(SyncError::HandOver {
                    previous,
                    user: user.trim().to_string(),
                    pending,
                });
            }
        }
        let req = EnrollRequest {
            user: user.to_string(),
            password: password.to_string(),
            device_name: device.name.clone(),
            device_id: Some(device.id),
        };
        let resp = self.call(
            Method::Post,
            paths::DEVICES.to_string(),
            None,
            Some(Self::body(&req)?),
        )?;
        let enrolled: EnrollResponse = Self::json(&resp)?;
        if enrolled.device_id != device.id {
            return Err(SyncError::BadAnswer(format!(
                "the server enrolled device {} instead of this device {}",
                enrolled.device_id, device.id
            )));
        }
        store.save_login(
            server,
            &enrolled.user,
            enrolled.role,
            &enrolled.units,
            &enrolled.token,
        )?;
        Ok(enrolled)
    }

    /// Change the logged-in user's password on the server (the current one is checked
    /// there). The device stays logged in.
    pub fn change_password(
        &mut self,
        store: &Store,
        current: &str,
        new: &str,
    ) -> Result<(), SyncError> {
        let token = store.sync_meta()?.token.ok_or(SyncError::NotLoggedIn)?;
        let req = PasswordRequest {
            current: current.to_string(),
            new: new.to_string(),
        };
        self.call(
            Method::Post,
            paths::PASSWORD.to_string(),
            Some(&token),
            Some(Self::body(&req)?),
        )?;
        Ok(())
    }

    /// Measure the server's clock against ours, save the offset, and re-stamp unsent
    /// changes made while our clock ran ahead. Returns (offset, re-stamped count).
    fn measure_clock(&mut self, store: &impl StoreAccess) -> Result<(i64, usize), SyncError> {
        let before = store.step(|s| s.device_ms());
        let resp = self.call(Method::Get, paths::HEALTH.to_string(), None, None)?;
        let after = store.step(|s| s.device_ms());
        let health: HealthResponse = Self::json(&resp)?;
        let server = resp.server_time_ms.unwrap_or(health.server_time_ms);
        let mid = before / 2 + after / 2;
        let offset =
            i64::try_from(server).unwrap_or(i64::MAX) - i64::try_from(mid).unwrap_or(i64::MAX);
        let restamped = store.step(|s| {
            s.set_clock_offset(offset)?;
            s.restamp_ahead(plan::restamp_limit(server))
        })?;
        Ok((offset, restamped))
    }

    /// Push everything pending, then pull until up to date.
    pub fn sync(
        &mut self,
        store: &mut Store,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        self.sync_shared(&Mutex::new(store), progress)
    }

    /// [`Client::sync`] over a store others use meanwhile: it is held for one step at a
    /// time (reading a batch, recording receipts, applying one page), never while a
    /// request is on the wire, so that the app saves entries while a long sync runs.
    pub fn sync_shared(
        &mut self,
        store: &impl StoreAccess,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        let meta = store.step(|s| s.sync_meta())?;
        let token = meta.token.clone().ok_or(SyncError::NotLoggedIn)?;
        let mut report = SyncReport::default();
        (report.clock_offset_ms, report.restamped) = self.measure_clock(store)?;
        let held = self.push_all(store, &token, &mut report, progress)?;
        self.pull_all(store, &token, &held, &mut report, progress)?;
        report.conflicts = store.step(|s| s.conflicts())?.len();
        report.requests = self.requests;
        report.wire_bytes = self.wire_bytes;
        store.step(|s| s.note_synced())?;
        Ok(report)
    }

    /// Push the outbox in batches, as [`PushPlan`] decides. While the receipts of one
    /// batch are recorded (on a second thread), the next batch, read before, is already
    /// on its way. Returns the receipts: changes this device holds, which the pull
    /// after need not bring back.
    fn push_all(
        &mut self,
        store: &impl StoreAccess,
        token: &str,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SeqRanges, SyncError> {
        let mut held: Vec<i64> = Vec::new();
        let total = store.step(|s| s.pending_count())?;
        let mut plan = PushPlan::new(total, self.options.push_batch);
        std::thread::scope(|scope| {
            let mut receipts: Vec<(ChangeId, i64)> = Vec::new();
            while let Some(next) = plan.next_batch() {
                let pending = store.step(|s| s.pending_bodies(next.after, next.limit))?;
                if pending.is_empty() {
                    break;
                }
                let body = push_body(pending.iter().map(|(_, _, b)| b.as_str()));
                let earlier = std::mem::take(&mut receipts);
                let marking = scope.spawn(move || store.step(|s| s.mark_accepted(&earlier)));
                let sent = self.call(
                    Method::Post,
                    paths::PUSH.to_string(),
                    Some(token),
                    Some(body),
                );
                marking
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
                if report.sent > 0 {
                    progress(Progress::Pushing {
                        sent: report.sent,
                        total,
                    });
                }
                let answer: PushResponse = Self::json(&sent?)?;
                let ids: Vec<(i64, ChangeId)> =
                    pending.iter().map(|(seq, id, _)| (*seq, *id)).collect();
                let answered = plan.answered(&ids, &answer).map_err(|e| match e {
                    BadAnswer::LeftOut(ids) => SyncError::BadAnswer(format!(
                        "the push answer left {} changes out",
                        ids.len()
                    )),
                })?;
                if !answered.refusals.is_empty() {
                    store.step(|s| {
                        answered.refusals.iter().try_for_each(|r| {
                            s.mark_rejected(r.change, &r.code, &r.reason, &r.reason_zh)
                        })
                    })?;
                }
                report.rejected += answered.refusals.len();
                report.accepted += answered.receipts.len();
                report.sent += pending.len();
                held.extend(answered.receipts.iter().map(|(_, seq)| *seq));
                receipts = answered.receipts;
                if let Some(limit) = answered.restamp_to {
                    // Receipts first: an accepted change keeps the stamp it was stored with.
                    let now = std::mem::take(&mut receipts);
                    store.step(|s| {
                        s.mark_accepted(&now)?;
                        s.restamp_ahead(limit)
                    })?;
                }
            }
            store.step(|s| s.mark_accepted(&receipts))?;
            if report.sent > 0 {
                progress(Progress::Pushing {
                    sent: report.sent,
                    total,
                });
            }
            Ok(SeqRanges::of(&held))
        })
    }

    /// Pull pages until up to date. While one page is applied (on a second thread), the
    /// next one is already being asked for, with the cursor the page carries, which is
    /// also the one the apply saves. A failed apply discards the page fetched ahead.
    fn pull_all(
        &mut self,
        store: &impl StoreAccess,
        token: &str,
        held: &SeqRanges,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), SyncError> {
        let mut cursor = store.step(|s| s.sync_meta())?.cursor;
        std::thread::scope(|scope| {
            let mut applying: Option<std::thread::ScopedJoinHandle<'_, _>> = None;
            let mut finish = |handle: std::thread::ScopedJoinHandle<'_, _>| {
                let applied: Result<ApplyStats, SyncError> = handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                report.received += applied?.applied;
                progress(Progress::Pulling {
                    received: report.received,
                });
                Ok::<_, SyncError>(())
            };
            // Bounded far above any real backlog (a million pages).
            for page in 0..1_000_000 {
                let limit = plan::pull_limit(page, self.options.pull_limit);
                let mut path = format!("{}?cursor={}&limit={limit}", paths::PULL, encode(&cursor),);
                if !held.is_empty() {
                    path.push_str(&format!("&skip={held}"));
                }
                let fetched = self.call(Method::Get, path, Some(token), None);
                if let Some(handle) = applying.take() {
                    finish(handle)?;
                }
                let resp = fetched?;
                // Where the page leaves off; its changes are read when it is applied.
                let head: PullResponse<IgnoredAny> = Self::json(&resp)?;
                let (before, step) = (cursor.clone(), self.options.apply_step);
                applying = Some(scope.spawn(move || apply_body(store, &resp.body, &before, step)));
                cursor = head.cursor;
                if !head.more {
                    break;
                }
            }
            if let Some(handle) = applying.take() {
                finish(handle)?;
            }
            Ok(())
        })
    }

    /// Carry another device's sneakernet bundle to the server (a leader's device); the
    /// receipts file the server wrote for that device.
    pub fn forward_bundle(
        &mut self,
        token: &str,
        bundle: Vec<u8>,
        with_changes: bool,
    ) -> Result<Vec<u8>, SyncError> {
        let path = format!("{}?with_changes={with_changes}", paths::BUNDLES);
        Ok(self
            .call(Method::Post, path, Some(token), Some(bundle))?
            .body)
    }

    /// Open conflicts in the server's view (leaders).
    pub fn conflicts(&mut self, token: &str) -> Result<ConflictsResponse, SyncError> {
        let resp = self.call(Method::Get, paths::CONFLICTS.to_string(), Some(token), None)?;
        Self::json(&resp)
    }
}

/// Read a pulled page (its JSON body) and apply it, keeping each change's JSON as it came, `step`
/// changes at a time (each step its own transaction, the store held for it only). Every
/// step but the last keeps the cursor the page was asked with (`before`): a page cut
/// short by a crash is asked for again, and the changes already applied are known and
/// skipped.
pub(crate) fn apply_body(
    store: &impl StoreAccess,
    body: &[u8],
    before: &str,
    step: usize,
) -> Result<ApplyStats, SyncError> {
    let page: PullResponse<&RawValue> =
        serde_json::from_slice(body).map_err(|e| SyncError::BadAnswer(e.to_string()))?;
    let changes = page
        .changes
        .iter()
        .map(|p| serde_json::from_str(p.change.get()).map(|c| (p.seq, c, p.change.get())))
        .collect::<Result<Vec<(i64, tally_core::Change, &str)>, _>>()
        .map_err(|e| SyncError::BadAnswer(e.to_string()))?;
    let remote: Vec<Remote<'_>> = changes
        .iter()
        .map(|(seq, change, body)| Remote {
            seq: *seq,
            change,
            body: Some(body),
        })
        .collect();
    let parts: Vec<&[Remote<'_>]> = remote.chunks(step.max(1)).collect();
    if parts.is_empty() {
        // Nothing to apply, but the cursor moves past what the page left out.
        return Ok(store.step(|s| s.apply_page(&[], &page.cursor))?);
    }
    let mut total = ApplyStats::default();
    for (i, part) in parts.iter().enumerate() {
        let cursor = if i + 1 == parts.len() {
            page.cursor.as_str()
        } else {
            before
        };
        let stats = store.step(|s| s.apply_page(part, cursor))?;
        total.received += stats.received;
        total.applied += stats.applied;
        total.confirmed += stats.confirmed;
        total.conflicts = stats.conflicts;
    }
    Ok(total)
}

/// The JSON of a [`PushRequest`] made of stored change bodies: the same bytes as
/// serialising the changes, without reading them first.
fn push_body<'b>(bodies: impl IntoIterator<Item = &'b str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * 1024);
    out.extend_from_slice(b"{\"changes\":[");
    for (i, body) in bodies.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(body.as_bytes());
    }
    out.extend_from_slice(b"]}");
    out
}

/// Percent-encode a cursor for a query string.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use tally_core::{Change, DeviceId, FieldEdit, Hlc, RowId, Table};

    #[test]
    fn a_push_body_of_stored_changes_is_the_push_request_byte_for_byte() {
        let change = |n: u128, note: &str| {
            let mut fields = BTreeMap::new();
            fields.insert("note".to_string(), FieldEdit::new(note.into()));
            Change {
                id: ChangeId(uuid::Uuid::from_u128(n)),
                table: Table::Visit,
                row: RowId(uuid::Uuid::from_u128(n + 100)),
                unit: "150622101001".into(),
                fields,
                hlc: Hlc::new(1_700_000_000_000, 1),
                device: DeviceId(uuid::Uuid::from_u128(9)),
                author: "巴特尔".into(),
                correction: false,
            }
        };
        for changes in [
            vec![],
            vec![change(1, "入户")],
            vec![change(1, "a\"b"), change(2, "")],
        ] {
            let stored: Vec<String> = changes
                .iter()
                .map(|c| serde_json::to_string(c).unwrap())
                .collect();
            let expected = serde_json::to_vec(&PushRequest { changes }).unwrap();
            assert_eq!(push_body(stored.iter().map(String::as_str)), expected);
        }
    }

    #[test]
    fn cursors_are_percent_encoded() {
        assert_eq!(super::encode("12:34 a/b"), "12%3A34%20a%2Fb");
        assert_eq!(super::encode(""), "");
    }
}
