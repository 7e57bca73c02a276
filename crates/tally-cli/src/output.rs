//! Everything the CLI prints goes through here: JSON, aligned tables (CJK characters
//! count two columns), CSV, the one-line results of edits, notes on stderr, and the
//! human rendering of numbers, times and stored values.

use anyhow::Result;
use chrono::{DateTime, FixedOffset, Local};
use serde::Serialize;
use serde_json::Value;
use std::io::Write;
use tally_core::labels::{self, Lang};
use tally_core::{Category, Change, Table as Tbl};

/// Pretty JSON on stdout.
pub fn json(value: &impl Serialize) -> Result<()> {
    // Rendered first, so that a closed pipe shows up as the plain io::Error it is.
    let text = serde_json::to_string_pretty(value)?;
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(())
}

/// Lines on stdout.
pub fn lines<S: AsRef<str>>(lines: impl IntoIterator<Item = S>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for l in lines {
        writeln!(out, "{}", l.as_ref())?;
    }
    Ok(())
}

/// A note for the person at the terminal (stderr, so stdout stays scriptable).
pub fn note(zh: &str, en: &str) {
    eprintln!("{zh} / {en}");
}

/// Problems found in the input, one per line, on stderr (before the final error).
pub fn problems(lines: impl IntoIterator<Item = String>) {
    for l in lines {
        eprintln!("{l}");
    }
}

/// The result of an edit that created a row: just its id (or `{"id": …}`).
pub fn created(json_out: bool, id: &str) -> Result<()> {
    if json_out {
        json(&serde_json::json!({ "id": id }))
    } else {
        lines([id])
    }
}

/// The result of an edit of an existing row; `None` when nothing needed changing.
pub fn saved(json_out: bool, change: Option<&Change>) -> Result<()> {
    if change.is_none() {
        note(
            "没有变化：这些值已经保存",
            "nothing changed: the values are already stored",
        );
    }
    if json_out {
        return json(&serde_json::json!({
            "row": change.map(|c| c.row.to_string()),
            "change": change.map(|c| c.id.to_string()),
        }));
    }
    match change {
        Some(c) => lines([format!("已保存 / saved (change {})", c.id)]),
        None => Ok(()),
    }
}

/// Display width in terminal columns: East Asian wide characters take two.
pub fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// A table with a header: the first column is left-aligned, `right` ones right-aligned.
pub struct Grid {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

impl Grid {
    pub fn new(headers: &[&str]) -> Grid {
        Grid {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            right: vec![false; headers.len()],
        }
    }

    /// Right-align these columns (numbers).
    pub fn right(mut self, columns: &[usize]) -> Grid {
        for &c in columns {
            self.right[c] = true;
        }
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as lines, cells padded to their column's width.
    pub fn render(&self) -> Vec<String> {
        let n = self.headers.len();
        let mut widths = vec![0; n];
        for r in std::iter::once(&self.headers).chain(&self.rows) {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(width(c));
            }
        }
        let line = |cells: &Vec<String>| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                let pad = " ".repeat(widths.get(i).copied().unwrap_or(0).saturating_sub(width(c)));
                if i > 0 {
                    s.push_str("  ");
                }
                if self.right.get(i).copied().unwrap_or(false) {
                    s.push_str(&pad);
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    s.push_str(&pad);
                }
            }
            s.trim_end().to_string()
        };
        std::iter::once(line(&self.headers))
            .chain(self.rows.iter().map(line))
            .collect()
    }

    pub fn print(&self) -> Result<()> {
        lines(self.render())
    }
}

/// CSV on stdout: a header line of the field names, then one line per row.
pub fn csv<T: Serialize>(rows: impl IntoIterator<Item = T>) -> Result<()> {
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    for r in rows {
        w.serialize(r)?;
    }
    w.flush()?;
    Ok(())
}

/// A number without needless decimals: 3, 2.5, 0.333.
pub use tally_core::labels::num;

/// An optional number; missing shows as a dash.
pub fn opt_num(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), num)
}

/// A time stored as RFC 3339 UTC, shown in the zone it was recorded in.
pub fn local_time(rfc3339: &str, utc_offset_min: i32) -> String {
    let zone = FixedOffset::east_opt(utc_offset_min * 60);
    match (DateTime::parse_from_rfc3339(rfc3339), zone) {
        (Ok(t), Some(z)) => t.with_timezone(&z).format("%Y-%m-%d %H:%M").to_string(),
        _ => rfc3339.to_string(),
    }
}

/// Milliseconds since the epoch (an HLC's physical part) in this machine's zone.
pub fn ms_time(ms: u64) -> String {
    DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX))
        .map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The same time as RFC 3339 UTC, for JSON.
pub fn ms_rfc3339(ms: u64) -> String {
    DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Yes/no in Chinese.
pub fn yes_no(b: bool) -> &'static str {
    if b {
        "是"
    } else {
        "否"
    }
}

/// Categories as Chinese labels joined by 、.
pub fn categories(cats: &[Category]) -> String {
    cats.iter().map(|c| c.zh()).collect::<Vec<_>>().join("、")
}

/// A stored field value as a person reads it, in Chinese (core's labels).
pub fn value_text(table: Tbl, field: &str, v: &Value) -> String {
    labels::value(table, field, v, Lang::Zh)
}

/// `字段=值, …` for the fields of a change, in Chinese.
pub fn change_text(change: &Change) -> String {
    change
        .edited_fields()
        .map(|(f, e)| {
            format!(
                "{}={}",
                labels::field(f, Lang::Zh),
                value_text(change.table, f, &e.value)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_drop_needless_decimals() {
        for (x, s) in [
            (3.0, "3"),
            (2.5, "2.5"),
            (1.0 / 3.0, "0.333"),
            (-4.75, "-4.75"),
            (0.0, "0"),
        ] {
            assert_eq!(num(x), s);
        }
        assert_eq!(opt_num(None), "—");
    }

    #[test]
    fn tables_align_chinese_as_two_columns() {
        let mut t = Grid::new(&["指标", "n"]).right(&[1]);
        t.row(vec!["清理(吨)".into(), "12".into()]);
        t.row(vec!["road".into(), "3".into()]);
        let r = t.render();
        assert_eq!(r, ["指标       n", "清理(吨)  12", "road       3"]);
    }

    #[test]
    fn stored_values_read_in_chinese() {
        let v = serde_json::json!(["five-guarantee", "subsistence"]);
        assert_eq!(
            value_text(Tbl::Household, "categories", &v),
            "五保户、低保户"
        );
        assert_eq!(
            value_text(Tbl::Household, "renovation", &"started".into()),
            "已开工"
        );
        assert_eq!(
            value_text(Tbl::Cleanup, "tonnes", &serde_json::json!(3.5)),
            "3.5"
        );
        assert_eq!(value_text(Tbl::Household, "phone", &Value::Null), "（空）");
    }
}
