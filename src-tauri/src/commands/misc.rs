//! Commands of the export and settings screens.

use crate::dto::*;
use crate::error::{IpcError, IpcResult};
use crate::state::{with_store, AppState};
use std::sync::Arc;
use tauri::State;

type AppS<'a> = State<'a, Arc<AppState>>;

/// Write the report of a unit to the export folder; returns the files written.
#[tauri::command]
pub async fn export_write(state: AppS<'_>, input: ExportInput) -> IpcResult<ExportResult> {
    let dir = state.export_dir(&state.settings());
    with_store(&state, move |s| {
        let report = tally_export::report(s, &input.unit, input.as_of)?;
        let name = s.unit(&input.unit)?.name;
        let stem = tally_export::file_stem(&report, &name);
        std::fs::create_dir_all(&dir)
            .map_err(|e| IpcError::internal(format!("cannot create {}: {e}", dir.display())))?;
        let files = match input.format {
            ExportFormat::Xlsx => {
                let path = dir.join(format!("{stem}.xlsx"));
                tally_export::write_xlsx(&report, &path)?;
                vec![path]
            }
            ExportFormat::Csv => tally_export::write_csv(&report, &dir, &stem)?,
        };
        Ok(ExportResult {
            files: files.iter().map(|p| p.display().to_string()).collect(),
        })
    })
    .await
}

/// Open the encrypted device database with the passphrase typed (where no keyring holds
/// its key); for a new database the passphrase is chosen now.
#[tauri::command]
pub async fn db_unlock(state: AppS<'_>, passphrase: String) -> IpcResult<AppStatus> {
    let state = Arc::clone(&state);
    tauri::async_runtime::spawn_blocking(move || state.unlock(&passphrase))
        .await
        .map_err(IpcError::internal)?
}

/// The daily backups, newest first.
#[tauri::command]
pub async fn backup_list(state: AppS<'_>) -> IpcResult<Vec<BackupEntry>> {
    Ok(state.backups())
}

/// Put a daily backup in place of the device database.
#[tauri::command]
pub async fn backup_restore(state: AppS<'_>, name: String) -> IpcResult<RestoreResult> {
    let state = Arc::clone(&state);
    tauri::async_runtime::spawn_blocking(move || state.restore_backup(&name))
        .await
        .map_err(IpcError::internal)?
}

#[tauri::command]
pub async fn settings_get(state: AppS<'_>) -> IpcResult<SettingsView> {
    Ok(state.settings_view())
}

#[tauri::command]
pub async fn settings_save(state: AppS<'_>, settings: Settings) -> IpcResult<SettingsView> {
    let state = Arc::clone(&state);
    tauri::async_runtime::spawn_blocking(move || state.save_settings(settings))
        .await
        .map_err(IpcError::internal)?
}
