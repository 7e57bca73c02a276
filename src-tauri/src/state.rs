//! The app's managed state: the one open Store behind a Mutex, the settings, and the
//! sync status the background task and the commands share. Blocking database work runs
//! through `with_store` on a blocking thread, never on the window's thread.

use crate::dto::{
    AppStatus, BackupEntry, RestoreResult, Settings, SettingsView, SyncProgress, SyncResult,
};
use crate::error::{AppError, IpcError, IpcResult};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tally_core::Role;
use tally_store::{Counts, DbKey, Store};
use tally_sync::SharedStore;

/// Sync state shared by the commands and the background task.
#[derive(Clone, Debug, Default)]
pub struct SyncStatus {
    pub online: Option<bool>,
    pub progress: Option<SyncProgress>,
    pub last_result: Option<SyncResult>,
    pub last_error: Option<IpcError>,
}

/// Where things live on disk.
#[derive(Clone, Debug)]
pub struct Paths {
    /// Holds desktop.json (the settings).
    pub config_dir: PathBuf,
    /// The default data folder (shared with the `tally` CLI).
    pub default_data_dir: PathBuf,
    /// TALLY_DATA_DIR, which overrides the settings.
    pub forced_data_dir: Option<PathBuf>,
    pub default_export_dir: PathBuf,
}

impl Paths {
    /// From the environment: TALLY_DATA_DIR and TALLY_CONFIG_DIR override the user's folders.
    pub fn from_env() -> Paths {
        let dirs = directories::ProjectDirs::from("", "", "tally");
        let home = directories::UserDirs::new();
        let fallback = std::env::temp_dir().join("tally");
        let forced_data_dir = std::env::var_os("TALLY_DATA_DIR").map(PathBuf::from);
        let config_dir = std::env::var_os("TALLY_CONFIG_DIR")
            .map(PathBuf::from)
            .or_else(|| forced_data_dir.clone())
            .or_else(|| dirs.as_ref().map(|d| d.config_dir().to_path_buf()))
            .unwrap_or_else(|| fallback.clone());
        let default_data_dir = dirs
            .as_ref()
            .map(|d| d.data_dir().to_path_buf())
            .unwrap_or_else(|| fallback.clone());
        let default_export_dir = home
            .as_ref()
            .and_then(|h| h.document_dir().map(Path::to_path_buf))
            .or_else(|| home.as_ref().map(|h| h.home_dir().to_path_buf()))
            .unwrap_or(fallback)
            .join("Tally导出");
        Paths {
            config_dir,
            default_data_dir,
            forced_data_dir,
            default_export_dir,
        }
    }
}

pub struct AppState {
    /// Shared with a running sync, which takes it one step at a time.
    store: SharedStore,
    settings: Mutex<Settings>,
    paths: Paths,
    sync: Mutex<SyncStatus>,
    /// Read from the store, kept for when a sync holds it.
    counts: Mutex<Counts>,
    syncing: AtomicBool,
    /// Serialises syncs: the button waits for an automatic sync to finish.
    pub sync_lock: tokio::sync::Mutex<()>,
    /// No key yet (no keyring, no TALLY_DB_KEY): the store is an empty stand-in until
    /// the passphrase is typed (`unlock`).
    locked: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves consistent data here (SQLite rolls back).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A device name for a first start: `桌面-HOSTNAME`.
fn default_device_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "Tally".into());
    let name: String = format!("桌面-{host}").chars().take(60).collect();
    name
}

/// Open the database in `dir`, setting the device up on first use.
/// The key comes from `TALLY_DB_KEY` or the OS keyring (`tally_store::key::resolve`).
pub fn open_store(dir: &Path) -> IpcResult<Store> {
    let path = dir.join("tally.db");
    let (key, source) = tally_store::key::resolve(&path)?;
    tracing::info!(?source, "device database key");
    open_with_key(dir, &key)
}

/// Open the database in `dir` with `key` (set the device up on first use, back it up).
fn open_with_key(dir: &Path, key: &DbKey) -> IpcResult<Store> {
    let path = dir.join("tally.db");
    let mut store = Store::open(&path, key)?;
    if store.device().is_err() {
        store.init(&default_device_name())?;
    }
    // Today's backup, once a day; a failure is logged, never blocks the app.
    match store.daily_backup(&dir.join(BACKUP_DIR)) {
        Ok(Some(written)) => tracing::info!(backup = %written.display(), "daily backup"),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "daily backup failed"),
    }
    Ok(store)
}

/// The daily backups' folder, in the data folder.
pub const BACKUP_DIR: &str = "backups";

impl AppState {
    pub fn open(paths: Paths) -> IpcResult<AppState> {
        let settings = crate::settings::load(&paths.config_dir);
        let dir = data_dir(&paths, &settings);
        let (store, locked) = match open_store(&dir) {
            Ok(store) => (store, false),
            Err(e) if e.code == "no_key" => {
                tracing::info!("no keyring and no TALLY_DB_KEY: the passphrase is asked for");
                (
                    Store::open_in_memory(Box::new(tally_store::SystemTime))?,
                    true,
                )
            }
            Err(e) => return Err(e),
        };
        let state = AppState {
            store: SharedStore::new(store),
            settings: Mutex::new(settings),
            paths,
            sync: Mutex::default(),
            counts: Mutex::default(),
            syncing: AtomicBool::new(false),
            sync_lock: tokio::sync::Mutex::new(()),
            locked: AtomicBool::new(locked),
        };
        state.refresh_counts(&state.store.lock());
        Ok(state)
    }

    /// Waiting for the passphrase (see [`AppState::unlock`]).
    pub fn locked(&self) -> bool {
        self.locked.load(Ordering::SeqCst)
    }

    /// Open the device database with the passphrase typed (choosing it, for a new one).
    pub fn unlock(&self, passphrase: &str) -> IpcResult<AppStatus> {
        if self.locked() {
            let key = match DbKey::parse(passphrase) {
                Ok(k @ DbKey::Passphrase(_)) => k,
                _ => return Err(AppError::PassphraseTooShort.into()),
            };
            let dir = data_dir(&self.paths, &self.settings());
            let store = open_with_key(&dir, &key)?;
            self.refresh_counts(&store);
            *self.store() = store;
            self.locked.store(false, Ordering::SeqCst);
        }
        self.status()
    }

    /// The store, locked (blocking: call from a blocking thread).
    pub fn store(&self) -> parking_lot::MutexGuard<'_, Store> {
        self.store.lock()
    }

    /// The store as a sync shares it with the commands: locked one step at a time.
    pub fn shared_store(&self) -> &SharedStore {
        &self.store
    }

    pub fn sync_status(&self) -> MutexGuard<'_, SyncStatus> {
        lock(&self.sync)
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    pub fn set_syncing(&self, on: bool) {
        self.syncing.store(on, Ordering::SeqCst);
    }

    pub fn syncing(&self) -> bool {
        self.syncing.load(Ordering::SeqCst)
    }

    /// Re-read the counts the header shows (after an edit or a sync).
    pub fn refresh_counts(&self, store: &Store) {
        // Kept as they were if the database cannot be read now.
        if let Ok(counts) = store.counts() {
            *lock(&self.counts) = counts;
        }
    }

    /// The status. A sync holds the store for one step at a time, so this waits at most
    /// for one step (one page applied), never for a whole sync.
    pub fn status(&self) -> IpcResult<AppStatus> {
        if self.locked() {
            let dir = data_dir(&self.paths, &self.settings());
            let new_database = !dir.join("tally.db").exists();
            return Ok(AppStatus::locked(
                new_database,
                chrono::Local::now().date_naive(),
            ));
        }
        let guard = Some(self.store.lock());
        let (device, meta, today, db_path) = match &guard {
            Some(store) => {
                self.refresh_counts(store);
                let device = store.device()?.clone();
                (
                    Some(device),
                    Some(store.sync_meta()?),
                    store.today(),
                    store.path().map(|p| p.display().to_string()),
                )
            }
            None => (None, None, chrono::Local::now().date_naive(), None),
        };
        drop(guard);
        let counts = *lock(&self.counts);
        let sync = self.sync_status().clone();
        let meta = meta.unwrap_or_default();
        let offset = meta.clock_offset_ms;
        Ok(AppStatus {
            locked: false,
            new_database: false,
            device_name: device.as_ref().map(|d| d.name.clone()).unwrap_or_default(),
            device_id: device
                .as_ref()
                .map(|d| d.id.to_string())
                .unwrap_or_default(),
            author: device.map(|d| d.author).unwrap_or_default(),
            server: meta.server,
            user: meta.user,
            role: meta.role,
            can: meta.role.unwrap_or(Role::Cadre).capabilities(),
            last_sync: meta.last_sync,
            pending: counts.pending,
            rejected: counts.rejected,
            conflicts: counts.conflicts,
            online: sync.online,
            syncing: self.syncing(),
            progress: sync.progress,
            last_result: sync.last_result,
            last_error: sync.last_error,
            clock_offset_ms: offset,
            clock_warning: offset.unsigned_abs() > 2 * 60 * 1000,
            today,
            db_path: db_path.unwrap_or_default(),
        })
    }

    pub fn settings_view(&self) -> SettingsView {
        let settings = self.settings();
        SettingsView {
            data_dir: data_dir(&self.paths, &settings).display().to_string(),
            export_dir: self.export_dir(&settings).display().to_string(),
            data_dir_fixed: self.paths.forced_data_dir.is_some(),
            settings,
        }
    }

    pub fn export_dir(&self, settings: &Settings) -> PathBuf {
        settings
            .export_dir
            .as_ref()
            .filter(|d| !d.trim().is_empty())
            .map_or_else(|| self.paths.default_export_dir.clone(), PathBuf::from)
    }

    /// The daily backups of the open data folder, newest first.
    pub fn backups(&self) -> Vec<BackupEntry> {
        let dir = data_dir(&self.paths, &self.settings()).join(BACKUP_DIR);
        let mut out: Vec<BackupEntry> = tally_store::backup::daily_backups(&dir)
            .into_iter()
            .filter_map(|p| {
                let name = p.file_name()?.to_str()?.to_string();
                let day = name
                    .strip_prefix("tally-")?
                    .strip_suffix(".db")?
                    .to_string();
                let size_bytes = std::fs::metadata(&p).ok()?.len();
                Some(BackupEntry {
                    name,
                    day,
                    size_bytes,
                })
            })
            .collect();
        out.reverse();
        out
    }

    /// Put the daily backup `name` in place of the device database (not during a
    /// sync); the database restored over is kept beside it.
    pub fn restore_backup(&self, name: &str) -> IpcResult<RestoreResult> {
        if self.syncing() {
            return Err(AppError::SyncRunning.into());
        }
        let entry = self
            .backups()
            .into_iter()
            .find(|b| b.name == name)
            .ok_or_else(|| AppError::NoSuchBackup(name.to_string()))?;
        let dir = data_dir(&self.paths, &self.settings());
        let path = dir.join("tally.db");
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let mut guard = self.store();
        // The key the database is open with (the keyring's, TALLY_DB_KEY or a passphrase).
        let key = guard.key().cloned().ok_or(AppError::Locked)?;
        // The open connection must close before the file is replaced.
        *guard = Store::open_in_memory(Box::new(tally_store::SystemTime))?;
        let restored = tally_store::backup::restore(
            &path,
            &dir.join(BACKUP_DIR).join(&entry.name),
            &key,
            &key,
            &stamp,
        );
        // Whatever happened, the device's database is open again.
        *guard = Store::open(&path, &key)?;
        self.refresh_counts(&guard);
        let info = restored?;
        let mut kept = path.file_name().unwrap_or_default().to_os_string();
        kept.push(format!(".before-restore-{stamp}.bak"));
        Ok(RestoreResult {
            day: entry.day,
            changes: info.changes,
            kept_as: path.with_file_name(kept).display().to_string(),
        })
    }

    /// Save the settings; a new data folder opens (creating if needed) its database now.
    pub fn save_settings(&self, new: Settings) -> IpcResult<SettingsView> {
        if !matches!(new.language.as_str(), "zh-CN" | "en") {
            return Err(AppError::Language(new.language).into());
        }
        let old_dir = data_dir(&self.paths, &self.settings());
        let new_dir = data_dir(&self.paths, &new);
        if new_dir != old_dir {
            if self.syncing() {
                return Err(AppError::SyncRunning.into());
            }
            let store = open_store(&new_dir)?;
            self.refresh_counts(&store);
            *self.store() = store;
        }
        crate::settings::save(&self.paths.config_dir, &new)?;
        *lock(&self.settings) = new;
        Ok(self.settings_view())
    }
}

/// The data folder the settings (or TALLY_DATA_DIR) select.
pub fn data_dir(paths: &Paths, settings: &Settings) -> PathBuf {
    if let Some(d) = &paths.forced_data_dir {
        return d.clone();
    }
    settings
        .data_dir
        .as_ref()
        .filter(|d| !d.trim().is_empty())
        .map_or_else(|| paths.default_data_dir.clone(), PathBuf::from)
}

/// Run blocking store work on a blocking thread; the window stays responsive.
pub async fn with_store<T, F>(state: &Arc<AppState>, f: F) -> IpcResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> IpcResult<T> + Send + 'static,
{
    if state.locked() {
        return Err(AppError::Locked.into());
    }
    let state = Arc::clone(state);
    tauri::async_runtime::spawn_blocking(move || {
        let mut store = state.store();
        let out = f(&mut store);
        state.refresh_counts(&store);
        out
    })
    .await
    .map_err(IpcError::internal)?
}
