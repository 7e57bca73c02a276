//! Syncing: one sync at a time (the button waits for an automatic one), progress for the
//! window, and the background task that asks the server's health every 30 seconds and
//! syncs by itself when the server becomes reachable with entries waiting.

use crate::dto::{LoginResult, SyncProgress, SyncResult};
use crate::error::{IpcError, IpcResult};
use crate::state::AppState;
use std::sync::Arc;
use std::time::Duration;
use tally_protocol::paths;
use tally_store::Store;
use tally_sync::client::{Client, Progress, SyncOptions};
use tally_sync::transport::{HttpTransport, Method, Request, Transport};

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn progress_dto(p: Progress) -> SyncProgress {
    match p {
        Progress::Pushing { sent, total } => SyncProgress::Pushing {
            sent: sent as u32,
            total: total as u32,
        },
        Progress::Pulling { received } => SyncProgress::Pulling {
            received: received as u32,
        },
    }
}

/// Log in (enrol this device) at `server`.
pub fn login(
    store: &mut Store,
    server: &str,
    user: &str,
    password: &str,
) -> IpcResult<LoginResult> {
    let server = server.trim().trim_end_matches('/');
    let mut transport = HttpTransport::new(server)?;
    let enrolled = Client::new(&mut transport, SyncOptions::default()).login(
        store,
        server,
        user.trim(),
        password,
    )?;
    Ok(LoginResult {
        user: enrolled.user,
        role: enrolled.role,
        units: enrolled.units,
    })
}

/// Change the logged-in user's password on the server (the current one checked there).
pub fn change_password(store: &Store, current: &str, new: &str) -> IpcResult<()> {
    let server = store
        .sync_meta()?
        .server
        .ok_or_else(|| IpcError::from(tally_sync::client::SyncError::NotLoggedIn))?;
    let mut transport = HttpTransport::new(&server)?;
    Client::new(&mut transport, SyncOptions::default()).change_password(store, current, new)?;
    Ok(())
}

/// Run one sync while holding the sync lock; progress goes to `on_progress` and to the
/// status the window polls.
pub async fn run(
    state: &Arc<AppState>,
    automatic: bool,
    on_progress: impl Fn(SyncProgress) + Send + 'static,
) -> IpcResult<SyncResult> {
    let _one_at_a_time = state.sync_lock.lock().await;
    state.set_syncing(true);
    {
        let mut st = state.sync_status();
        st.progress = Some(SyncProgress::Checking);
        st.last_error = None;
    }
    on_progress(SyncProgress::Checking);
    let st = Arc::clone(state);
    let outcome = tauri::async_runtime::spawn_blocking(move || {
        let server = st
            .store()
            .sync_meta()?
            .server
            .ok_or_else(|| IpcError::from(tally_sync::client::SyncError::NotLoggedIn))?;
        let mut transport = HttpTransport::new(&server)?;
        let options = SyncOptions {
            apply_step: tally_sync::INTERACTIVE_APPLY_STEP,
            ..SyncOptions::default()
        };
        let mut client = Client::new(&mut transport, options);
        // The store is locked one step at a time: entries saved meanwhile wait for at
        // most one step, and are sent by the next sync.
        let report = client.sync_shared(st.shared_store(), &mut |p| {
            let dto = progress_dto(p);
            st.sync_status().progress = Some(dto);
            on_progress(dto);
        });
        st.refresh_counts(&st.store());
        Ok::<_, IpcError>(report?)
    })
    .await
    .map_err(IpcError::internal)
    .and_then(|r| r);
    state.set_syncing(false);
    let mut st = state.sync_status();
    st.progress = None;
    match outcome {
        Ok(report) => {
            let result = SyncResult {
                sent: report.sent as u32,
                accepted: report.accepted as u32,
                rejected: report.rejected as u32,
                received: report.received as u32,
                conflicts: report.conflicts as u32,
                clock_offset_ms: report.clock_offset_ms,
                finished_at: now_rfc3339(),
                automatic,
            };
            st.online = Some(true);
            st.last_result = Some(result.clone());
            tracing::info!(?result, "sync finished");
            Ok(result)
        }
        Err(e) => {
            if e.kind == crate::error::ErrorKind::Offline {
                st.online = Some(false);
            }
            tracing::warn!(error = %e.message, "sync failed");
            st.last_error = Some(e.clone());
            Err(e)
        }
    }
}

/// Whether the server answers `GET /api/v1/health` (one try, short timeout).
fn healthy(server: &str) -> bool {
    let Ok(mut t) = HttpTransport::new(server) else {
        return false;
    };
    let req = Request {
        method: Method::Get,
        path: paths::HEALTH.to_string(),
        token: None,
        body: None,
    };
    matches!(t.send(&req), Ok(r) if r.status == 200)
}

/// The health check's interval: 5 s (the header's 在线 is at most that old), or
/// TALLY_HEALTH_POLL_SECS (tests).
pub fn poll_interval() -> Duration {
    let secs = std::env::var("TALLY_HEALTH_POLL_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| (1..=3600).contains(s))
        .unwrap_or(5);
    Duration::from_secs(secs)
}

/// While entries wait and the server answers, an automatic sync at most this often
/// (at once when the server comes back).
const RETRY_WAITING: Duration = Duration::from_secs(30);

/// The background task: check health, and sync when the server came back (or answers
/// while entries wait). Runs as long as the app.
pub async fn watch(state: Arc<AppState>) {
    let interval = poll_interval();
    let mut last_auto: Option<std::time::Instant> = None;
    loop {
        let st = Arc::clone(&state);
        let server_and_pending = tauri::async_runtime::spawn_blocking(move || {
            // Skip the check while a sync runs: it is talking to the server.
            let store = if st.syncing() { None } else { Some(st.store()) };
            store.and_then(|s| {
                let meta = s.sync_meta().ok()?;
                meta.token.as_ref()?;
                Some((meta.server?, s.pending_count().unwrap_or(0)))
            })
        })
        .await
        .ok()
        .flatten();
        if let Some((server, pending)) = server_and_pending {
            let up = tauri::async_runtime::spawn_blocking(move || healthy(&server))
                .await
                .unwrap_or(false);
            let was = state.sync_status().online;
            state.sync_status().online = Some(up);
            let came_back = up && was != Some(true);
            let due = last_auto.is_none_or(|t| t.elapsed() >= RETRY_WAITING.min(interval * 6));
            if up && (came_back || (pending > 0 && due)) && !state.syncing() {
                tracing::info!(pending, came_back, "server reachable: syncing");
                last_auto = Some(std::time::Instant::now());
                let _ = run(&state, true, |_| {}).await;
            }
        }
        tokio::time::sleep(interval).await;
    }
}
