//! The server's errors: `DbError` from storage, and `ApiError`, the one error the HTTP
//! edge answers with (`{error: {code, message, message_zh}}`, stable codes, no
//! internals in 5xx bodies: the detail goes to the log). Both read in Chinese and
//! English through [`Explain`], the one place their sentences are made.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tally_core::{DeviceId, Explain};
use tally_protocol::{codes, ErrorBody, MAX_BODY_BYTES, MAX_DEVICE_NAME_CHARS, MAX_PUSH_CHANGES};
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
    #[error("TLS to PostgreSQL: {0}")]
    Tls(String),
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
            DbError::Tls(_) => "database_tls",
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
            DbError::Tls(why) => format!("无法用加密连接（TLS）连接 PostgreSQL：{why}"),
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
    #[error("missing header Authorization: Bearer TOKEN")]
    NoToken,
    #[error("unknown device token")]
    UnknownToken,
    #[error("this device has been revoked, enrol it again")]
    DeviceRevoked,
    /// A token of a user disabled since the device was enrolled.
    #[error("the user account {0:?} is disabled")]
    AccountDisabled(String),
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("the user account {0:?} is disabled")]
    UserDisabled(String),
    /// A password change whose current password is wrong (nothing changed).
    #[error("the current password is wrong: the password was not changed")]
    WrongPassword,
    /// A new password under the minimum length (nothing changed).
    #[error("the new password must have at least {min} characters, got {0}", min = crate::admin::MIN_PASSWORD_CHARS)]
    PasswordTooShort(usize),
    #[error("too many wrong passwords, try again in {retry_after_s} s")]
    TooManyAttempts { retry_after_s: u64 },
    #[error("none of the {n} changes is within your assignment ({})", .units.join(", "))]
    NothingInScope { n: usize, units: Vec<String> },
    #[error("org unit {0:?} is outside your assignment")]
    UnitOutOfScope(String),
    #[error("device {0} belongs to another user; set this device up anew (tally init) to log in")]
    DeviceTaken(DeviceId),
    #[error("only leaders, inspectors and admins review conflicts")]
    ReviewForbidden,
    #[error("the body is not valid JSON: {0}")]
    BadJson(String),
    #[error("user must not be empty")]
    EmptyUser,
    #[error("user must have at most {max} characters, got {0}", max = tally_core::schema::MAX_AUTHOR_CHARS)]
    UserTooLong(usize),
    /// Too many logins are being checked at once; try again shortly.
    #[error("the server is busy checking other logins; try again in {retry_after_s} s")]
    Busy { retry_after_s: u64 },
    #[error("device_name must have 1 to {MAX_DEVICE_NAME_CHARS} characters, got {0}")]
    DeviceNameLength(usize),
    #[error("device_id {0} cannot be enrolled")]
    DeviceIdRefused(DeviceId),
    /// A sneakernet bundle refused (whole): its own code and words.
    #[error(transparent)]
    Bundle(crate::bundle::ImportError),
    /// A request the parser refused: its own words, with the path of the wrong field.
    #[error("{0}")]
    BadRequest(String),
    #[error("the pull cursor {0:?} was not issued by this server")]
    BadCursor(String),
    #[error("a push may carry at most {MAX_PUSH_CHANGES} changes, got {0}")]
    BatchTooLarge(usize),
    #[error("the request body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("unsupported Content-Encoding: send identity or gzip")]
    UnsupportedEncoding,
    /// The request (its body, or its answer) took longer than the server allows.
    #[error("the request took longer than {0} s; try again")]
    TimedOut(u64),
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
            NoToken | UnknownToken | DeviceRevoked | AccountDisabled(_) | BadCredentials => {
                StatusCode::UNAUTHORIZED
            }
            UserDisabled(_)
            | WrongPassword
            | NothingInScope { .. }
            | UnitOutOfScope(_)
            | DeviceTaken(_)
            | ReviewForbidden => StatusCode::FORBIDDEN,
            TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            BadJson(_) | BadCursor(_) | BatchTooLarge(_) => StatusCode::BAD_REQUEST,
            EmptyUser | UserTooLong(_) | DeviceNameLength(_) | DeviceIdRefused(_)
            | PasswordTooShort(_) | BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Bundle(e) => {
                use crate::bundle::ImportError as E;
                match e {
                    E::Revoked(_)
                    | E::Disabled(_)
                    | E::ForwardForbidden(_)
                    | E::ForwardOutOfScope(_) => StatusCode::FORBIDDEN,
                    E::Bundle(tally_protocol::bundle::BundleError::TooLarge) => {
                        StatusCode::PAYLOAD_TOO_LARGE
                    }
                    E::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
                    E::Bundle(_) | E::UnknownDevice(_) => StatusCode::UNPROCESSABLE_ENTITY,
                }
            }
            UnsupportedEncoding => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            TimedOut(_) => StatusCode::REQUEST_TIMEOUT,
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
            NoToken | UnknownToken | DeviceRevoked | AccountDisabled(_) => codes::UNAUTHORIZED,
            BadCredentials => codes::BAD_CREDENTIALS,
            UserDisabled(_) => codes::USER_DISABLED,
            WrongPassword => codes::WRONG_PASSWORD,
            PasswordTooShort(_) => codes::PASSWORD_TOO_SHORT,
            TooManyAttempts { .. } => codes::TOO_MANY_ATTEMPTS,
            NothingInScope { .. } | UnitOutOfScope(_) => codes::OUT_OF_SCOPE,
            DeviceTaken(_) | ReviewForbidden => codes::FORBIDDEN,
            BadJson(_) => codes::BAD_JSON,
            EmptyUser | UserTooLong(_) | DeviceNameLength(_) | DeviceIdRefused(_)
            | BadRequest(_) => codes::BAD_REQUEST,
            Busy { .. } => codes::TOO_MANY_ATTEMPTS,
            BadCursor(_) => codes::BAD_CURSOR,
            BatchTooLarge(_) => codes::BATCH_TOO_LARGE,
            TooLarge => codes::TOO_LARGE,
            Bundle(e) => e.code(),
            UnsupportedEncoding => codes::UNSUPPORTED_MEDIA_TYPE,
            TimedOut(_) => codes::TIMED_OUT,
            NotFound => codes::NOT_FOUND,
            MethodNotAllowed => codes::METHOD_NOT_ALLOWED,
            Internal(_) => codes::INTERNAL,
        }
    }

    fn zh(&self) -> String {
        use ApiError::*;
        match self {
            ClientOutdated(_) => "客户端版本过旧，请更新 Tally 后再同步".into(),
            NoToken | UnknownToken => "设备未登记，请先登记设备".into(),
            DeviceRevoked => "本设备已被管理员停用，请重新登记设备".into(),
            AccountDisabled(user) => format!("账号 {user} 已被停用，请联系管理员"),
            BadCredentials => "用户名或密码错误".into(),
            UserDisabled(_) => "该账号已被停用，请联系管理员".into(),
            WrongPassword => "当前密码不对，密码没有修改".into(),
            PasswordTooShort(n) => format!(
                "新密码至少需要 {} 个字符，实际为 {n} 个；密码没有修改",
                crate::admin::MIN_PASSWORD_CHARS
            ),
            TooManyAttempts { retry_after_s } => {
                format!(
                    "密码错误次数过多，请 {} 分钟后再试",
                    retry_after_s.div_ceil(60)
                )
            }
            NothingInScope { n, units } => {
                format!("这 {n} 条记录都超出您负责的范围（{}）", units.join("、"))
            }
            UnitOutOfScope(unit) => format!("{unit} 不在您负责的范围内"),
            DeviceTaken(device) => {
                format!("设备 {device} 属于另一个账号；请在本机重新建立数据（tally init）后再登录")
            }
            ReviewForbidden => "只有队长、督查组和管理员可以查看冲突".into(),
            EmptyUser => "用户名不能为空".into(),
            UserTooLong(n) => format!(
                "用户名最多 {} 个字符，实际为 {n} 个",
                tally_core::schema::MAX_AUTHOR_CHARS
            ),
            Busy { retry_after_s } => {
                format!("服务器正忙于核对其他登录，请 {retry_after_s} 秒后再试")
            }
            DeviceNameLength(n) => {
                format!("设备名须为 1 到 {MAX_DEVICE_NAME_CHARS} 个字符，实际为 {n} 个")
            }
            DeviceIdRefused(device) => format!("设备编号 {device} 不能登记"),
            BadJson(_) | BadRequest(_) => "数据格式错误，请更新 Tally 后重试".into(),
            BadCursor(_) => "同步位置无效，请重新同步".into(),
            BatchTooLarge(_) | TooLarge => "一次提交的数据过多，请分批同步".into(),
            UnsupportedEncoding => "数据编码不受支持，请更新 Tally".into(),
            Bundle(e) => e.zh(),
            TimedOut(s) => format!("请求超过 {s} 秒未完成（网络太慢或数据太多），请稍后再同步"),
            NotFound => "接口不存在".into(),
            MethodNotAllowed => "请求方法不被允许".into(),
            Internal(_) => "服务器内部错误，请稍后再试".into(),
        }
    }
}

impl From<crate::bundle::ImportError> for ApiError {
    fn from(e: crate::bundle::ImportError) -> Self {
        match e {
            crate::bundle::ImportError::Db(db) => db.into(),
            other => ApiError::Bundle(other),
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
        if let ApiError::TooManyAttempts { retry_after_s } | ApiError::Busy { retry_after_s } = self
        {
            if let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal: its status, its stable code, and both messages naming the value that
    /// was wrong (the Chinese one without the English sentence).
    #[test]
    fn every_api_error_has_a_status_a_code_and_both_messages() {
        let device = DeviceId(uuid::Uuid::from_u128(7));
        let cases = [
            (
                ApiError::ClientOutdated(1),
                426,
                "client_outdated",
                "1 or newer",
                "版本过旧",
            ),
            (ApiError::NoToken, 401, "unauthorized", "Bearer", "未登记"),
            (
                ApiError::UnknownToken,
                401,
                "unauthorized",
                "unknown",
                "未登记",
            ),
            (
                ApiError::DeviceRevoked,
                401,
                "unauthorized",
                "revoked",
                "停用",
            ),
            (
                ApiError::AccountDisabled("batu".into()),
                401,
                "unauthorized",
                "\"batu\" is disabled",
                "账号 batu 已被停用",
            ),
            (
                ApiError::BadCredentials,
                401,
                "bad_credentials",
                "password",
                "密码错误",
            ),
            (
                ApiError::UserDisabled("batu".into()),
                403,
                "user_disabled",
                "\"batu\"",
                "停用",
            ),
            (
                ApiError::WrongPassword,
                403,
                "wrong_password",
                "current password is wrong",
                "当前密码不对",
            ),
            (
                ApiError::PasswordTooShort(5),
                422,
                "password_too_short",
                "at least 8 characters, got 5",
                "新密码至少需要 8 个字符，实际为 5 个",
            ),
            (
                ApiError::TooManyAttempts { retry_after_s: 61 },
                429,
                "too_many_attempts",
                "61 s",
                "2 分钟",
            ),
            (
                ApiError::NothingInScope {
                    n: 2,
                    units: vec!["V1".into(), "V2".into()],
                },
                403,
                "out_of_scope",
                "none of the 2 changes is within your assignment (V1, V2)",
                "这 2 条记录都超出您负责的范围（V1、V2）",
            ),
            (
                ApiError::UnitOutOfScope("V9".into()),
                403,
                "out_of_scope",
                "\"V9\"",
                "V9 不在您负责的范围内",
            ),
            (
                ApiError::DeviceTaken(device),
                403,
                "forbidden",
                &format!("device {device} belongs to another user"),
                &format!("设备 {device} 属于另一个账号"),
            ),
            (
                ApiError::ReviewForbidden,
                403,
                "forbidden",
                "conflicts",
                "冲突",
            ),
            (
                ApiError::BadJson("eof".into()),
                400,
                "bad_json",
                "eof",
                "数据格式错误",
            ),
            (
                ApiError::EmptyUser,
                422,
                "bad_request",
                "user",
                "用户名不能为空",
            ),
            (
                ApiError::UserTooLong(70),
                422,
                "bad_request",
                "at most 64 characters, got 70",
                "用户名最多 64 个字符，实际为 70 个",
            ),
            (
                ApiError::Busy { retry_after_s: 2 },
                503,
                "too_many_attempts",
                "try again in 2 s",
                "请 2 秒后再试",
            ),
            (
                ApiError::TimedOut(120),
                408,
                "timed_out",
                "longer than 120 s",
                "请求超过 120 秒未完成",
            ),
            (
                ApiError::DeviceNameLength(101),
                422,
                "bad_request",
                "1 to 100 characters, got 101",
                "1 到 100 个字符，实际为 101 个",
            ),
            (
                ApiError::DeviceIdRefused(device),
                422,
                "bad_request",
                &format!("device_id {device}"),
                &format!("设备编号 {device} 不能登记"),
            ),
            (
                ApiError::BadRequest("x: y".into()),
                422,
                "bad_request",
                "x: y",
                "数据格式错误",
            ),
            (
                ApiError::BadCursor("c".into()),
                400,
                "bad_cursor",
                "\"c\"",
                "同步位置无效",
            ),
            (
                ApiError::BatchTooLarge(1001),
                400,
                "batch_too_large",
                "got 1001",
                "分批",
            ),
            (ApiError::TooLarge, 413, "too_large", "bytes", "分批"),
            (
                crate::bundle::ImportError::ForwardForbidden(tally_core::Role::Cadre).into(),
                403,
                "forbidden",
                "not a cadre",
                "驻村干部不行",
            ),
            (
                crate::bundle::ImportError::Bundle(tally_protocol::bundle::BundleError::Tampered)
                    .into(),
                422,
                "bundle_tampered",
                "seal does not match",
                "整份拒收",
            ),
            (
                ApiError::UnsupportedEncoding,
                415,
                "unsupported_media_type",
                "gzip",
                "编码",
            ),
            (ApiError::NotFound, 404, "not_found", "endpoint", "接口"),
            (
                ApiError::MethodNotAllowed,
                405,
                "method_not_allowed",
                "method",
                "方法",
            ),
            (
                ApiError::internal("disk full"),
                500,
                "internal",
                "internal server error",
                "服务器内部错误",
            ),
        ];
        for (e, status, code, en, zh) in cases {
            assert_eq!(e.status().as_u16(), status, "{e}");
            assert_eq!(e.code(), code, "{e}");
            assert!(e.en().contains(en), "{e}");
            assert!(e.zh().contains(zh), "{}", e.zh());
            assert!(!e.zh().contains(&e.en()), "{}", e.zh());
        }
        // No internals in the body of a 5xx.
        let body = ErrorBody::of(&ApiError::internal("disk full"));
        assert!(!format!("{body:?}").contains("disk"));
    }
}
