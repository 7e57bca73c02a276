//! Commands of sync by USB stick (离线同步包): where a bundle can go (a USB stick, or the
//! export folder), writing one, this device's receipts found there, importing one. Only a
//! place this command offered, and a receipts file found in one, are accepted back.

use crate::dto::*;
use crate::error::{AppError, IpcError, IpcResult};
use crate::state::{with_store, AppState};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tally_protocol::bundle::{is_receipts_for, write_file, MAX_BUNDLE_BYTES};
use tauri::State;

type AppS<'a> = State<'a, Arc<AppState>>;

/// The file name ending of bundles and receipts.
const EXTENSION: &str = "tally";

/// The folders offered: the USB sticks mounted now, then the export folder.
fn places(state: &AppState) -> Vec<BundlePlace> {
    let mut out: Vec<BundlePlace> = removable_volumes()
        .into_iter()
        .map(|p| BundlePlace {
            name: p
                .file_name()
                .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into()),
            path: p.display().to_string(),
            removable: true,
        })
        .collect();
    let export = state.export_dir(&state.settings());
    out.push(BundlePlace {
        name: export.display().to_string(),
        path: export.display().to_string(),
        removable: false,
    });
    out
}

/// Volumes mounted where desktops mount USB sticks (/media/USER/…, /run/media/USER/…,
/// /media/…): a folder on another file system than its parent's.
#[cfg(unix)]
fn removable_volumes() -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let mounted = |dir: &Path| -> Vec<PathBuf> {
        let Ok(parent) = std::fs::metadata(dir) else {
            return vec![];
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return vec![];
        };
        entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.is_dir() && m.dev() != parent.dev()))
            .collect()
    };
    let user = std::env::var("USER").unwrap_or_default();
    let mut out = Vec::new();
    for root in ["/media", "/run/media"] {
        let root = Path::new(root);
        out.extend(mounted(root));
        if !user.is_empty() {
            out.extend(mounted(&root.join(&user)));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Drives D: to Z: that are there.
#[cfg(not(unix))]
fn removable_volumes() -> Vec<PathBuf> {
    (b'D'..=b'Z')
        .map(|l| PathBuf::from(format!("{}:\\", l as char)))
        .filter(|p| p.is_dir())
        .collect()
}

/// A place the app offered, or a refusal naming what was given.
fn offered(state: &AppState, dir: &str) -> IpcResult<PathBuf> {
    places(state)
        .into_iter()
        .find(|p| p.path == dir)
        .map(|p| PathBuf::from(p.path))
        .ok_or_else(|| AppError::NotABundlePlace(dir.to_string()).into())
}

/// This device's receipts files in the places offered, newest first.
fn receipts_files(state: &AppState, device: tally_core::DeviceId) -> Vec<ReceiptsFile> {
    let mut out = Vec::new();
    for place in places(state) {
        let Ok(entries) = std::fs::read_dir(&place.path) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            let ours = path.extension().is_some_and(|e| e == EXTENSION)
                && meta.is_file()
                && meta.len() <= MAX_BUNDLE_BYTES
                && std::fs::read(&path).is_ok_and(|b| is_receipts_for(&b, device));
            if !ours {
                continue;
            }
            let modified = meta
                .modified()
                .ok()
                .map(|t| {
                    chrono::DateTime::<chrono::Local>::from(t)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or_default();
            out.push(ReceiptsFile {
                name: entry.file_name().to_string_lossy().into(),
                path: path.display().to_string(),
                place: place.name.clone(),
                modified,
            });
        }
    }
    out.sort_by(|a, b| b.modified.cmp(&a.modified));
    out
}

#[tauri::command]
pub async fn bundle_places(state: AppS<'_>) -> IpcResult<Vec<BundlePlace>> {
    let state = Arc::clone(&state);
    tauri::async_runtime::spawn_blocking(move || Ok(places(&state)))
        .await
        .map_err(IpcError::internal)?
}

/// Write this device's pending entries and sync position to a new bundle in `dir`.
#[tauri::command]
pub async fn bundle_export(state: AppS<'_>, dir: String) -> IpcResult<BundleWritten> {
    let dir = offered(&state, &dir)?;
    with_store(&state, move |s| {
        std::fs::create_dir_all(&dir)
            .map_err(|e| IpcError::internal(format!("cannot create {}: {e}", dir.display())))?;
        let id = uuid::Uuid::now_v7().to_string();
        let done = tally_sync::bundle::export(s, &id)?;
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let device: String = s
            .device()?
            .name
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        let path = dir.join(format!("tally-{device}-{stamp}.{EXTENSION}"));
        write_file(&path, &done.file)
            .map_err(|e| IpcError::internal(format!("cannot write {}: {e}", path.display())))?;
        Ok(BundleWritten {
            path: path.display().to_string(),
            changes: done.changes as u32,
        })
    })
    .await
}

/// This device's receipts files found in the places offered.
#[tauri::command]
pub async fn bundle_receipts(state: AppS<'_>) -> IpcResult<Vec<ReceiptsFile>> {
    let device = with_store(&state, |s| Ok(s.device()?.id)).await?;
    let state = Arc::clone(&state);
    tauri::async_runtime::spawn_blocking(move || Ok(receipts_files(&state, device)))
        .await
        .map_err(IpcError::internal)?
}

/// Import a receipts file found by [`bundle_receipts`] (not while a sync runs).
#[tauri::command]
pub async fn bundle_import(state: AppS<'_>, path: String) -> IpcResult<ReceiptsResult> {
    let _one_at_a_time = state
        .sync_lock
        .try_lock()
        .map_err(|_| AppError::SyncRunning)?;
    let device = with_store(&state, |s| Ok(s.device()?.id)).await?;
    let found = {
        let state = Arc::clone(&state);
        tauri::async_runtime::spawn_blocking(move || receipts_files(&state, device))
            .await
            .map_err(IpcError::internal)?
    };
    if !found.iter().any(|f| f.path == path) {
        return Err(AppError::NoSuchReceipts(path).into());
    }
    let bytes =
        std::fs::read(&path).map_err(|e| IpcError::internal(format!("cannot read {path}: {e}")))?;
    with_store(&state, move |s| {
        Ok(tally_sync::bundle::import_receipts(s, &bytes)?.into())
    })
    .await
}
