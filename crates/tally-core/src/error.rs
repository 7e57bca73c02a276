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
    /// Text too long or empty.
    Length { min: usize, max: usize },
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
    #[error("the row belongs to {existing:?}, a change cannot move it to {got:?}")]
    UnitMismatch { existing: String, got: String },
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
        Invalid::Length { min, max } => format!("must have {min} to {max} characters"),
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
            ValidationError::Backwards { .. } => "status_backwards",
            ValidationError::UnitMismatch { .. } => "unit_mismatch",
            ValidationError::Other(_) => "invalid",
        }
    }

    /// The field at fault, if one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            ValidationError::UnknownField { field, .. }
            | ValidationError::Missing { field }
            | ValidationError::Value { field, .. }
            | ValidationError::Backwards { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The reason in Chinese, for a cadre.
    pub fn zh(&self) -> String {
        let f = |name: &str| crate::schema::field_zh(name).to_string();
        match self {
            ValidationError::Empty => "没有要保存的内容".into(),
            ValidationError::UnknownField { field, .. } => format!("未知字段 {field}"),
            ValidationError::Missing { field } => format!("{}必须填写", f(field)),
            ValidationError::Value { field, value, why } => {
                let rule = match why {
                    Invalid::Type { .. } => "格式不对".to_string(),
                    Invalid::Range { rule_zh, .. } => format!("超出范围（应为{rule_zh}）"),
                    Invalid::Code { allowed } => format!("只能是 {allowed}"),
                    Invalid::Future { latest } => format!("不能晚于 {latest}"),
                    Invalid::Past => "不能早于 2000-01-01".into(),
                    Invalid::Length { min, max } => format!("长度应为 {min} 到 {max} 个字"),
                };
                format!("{}：{value} {rule}", f(field))
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
            ValidationError::UnitMismatch { existing, got } => {
                format!("记录属于 {existing}，不能改到 {got}")
            }
            ValidationError::Other(s) => s.clone(),
        }
    }
}
