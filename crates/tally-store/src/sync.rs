//! The store's side of sync: the outbox of local changes, receipts and rejections,
//! applying pulled changes with the cursor in the same transaction, and re-stamping
//! unsent changes made under a clock that ran ahead.

use crate::edit::load_row;
use crate::project::{project, write_row, Written};
use crate::{time, Result, Store, StoreError};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tally_core::*;

/// Where a local change stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum OutboxState {
    /// 待同步: not yet accepted by the server.
    Pending,
    /// 已同步: accepted, with a receipt number.
    Accepted,
    /// 被拒绝: refused by the server, with a reason; stays until corrected.
    Rejected,
}

/// A local change and its sync state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutboxEntry {
    pub change: Change,
    pub state: OutboxState,
    pub receipt: Option<i64>,
    /// Why the server refused it: the server's code and its reason in English and in
    /// Chinese, kept as they came.
    pub reject_code: Option<String>,
    pub reject_reason: Option<String>,
    pub reject_reason_zh: Option<String>,
    pub recorded_at: String,
}

/// The columns an [`OutboxEntry`] is read from, in [`outbox_entry`]'s order.
const OUTBOX_COLUMNS: &str =
    "body, state, receipt, reject_code, reject_reason, reject_reason_zh, recorded_at";

/// An outbox entry from a row of [`OUTBOX_COLUMNS`] (and anything after them).
fn outbox_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, OutboxEntryParts)> {
    Ok((
        r.get(0)?,
        OutboxEntryParts {
            state: r.get(1)?,
            receipt: r.get(2)?,
            reject_code: r.get(3)?,
            reject_reason: r.get(4)?,
            reject_reason_zh: r.get(5)?,
            recorded_at: r.get(6)?,
        },
    ))
}

/// An outbox row before its change body is read.
struct OutboxEntryParts {
    state: String,
    receipt: Option<i64>,
    reject_code: Option<String>,
    reject_reason: Option<String>,
    reject_reason_zh: Option<String>,
    recorded_at: String,
}

impl OutboxEntryParts {
    fn with(self, body: &str) -> Result<OutboxEntry> {
        Ok(OutboxEntry {
            change: parse_change(body)?,
            state: outbox_state(&self.state),
            receipt: self.receipt,
            reject_code: self.reject_code,
            reject_reason: self.reject_reason,
            reject_reason_zh: self.reject_reason_zh,
            recorded_at: self.recorded_at,
        })
    }
}

/// What applying a page of pulled changes did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ApplyStats {
    pub received: usize,
    /// Changes new to this device.
    pub applied: usize,
    /// This device's own changes coming back (now confirmed).
    pub confirmed: usize,
    /// Open conflicts after applying.
    pub conflicts: usize,
}

/// One pulled change: its server seq, the change, and its JSON as received (if kept).
#[derive(Clone, Copy, Debug)]
pub struct Remote<'a> {
    pub seq: i64,
    pub change: &'a Change,
    pub body: Option<&'a str>,
}

/// Sync settings and state kept on the device.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncMeta {
    pub server: Option<String>,
    pub user: Option<String>,
    pub role: Option<Role>,
    pub token: Option<String>,
    pub cursor: String,
    pub last_sync: Option<String>,
    pub clock_offset_ms: i64,
}

fn body(change: &Change) -> Result<String> {
    serde_json::to_string(change).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse_change(s: &str) -> Result<Change> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("change: {e}")))
}

fn outbox_state(s: &str) -> OutboxState {
    match s {
        "pending" => OutboxState::Pending,
        "accepted" => OutboxState::Accepted,
        _ => OutboxState::Rejected,
    }
}

/// Recompute a row from every change of it in the log (merge is order-independent).
fn rebuild_row(conn: &Connection, table: Table, id: RowId) -> Result<Option<Row>> {
    let mut stmt =
        conn.prepare_cached("SELECT body FROM change_log WHERE tbl = ?1 AND row_id = ?2")?;
    let bodies = stmt
        .query_map((table.code(), id.to_string()), |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut row: Option<Row> = None;
    for b in bodies {
        row = Some(merge(row.as_ref(), &parse_change(&b)?).row);
    }
    Ok(row)
}

/// Replace this device's copy of `change` with the server's (stored as `seq`), accepted,
/// and rebuild the row from its changes.
fn adopt(tx: &Connection, change: &Change, body: Option<&str>, seq: i64) -> Result<()> {
    let text = match body {
        Some(b) => b.to_string(),
        None => self::body(change)?,
    };
    tx.prepare_cached(
        "UPDATE change_log SET body = ?2, state = 'accepted', receipt = ?3, reject_code = NULL,
                reject_reason = NULL, reject_reason_zh = NULL
         WHERE id = ?1",
    )?
    .execute((change.id.to_string(), text, seq))?;
    crate::withdraw::rebuild_row(tx, change.table.code(), &change.row.to_string())
}

/// Local changes recorded in a span of UTC time, newest first (index
/// `change_log_local_time`: the pulled changes are never read).
pub(crate) const LOCAL_BETWEEN: &str =
    "SELECT seq FROM change_log WHERE origin = 'local' AND recorded_at >= ?1 AND recorded_at < ?2
     ORDER BY seq DESC";

impl Store {
    /// Local changes not yet accepted, oldest first, at most `limit`.
    pub fn pending(&self, limit: usize) -> Result<Vec<Change>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT body FROM change_log WHERE state = 'pending' ORDER BY seq LIMIT ?1",
        )?;
        let bodies = stmt.query_map([limit as i64], |r| r.get::<_, String>(0))?;
        bodies.map(|b| parse_change(&b?)).collect()
    }

    /// Local changes not yet accepted, after log position `after_seq` (0: from the
    /// start), oldest first, at most `limit`: each one's log position, id and stored
    /// JSON (what goes on the wire), without reading them into `Change`s.
    pub fn pending_bodies(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<(i64, ChangeId, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id, body FROM change_log WHERE state = 'pending' AND seq > ?1
             ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map((after_seq, limit as i64), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (seq, id, body) = row?;
            let id = id
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("change id {id:?}")))?;
            Ok((seq, id, body))
        })
        .collect()
    }

    /// How many local changes wait to be sent.
    pub fn pending_count(&self) -> Result<usize> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM change_log WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// Local changes in one state (or all local ones), newest first.
    pub fn outbox(&self, state: Option<OutboxState>, limit: usize) -> Result<Vec<OutboxEntry>> {
        let filter = match state {
            None => "",
            Some(OutboxState::Pending) => "AND state = 'pending'",
            Some(OutboxState::Accepted) => "AND state = 'accepted'",
            Some(OutboxState::Rejected) => "AND state = 'rejected'",
        };
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM change_log
             WHERE origin = 'local' {filter} ORDER BY seq DESC LIMIT ?1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([limit as i64], outbox_entry)?;
        let mut out = Vec::new();
        for row in rows {
            let (body, parts) = row?;
            out.push(parts.with(&body)?);
        }
        Ok(out)
    }

    /// Local changes recorded on a calendar day (in the time zone each was recorded
    /// in), newest first: "today's entries".
    pub fn outbox_on(&self, day: chrono::NaiveDate) -> Result<Vec<OutboxEntry>> {
        // recorded_at is UTC; a local day spans at most from 14 h before to 12 h after
        // the UTC day, so the prefix filter reads the day either side and Rust decides.
        let from = (day - chrono::Days::new(1)).to_string();
        let to = format!("{}~", day + chrono::Days::new(1));
        let mut stmt = self.conn.prepare_cached(LOCAL_BETWEEN)?;
        let seqs = stmt
            .query_map((from, to), |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = Vec::new();
        for seq in seqs {
            let (entry, offset) = self.outbox_at(seq)?;
            let local = chrono::DateTime::parse_from_rfc3339(&entry.recorded_at)
                .map_err(|e| {
                    StoreError::Corrupt(format!("recorded_at {}: {e}", entry.recorded_at))
                })?
                .naive_utc()
                + chrono::Duration::minutes(i64::from(offset));
            if local.date() == day {
                out.push(entry);
            }
        }
        Ok(out)
    }

    fn outbox_at(&self, seq: i64) -> Result<(OutboxEntry, i32)> {
        let sql = format!("SELECT {OUTBOX_COLUMNS}, utc_offset_min FROM change_log WHERE seq = ?1");
        let ((body, parts), offset) = self
            .conn
            .prepare_cached(&sql)?
            .query_row([seq], |r| Ok((outbox_entry(r)?, r.get::<_, i32>(7)?)))?;
        Ok((parts.with(&body)?, offset))
    }

    /// The sync state of one local change.
    pub fn outbox_entry(&self, id: ChangeId) -> Result<Option<OutboxEntry>> {
        Ok(self
            .outbox(None, usize::MAX >> 1)?
            .into_iter()
            .find(|e| e.change.id == id))
    }

    /// Record the server's receipts (one statement for the whole batch).
    pub fn mark_accepted(&mut self, receipts: &[(ChangeId, i64)]) -> Result<()> {
        if receipts.is_empty() {
            return Ok(());
        }
        let list: Vec<(String, i64)> = receipts
            .iter()
            .map(|(id, seq)| (id.to_string(), *seq))
            .collect();
        let list = serde_json::to_string(&list).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn
            .prepare_cached(
                "UPDATE change_log SET state = 'accepted', receipt = r.seq, reject_code = NULL,
                        reject_reason = NULL, reject_reason_zh = NULL
                 FROM (SELECT value ->> 0 AS id, value ->> 1 AS seq FROM json_each(?1)) AS r
                 WHERE change_log.id = r.id AND origin = 'local'",
            )?
            .execute([list])?;
        Ok(())
    }

    /// Record a rejection as the server gave it (its code, its English and its Chinese
    /// reason); the change stays visible until corrected or sent again. A change the
    /// server already accepted keeps its receipt (a late answer to an older copy of it,
    /// e.g. a sneakernet bundle imported after a sync, cannot take it back).
    pub fn mark_rejected(
        &mut self,
        id: ChangeId,
        code: &str,
        reason: &str,
        reason_zh: &str,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE change_log SET state = 'rejected', reject_code = ?2, reject_reason = ?3,
                    reject_reason_zh = ?4
             WHERE id = ?1 AND origin = 'local' AND state != 'accepted'",
            (id.to_string(), code, reason, reason_zh),
        )?;
        Ok(())
    }

    /// A change made on this device, as it holds it now.
    pub fn local_change(&self, id: ChangeId) -> Result<Option<Change>> {
        let body: Option<String> = self
            .conn
            .prepare_cached("SELECT body FROM change_log WHERE id = ?1 AND origin = 'local'")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
        body.map(|b| parse_change(&b)).transpose()
    }

    /// Queue a rejected change to be sent again (after the cause was fixed).
    pub fn resend(&mut self, id: ChangeId) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE change_log SET state = 'pending' WHERE id = ?1 AND origin = 'local' AND state = 'rejected'",
            [id.to_string()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "rejected change",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// Apply a page of pulled changes and save the cursor, in one transaction.
    pub fn apply_remote(&mut self, changes: &[(i64, Change)], cursor: &str) -> Result<ApplyStats> {
        let page: Vec<Remote<'_>> = changes
            .iter()
            .map(|(seq, change)| Remote {
                seq: *seq,
                change,
                body: None,
            })
            .collect();
        self.apply_page(&page, cursor)
    }

    /// [`Store::apply_remote`] for changes whose JSON the caller has as received: it is
    /// stored as it came instead of being written out again.
    #[tracing::instrument(skip_all, err)]
    pub fn apply_page(&mut self, changes: &[Remote<'_>], cursor: &str) -> Result<ApplyStats> {
        let mut stats = ApplyStats {
            received: changes.len(),
            ..ApplyStats::default()
        };
        let now = time::utc_rfc3339(self.corrected_ms());
        let offset = self.time.utc_offset_min();
        let mut clock = self.clock;
        let tx = self.conn.savepoint()?;
        for &Remote { seq, change, body } in changes {
            let known: Option<(String, String, Option<i64>, String)> = tx
                .prepare_cached(
                    "SELECT origin, state, receipt, body FROM change_log WHERE id = ?1",
                )?
                .query_row([change.id.to_string()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            if let Some((origin, state, receipt, local)) = known {
                if origin == "local" {
                    let same = body.is_some_and(|b| b == local) || parse_change(&local)? == *change;
                    if !same {
                        // The server stored another copy of this change (one that left on
                        // a USB stick before the device re-stamped it): the server's copy
                        // is the change, here as everywhere.
                        clock.observe(change.hlc);
                        adopt(&tx, change, body, seq)?;
                    } else if state != "accepted" || receipt != Some(seq) {
                        // Usually the push's answer already recorded this very receipt.
                        tx.prepare_cached(
                            "UPDATE change_log SET state = 'accepted', receipt = ?2 WHERE id = ?1",
                        )?
                        .execute((change.id.to_string(), seq))?;
                    }
                    stats.confirmed += 1;
                }
                continue;
            }
            clock.observe(change.hlc);
            let existing = load_row(&tx, change.table, change.row)?;
            let merged = merge(existing.as_ref(), change);
            let written = Written::of(existing.as_ref());
            write_row(&tx, &merged.row, written)?;
            project(&tx, &merged.row, existing.as_ref())?;
            tx.prepare_cached(
                "INSERT INTO change_log (id, tbl, row_id, unit, body, origin, state, receipt, recorded_at, utc_offset_min)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'remote', 'remote', ?6, ?7, ?8)",
            )?
            .execute((
                change.id.to_string(),
                change.table.code(),
                change.row.to_string(),
                &change.unit,
                match body {
                    Some(b) => b.to_string(),
                    None => self::body(change)?,
                },
                seq,
                &now,
                offset,
            ))?;
            stats.applied += 1;
        }
        tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES ('cursor', ?1)")?
            .execute([cursor])?;
        tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES ('hlc', ?1)")?
            .execute([clock.last.to_string()])?;
        stats.conflicts =
            tx.query_row("SELECT count(*) FROM conflict", [], |r| r.get::<_, i64>(0))? as usize;
        tx.commit()?;
        self.clock = clock;
        Ok(stats)
    }

    /// Sync settings and state.
    pub fn sync_meta(&self) -> Result<SyncMeta> {
        Ok(SyncMeta {
            server: self.meta("server")?,
            user: self.meta("user")?,
            role: self
                .meta("role")?
                .map(|r| r.parse::<Role>().map_err(StoreError::Corrupt))
                .transpose()?,
            token: self.meta("token")?,
            cursor: self.meta("cursor")?.unwrap_or_default(),
            last_sync: self.meta("last_sync")?,
            clock_offset_ms: self.clock_offset_ms(),
        })
    }

    /// Save the login: server, user, role, the units the user is assigned and the device
    /// token.
    pub fn save_login(
        &mut self,
        server: &str,
        user: &str,
        role: Role,
        units: &[String],
        token: &str,
    ) -> Result<()> {
        let tx = self.conn.savepoint()?;
        let units = serde_json::to_string(units).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        for (k, v) in [
            ("server", server),
            ("user", user),
            ("role", role.code()),
            ("units", units.as_str()),
            ("token", token),
            ("author", user),
        ] {
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                (k, v),
            )?;
        }
        // Entries made here before this login, never stored on the server, are the
        // logged-in account's: the server records the account that pushes a change and
        // refuses one signed with another name.
        let unsent: Vec<(String, String, String, String)> = tx
            .prepare(
                "SELECT id, tbl, row_id, body FROM change_log
                 WHERE origin = 'local' AND state IN ('pending', 'rejected')",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut rows = std::collections::BTreeSet::new();
        for (id, tbl, row_id, body) in unsent {
            let mut change: Change = serde_json::from_str(&body)
                .map_err(|e| StoreError::Corrupt(format!("change {id}: {e}")))?;
            if change.author == user {
                continue;
            }
            change.author = user.to_string();
            let body =
                serde_json::to_string(&change).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            tx.execute("UPDATE change_log SET body = ?2 WHERE id = ?1", (&id, body))?;
            rows.insert((tbl, row_id));
        }
        for (tbl, row_id) in rows {
            crate::withdraw::rebuild_row(&tx, &tbl, &row_id)?;
        }
        tx.commit()?;
        self.load_identity()
    }

    /// Note a completed sync (now, by the corrected clock).
    pub fn note_synced(&mut self) -> Result<()> {
        let now = time::utc_rfc3339(self.corrected_ms());
        self.set_meta("last_sync", &now)
    }

    /// Save the measured offset of the server's clock from this device's.
    pub fn set_clock_offset(&mut self, offset_ms: i64) -> Result<()> {
        self.set_meta("clock_offset_ms", &offset_ms.to_string())?;
        self.offset_ms = offset_ms;
        Ok(())
    }

    /// Give unsent changes stamped after `limit_ms` (made while the clock ran ahead)
    /// fresh stamps from the corrected clock, rewrite the bases that pointed at them,
    /// and rebuild the rows they touch. Returns how many changes were re-stamped.
    #[tracing::instrument(skip_all, err)]
    pub fn restamp_ahead(&mut self, limit_ms: u64) -> Result<usize> {
        let device = self.device()?.id;
        // Every stamp this device issued is at most the clock's last one.
        if self.clock.last.ms <= limit_ms {
            return Ok(0);
        }
        let now_ms = self.corrected_ms();
        let tx = self.conn.savepoint()?;
        let pending: Vec<(i64, Change)> = {
            let mut stmt = tx.prepare("SELECT seq, body FROM change_log WHERE state IN ('pending', 'rejected') ORDER BY seq")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, b) = row?;
                out.push((seq, parse_change(&b)?));
            }
            out
        };
        let ahead: BTreeSet<ChangeId> = pending
            .iter()
            .filter(|(_, c)| c.hlc.ms > limit_ms)
            .map(|(_, c)| c.id)
            .collect();
        if ahead.is_empty() {
            return Ok(0);
        }
        // The clock restarts after the newest stamp that stays.
        let mut kept = Hlc::ZERO;
        {
            let mut stmt = tx.prepare("SELECT body FROM change_log")?;
            for b in stmt.query_map([], |r| r.get::<_, String>(0))? {
                let c = parse_change(&b?)?;
                if !ahead.contains(&c.id) {
                    kept = kept.max(c.hlc);
                }
            }
        }
        let mut clock = HlcClock::new(kept);
        let mut remap: HashMap<Version, Version> = HashMap::new();
        let mut touched: BTreeMap<(Table, RowId), ()> = BTreeMap::new();
        for (seq, mut change) in pending {
            let old = change.version();
            if ahead.contains(&change.id) {
                change.hlc = clock.tick(now_ms);
                remap.insert(
                    old,
                    Version {
                        hlc: change.hlc,
                        device,
                    },
                );
            }
            for edit in change.fields.values_mut() {
                if let Some(b) = edit.base.as_mut() {
                    *b = remap.get(b).copied().unwrap_or(*b);
                }
                for s in &mut edit.saw {
                    *s = remap.get(s).copied().unwrap_or(*s);
                }
            }
            tx.execute(
                "UPDATE change_log SET body = ?2 WHERE seq = ?1",
                (seq, body(&change)?),
            )?;
            touched.insert((change.table, change.row), ());
        }
        for (table, id) in touched.into_keys() {
            let old = load_row(&tx, table, id)?;
            if let Some(row) = rebuild_row(&tx, table, id)? {
                write_row(&tx, &row, Written::Before)?;
                project(&tx, &row, old.as_ref())?;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('hlc', ?1)",
            [clock.last.to_string()],
        )?;
        tx.commit()?;
        self.clock = clock;
        Ok(ahead.len())
    }
}
