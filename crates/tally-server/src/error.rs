//! The server's errors: `DbError` from storage, and `ApiError`, the one error the HTTP
//! edge answers with (`{error: {code, message, message_zh}}`, stable codes, no
//! internals in 5xx bodies: the detail goes to the log). Both read in Chinese and
//! English through [`Explain`], the one place their sentences are made.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tally_core::Explain;
use tally_protocol::{codes, ErrorBody, MAX_BODY_BYTES, MAX_PUSH_CHANGES};
use thiserror::Error;

/// A storage failure. Nothing here is the client's fault but `BadCursor`.
#[derive(Debug, Error)]
pub enum DbError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("postgres pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("postgres pool set-up: {0}")]
    PoolSetup(String),
    #[error("a blocking database task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("stored json does not read back: {0}")]
    Json(#[from] serde_json::Error),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("unsupported database {0:?}: use sqlite:PATH or postgres://USER@HOST/DB")]
    Url(String),
    #[error("migration {name} failed: {message}")]
    Migration { name: String, message: String },
    #[error("the pull cursor {0:?} was not issued by this server")]
    BadCursor(String),
    #[error("the commit of this write failed: {0}")]
    Commit(String),
}

/// For the admin at the command line: what failed, without the driver's words in Chinese
/// (the English message keeps them for whoever reads the log).
impl Explain for DbError {
    fn code(&self) -> &'static str {
        match self {
            DbError::Sqlite(_) | DbError::Postgres(_) | DbError::Pool(_) | DbError::Join(_) => {
                "database"
            }
            DbError::PoolSetup(_) => "database_connect",
            DbError::Json(_) | DbError::Corrupt(_) => "corrupt",
            DbError::Url(_) => "database_url",
            DbError::Migration { .. } => "migration_failed",
            DbError::BadCursor(_) => codes::BAD_CURSOR,
            DbError::Commit(_) => "commit_failed",
        }
    }

    fn zh(&self) -> String {
        match self {
            DbError::Sqlite(_) | DbError::Postgres(_) | DbError::Pool(_) | DbError::Join(_) => {
                "服务器数据库出错".into()
            }
            DbError::PoolSetup(_) => "无法连接 PostgreSQL 数据库".into(),
            DbError::Json(_) | DbError::Corrupt(_) => "服务器保存的数据已损坏".into(),
            DbError::Url(url) => {
                format!("不支持的数据库地址 {url:?}：请用 sqlite:路径 或 postgres://用户@主机/库名")
            }
            DbError::Migration { name, .. } => format!("数据库升级 {name} 失败"),
            DbError::BadCursor(_) => "同步位置无效，请重新同步".into(),
            DbError::Commit(_) => "写入数据库失败，未保存".into(),
        }
    }
}

/// An answer other than success, with a stable code.
#[derive(Debug, Error)]
pub enum ApiError {
    #[error("protocol version {0} or newer is required, please update Tally")]
    ClientOutdated(u32),
    #[error("{0}")]
    Unauthorized(String),
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("the user account {0:?} is disabled")]
    UserDisabled(String),
    #[error("too many wrong passwords, try again in {retry_after_s} s")]
    TooManyAttempts { retry_after_s: u64 },
    #[error("{0}")]
    OutOfScope(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("the body is not valid JSON: {0}")]
    BadJson(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("the pull cursor {0:?} was not issued by this server")]
    BadCursor(String),
    #[error("a push may carry at most {MAX_PUSH_CHANGES} changes, got {0}")]
    BatchTooLarge(usize),
    #[error("the request body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("no such endpoint")]
    NotFound,
    #[error("method not allowed on this endpoint")]
    MethodNotAllowed,
    /// The detail is logged, never sent.
    #[error("internal server error")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        use ApiError::*;
        match self {
            ClientOutdated(_) => StatusCode::UPGRADE_REQUIRED,
            Unauthorized(_) | BadCredentials => StatusCode::UNAUTHORIZED,
            UserDisabled(_) | OutOfScope(_) | Forbidden(_) => StatusCode::FORBIDDEN,
            TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            BadJson(_) | BadCursor(_) | BatchTooLarge(_) => StatusCode::BAD_REQUEST,
            BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Log a failure and hide it from the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError::Internal(detail.to_string())
    }
}

impl Explain for ApiError {
    fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            ClientOutdated(_) => codes::CLIENT_OUTDATED,
            Unauthorized(_) => codes::UNAUTHORIZED,
            BadCredentials => codes::BAD_CREDENTIALS,
            UserDisabled(_) => codes::USER_DISABLED,
            TooManyAttempts { .. } => codes::TOO_MANY_ATTEMPTS,
            OutOfScope(_) => codes::OUT_OF_SCOPE,
            Forbidden(_) => codes::FORBIDDEN,
            BadJson(_) => codes::BAD_JSON,
            BadRequest(_) => codes::BAD_REQUEST,
            BadCursor(_) => codes::BAD_CURSOR,
            BatchTooLarge(_) => codes::BATCH_TOO_LARGE,
            TooLarge => codes::TOO_LARGE,
            UnsupportedMediaType(_) => codes::UNSUPPORTED_MEDIA_TYPE,
            NotFound => codes::NOT_FOUND,
            MethodNotAllowed => codes::METHOD_NOT_ALLOWED,
            Internal(_) => codes::INTERNAL,
        }
    }

    fn zh(&self) -> String {
        use ApiError::*;
        match self {
            ClientOutdated(_) => "客户端版本过旧，请更新 Tally 后再同步".into(),
            Unauthorized(_) => "设备未登记或已被停用，请重新登记设备".into(),
            BadCredentials => "用户名或密码错误".into(),
            UserDisabled(_) => "该账号已被停用，请联系管理员".into(),
            TooManyAttempts { retry_after_s } => {
                format!(
                    "密码错误次数过多，请 {} 分钟后再试",
                    retry_after_s.div_ceil(60)
                )
            }
            OutOfScope(_) => "超出您负责的范围".into(),
            Forbidden(_) => "您的角色无权进行此操作".into(),
            BadJson(_) | BadRequest(_) => "数据格式错误，请更新 Tally 后重试".into(),
            BadCursor(_) => "同步位置无效，请重新同步".into(),
            BatchTooLarge(_) | TooLarge => "一次提交的数据过多，请分批同步".into(),
            UnsupportedMediaType(_) => "数据编码不受支持，请更新 Tally".into(),
            NotFound => "接口不存在".into(),
            MethodNotAllowed => "请求方法不被允许".into(),
            Internal(_) => "服务器内部错误，请稍后再试".into(),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::BadCursor(c) => ApiError::BadCursor(c),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        } else {
            tracing::debug!(code = self.code(), message = %self, "request refused");
        }
        let body = ErrorBody::of(&self);
        let mut response = (self.status(), Json(body)).into_response();
        if let ApiError::TooManyAttempts { retry_after_s } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}
