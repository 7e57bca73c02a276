//! Tally's desktop app: the Tauri shell over the same store and sync crates as the CLI.
//! The window (ui/) calls the commands in `commands`; nothing else here is reachable
//! from it. The store sits behind a Mutex in managed state and is only touched on
//! blocking threads; a background task watches the server and syncs when it can.

pub mod commands;
pub mod describe;
pub mod dto;
pub mod error;
pub mod renderer;
pub mod settings;
pub mod state;
pub mod sync_task;
pub mod typed;

#[cfg(test)]
mod bindings;

use state::{AppState, Paths};
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// Start the app (blocks until the window closes).
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    renderer::choose();
    let paths = Paths::from_env();
    let state = match AppState::open(paths) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!(
                "Tally 无法打开数据库 / cannot open the database: {}",
                e.message
            );
            std::process::exit(1);
        }
    };
    let watched = Arc::clone(&state);
    let result = tauri::Builder::default()
        .manage(state)
        .setup(move |_app| {
            tauri::async_runtime::spawn(sync_task::watch(watched));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::sync::status_get,
            commands::records::unit_list,
            commands::records::ledger_get,
            commands::records::household_list,
            commands::records::household_get,
            commands::records::household_save,
            commands::records::visit_save,
            commands::records::renovation_save,
            commands::records::demolition_save,
            commands::records::cleanup_save,
            commands::records::works_list,
            commands::records::works_save,
            commands::records::works_progress,
            commands::records::record_withdraw,
            commands::records::record_undo,
            commands::records::target_save,
            commands::records::target_withdraw,
            commands::records::unit_flag,
            commands::sync::account_password,
            commands::records::record_correct,
            commands::records::roster_import,
            commands::records::household_duplicates,
            commands::records::household_merge,
            commands::records::entry_list,
            commands::sync::sync_login,
            commands::sync::sync_run,
            commands::sync::outbox_list,
            commands::sync::outbox_resend,
            commands::sync::outbox_withdraw,
            commands::sync::conflict_list,
            commands::sync::conflict_resolve,
            commands::misc::export_write,
            commands::misc::settings_get,
            commands::misc::settings_save,
            commands::misc::backup_list,
            commands::misc::backup_restore,
            commands::misc::db_unlock,
            commands::bundle::bundle_places,
            commands::bundle::bundle_export,
            commands::bundle::bundle_receipts,
            commands::bundle::bundle_import,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Tally 启动失败 / cannot start: {e}");
        std::process::exit(1);
    }
}
