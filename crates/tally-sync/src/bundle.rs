//! The device's side of sneakernet sync (`tally_protocol::bundle`): export the outbox and
//! the pull cursor to a bundle, and import the server's receipts: each result recorded
//! as a push answer is (receipts, rejections, a re-stamp after `clock_ahead`), and the
//! changes the receipts carry applied as a pull page is.

use crate::client::{apply_body, Client, SyncError};
use crate::plan::PushPlan;
use serde::Serialize;
use serde_json::value::RawValue;
use std::sync::Mutex;
use tally_core::ChangeId;
use tally_protocol::bundle::{
    change_digest, key_of_token, seal, Addressed, BundleError, BundlePayload, Kind,
    ReceiptsPayload, Sealed,
};
use tally_protocol::PushResponse;
use tally_store::Store;

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exported {
    /// The file's bytes.
    #[serde(skip)]
    pub file: Vec<u8>,
    pub bundle_id: String,
    /// Pending changes in the bundle.
    pub changes: usize,
}

/// What importing receipts did on the device.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReceiptsImported {
    /// Changes the server stored (their receipts recorded).
    pub accepted: usize,
    /// Changes the server refused (kept on the device, with the reason).
    pub rejected: usize,
    /// Receipts for content the device no longer holds under that id (changed since the
    /// export): not recorded; the change goes with the next sync.
    pub changed_since: usize,
    /// Changes re-stamped because the server found them ahead of its clock.
    pub restamped: usize,
    /// Changes received from the server and applied.
    pub received: usize,
    /// The receipts carried changes, but the device has pulled past their start since
    /// (it synced after the export): they were left out.
    pub pull_skipped: bool,
    /// The server had more for the device than the receipts carry.
    pub more: bool,
}

/// The outbox read per step while exporting.
const EXPORT_STEP: usize = 1000;

fn logged_in(store: &Store) -> Result<String, SyncError> {
    store.sync_meta()?.token.ok_or(SyncError::NotLoggedIn)
}

/// Write the device's pending changes and pull cursor to a bundle sealed with its
/// token. Nothing on the device changes: the changes stay pending until receipts (or a
/// sync) say what became of them.
pub fn export(store: &Store, bundle_id: &str) -> Result<Exported, SyncError> {
    let token = logged_in(store)?;
    let meta = store.sync_meta()?;
    let device = store.device()?.clone();
    let total = store.pending_count()?;
    let mut changes: Vec<Box<RawValue>> = Vec::with_capacity(total);
    let mut after = 0;
    // Bounded by the outbox (each step reads up to EXPORT_STEP of it).
    for _ in 0..=total / EXPORT_STEP + 1 {
        let step = store.pending_bodies(after, EXPORT_STEP)?;
        let Some((last, _, _)) = step.last() else {
            break;
        };
        after = *last;
        for (_, _, body) in step {
            changes.push(
                RawValue::from_string(body).map_err(|e| {
                    SyncError::Store(tally_store::StoreError::Corrupt(e.to_string()))
                })?,
            );
        }
    }
    let n = changes.len();
    let payload = BundlePayload {
        bundle_id: bundle_id.to_string(),
        device_id: device.id,
        user: meta.user.unwrap_or(device.author),
        created_ms: store.device_ms(),
        cursor: meta.cursor,
        changes,
    };
    Ok(Exported {
        file: seal(Kind::Bundle, &payload, &key_of_token(&token)),
        bundle_id: bundle_id.to_string(),
        changes: n,
    })
}

/// Import the server's receipts for one of this device's bundles. A file of another
/// device, changed on the way or cut short is refused whole. Importing the same receipts
/// again changes nothing.
pub fn import_receipts(store: &mut Store, file: &[u8]) -> Result<ReceiptsImported, SyncError> {
    let token = logged_in(store)?;
    let own = store.device()?.id;
    let sealed = Sealed::read(file, Kind::Receipts)?;
    let Addressed { device_id } = sealed.peek()?;
    if device_id != own {
        return Err(BundleError::OtherDevice {
            expected: own,
            found: device_id,
        }
        .into());
    }
    let receipts: ReceiptsPayload = sealed.open(&key_of_token(&token))?;
    let mut done = ReceiptsImported::default();
    // The results read as the answer to a push of exactly these changes.
    let sent: Vec<(i64, ChangeId)> = receipts
        .results
        .iter()
        .map(|r| (0, r.change_id()))
        .collect();
    let answer = PushResponse {
        results: receipts.results,
        server_time_ms: receipts.server_time_ms,
    };
    let answered = PushPlan::new(sent.len(), sent.len().max(1))
        .answered(&sent, &answer)
        .map_err(|_| SyncError::BadAnswer("receipts without their changes".into()))?;
    let mut kept = Vec::with_capacity(answered.receipts.len());
    for (id, seq) in answered.receipts {
        let same = store
            .local_change(id)?
            .is_some_and(|c| receipts.digests.get(&id) == Some(&change_digest(&c)));
        if same {
            kept.push((id, seq));
        } else {
            done.changed_since += 1;
        }
    }
    store.mark_accepted(&kept)?;
    done.accepted = kept.len();
    for r in &answered.refusals {
        store.mark_rejected(r.change, &r.code, &r.reason, &r.reason_zh)?;
    }
    done.rejected = answered.refusals.len();
    if let Some(limit) = answered.restamp_to {
        done.restamped = store.restamp_ahead(limit)?;
    }
    if let Some(pull) = receipts.pull {
        let cursor = store.sync_meta()?.cursor;
        if cursor == receipts.pulled_after {
            let page: tally_protocol::PullResponse<serde::de::IgnoredAny> =
                serde_json::from_str(pull.get())
                    .map_err(|e| SyncError::BadAnswer(e.to_string()))?;
            done.more = page.more;
            let stats = apply_body(
                &Mutex::new(&mut *store),
                pull.get().as_bytes(),
                &cursor,
                usize::MAX,
            )?;
            done.received = stats.applied;
        } else {
            done.pull_skipped = true;
        }
    }
    Ok(done)
}

/// A bundle carried to the server by this device for another one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Forwarded {
    /// The receipts file, for the bundle's device.
    #[serde(skip)]
    pub receipts: Vec<u8>,
    pub device: tally_core::DeviceId,
    pub accepted: usize,
    pub rejected: usize,
    /// Changes for that device in the receipts.
    pub received: usize,
}

/// Carry another device's bundle to the server from this logged-in device (a leader's,
/// or an admin's); the server imports it as that device's push and answers with its
/// receipts. A file that is not a bundle is refused here, before anything is sent.
pub fn forward(
    client: &mut Client<'_>,
    store: &Store,
    bundle: &[u8],
    with_changes: bool,
) -> Result<Forwarded, SyncError> {
    let token = logged_in(store)?;
    Sealed::read(bundle, Kind::Bundle)?;
    let receipts = client.forward_bundle(&token, bundle.to_vec(), with_changes)?;
    let read: ReceiptsPayload = Sealed::read(&receipts, Kind::Receipts)
        .and_then(|s| s.peek())
        .map_err(|e| SyncError::BadAnswer(e.to_string()))?;
    let received = match &read.pull {
        Some(pull) => {
            serde_json::from_str::<tally_protocol::PullResponse<serde::de::IgnoredAny>>(pull.get())
                .map(|p| p.changes.len())
                .map_err(|e| SyncError::BadAnswer(e.to_string()))?
        }
        None => 0,
    };
    let accepted = read.digests.len();
    Ok(Forwarded {
        device: read.device_id,
        accepted,
        rejected: read.results.len() - accepted,
        received,
        receipts,
    })
}
