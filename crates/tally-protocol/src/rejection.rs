//! Why the server did not store a pushed change: one type with its stable code and its
//! message in both languages. The server answers with it ([`crate::PushResult::Rejected`]
//! carries the code and both messages), and the device stores the three as they came.

use crate::codes;
use tally_core::{DeviceId, Explain, RowId, Table, ValidationError};
use thiserror::Error;

/// The reason one change of a push was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum Rejection {
    /// The change's unit (or the row's, or an org unit's parent) is not the author's.
    #[error("org unit {unit:?} is outside your assignment")]
    OutOfScope { unit: String },
    /// Targets and org units are planned by leaders and admins.
    #[error("only a leader or an admin may edit {} rows", .table.code())]
    PlanningForbidden { table: Table },
    /// A correction outranks what it corrects: leaders and admins only.
    #[error("only a leader or an admin may make a correction")]
    CorrectionForbidden,
    /// Withdrawing a record, or correcting a visit, load or demolition, is for the one
    /// who entered it and for leaders.
    #[error("{author} entered this record: only they or a leader may withdraw or correct it")]
    NotTheAuthor { author: String },
    /// The change says it was made on another device than the one pushing it.
    #[error("the change was made on device {made_on}, not on this device {pushing}")]
    WrongDevice {
        made_on: DeviceId,
        pushing: DeviceId,
    },
    /// The change's timestamp is outside every clock's bounds.
    #[error("the change's timestamp {hlc} is outside the bounds of any clock")]
    BadClock { hlc: tally_core::Hlc },
    /// The change claims another author than the account pushing it.
    #[error("the change names {claimed:?} as its author, but {account:?} is pushing it")]
    WrongAuthor { claimed: String, account: String },
    /// The change id is stored already, with other content.
    #[error("change {id} is already stored with other content; a change is never rewritten")]
    ReplayMismatch { id: tally_core::ChangeId },
    /// Another change already holds this change's version on the row.
    #[error("another change already holds version {hlc} of device {device} on this row")]
    VersionTaken {
        hlc: tally_core::Hlc,
        device: DeviceId,
    },
    /// Settling a conflict (naming the losing values seen) is for leaders and admins.
    #[error("only a leader or an admin may settle a conflict")]
    ResolutionForbidden,
    /// The change's clock is further ahead of the server's than the protocol allows.
    #[error("the device clock is {ahead_s} s ahead of the server's")]
    ClockAhead { ahead_s: u64 },
    /// The change names an existing row of another table.
    #[error("row {row} is a {} row, a change cannot edit it as {}", .is.code(), .edited_as.code())]
    TableMismatch {
        row: RowId,
        is: Table,
        edited_as: Table,
    },
    /// Fine, but its all-or-nothing batch (an admin import) had a rejection.
    #[error("not stored: another change of this all-or-nothing batch was rejected")]
    BatchRejected,
    /// The schema refuses a value.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

impl Explain for Rejection {
    fn code(&self) -> &'static str {
        match self {
            Rejection::OutOfScope { .. } => codes::OUT_OF_SCOPE,
            Rejection::PlanningForbidden { .. }
            | Rejection::CorrectionForbidden
            | Rejection::NotTheAuthor { .. } => codes::FORBIDDEN,
            Rejection::WrongDevice { .. } => codes::WRONG_DEVICE,
            Rejection::ClockAhead { .. } => codes::CLOCK_AHEAD,
            Rejection::BadClock { .. } => codes::BAD_CLOCK,
            Rejection::WrongAuthor { .. } => codes::WRONG_AUTHOR,
            Rejection::VersionTaken { .. } => codes::VERSION_TAKEN,
            Rejection::ReplayMismatch { .. } => codes::REPLAY_MISMATCH,
            Rejection::ResolutionForbidden => codes::FORBIDDEN,
            Rejection::TableMismatch { .. } => codes::TABLE_MISMATCH,
            Rejection::BatchRejected => codes::BATCH_REJECTED,
            Rejection::Invalid(e) => e.code(),
        }
    }

    fn zh(&self) -> String {
        match self {
            Rejection::OutOfScope { unit } => format!("{unit} 不在您负责的范围内"),
            Rejection::PlanningForbidden { table } => {
                format!("只有队长或管理员可以修改{}", table.zh())
            }
            Rejection::CorrectionForbidden => "只有队长或管理员可以更正".into(),
            Rejection::NotTheAuthor { author } => {
                format!("这条记录是 {author} 录入的，只有本人或队长可以撤销或更正")
            }
            Rejection::WrongDevice { .. } => {
                "这条记录不是在本设备上登记的，不能由本设备提交".into()
            }
            Rejection::ClockAhead { .. } => "设备时间比服务器快，请校准时间后重新同步".into(),
            Rejection::BadClock { .. } => "这条记录的时间戳超出范围（设备时钟异常），未保存".into(),
            Rejection::WrongAuthor { claimed, account } => {
                format!("记录署名为 {claimed}，但提交的账号是 {account}，不能代他人登记")
            }
            Rejection::ResolutionForbidden => "只有队长或管理员可以裁定冲突".into(),
            Rejection::ReplayMismatch { .. } => {
                "同一编号的记录已以不同内容保存过，记录不能被改写；请重新登记".into()
            }
            Rejection::VersionTaken { .. } => {
                "这条记录的版本号已被另一条记录占用（设备时钟异常），未保存，以免覆盖".into()
            }
            Rejection::TableMismatch { is, edited_as, .. } => format!(
                "记录类别不符：这是{}，不能作为{}修改",
                is.zh(),
                edited_as.zh()
            ),
            Rejection::BatchRejected => "同批中有其他记录被拒绝，本条未保存".into(),
            Rejection::Invalid(e) => e.zh(),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Rejection::Invalid(e) => e.field(),
            _ => None,
        }
    }
}

impl Rejection {
    /// The answer for one change.
    pub fn result(&self, change_id: tally_core::ChangeId) -> crate::PushResult {
        crate::PushResult::Rejected {
            change_id,
            code: self.code().to_string(),
            reason: self.en(),
            reason_zh: self.zh(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_core::ChangeId;
    use uuid::Uuid;

    /// Every rejection has a protocol code and a message in each language, the Chinese
    /// one without the English words of the other.
    #[test]
    fn every_rejection_reads_in_both_languages() {
        let id = |n| Uuid::from_u128(n);
        let all = [
            (Rejection::OutOfScope { unit: "V9".into() }, "out_of_scope"),
            (
                Rejection::PlanningForbidden {
                    table: Table::Target,
                },
                "forbidden",
            ),
            (Rejection::CorrectionForbidden, "forbidden"),
            (
                Rejection::NotTheAuthor {
                    author: "batu".into(),
                },
                "forbidden",
            ),
            (
                Rejection::WrongDevice {
                    made_on: DeviceId(id(1)),
                    pushing: DeviceId(id(2)),
                },
                "wrong_device",
            ),
            (Rejection::ClockAhead { ahead_s: 600 }, "clock_ahead"),
            (
                Rejection::BadClock {
                    hlc: tally_core::Hlc::new(1_800_000_000_000, u32::MAX),
                },
                "bad_clock",
            ),
            (
                Rejection::WrongAuthor {
                    claimed: "leader1".into(),
                    account: "cadre1".into(),
                },
                "wrong_author",
            ),
            (Rejection::ResolutionForbidden, "forbidden"),
            (
                Rejection::ReplayMismatch {
                    id: tally_core::ChangeId(id(5)),
                },
                "replay_mismatch",
            ),
            (
                Rejection::VersionTaken {
                    hlc: tally_core::Hlc::new(1_800_000_000_000, 3),
                    device: DeviceId(id(4)),
                },
                "version_taken",
            ),
            (
                Rejection::TableMismatch {
                    row: RowId(id(3)),
                    is: Table::Visit,
                    edited_as: Table::Household,
                },
                "table_mismatch",
            ),
            (Rejection::BatchRejected, "batch_rejected"),
            (
                Rejection::Invalid(ValidationError::Missing {
                    field: "head".into(),
                }),
                "missing_field",
            ),
        ];
        for (r, code) in all {
            assert_eq!(r.code(), code);
            let crate::PushResult::Rejected {
                change_id,
                code: c,
                reason,
                reason_zh,
            } = r.result(ChangeId(id(9)))
            else {
                panic!("a rejection answers rejected")
            };
            assert_eq!((change_id, c.as_str()), (ChangeId(id(9)), code));
            assert_eq!(reason, r.to_string());
            assert!(reason.is_ascii(), "{reason}");
            assert!(!reason_zh.is_ascii(), "{reason_zh}");
            assert!(!reason_zh.contains("only") && !reason_zh.contains("the "));
        }
    }
}
