//! Bounds on what one change may carry beyond its field values (which `Kind` bounds):
//! its author, its unit code and the versions an edit says it saw. Without them one
//! change can hold megabytes that every device pulls and every later edit rewrites.

use crate::change::Change;
use crate::error::{Invalid, ValidationError};

/// An account name (the change's author) in characters.
pub const MAX_AUTHOR_CHARS: usize = 64;
/// An org unit code in characters.
pub const MAX_UNIT_CHARS: usize = 32;
/// Losing versions one field edit may settle at once.
pub const MAX_SAW: usize = 64;

fn too_long(field: &str, text: &str, max: usize) -> ValidationError {
    let got = text.chars().count();
    ValidationError::Value {
        field: field.to_string(),
        value: super::value::shown(text),
        why: Invalid::Length { min: 1, max, got },
    }
}

/// Check the change's own bounds (before its fields).
pub(super) fn check(change: &Change) -> Result<(), ValidationError> {
    if change.author.chars().count() > MAX_AUTHOR_CHARS {
        return Err(too_long("author", &change.author, MAX_AUTHOR_CHARS));
    }
    if change.unit.chars().count() > MAX_UNIT_CHARS {
        return Err(too_long("unit", &change.unit, MAX_UNIT_CHARS));
    }
    for (name, edit) in &change.fields {
        if edit.saw.len() > MAX_SAW {
            return Err(ValidationError::Value {
                field: name.clone(),
                value: format!("{} settled versions", edit.saw.len()),
                why: Invalid::Range {
                    rule: format!("at most {MAX_SAW} settled versions"),
                    rule_zh: format!("一次最多裁定 {MAX_SAW} 个版本"),
                },
            });
        }
    }
    Ok(())
}
