//! Reading values a person typed — on the command line (the CLI's value parsers, so a bad
//! value is a usage error) and in a roster's cells (import) — with the reason in Chinese
//! and English.

use crate::ids::RowId;
use crate::model::*;
use chrono::NaiveDate;
use std::fmt;
use std::str::FromStr;

/// Why a typed value was not accepted, in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bad {
    pub zh: String,
    pub en: String,
}

impl Bad {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Bad {
        Bad {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

impl fmt::Display for Bad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.zh, self.en)
    }
}

impl std::error::Error for Bad {}

/// The closed code sets of the core (they all have `ALL`, `code()` and `zh()`).
pub trait Code: FromStr<Err = String> + fmt::Display + Copy + 'static {
    fn all() -> &'static [Self];
    fn label(self) -> &'static str;
}

macro_rules! codes {
    ($($t:ty),+) => {$(
        impl Code for $t {
            fn all() -> &'static [Self] {
                <$t>::ALL
            }
            fn label(self) -> &'static str {
                self.zh()
            }
        }
    )+};
}
codes!(
    Level,
    VillageFlag,
    Category,
    Rating,
    RenovationStatus,
    PileKind,
    WorksKind,
    WorksStatus,
    Metric
);

/// One of a code set, by code or Chinese label.
pub fn code<T: Code>(s: &str) -> Result<T, Bad> {
    s.parse().map_err(|en| {
        let allowed: Vec<String> = T::all()
            .iter()
            .map(|c| format!("{}({})", c.label(), c))
            .collect();
        Bad::new(format!("只能是 {}，不能是 {s:?}", allowed.join("、")), en)
    })
}

/// A date `YYYY-MM-DD`.
pub fn date(s: &str) -> Result<NaiveDate, Bad> {
    let t = s.trim();
    let shaped = t.len() == 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-';
    shaped
        .then(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| {
            Bad::new(
                format!("日期应写成 YYYY-MM-DD，不能是 {s:?}"),
                format!("expected a date YYYY-MM-DD, got {s:?}"),
            )
        })
}

/// The id of a row, as `add` and `list` print it.
/// A milestone as typed: `DATE=QTY` (2016-06-30=50).
pub fn milestone(s: &str) -> Result<Milestone, Bad> {
    let bad = || {
        Bad::new(
            format!("节点格式应为 日期=数量，如 2016-06-30=50，填的是 {s:?}"),
            format!("a milestone is DATE=QUANTITY, like 2016-06-30=50, got {s:?}"),
        )
    };
    let (day, quantity) = s.split_once('=').ok_or_else(bad)?;
    Ok(Milestone {
        date: date(day.trim()).map_err(|_| bad())?,
        quantity: number(quantity.trim()).map_err(|_| bad())?,
    })
}

/// The id of a record or of a progress entry (as the commands print them).
pub fn uuid(s: &str) -> Result<uuid::Uuid, Bad> {
    row_id(s).map(|r| r.0)
}

pub fn row_id(s: &str) -> Result<RowId, Bad> {
    RowId::from_str(s).map_err(|_| {
        Bad::new(
            format!("编号无效：{s:?}（应为 list 命令显示的完整编号）"),
            format!("not a valid id (the full id that `list` prints), got {s:?}"),
        )
    })
}

/// A whole number ≥ 0 (members, piles, people); ranges are the store's to check.
pub fn count(s: &str) -> Result<u32, Bad> {
    crate::schema::decimal(s)
        .and_then(|v| v.as_u64())
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            Bad::new(
                format!("应为整数，不能是 {s:?}"),
                format!("expected a whole number, got {s:?}"),
            )
        })
}

/// A number (tonnes, km, m², quantities); ranges are the store's to check.
pub fn number(s: &str) -> Result<f64, Bad> {
    crate::schema::decimal(s)
        .and_then(|v| v.as_f64())
        .ok_or_else(|| {
            Bad::new(
                format!("应为数字，不能是 {s:?}"),
                format!("expected a number, got {s:?}"),
            )
        })
}

/// A yes/no value: 是/否, true/false, yes/no, y/n, 1/0 (empty is no).
pub fn yes_no(s: &str) -> Result<bool, Bad> {
    match s.trim().to_lowercase().as_str() {
        "是" | "true" | "yes" | "y" | "1" => Ok(true),
        "否" | "false" | "no" | "n" | "0" | "" => Ok(false),
        _ => Err(Bad::new(
            format!("应为 是 或 否，不能是 {s:?}"),
            format!("expected yes or no (是/否, true/false, 1/0), got {s:?}"),
        )),
    }
}

fn is_none(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.eq_ignore_ascii_case("none") || t == "无"
}

/// Categories in one cell or argument: codes or Chinese labels separated by 、 ; | or
/// commas; `none`, 无 or nothing is the empty list.
pub fn categories(s: &str) -> Result<Vec<Category>, Bad> {
    let parts = s
        .split(['、', ';', '；', '|', '｜', ',', '，'])
        .filter(|p| !is_none(p));
    let cats = parts
        .map(|p| code::<Category>(p.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(unique(cats))
}

/// Categories without repeats, in the order first given.
pub fn unique(cats: impl IntoIterator<Item = Category>) -> Vec<Category> {
    let mut out: Vec<Category> = Vec::new();
    for c in cats {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// A code, or `none` / 无 / empty for "not set".
pub fn code_or_none<T: Code>(s: &str) -> Result<Option<T>, Bad> {
    if is_none(s) {
        return Ok(None);
    }
    code(s).map(Some)
}

/// The help of a code option: every code with its Chinese label, from core.
pub fn help_codes<T: Code>() -> String {
    T::all()
        .iter()
        .map(|c| format!("{c} ({})", c.label()))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// A whole number, or `none` (无) for no value.
pub fn count_or_none(s: &str) -> Result<Option<u32>, Bad> {
    if is_none(s) {
        return Ok(None);
    }
    count(s).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_need_the_full_iso_form() {
        assert_eq!(
            date("2026-11-20"),
            Ok(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap())
        );
        for bad in [
            "2026-13-01",
            "2026-1-5",
            "20261120",
            "yesterday",
            "2026/11/20",
            "",
        ] {
            assert!(date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn yes_no_in_both_languages() {
        for (s, want) in [
            ("是", true),
            ("否", false),
            ("TRUE", true),
            ("0", false),
            (" ", false),
        ] {
            assert_eq!(yes_no(s), Ok(want), "{s:?}");
        }
        assert!(yes_no("maybe").is_err());
    }

    #[test]
    fn categories_by_code_or_label_with_any_separator() {
        use Category::*;
        let check =
            |s: &str, want: &[Category]| assert_eq!(categories(s).as_deref(), Ok(want), "{s}");
        check("五保户、低保户", &[FiveGuarantee, Subsistence]);
        check(
            "subsistence; disabled-poor|五保户",
            &[Subsistence, DisabledPoor, FiveGuarantee],
        );
        check("低保户，低保户", &[Subsistence]);
        check("", &[]);
        check("none", &[]);
        let bad = categories("五保户、贫困户").unwrap_err();
        assert!(
            bad.zh.contains("贫困户") && bad.zh.contains("五保户(five-guarantee)"),
            "{bad}"
        );
        assert!(
            bad.en
                .contains("five-guarantee, subsistence, disabled-poor"),
            "{bad}"
        );
    }

    #[test]
    fn codes_counts_and_ids() {
        assert_eq!(code::<Level>("嘎查村"), Ok(Level::Village));
        assert_eq!(code_or_none::<Rating>("none"), Ok(None));
        assert_eq!(code_or_none::<Rating>("d"), Ok(Some(Rating::D)));
        assert_eq!(count(" 4 "), Ok(4));
        assert!(count("-1").is_err());
        assert!(count("2.5").is_err());
        // Numbers read as the desktop reads them (core's `schema::decimal`).
        assert_eq!(number("１２．５"), Ok(12.5));
        assert_eq!(number("-3"), Ok(-3.0));
        for bad in ["1e3", "inf", "NaN", "1,200", "12.5吨", ""] {
            assert!(number(bad).is_err(), "{bad:?}");
        }
        assert!(row_id("0193a1b2-0000-7000-8000-000000000000").is_ok());
        assert!(row_id("zhangsan").is_err());
    }
}
