//! The one error type of the IPC edge: `{ kind, message, message_zh, field? }`, so the UI
//! can react to the kind and show the Chinese text beside the field at fault.

use serde::Serialize;
use tally_core::Explain;
use tally_export::ExportError;
use tally_store::StoreError;
use tally_sync::{ServerUrlError, SyncError};
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

impl ErrorKind {
    /// The code of an error made at this edge, which names only its kind.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Offline => "offline",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Outdated => "outdated",
            ErrorKind::Internal => "internal",
        }
    }
}

/// An error as the UI receives it.
#[derive(Clone, Debug, PartialEq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct IpcError {
    pub kind: ErrorKind,
    /// The stable code of the error (`tally_core::Explain::code`), e.g. `missing_field`.
    pub code: String,
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
            code: kind.code().to_string(),
            message: message.into(),
            message_zh: message_zh.into(),
            field: None,
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

impl IpcError {
    /// Any library error, with its code, both messages and its field.
    pub fn explained(kind: ErrorKind, e: &dyn Explain) -> Self {
        IpcError {
            kind,
            code: e.code().to_string(),
            message: e.en(),
            message_zh: e.zh(),
            field: e.field().map(str::to_string),
        }
    }
}

impl From<StoreError> for IpcError {
    fn from(e: StoreError) -> Self {
        IpcError::explained(store_kind(&e), &e)
    }
}

impl From<SyncError> for IpcError {
    fn from(e: SyncError) -> Self {
        let kind = match &e {
            SyncError::Store(inner) => return IpcError::explained(store_kind(inner), &e),
            SyncError::Offline(_) => ErrorKind::Offline,
            SyncError::Untrusted(_) => ErrorKind::Invalid,
            SyncError::Outdated(_) => ErrorKind::Outdated,
            SyncError::Unauthorized(_)
            | SyncError::BadCredentials
            | SyncError::TooManyAttempts
            | SyncError::NotLoggedIn => ErrorKind::Unauthorized,
            SyncError::HandOver { .. } => ErrorKind::Invalid,
            SyncError::Refused { status: 409, .. } => ErrorKind::Conflict,
            SyncError::Refused { status: 404, .. } => ErrorKind::NotFound,
            SyncError::Refused { status: 400, .. }
            | SyncError::Refused { status: 403, .. }
            | SyncError::Refused { status: 422, .. } => ErrorKind::Invalid,
            SyncError::Bundle(_) => ErrorKind::Invalid,
            SyncError::Refused { .. } | SyncError::BadAnswer(_) => ErrorKind::Internal,
        };
        IpcError::explained(kind, &e)
    }
}

impl From<ExportError> for IpcError {
    fn from(e: ExportError) -> Self {
        let kind = match &e {
            ExportError::Store(s) => store_kind(s),
            ExportError::Write { .. } => ErrorKind::Internal,
        };
        IpcError::explained(kind, &e)
    }
}

/// What the desktop app itself refuses (its own settings and log-in form).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    #[error("language must be zh-CN or en, got {0:?}")]
    Language(String),
    #[error("a sync is running; try again once it is over")]
    SyncRunning,
    #[error("there is no backup {0:?}")]
    NoSuchBackup(String),
    #[error("{0:?} is not a place offered for bundles (a USB stick or the export folder)")]
    NotABundlePlace(String),
    #[error("{0:?} is not a receipts file of this device in a USB stick or the export folder")]
    NoSuchReceipts(String),
    /// The device database is locked: the passphrase comes first.
    #[error("the device database is locked: type its passphrase first")]
    Locked,
    #[error(
        "the passphrase must have at least {} characters",
        tally_store::key::MIN_PASSPHRASE
    )]
    PassphraseTooShort,
}

impl Explain for AppError {
    fn code(&self) -> &'static str {
        match self {
            AppError::Language(_) => "bad_language",
            AppError::SyncRunning => "sync_running",
            AppError::NoSuchBackup(_) => "no_such_backup",
            AppError::NotABundlePlace(_) => "not_a_bundle_place",
            AppError::NoSuchReceipts(_) => "no_such_receipts",
            AppError::Locked => "locked",
            AppError::PassphraseTooShort => "passphrase_too_short",
        }
    }

    fn zh(&self) -> String {
        match self {
            AppError::Language(_) => "语言只能是中文或英文".into(),
            AppError::SyncRunning => "正在同步，请同步结束后再操作".into(),
            AppError::NoSuchBackup(name) => format!("没有名为 {name} 的备份"),
            AppError::NotABundlePlace(dir) => {
                format!("不能写到 {dir}：请选U盘或导出文件夹")
            }
            AppError::NoSuchReceipts(path) => {
                format!("{path} 不是本机的回执文件（请从U盘或导出文件夹里选）")
            }
            AppError::Locked => "本机数据已加密，请先输入口令".into(),
            AppError::PassphraseTooShort => {
                format!("口令至少要 {} 个字", tally_store::key::MIN_PASSPHRASE)
            }
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            AppError::Language(_) => Some("language"),
            AppError::SyncRunning
            | AppError::NoSuchBackup(_)
            | AppError::NotABundlePlace(_)
            | AppError::NoSuchReceipts(_)
            | AppError::Locked => None,
            AppError::PassphraseTooShort => Some("passphrase"),
        }
    }
}

impl From<AppError> for IpcError {
    fn from(e: AppError) -> Self {
        let kind = match e {
            AppError::SyncRunning => ErrorKind::Conflict,
            AppError::Language(_) => ErrorKind::Invalid,
            AppError::NoSuchBackup(_) | AppError::NoSuchReceipts(_) => ErrorKind::NotFound,
            AppError::NotABundlePlace(_) => ErrorKind::Invalid,
            AppError::Locked => ErrorKind::Unauthorized,
            AppError::PassphraseTooShort => ErrorKind::Invalid,
        };
        IpcError::explained(kind, &e)
    }
}

impl From<ServerUrlError> for IpcError {
    fn from(e: ServerUrlError) -> Self {
        let kind = match e {
            ServerUrlError::Client(_) => ErrorKind::Internal,
            _ => ErrorKind::Invalid,
        };
        IpcError::explained(kind, &e)
    }
}

/// The kind of a store error: what the UI can do about it.
fn store_kind(e: &StoreError) -> ErrorKind {
    match e {
        StoreError::Invalid(_)
        | StoreError::SeveralOthers { .. }
        | StoreError::UnknownVillage(_)
        | StoreError::NotAVillage { .. }
        | StoreError::AmbiguousVillage { .. }
        | StoreError::OutOfScope { .. }
        | StoreError::PlanningForbidden(_)
        | StoreError::NotTheAuthor { .. } => ErrorKind::Invalid,
        StoreError::NoOpenConflict { .. } => ErrorKind::Conflict,
        StoreError::NotFound { .. } => ErrorKind::NotFound,
        StoreError::TooNew { .. } => ErrorKind::Outdated,
        _ => ErrorKind::Internal,
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

    #[test]
    fn a_refusal_keeps_the_servers_code_and_both_of_its_messages() {
        let e: IpcError = SyncError::Refused {
            status: 403,
            code: "out_of_scope".into(),
            message: "org unit \"V9\" is outside your assignment".into(),
            message_zh: "V9 不在您负责的范围内".into(),
        }
        .into();
        assert_eq!(e.code, "refused");
        assert!(e.message.contains("outside your assignment"), "{e:?}");
        assert_eq!(e.message_zh, "服务器拒绝了请求：V9 不在您负责的范围内");
        let e: IpcError = StoreError::Invalid(ValidationError::Missing {
            field: "head".into(),
        })
        .into();
        assert_eq!(
            (e.code.as_str(), e.field.as_deref()),
            ("missing_field", Some("head"))
        );
    }
}
