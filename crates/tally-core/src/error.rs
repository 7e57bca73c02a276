//! Validation errors: each names the field and the value that was wrong.

use thiserror::Error;

/// What was wrong with a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// Wrong JSON type: `expected` names the type.
    Type { expected: &'static str },
    /// Outside the allowed range; `rule` says the range in words.
    Range { rule: String, rule_zh: String },
    /// Not one of the allowed codes.
    Code { allowed: String },
    /// A date after the allowed horizon.
    Future { latest: String },
    /// A date before 2000.
    Past,
    /// Text too long or empty; `got` is its length in characters (0 when blank).
    Length { min: usize, max: usize, got: usize },
}

/// A change or record that cannot be accepted. Messages are lowercase English with the
/// value that was wrong; `zh()` gives the Chinese text a cadre reads.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ValidationError {
    #[error("a change must edit at least one field")]
    Empty,
    #[error("unknown field {field:?} in table {table}")]
    UnknownField { table: &'static str, field: String },
    #[error("{field} is required")]
    Missing { field: String },
    #[error("{field} {}, got {value}", describe(.why))]
    Value {
        field: String,
        value: String,
        why: Invalid,
    },
    #[error("unknown org unit {0:?}")]
    UnknownUnit(String),
    #[error("{table} rows belong to a village or hamlet, but {unit:?} is a {level}")]
    WrongLevel {
        table: &'static str,
        unit: String,
        level: &'static str,
    },
    #[error("{field} cannot move back from {from} to {to} without a leader's correction")]
    Backwards {
        field: String,
        from: String,
        to: String,
    },
    #[error("a {level} cannot be under {parent:?}, which is a {parent_level} (unit {unit:?})")]
    ParentLevel {
        unit: String,
        level: &'static str,
        parent: String,
        parent_level: &'static str,
    },
    /// An org unit placed under itself or under one of its own descendants.
    #[error(
        "{unit:?} cannot be placed under {parent:?}, which is {unit:?} itself or lies below it"
    )]
    Cycle { unit: String, parent: String },
    #[error("the row belongs to {existing:?}, a change cannot move it to {got:?}")]
    UnitMismatch { existing: String, got: String },
    /// A reference to a row nobody has recorded (or not yet synced here).
    #[error("{field} {id} is not a known row")]
    UnknownRef { field: String, id: String },
    /// A reference to a row of another unit than the change's.
    #[error("{field} {id} belongs to {unit:?}, not to {got:?} where this record is")]
    RefElsewhere {
        field: String,
        id: String,
        unit: String,
        got: String,
    },
    /// Allowed, but more than is usual for the field: saved only once confirmed.
    #[error("{field} {value} {unit_en} is more than usual (at most {most} {unit_en})")]
    Unusual {
        field: String,
        value: String,
        most: String,
        unit_zh: &'static str,
        unit_en: &'static str,
    },
    /// More household members insured than the household has.
    #[error("{field} {insured} is more than the household's {members} members")]
    MoreThanMembers {
        field: String,
        insured: u64,
        members: u64,
    },
    /// A works item's progress entries add up to more than its planned quantity.
    #[error("progress adds up to {done}, more than the planned quantity {planned}")]
    /// (The amounts as shown: `5.2`, `5`.)
    BeyondPlanned { done: String, planned: String },
    /// An edit of a withdrawn record.
    #[error("the record was withdrawn: it can no longer be edited")]
    Withdrawn,
    /// Households of two villages merged (a duplicate is of the same village).
    #[error("only households of one village can be merged: {keep} is in {keep_unit}, {other} in {other_unit}")]
    MergeAcrossVillages {
        keep: String,
        keep_unit: String,
        other: String,
        other_unit: String,
    },
    /// A household merged into itself.
    #[error("a household cannot be merged into itself")]
    MergeIntoItself,
    /// A village's flag (沿黄渗漏区, 重点村) set on a unit of another level.
    #[error("{unit} is a {level}: only a village can be flagged {flag}")]
    FlagNotOnVillage {
        unit: String,
        level: crate::model::Level,
        flag: crate::model::VillageFlag,
    },
    #[error("{0}")]
    Other(String),
}

fn describe(why: &Invalid) -> String {
    match why {
        Invalid::Type { expected } => format!("must be {expected}"),
        Invalid::Range { rule, .. } => format!("must be {rule}"),
        Invalid::Code { allowed } => format!("must be one of {allowed}"),
        Invalid::Future { latest } => format!("must not be after {latest}"),
        Invalid::Past => "must not be before 2000-01-01".to_string(),
        Invalid::Length { min, max, .. } => format!("must have {min} to {max} characters"),
    }
}

impl ValidationError {
    /// A stable machine-readable code (used in HTTP and IPC errors).
    pub fn code(&self) -> &'static str {
        match self {
            ValidationError::Empty => "empty_change",
            ValidationError::UnknownField { .. } => "unknown_field",
            ValidationError::Missing { .. } => "missing_field",
            ValidationError::Value { .. } => "invalid_value",
            ValidationError::UnknownUnit(_) => "unknown_unit",
            ValidationError::WrongLevel { .. } | ValidationError::ParentLevel { .. } => {
                "wrong_level"
            }
            ValidationError::Cycle { .. } => "unit_cycle",
            ValidationError::Backwards { .. } => "status_backwards",
            ValidationError::UnitMismatch { .. } => "unit_mismatch",
            ValidationError::UnknownRef { .. } => "unknown_reference",
            ValidationError::RefElsewhere { .. } => "reference_elsewhere",
            ValidationError::Unusual { .. } => "unusual_value",
            ValidationError::MoreThanMembers { .. } => "more_than_members",
            ValidationError::BeyondPlanned { .. } => "beyond_planned",
            ValidationError::Withdrawn => "withdrawn_record",
            ValidationError::FlagNotOnVillage { .. } => "flag_not_on_village",
            ValidationError::MergeAcrossVillages { .. } => "merge_across_villages",
            ValidationError::MergeIntoItself => "merge_into_itself",
            ValidationError::Other(_) => "invalid",
        }
    }

    /// The field at fault, if one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            ValidationError::UnknownField { field, .. }
            | ValidationError::Missing { field }
            | ValidationError::Value { field, .. }
            | ValidationError::Backwards { field, .. }
            | ValidationError::UnknownRef { field, .. }
            | ValidationError::RefElsewhere { field, .. }
            | ValidationError::Unusual { field, .. }
            | ValidationError::MoreThanMembers { field, .. } => Some(field),
            // The planned quantity, or the progress entry's: either form shows it there.
            ValidationError::BeyondPlanned { .. } => Some("quantity"),
            _ => None,
        }
    }

    /// The reason in Chinese, for a cadre: plain words naming the field, what it should
    /// hold and what was typed.
    pub fn zh(&self) -> String {
        let f = |name: &str| crate::schema::field_zh(name).to_string();
        match self {
            ValidationError::Empty => "没有要保存的内容".into(),
            ValidationError::UnknownField { field, .. } => format!("未知字段 {field}"),
            ValidationError::Missing { field } => format!("请填写{}", f(field)),
            ValidationError::Value { field, value, why } => {
                let f = f(field);
                match why {
                    Invalid::Type {
                        expected: "a number",
                    } => format!("{f}请只填数字，例如 12.5，不带单位（填的是 {value}）"),
                    Invalid::Type {
                        expected: "a whole number",
                    } => format!("{f}请只填整数，例如 3（填的是 {value}）"),
                    Invalid::Type { .. } => format!("{f}格式不对（填的是 {value}）"),
                    Invalid::Range { rule_zh, .. } => format!("{f}{rule_zh}（填的是 {value}）"),
                    Invalid::Code { allowed } => format!("{f}只能是 {allowed}（填的是 {value}）"),
                    Invalid::Future { latest } => format!("{f}不能晚于 {latest}（填的是 {value}）"),
                    Invalid::Past => format!("{f}不能早于 2000-01-01（填的是 {value}）"),
                    Invalid::Length { min, got: 0, .. } if *min > 0 => format!("请填写{f}"),
                    Invalid::Length { max, got, .. } if got > max => {
                        format!("{f}最多 {max} 个字，现在有 {got} 个字")
                    }
                    Invalid::Length { min, .. } => format!("{f}至少要 {min} 个字"),
                }
            }
            ValidationError::Unusual {
                field,
                value,
                most,
                unit_zh: u,
                ..
            } => format!(
                "{} {value} {u}比一般多（通常不超过 {most} {u}），请核对；确实无误请确认保存",
                f(field)
            )
            .replace("  ", " ")
            .replace(" 比", "比")
            .replace(" ）", "）"),
            ValidationError::MoreThanMembers {
                field,
                insured,
                members,
            } => format!(
                "{}不能多于家庭人口 {members} 人（填的是 {insured}）",
                f(field)
            ),
            ValidationError::BeyondPlanned { done, planned } => {
                format!("完成进度合计 {done} 超过了计划数量 {planned}")
            }
            ValidationError::Withdrawn => "这条记录已撤销，不能再修改".into(),
            ValidationError::MergeAcrossVillages {
                keep,
                keep_unit,
                other,
                other_unit,
            } => format!("只能合并同一个村的农户：{keep} 在 {keep_unit}，{other} 在 {other_unit}"),
            ValidationError::MergeIntoItself => "不能把一户合并到它自己".into(),
            ValidationError::FlagNotOnVillage { unit, level, flag } => {
                format!("{unit} 是{}，只有嘎查村可以标记为{}", level.zh(), flag.zh())
            }
            ValidationError::UnknownUnit(u) => format!("找不到组织单位 {u}"),
            ValidationError::WrongLevel { unit, .. } => {
                format!("{unit} 不是嘎查村或自然村，不能登记此类记录")
            }
            ValidationError::Backwards { field, from, to } => {
                format!("{}不能从 {from} 退回到 {to}，需由队长更正", f(field))
            }
            ValidationError::ParentLevel {
                unit,
                level,
                parent,
                parent_level,
            } => {
                let zh = |c: &str| c.parse::<crate::Level>().map_or("", |l| l.zh());
                format!(
                    "{unit}（{}）不能隶属于 {parent}（{}）",
                    zh(level),
                    zh(parent_level)
                )
            }
            ValidationError::Cycle { unit, parent } => {
                format!("{unit} 不能隶属于 {parent}：那是它自己或它的下级单位")
            }
            ValidationError::UnitMismatch { existing, got } => {
                format!("记录属于 {existing}，不能改到 {got}")
            }
            ValidationError::UnknownRef { field, id } => {
                format!("找不到所选的{}（{id}）：请先同步，或重新选择", f(field))
            }
            ValidationError::RefElsewhere {
                field, unit, got, ..
            } => format!(
                "所选的{}属于 {unit}，这条记录在 {got}：请选本村的",
                f(field)
            ),
            ValidationError::Other(s) => s.clone(),
        }
    }

    /// The reason in English, in the same plain words as [`ValidationError::zh`].
    pub fn en(&self) -> String {
        let f = |name: &str| crate::labels::field(name, crate::Lang::En).to_string();
        match self {
            ValidationError::Missing { field } => format!("{} is required", f(field)),
            ValidationError::Value { field, value, why } => {
                let f = f(field);
                match why {
                    Invalid::Type {
                        expected: "a number",
                    } => format!(
                        "{f}: type a number only, like 12.5, without a unit (you typed {value})"
                    ),
                    Invalid::Type {
                        expected: "a whole number",
                    } => format!("{f}: type a whole number only, like 3 (you typed {value})"),
                    Invalid::Length { min, got: 0, .. } if *min > 0 => format!("{f} is required"),
                    Invalid::Length { max, got, .. } if got > max => {
                        format!("{f} may have at most {max} characters (it has {got})")
                    }
                    other => format!("{f} {} (you typed {value})", describe(other)),
                }
            }
            ValidationError::Unusual {
                field,
                value,
                most,
                unit_en: u,
                ..
            } => format!(
                "{} {value} {u} is more than usual (usually at most {most} {u}): please check it, \
                 and confirm to save it if it is right",
                f(field)
            )
            .replace("  ", " ")
            .replace(" :", ":")
            .replace(" )", ")"),
            ValidationError::UnknownRef { field, id } => format!(
                "the chosen {} ({id}) is not known here: sync first, or choose again",
                f(field).to_lowercase()
            ),
            ValidationError::RefElsewhere {
                field, unit, got, ..
            } => format!(
                "the chosen {} belongs to {unit}, but this record is in {got}: choose one of this village",
                f(field).to_lowercase()
            ),
            other => other.to_string(),
        }
    }
}
