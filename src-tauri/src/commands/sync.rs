//! Commands of the sync screen: status, login, sync, the outbox, re-sending, conflicts.

use crate::describe::{conflict_view, entry_view, Names};
use crate::dto::*;
use crate::error::{IpcError, IpcResult};
use crate::state::{with_store, AppState};
use crate::sync_task;
use std::sync::Arc;
use tally_core::ChangeId;
use tally_store::{OutboxState, Resolution};
use tauri::ipc::Channel;
use tauri::State;

type AppS<'a> = State<'a, Arc<AppState>>;

#[tauri::command]
pub async fn status_get(state: AppS<'_>) -> IpcResult<AppStatus> {
    let state = Arc::clone(&state);
    tauri::async_runtime::spawn_blocking(move || state.status())
        .await
        .map_err(IpcError::internal)?
}

#[tauri::command]
pub async fn sync_login(
    state: AppS<'_>,
    server: String,
    user: String,
    password: String,
) -> IpcResult<LoginResult> {
    let _one_at_a_time = state.sync_lock.lock().await;
    with_store(&state, move |s| {
        sync_task::login(s, &server, &user, &password)
    })
    .await
}

/// The logged-in user changes their password (修改密码): the current one and the new.
#[tauri::command]
pub async fn account_password(state: AppS<'_>, current: String, new: String) -> IpcResult<()> {
    with_store(&state, move |s| {
        sync_task::change_password(s, &current, &new)
    })
    .await
}

#[tauri::command]
pub async fn sync_run(
    state: AppS<'_>,
    on_progress: Channel<SyncProgress>,
) -> IpcResult<SyncResult> {
    sync_task::run(&state, false, move |p| {
        let _ = on_progress.send(p);
    })
    .await
}

#[tauri::command]
pub async fn outbox_list(
    state: AppS<'_>,
    only: Option<OutboxState>,
    limit: Option<u32>,
) -> IpcResult<Vec<EntryView>> {
    with_store(&state, move |s| {
        let names = Names::new(s);
        let limit = limit.unwrap_or(500).min(10_000) as usize;
        Ok(s.outbox(only, limit)?
            .into_iter()
            .map(|e| entry_view(e, &names))
            .collect())
    })
    .await
}

#[tauri::command]
pub async fn outbox_resend(state: AppS<'_>, change_id: ChangeId) -> IpcResult<()> {
    with_store(&state, move |s| Ok(s.resend(change_id)?)).await
}

/// Take back an entry the server refused (see `Store::withdraw`).
#[tauri::command]
pub async fn outbox_withdraw(state: AppS<'_>, change_id: ChangeId) -> IpcResult<()> {
    with_store(&state, move |s| Ok(s.withdraw(change_id)?)).await
}

#[tauri::command]
pub async fn conflict_list(state: AppS<'_>) -> IpcResult<Vec<ConflictView>> {
    with_store(&state, move |s| {
        let names = Names::new(s);
        Ok(s.conflicts()?
            .into_iter()
            .map(|c| conflict_view(c, &names))
            .collect())
    })
    .await
}

/// A leader's resolution: an ordinary edit of the field that saw the losing versions.
#[tauri::command]
pub async fn conflict_resolve(state: AppS<'_>, input: Resolution) -> IpcResult<()> {
    with_store(&state, move |s| {
        s.resolve_conflict(&input)?;
        Ok(())
    })
    .await
}
