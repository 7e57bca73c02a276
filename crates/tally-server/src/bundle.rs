//! Importing a device's sneakernet bundle (`tally_protocol::bundle`): the seal checked
//! under the device's own token hash, then its changes stored exactly as the device's
//! push would store them (same validation, same scope, the device's account as the
//! author, idempotent), and the receipts written, optionally with the changes the
//! device should receive after the bundle's cursor.

use crate::db::{Held, PageSize, PushMode};
use crate::push::Author;
use crate::scope::Scope;
use crate::{Db, DbError};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use tally_core::{DeviceId, Explain, Role};
use tally_protocol::bundle::{
    change_digest, key_of_token_hash, seal, Addressed, BundleError, BundlePayload, Kind,
    ReceiptsPayload, ReceiptsPull, Sealed,
};
use tally_protocol::{codes, PushResult, MAX_PULL_LIMIT, MAX_PUSH_CHANGES};
use thiserror::Error;

/// The most bytes of changes a receipts file carries for the device; a longer backlog
/// stops short (`more`) and the rest comes with the next bundle or sync.
pub const MAX_RECEIPTS_PULL_BYTES: usize = 64 << 20;

/// Why a bundle was refused (whole: nothing of it was stored).
#[derive(Debug, Error)]
pub enum ImportError {
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("the bundle comes from device {0}, which this server has never enrolled")]
    UnknownDevice(DeviceId),
    #[error(
        "the bundle comes from device {0}, which was revoked; log it in again and export again"
    )]
    Revoked(DeviceId),
    #[error("the bundle comes from a device of account {0}, which is disabled")]
    Disabled(String),
    #[error("only leaders and admins carry other devices' bundles to the server, not a {0}")]
    ForwardForbidden(Role),
    #[error("the bundle's device works in {0}, outside what you may read")]
    ForwardOutOfScope(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Explain for ImportError {
    fn code(&self) -> &'static str {
        match self {
            ImportError::Bundle(e) => e.code(),
            ImportError::UnknownDevice(_) => "bundle_unknown_device",
            ImportError::Revoked(_) => "bundle_device_revoked",
            ImportError::Disabled(_) => "bundle_user_disabled",
            ImportError::ForwardForbidden(_) => codes::FORBIDDEN,
            ImportError::ForwardOutOfScope(_) => codes::OUT_OF_SCOPE,
            ImportError::Db(e) => e.code(),
        }
    }

    fn zh(&self) -> String {
        match self {
            ImportError::Bundle(e) => e.zh(),
            ImportError::UnknownDevice(id) => {
                format!("同步包来自本服务器从未登记过的设备（{id}），整份拒收")
            }
            ImportError::Revoked(id) => {
                format!("同步包来自已停用的设备（{id}），整份拒收：请该设备重新登录后再导出")
            }
            ImportError::Disabled(user) => {
                format!("同步包来自账号 {user} 的设备，该账号已停用，整份拒收")
            }
            ImportError::ForwardForbidden(role) => {
                format!(
                    "只有队长和管理员可以代传别的设备的同步包，{}不行",
                    role.zh()
                )
            }
            ImportError::ForwardOutOfScope(unit) => {
                format!("同步包的设备负责 {unit}，不在您负责的范围内，不能代传")
            }
            ImportError::Db(e) => e.zh(),
        }
    }
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// The receipts file to carry back.
    pub receipts: Vec<u8>,
    pub device: DeviceId,
    pub user: String,
    pub changes: usize,
    pub accepted: usize,
    pub rejected: usize,
    /// Changes for the device in the receipts (0 unless asked for).
    pub pulled: usize,
    /// The receipts could not carry the device's whole backlog.
    pub more: bool,
}

/// Who carries a bundle to the server from their own logged-in device (`None`: the
/// admin at the server's command line).
#[derive(Clone, Debug)]
pub struct Forwarder {
    pub role: Role,
    pub units: Vec<String>,
}

/// Import the bundle `file` at `now_ms`; with `with_changes`, the receipts carry what
/// the device should receive after the bundle's cursor. A `forwarder` must be a leader
/// or an admin who may read every unit of the bundle's device (the receipts carry that
/// device's changes).
pub async fn import(
    db: &Db,
    file: &[u8],
    now_ms: u64,
    with_changes: bool,
    forwarder: Option<&Forwarder>,
) -> Result<Imported, ImportError> {
    let sealed = Sealed::read(file, Kind::Bundle)?;
    let Addressed { device_id } = sealed.peek()?;
    let (device, token_hash) = db
        .device_by_id(device_id)
        .await?
        .ok_or(ImportError::UnknownDevice(device_id))?;
    let key = key_of_token_hash(&token_hash).ok_or(BundleError::Tampered)?;
    let bundle: BundlePayload = sealed.open(&key)?;
    // Checked after the seal: whoever made a file must not learn what the server knows.
    if device.revoked {
        return Err(ImportError::Revoked(device_id));
    }
    if device.disabled {
        return Err(ImportError::Disabled(device.user));
    }
    if let Some(by) = forwarder {
        check_forwarder(db, by, device.role, &device.units).await?;
    }
    let author = Author {
        device: device.device,
        user: device.user.clone(),
        role: device.role,
        units: device.units.clone(),
    };
    let n = bundle.changes.len();
    let mut results: Vec<PushResult> = Vec::with_capacity(n);
    let mut digests = BTreeMap::new();
    // Bounded by the bundle: one push per MAX_PUSH_CHANGES changes, as the device's
    // own sync would send them.
    for batch in bundle.changes.chunks(MAX_PUSH_CHANGES) {
        let pushed = db
            .push(batch.to_vec(), author.clone(), now_ms, PushMode::PerChange)
            .await?;
        for (change, result) in batch.iter().zip(&pushed.results) {
            if matches!(result, PushResult::Accepted { .. }) {
                digests.insert(change.id, change_digest(change));
            }
        }
        results.extend(pushed.results);
    }
    let accepted = digests.len();
    // The device's own changes are not left out of the pull: a copy of one that the
    // device has changed since the export (re-stamped) is put right by the server's.
    let pull = if with_changes {
        Some(backlog(db, &author, &bundle.cursor, now_ms).await?)
    } else {
        None
    };
    let (pulled, more) = pull
        .as_ref()
        .map_or((0, false), |p| (p.changes.len(), p.more));
    tracing::info!(device = %device_id, user = %author.user, n, accepted, pulled, more,
                   "bundle imported");
    let payload = ReceiptsPayload {
        bundle_id: bundle.bundle_id,
        device_id,
        server_time_ms: now_ms,
        results,
        digests,
        pulled_after: bundle.cursor,
        pull,
    };
    Ok(Imported {
        receipts: seal(Kind::Receipts, &payload, &key),
        device: device_id,
        user: author.user,
        changes: n,
        accepted,
        rejected: n - accepted,
        pulled,
        more,
    })
}

/// A forwarder must be allowed to carry bundles and to read all the device may read.
async fn check_forwarder(
    db: &Db,
    by: &Forwarder,
    role: Role,
    units: &[String],
) -> Result<(), ImportError> {
    if !by.role.may_forward_bundles() {
        return Err(ImportError::ForwardForbidden(by.role));
    }
    let tree = db.unit_tree().await?;
    let scope = Scope::of(by.role, &by.units, &tree);
    if !role.needs_units() && by.role.needs_units() {
        return Err(ImportError::ForwardOutOfScope("*".into()));
    }
    match units.iter().find(|u| !scope.can_read(u)) {
        Some(unit) => Err(ImportError::ForwardOutOfScope(unit.clone())),
        None => Ok(()),
    }
}

/// The changes after `cursor` the device may read, up to [`MAX_RECEIPTS_PULL_BYTES`].
async fn backlog(
    db: &Db,
    who: &Author,
    cursor: &str,
    now_ms: u64,
) -> Result<ReceiptsPull, DbError> {
    let tree = db.unit_tree().await?;
    let filter = Scope::of(who.role, &who.units, &tree).read_filter();
    let mut changes: Vec<tally_protocol::Pulled<Box<RawValue>>> = Vec::new();
    let mut cursor = cursor.to_string();
    let mut bytes = 0usize;
    let mut more = true;
    // Bounded by the byte budget, and far above any real backlog in pages.
    for _ in 0..100_000 {
        if !more || bytes >= MAX_RECEIPTS_PULL_BYTES {
            break;
        }
        let page = db
            .pull(
                filter.clone(),
                &cursor,
                PageSize::of(MAX_PULL_LIMIT),
                Held::default(),
            )
            .await?;
        bytes += page
            .changes
            .iter()
            .map(|c| c.change.get().len())
            .sum::<usize>();
        changes.extend(page.changes);
        cursor = page.cursor;
        more = page.more;
    }
    Ok(ReceiptsPull {
        changes,
        cursor,
        more,
        server_time_ms: now_ms,
    })
}
