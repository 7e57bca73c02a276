//! The one error type of the IPC edge: `{ kind, message, message_zh, field? }`, so the UI
//! can react to the kind and show the Chinese text beside the field at fault.

use serde::Serialize;
use tally_export::ExportError;
use tally_store::StoreError;
use tally_sync::SyncError;
use ts_rs::TS;

/// What the UI can do about an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Bad input: show `message_zh` beside `field`.
    Invalid,
    NotFound,
    /// The server cannot be reached; everything stays saved on this device.
    Offline,
    Conflict,
    /// Log in again.
    Unauthorized,
    /// This app (or its database) is older than the other side: update.
    Outdated,
    Internal,
}

/// An error as the UI receives it.
#[derive(Clone, Debug, PartialEq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct IpcError {
    pub kind: ErrorKind,
    /// English, lowercase, with the value that was wrong.
    pub message: String,
    /// Chinese, for the cadre.
    pub message_zh: String,
    /// The field at fault, named as in the store's schema (`tonnes`, `head`, `date`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl IpcError {
    pub fn new(kind: ErrorKind, message: impl Into<String>, message_zh: impl Into<String>) -> Self {
        IpcError {
            kind,
            message: message.into(),
            message_zh: message_zh.into(),
            field: None,
        }
    }

    /// Bad input in one field.
    pub fn invalid(field: &str, message: impl Into<String>, message_zh: impl Into<String>) -> Self {
        IpcError {
            field: Some(field.to_string()),
            ..IpcError::new(ErrorKind::Invalid, message, message_zh)
        }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        let message = message.to_string();
        IpcError::new(
            ErrorKind::Internal,
            message.clone(),
            format!("程序内部出错：{message}"),
        )
    }
}

impl From<StoreError> for IpcError {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        match e {
            StoreError::Invalid(v) => IpcError {
                kind: ErrorKind::Invalid,
                message,
                message_zh: v.zh(),
                field: v.field().map(str::to_string),
            },
            StoreError::NotFound { what, id } => IpcError::new(
                ErrorKind::NotFound,
                message,
                format!("找不到{}：{id}", what_zh(what)),
            ),
            StoreError::NoChange => IpcError::new(
                ErrorKind::Invalid,
                message,
                "没有修改：这些内容已经保存过了",
            ),
            StoreError::TooNew { .. } => IpcError::new(
                ErrorKind::Outdated,
                message,
                "数据库来自更新版本的 Tally，请先更新本程序",
            ),
            StoreError::NotInitialized => {
                IpcError::new(ErrorKind::Internal, message, "本机还没有设置设备名称")
            }
            StoreError::Io { .. } => IpcError::new(
                ErrorKind::Internal,
                message.clone(),
                format!("无法创建数据文件夹：{message}"),
            ),
            _ => IpcError::new(
                ErrorKind::Internal,
                message.clone(),
                format!("本机数据库出错：{message}"),
            ),
        }
    }
}

fn what_zh(what: &str) -> &str {
    match what {
        "household" => "农户",
        "org unit" => "组织单位",
        "works" => "工程",
        "rejected change" => "被拒绝的记录",
        "visit" => "走访记录",
        _ => what,
    }
}

impl From<SyncError> for IpcError {
    fn from(e: SyncError) -> Self {
        let zh = e.zh();
        let message = e.to_string();
        let kind = match e {
            SyncError::Store(inner) => return inner.into(),
            SyncError::Offline(_) => ErrorKind::Offline,
            SyncError::Outdated(_) => ErrorKind::Outdated,
            SyncError::Unauthorized(_)
            | SyncError::BadCredentials
            | SyncError::TooManyAttempts
            | SyncError::NotLoggedIn => ErrorKind::Unauthorized,
            SyncError::Refused { status: 409, .. } => ErrorKind::Conflict,
            SyncError::Refused { status: 404, .. } => ErrorKind::NotFound,
            SyncError::Refused { status: 400, .. } | SyncError::Refused { status: 422, .. } => {
                ErrorKind::Invalid
            }
            SyncError::Refused { .. } | SyncError::BadAnswer(_) => ErrorKind::Internal,
        };
        IpcError::new(kind, message, zh)
    }
}

impl From<ExportError> for IpcError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Store(s) => s.into(),
            ExportError::Write { .. } => {
                let message = e.to_string();
                IpcError::new(
                    ErrorKind::Internal,
                    message.clone(),
                    format!("导出文件写入失败：{message}"),
                )
            }
        }
    }
}

pub type IpcResult<T> = Result<T, IpcError>;

#[cfg(test)]
mod tests {
    use super::*;
    use tally_core::{Invalid, ValidationError};

    #[test]
    fn a_validation_error_names_its_field_in_both_languages() {
        let e: IpcError = StoreError::Invalid(ValidationError::Value {
            field: "tonnes".into(),
            value: "-3".into(),
            why: Invalid::Range {
                rule: "between 0 and 200".into(),
                rule_zh: "0 到 200".into(),
            },
        })
        .into();
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "invalid");
        assert_eq!(json["field"], "tonnes");
        assert!(json["message"].as_str().unwrap().contains("got -3"));
        assert!(json["message_zh"].as_str().unwrap().contains("-3"));
    }

    #[test]
    fn kinds_follow_what_the_user_can_do() {
        let offline: IpcError =
            SyncError::Offline(tally_sync::transport::TransportError("refused".into())).into();
        assert_eq!(offline.kind, ErrorKind::Offline);
        assert!(offline.message_zh.contains("已保存在本机"));
        let json = serde_json::to_value(&offline).unwrap();
        assert!(
            json.get("field").is_none(),
            "no field key when none is at fault"
        );
        let e: IpcError = SyncError::BadCredentials.into();
        assert_eq!(e.kind, ErrorKind::Unauthorized);
        let e: IpcError = StoreError::NotFound {
            what: "household",
            id: "x".into(),
        }
        .into();
        assert_eq!(
            (e.kind, e.message_zh.as_str()),
            (ErrorKind::NotFound, "找不到农户：x")
        );
        let e: IpcError = SyncError::Outdated("v2".into()).into();
        assert_eq!(
            serde_json::to_value(e).unwrap()["kind"],
            serde_json::json!("outdated")
        );
    }
}
