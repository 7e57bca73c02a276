//! The settings file (desktop.json in the config folder): language and folders.

use crate::dto::Settings;
use crate::error::{IpcError, IpcResult};
use std::path::Path;

const FILE: &str = "desktop.json";

/// The saved settings, or the defaults when there are none or they cannot be read.
pub fn load(config_dir: &Path) -> Settings {
    let path = config_dir.join(FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(path = %path.display(), error = %e, "settings unreadable, using defaults");
            Settings::default()
        }),
        Err(_) => Settings::default(),
    }
}

/// Save the settings (written to a temporary file, then renamed).
pub fn save(config_dir: &Path, settings: &Settings) -> IpcResult<()> {
    let fail = |e: std::io::Error| {
        IpcError::internal(format!(
            "cannot save the settings in {}: {e}",
            config_dir.display()
        ))
    };
    std::fs::create_dir_all(config_dir).map_err(fail)?;
    let tmp = config_dir.join(format!("{FILE}.tmp"));
    let json = serde_json::to_vec_pretty(settings).map_err(IpcError::internal)?;
    std::fs::write(&tmp, json).map_err(fail)?;
    std::fs::rename(&tmp, config_dir.join(FILE)).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_bad_files_fall_back_to_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), Settings::default());
        let s = Settings {
            language: "en".into(),
            data_dir: Some("/tmp/x".into()),
            export_dir: None,
        };
        save(dir.path(), &s).unwrap();
        assert_eq!(load(dir.path()), s);
        std::fs::write(dir.path().join(FILE), b"{not json").unwrap();
        assert_eq!(load(dir.path()).language, "zh-CN");
    }
}
