//! Sync protocol v1: the JSON bodies exchanged by a device and the server, the header
//! names, the paths, the limits and the stable error codes. A change in this file is
//! a change of the wire format: the snapshot tests below must be updated on purpose.
//!
//! | request | body | answer |
//! |---|---|---|
//! | `GET /api/v1/health` (no auth, no protocol header) | — | [`HealthResponse`] |
//! | `POST /api/v1/devices` | [`EnrollRequest`] | [`EnrollResponse`] |
//! | `POST /api/v1/sync/push` | [`PushRequest`] | [`PushResponse`] |
//! | `GET /api/v1/sync/pull?cursor=C&limit=N[&unit=CODE]` | — | [`PullResponse`] |
//! | `GET /api/v1/conflicts` | — | [`ConflictsResponse`] |
//! | `POST /api/v1/bundles[?with_changes=true]` | a bundle file ([`bundle`]) | its receipts file |
//!
//! Every request but health carries `X-Tally-Protocol: 1` and, but enrolment,
//! `Authorization: Bearer TOKEN`. Every answer carries `X-Tally-Server-Time-Ms`; every
//! error answer has an [`ErrorBody`].

use serde::{Deserialize, Serialize};
use tally_core::{Change, ChangeId, Conflict, DeviceId};

/// The role of an account: declared in core with what each role may do.
pub use tally_core::Role;

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// The request header carrying the client's protocol version (the server echoes its own).
pub const PROTOCOL_HEADER: &str = "X-Tally-Protocol";
/// The response header carrying the server's clock, for measuring the clock offset.
pub const SERVER_TIME_HEADER: &str = "X-Tally-Server-Time-Ms";

/// The most changes one push may carry.
pub const MAX_PUSH_CHANGES: usize = 1000;
/// The largest request body the server reads, after decompression.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// The pull page size when the client names none.
pub const DEFAULT_PULL_LIMIT: u32 = 500;
/// The largest pull page.
pub const MAX_PULL_LIMIT: u32 = 5000;
/// A pull page also ends once its changes hold this many bytes of JSON (it always holds
/// at least one change), so no page of large changes can exhaust a device's memory.
pub const MAX_PULL_BYTES: usize = 4 << 20;

/// At most this many seq ranges in a pull's `skip`.
pub const MAX_SKIP_RANGES: usize = 64;

/// The longest device name an enrolment may carry, in characters.
pub const MAX_DEVICE_NAME_CHARS: usize = 100;

/// How far ahead of the server's clock a pushed change's HLC may be: further ahead is
/// rejected with [`codes::CLOCK_AHEAD`], and the device re-stamps what it has not sent
/// yet to half this ahead of the server's time.
pub const MAX_CLOCK_AHEAD_MS: u64 = 5 * 60 * 1000;

pub mod bundle;
mod rejection;
mod seq_ranges;
pub use rejection::Rejection;
pub use seq_ranges::SeqRanges;

/// The paths of protocol v1.
pub mod paths {
    pub const HEALTH: &str = "/api/v1/health";
    pub const DEVICES: &str = "/api/v1/devices";
    pub const PUSH: &str = "/api/v1/sync/push";
    pub const PULL: &str = "/api/v1/sync/pull";
    pub const CONFLICTS: &str = "/api/v1/conflicts";
    /// `POST` a sneakernet bundle of another device (`?with_changes=true` for its
    /// backlog too); the answer is its receipts file (`application/octet-stream`).
    pub const BUNDLES: &str = "/api/v1/bundles";
    /// `POST`: the device's user changes their own password.
    pub const PASSWORD: &str = "/api/v1/account/password";
}

/// The stable error codes of [`ErrorDetail::code`] and [`PushResult::Rejected`]'s
/// `code` (per-change rejections also use the validation codes of
/// `tally_core::ValidationError::code`).
pub mod codes {
    /// 426: no or too old `X-Tally-Protocol`.
    pub const CLIENT_OUTDATED: &str = "client_outdated";
    /// 401: no, unknown, revoked or disabled token.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// 401: wrong user name or password at enrolment.
    pub const BAD_CREDENTIALS: &str = "bad_credentials";
    /// 403: the user account is disabled.
    pub const USER_DISABLED: &str = "user_disabled";
    /// A password change's current password is wrong.
    pub const WRONG_PASSWORD: &str = "wrong_password";
    /// A new password is shorter than the minimum.
    pub const PASSWORD_TOO_SHORT: &str = "password_too_short";
    /// 429: too many wrong passwords; see `Retry-After`.
    pub const TOO_MANY_ATTEMPTS: &str = "too_many_attempts";
    /// 403 (whole request) or per change: outside the user's org units.
    pub const OUT_OF_SCOPE: &str = "out_of_scope";
    /// 403 or per change: the role may not do this.
    pub const FORBIDDEN: &str = "forbidden";
    /// Per change: `change.device` is not the pushing device.
    pub const WRONG_DEVICE: &str = "wrong_device";
    /// Per change: the change's clock is more than [`super::MAX_CLOCK_AHEAD_MS`] ahead
    /// of the server's.
    pub const CLOCK_AHEAD: &str = "clock_ahead";
    /// Per change: its timestamp is outside the bounds every clock keeps
    /// (`tally_core::Hlc::is_sane`: before the deployment, or a runaway counter).
    pub const BAD_CLOCK: &str = "bad_clock";
    /// Per change: `change.author` is not the account pushing it.
    pub const WRONG_AUTHOR: &str = "wrong_author";
    /// Per change: another change already holds its version (HLC + device) on the row.
    pub const VERSION_TAKEN: &str = "version_taken";
    /// Per change: a change id already stored (or earlier in the batch) with other content.
    pub const REPLAY_MISMATCH: &str = "replay_mismatch";
    /// Per change: fine, but not stored because its all-or-nothing batch (an admin
    /// import) had a rejection.
    pub const BATCH_REJECTED: &str = "batch_rejected";
    /// Per change: the change names an existing row of another table.
    pub const TABLE_MISMATCH: &str = "table_mismatch";
    /// 400: the body is not JSON.
    pub const BAD_JSON: &str = "bad_json";
    /// 400/422: JSON of the wrong shape, or a bad query parameter.
    pub const BAD_REQUEST: &str = "bad_request";
    /// 400: the pull cursor was not issued by this server.
    pub const BAD_CURSOR: &str = "bad_cursor";
    /// 400: more than [`super::MAX_PUSH_CHANGES`] changes in one push.
    pub const BATCH_TOO_LARGE: &str = "batch_too_large";
    /// 413: body larger than [`super::MAX_BODY_BYTES`] after decompression.
    pub const TIMED_OUT: &str = "timed_out";
    pub const TOO_LARGE: &str = "too_large";
    /// 415: a body encoding the server cannot read.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// 404: no such endpoint.
    pub const NOT_FOUND: &str = "not_found";
    /// 405: wrong method for the endpoint.
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// 500: the server failed; the detail is in its log.
    pub const INTERNAL: &str = "internal";
}

/// `POST /api/v1/account/password`: the device's user changes their password; the
/// current one is checked as at enrolment (answer: 204, nothing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordRequest {
    pub current: String,
    pub new: String,
}

/// `POST /api/v1/devices`: enrol this device for a user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub user: String,
    pub password: String,
    pub device_name: String,
    /// The id the device already uses in its changes; enrolling it again (a new
    /// token, another user) keeps it. Absent: the server makes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<DeviceId>,
}

/// The enrolled device: its id (to put in every change) and its bearer token (shown
/// once; the server keeps only its hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub device_id: DeviceId,
    pub token: String,
    pub user: String,
    pub role: Role,
    /// The org unit codes the user is assigned to.
    pub units: Vec<String>,
    pub server_time_ms: u64,
}

/// `POST /api/v1/sync/push`: unacknowledged changes, at most [`MAX_PUSH_CHANGES`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub changes: Vec<Change>,
}

/// One result per pushed change, in the order of the request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<PushResult>,
    pub server_time_ms: u64,
}

/// What became of one pushed change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PushResult {
    /// Stored (now or by an earlier push of the same change id); `seq` is the receipt.
    Accepted { change_id: ChangeId, seq: i64 },
    /// Not stored; the change stays on the device to be corrected.
    Rejected {
        change_id: ChangeId,
        code: String,
        reason: String,
        reason_zh: String,
    },
}

impl PushResult {
    pub fn change_id(&self) -> ChangeId {
        match self {
            PushResult::Accepted { change_id, .. } | PushResult::Rejected { change_id, .. } => {
                *change_id
            }
        }
    }
}

/// The query of `GET /api/v1/sync/pull`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullQuery {
    /// Opaque; absent or empty: from the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Page size; default [`DEFAULT_PULL_LIMIT`], at most [`MAX_PULL_LIMIT`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Only this org unit and its descendants (must be in the user's scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The asking device's own changes it already holds ([`SeqRanges`], its receipts
    /// from the push just before): left out of the pages, which still move the cursor
    /// past them. Only the device's own changes are ever left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
}

/// One change as the server stored it. `C` is how the change is held: read
/// ([`Change`], the default), or as the JSON the server stored, passed on untouched
/// (`Box<RawValue>` when the server writes a page, `&RawValue` when the device reads
/// one to store each change as it came): the same bytes on the wire either way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pulled<C = Change> {
    pub seq: i64,
    pub change: C,
}

/// A page of changes after the cursor, in the server's commit order (`C` as in
/// [`Pulled`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullResponse<C = Change> {
    pub changes: Vec<Pulled<C>>,
    /// Where the next pull starts; store it with the applied changes.
    pub cursor: String,
    /// Whether another page is available right now.
    pub more: bool,
    pub server_time_ms: u64,
}

/// `GET /api/v1/conflicts`: the open conflicts in the user's scope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConflictsResponse {
    pub conflicts: Vec<Conflict>,
}

/// `GET /api/v1/health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    pub status: String,
    pub protocol: u32,
    pub server_time_ms: u64,
}

/// The body of every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A stable machine code (see [`codes`]), an English message and a Chinese one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub message_zh: String,
}

impl ErrorBody {
    /// The answer for an error that reads in both languages.
    pub fn of(e: &dyn tally_core::Explain) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: e.code().to_string(),
                message: e.en(),
                message_zh: e.zh(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use std::collections::BTreeMap;
    use std::fmt;
    use tally_core::{FieldEdit, Hlc, Loser, RowId, Table, Version};
    use uuid::Uuid;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// The wire JSON of `value` is exactly `expected`, and reads back to `value`.
    fn check<T: Serialize + DeserializeOwned + PartialEq + fmt::Debug>(value: &T, expected: &str) {
        let json = serde_json::to_string(value).unwrap();
        assert_eq!(json, expected);
        let back: T = serde_json::from_str(expected).unwrap();
        assert_eq!(&back, value);
    }

    fn change() -> Change {
        let mut fields = BTreeMap::new();
        fields.insert("kind".to_string(), FieldEdit::new("manure".into()));
        fields.insert(
            "tonnes".to_string(),
            FieldEdit {
                value: serde_json::json!(12.5),
                base: Some(Version {
                    hlc: Hlc::new(1_700_000_000_000, 1),
                    device: DeviceId(id(2)),
                }),
                saw: vec![],
                epoch: 0,
            },
        );
        Change {
            id: ChangeId(id(1)),
            table: Table::Cleanup,
            row: RowId(id(3)),
            unit: "150622101001".into(),
            fields,
            hlc: Hlc::new(1_700_000_000_500, 0),
            device: DeviceId(id(2)),
            author: "巴特尔".into(),
            correction: false,
        }
    }

    pub(crate) const CHANGE_JSON_FOR_DIGEST: &str = CHANGE_JSON;

    const CHANGE_JSON: &str = concat!(
        r#"{"id":"00000000-0000-0000-0000-000000000001","table":"cleanup","#,
        r#""row":"00000000-0000-0000-0000-000000000003","unit":"150622101001","#,
        r#""fields":{"kind":{"value":"manure"},"tonnes":{"value":12.5,"base":{"hlc":"#,
        r#"{"ms":1700000000000,"count":1},"device":"00000000-0000-0000-0000-000000000002"}}},"#,
        r#""hlc":{"ms":1700000000500,"count":0},"#,
        r#""device":"00000000-0000-0000-0000-000000000002","author":"巴特尔"}"#
    );

    #[test]
    fn roles_are_their_codes_on_the_wire() {
        check(&Role::Inspector, r#""inspector""#);
        for role in Role::ALL {
            assert_eq!(role.code().parse::<Role>().unwrap(), *role);
            assert_eq!(
                serde_json::to_string(role).unwrap(),
                format!("\"{}\"", role.code())
            );
        }
        assert!("boss".parse::<Role>().is_err());
    }

    #[test]
    fn enroll_wire_format() {
        check(
            &EnrollRequest {
                user: "batu".into(),
                password: "secret".into(),
                device_name: "laptop".into(),
                device_id: None,
            },
            r#"{"user":"batu","password":"secret","device_name":"laptop"}"#,
        );
        check(
            &EnrollResponse {
                device_id: DeviceId(id(2)),
                token: "tok".into(),
                user: "batu".into(),
                role: Role::Cadre,
                units: vec!["150622101001".into()],
                server_time_ms: 1_700_000_000_000,
            },
            concat!(
                r#"{"device_id":"00000000-0000-0000-0000-000000000002","token":"tok","#,
                r#""user":"batu","role":"cadre","units":["150622101001"],"#,
                r#""server_time_ms":1700000000000}"#
            ),
        );
    }

    #[test]
    fn push_wire_format() {
        check(
            &PushRequest {
                changes: vec![change()],
            },
            &format!(r#"{{"changes":[{CHANGE_JSON}]}}"#),
        );
        check(
            &PushResponse {
                results: vec![
                    PushResult::Accepted {
                        change_id: ChangeId(id(1)),
                        seq: 42,
                    },
                    PushResult::Rejected {
                        change_id: ChangeId(id(4)),
                        code: "clock_ahead".into(),
                        reason: "the device clock is ahead".into(),
                        reason_zh: "设备时间比服务器快".into(),
                    },
                ],
                server_time_ms: 7,
            },
            concat!(
                r#"{"results":[{"status":"accepted","#,
                r#""change_id":"00000000-0000-0000-0000-000000000001","seq":42},"#,
                r#"{"status":"rejected","change_id":"00000000-0000-0000-0000-000000000004","#,
                r#""code":"clock_ahead","reason":"the device clock is ahead","#,
                r#""reason_zh":"设备时间比服务器快"}],"server_time_ms":7}"#
            ),
        );
    }

    #[test]
    fn a_correction_is_on_the_wire_only_when_true() {
        let mut c = change();
        c.correction = true;
        let json = serde_json::to_string(&c).unwrap();
        assert!(
            json.ends_with(r#""author":"巴特尔","correction":true}"#),
            "{json}"
        );
    }

    #[test]
    fn pull_wire_format() {
        check(
            &PullQuery {
                cursor: Some("17".into()),
                limit: Some(500),
                unit: None,
                skip: None,
            },
            r#"{"cursor":"17","limit":500}"#,
        );
        check(
            &PullQuery {
                cursor: None,
                limit: None,
                unit: None,
                skip: Some("3-5,9".into()),
            },
            r#"{"skip":"3-5,9"}"#,
        );
        check(
            &PullResponse {
                changes: vec![Pulled {
                    seq: 17,
                    change: change(),
                }],
                cursor: "17".into(),
                more: false,
                server_time_ms: 9,
            },
            &format!(
                r#"{{"changes":[{{"seq":17,"change":{CHANGE_JSON}}}],"cursor":"17","more":false,"server_time_ms":9}}"#
            ),
        );
    }

    #[test]
    fn a_page_of_stored_json_is_the_page_of_changes_byte_for_byte() {
        let mut c = change();
        c.fields
            .insert("note".into(), FieldEdit::new("入户 \"ok\"".into()));
        let raw =
            serde_json::value::RawValue::from_string(serde_json::to_string(&c).unwrap()).unwrap();
        fn page<C>(changes: Vec<Pulled<C>>) -> PullResponse<C> {
            PullResponse {
                changes,
                cursor: "17".into(),
                more: true,
                server_time_ms: 9,
            }
        }
        let stored = serde_json::to_string(&page(vec![Pulled {
            seq: 17,
            change: raw,
        }]))
        .unwrap();
        let read = serde_json::to_string(&page(vec![Pulled {
            seq: 17,
            change: c.clone(),
        }]))
        .unwrap();
        assert_eq!(stored, read);
        // and a device reads it back borrowing each change's JSON as it came
        let back: PullResponse<&serde_json::value::RawValue> =
            serde_json::from_str(&stored).unwrap();
        let again: Change = serde_json::from_str(back.changes[0].change.get()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn conflicts_wire_format() {
        let at = |ms, d| Version {
            hlc: Hlc::new(ms, 0),
            device: DeviceId(id(d)),
        };
        check(
            &ConflictsResponse {
                conflicts: vec![Conflict {
                    table: Table::Household,
                    row: RowId(id(3)),
                    unit: "150622101001".into(),
                    field: "head".into(),
                    winner_value: "王五".into(),
                    winner_at: at(2, 5),
                    winner_author: "li".into(),
                    winner_change: ChangeId(id(6)),
                    loser: Loser {
                        value: "王武".into(),
                        at: at(1, 7),
                        epoch: 0,
                        author: "batu".into(),
                        change: ChangeId(id(8)),
                    },
                }],
            },
            concat!(
                r#"{"conflicts":[{"table":"household","row":"00000000-0000-0000-0000-000000000003","#,
                r#""unit":"150622101001","field":"head","winner_value":"王五","#,
                r#""winner_at":{"hlc":{"ms":2,"count":0},"device":"00000000-0000-0000-0000-000000000005"},"#,
                r#""winner_author":"li","winner_change":"00000000-0000-0000-0000-000000000006","#,
                r#""loser":{"value":"王武","at":{"hlc":{"ms":1,"count":0},"#,
                r#""device":"00000000-0000-0000-0000-000000000007"},"author":"batu","#,
                r#""change":"00000000-0000-0000-0000-000000000008"}}]}"#
            ),
        );
    }

    #[test]
    fn health_and_error_wire_format() {
        check(
            &HealthResponse {
                status: "ok".into(),
                protocol: PROTOCOL_VERSION,
                server_time_ms: 3,
            },
            r#"{"status":"ok","protocol":1,"server_time_ms":3}"#,
        );
        check(
            &ErrorBody {
                error: ErrorDetail {
                    code: codes::CLIENT_OUTDATED.into(),
                    message: "update Tally".into(),
                    message_zh: "客户端版本过旧，请更新 Tally 后再同步".into(),
                },
            },
            concat!(
                r#"{"error":{"code":"client_outdated","message":"update Tally","#,
                r#""message_zh":"客户端版本过旧，请更新 Tally 后再同步"}}"#
            ),
        );
    }

    #[test]
    fn tables_are_spelled_like_their_codes_on_the_wire() {
        for table in Table::ALL {
            let json = serde_json::to_string(table).unwrap();
            assert_eq!(json, format!("\"{}\"", table.code()));
            assert_eq!(serde_json::from_str::<Table>(&json).unwrap(), *table);
        }
        assert_eq!(
            serde_json::to_string(&Table::OrgUnit).unwrap(),
            r#""org_unit""#
        );
    }
}
