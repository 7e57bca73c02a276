//! A roster of households (花名册) from an Excel workbook (.xlsx, its first sheet) or a
//! CSV file — UTF-8 (with or without BOM) or GBK (what Excel writes in China) — with
//! columns found by their Chinese or English header, the village by its code or its name
//! (`Villages`, built once per file). Every bad cell is found with its line and column,
//! and a file with any error imports nothing (one `Store::batch`). A household already
//! here (same village and head, and the same ID number or phone) is updated from its
//! line, not added again. One use-case for the CLI and the desktop.

use crate::{HouseholdChanges, HouseholdFilter, NewHousehold, Store, StoreError, Villages};
use serde::Serialize;
use std::collections::HashMap;
use tally_core::input::{self as parse, Bad};
use tally_core::{Explain, Rating, RowId, ValidationError};

/// How many problems a report lists; the rest are counted.
pub const SHOWN_ERRORS: usize = 50;

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RosterImport {
    pub added: usize,
    pub updated: usize,
    /// Headers of columns the import does not know (their cells were not read).
    pub ignored_columns: Vec<String>,
}

/// Why a roster was not imported (nothing of it was).
#[derive(Debug)]
pub enum RosterError {
    /// The file as a whole: not a workbook or text, no header, a column missing or twice.
    File {
        zh: String,
        en: String,
    },
    /// Lines with bad cells, every one of them, by line.
    Lines(Vec<LineProblem>),
    Store(StoreError),
}

impl From<StoreError> for RosterError {
    fn from(e: StoreError) -> Self {
        RosterError::Store(e)
    }
}

fn file_error(zh: impl Into<String>, en: impl Into<String>) -> RosterError {
    RosterError::File {
        zh: zh.into(),
        en: en.into(),
    }
}

/// A column the import understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Village,
    Head,
    Members,
    Categories,
    Seepage,
    Rating,
    Phone,
    IdNumber,
    Cadre,
}

impl Field {
    const ALL: [Field; 9] = [
        Field::Village,
        Field::Head,
        Field::Members,
        Field::Categories,
        Field::Seepage,
        Field::Rating,
        Field::Phone,
        Field::IdNumber,
        Field::Cadre,
    ];

    /// The header spellings accepted; the first is the Chinese name, the last the English.
    fn headers(self) -> &'static [&'static str] {
        match self {
            Field::Village => &["村", "村编码", "嘎查村", "village"],
            Field::Head => &["户主", "户主姓名", "head"],
            Field::Members => &["人口", "人口数", "members"],
            Field::Categories => &["类别", "户类别", "category", "categories"],
            Field::Seepage => &["渗漏区", "沿黄渗漏区", "黄河渗漏区", "seepage"],
            Field::Rating => &["危房等级", "等级", "rating"],
            Field::Phone => &["电话", "联系电话", "phone"],
            Field::IdNumber => &["身份证号", "身份证号码", "身份证", "id_number"],
            Field::Cadre => &["包户干部", "干部", "cadre"],
        }
    }

    fn zh(self) -> &'static str {
        self.headers()[0]
    }

    fn en(self) -> &'static str {
        self.headers().last().copied().unwrap_or_default()
    }

    fn from_header(h: &str) -> Option<Field> {
        let h = h.trim().to_lowercase();
        Field::ALL
            .into_iter()
            .find(|f| f.headers().contains(&h.as_str()))
    }

    /// The column a store validation error is about.
    fn of_error(e: &ValidationError) -> Option<Field> {
        match e {
            ValidationError::UnknownUnit(_) | ValidationError::WrongLevel { .. } => {
                Some(Field::Village)
            }
            _ => Field::ALL.into_iter().find(|f| e.field() == Some(f.en())),
        }
    }
}

/// A problem in one line of the file, with its column if it is about one cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LineProblem {
    /// The line (Excel's row) from 1, the header being line 1.
    pub line: u64,
    /// The column from 1, if the problem is about one cell.
    pub column: Option<usize>,
    /// That column's name, in Chinese and English.
    pub header_zh: Option<String>,
    pub header_en: Option<String>,
    pub zh: String,
    pub en: String,
}

impl LineProblem {
    /// `第 3 行 第 3 列（人口）: … / line 3, column 3 (members): …`
    pub fn render(&self) -> String {
        match (self.column, &self.header_zh, &self.header_en) {
            (Some(col), Some(hz), Some(he)) => format!(
                "第 {} 行 第 {col} 列（{hz}）: {} / line {}, column {col} ({he}): {}",
                self.line, self.zh, self.line, self.en
            ),
            _ => format!(
                "第 {} 行: {} / line {}: {}",
                self.line, self.zh, self.line, self.en
            ),
        }
    }
}

/// The digits of a phone number (none is a value too).
fn digits(phone: Option<&str>) -> String {
    phone
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// A household already here, as a roster line may name it.
struct Known {
    id: RowId,
    phone: String,
    id_number: Option<String>,
}

/// The households a line means: of its village and head, the one with its ID number if
/// the line has one that a household here has, else those with its phone.
fn matching<'a>(known: &'a [Known], h: &NewHousehold) -> Vec<&'a Known> {
    let by_id: Vec<&Known> = match &h.id_number {
        Some(n) => known
            .iter()
            .filter(|k| k.id_number.as_deref() == Some(n.as_str()))
            .collect(),
        None => Vec::new(),
    };
    if !by_id.is_empty() {
        return by_id;
    }
    let phone = digits(h.phone.as_deref());
    known.iter().filter(|k| k.phone == phone).collect()
}

/// A roster's text as CSV: an Excel workbook's first sheet written out as CSV (an .xlsx is
/// a zip file), else the file's own text.
fn roster_text(bytes: &[u8]) -> Result<String, RosterError> {
    if bytes.starts_with(b"PK\x03\x04") {
        xlsx_as_csv(bytes)
    } else {
        decode(bytes)
    }
}

/// The first sheet of a workbook as CSV, one line per row from its first row, each cell
/// as Excel shows it (members 4, not 4.0; a phone stored as a number keeps its digits).
fn xlsx_as_csv(bytes: &[u8]) -> Result<String, RosterError> {
    use calamine::{open_workbook_from_rs, Reader, Xlsx};
    let unreadable = |e: &dyn std::fmt::Display| {
        file_error(
            format!("无法读取 Excel 文件：{e}（请确认是 .xlsx 格式）"),
            format!("cannot read the Excel file: {e} (is it an .xlsx workbook?)"),
        )
    };
    let mut book: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let sheet = book
        .worksheet_range_at(0)
        .ok_or_else(|| file_error("Excel 文件里没有工作表", "the Excel file has no sheet"))?
        .map_err(|e| unreadable(&e))?;
    // Rows above the first one used are empty lines, so line numbers are Excel's rows.
    let first_row = sheet.start().map_or(0, |(row, _)| row);
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for _ in 0..first_row {
        w.write_record([""]).map_err(|e| unreadable(&e))?;
    }
    let first_col = sheet.start().map_or(0, |(_, col)| col);
    for row in sheet.rows() {
        let mut cells: Vec<String> = vec![String::new(); first_col as usize];
        cells.extend(row.iter().map(cell_text));
        w.write_record(&cells).map_err(|e| unreadable(&e))?;
    }
    let text = w.into_inner().map_err(|e| unreadable(&e))?;
    String::from_utf8(text).map_err(|e| unreadable(&e))
}

/// A cell as Excel shows it.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
        Data::Float(x) => x.to_string(),
        Data::Bool(true) => "是".into(),
        Data::Bool(false) => "否".into(),
        other => other.to_string(),
    }
}

/// The text of the file: UTF-8 if it is valid UTF-8 (a BOM is dropped), else GBK.
fn decode(bytes: &[u8]) -> Result<String, RosterError> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.strip_prefix('\u{feff}').unwrap_or(s).to_string());
    }
    encoding_rs::GBK
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| s.into_owned())
        .ok_or_else(|| {
            file_error(
                "文件既不是 UTF-8 也不是 GBK 编码的文本，请在 Excel 中另存为“CSV UTF-8”后再导入",
                "the file is neither UTF-8 nor GBK text: save it from Excel as \"CSV UTF-8\" and try again",
            )
        })
}

/// A data line read into a new household.
struct Parsed {
    line: u64,
    household: NewHousehold,
}

/// The columns of the file, by field.
struct Columns(Vec<(Field, usize)>);

impl Columns {
    fn from_headers(headers: &csv::StringRecord) -> Result<(Columns, Vec<String>), RosterError> {
        let mut found: Vec<(Field, usize)> = Vec::new();
        let mut unknown = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            match Field::from_header(h) {
                Some(f) if found.iter().any(|(g, _)| *g == f) => {
                    return Err(file_error(
                        format!("“{}”列出现了两次（第 {} 列）", f.zh(), i + 1),
                        format!("the {} column appears twice (column {})", f.en(), i + 1),
                    ))
                }
                Some(f) => found.push((f, i)),
                None if !h.trim().is_empty() => unknown.push(h.trim().to_string()),
                None => {}
            }
        }
        for f in [Field::Village, Field::Head] {
            if !found.iter().any(|(g, _)| *g == f) {
                return Err(file_error(
                    format!("缺少“{}”列（第 1 行应为表头，如 村,户主,人口,类别,渗漏区,危房等级,电话,身份证号,包户干部）", f.zh()),
                    format!("the {} column is missing (line 1 must be the header, e.g. village,head,members,…)", f.en()),
                ));
            }
        }
        Ok((Columns(found), unknown))
    }

    fn index(&self, f: Field) -> Option<usize> {
        self.0.iter().find(|(g, _)| *g == f).map(|(_, i)| *i)
    }

    fn error(&self, line: u64, f: Option<Field>, zh: String, en: String) -> LineProblem {
        let at = f.and_then(|f| Some((self.index(f)?, f)));
        LineProblem {
            line,
            column: at.map(|(i, _)| i + 1),
            header_zh: at.map(|(_, f)| f.zh().to_string()),
            header_en: at.map(|(_, f)| f.en().to_string()),
            zh,
            en,
        }
    }
}

/// Read every data line, the village found by code or name in `villages`; lines with
/// bad cells come back as errors (all of them).
type Read = (Columns, Vec<String>, Vec<Parsed>, Vec<LineProblem>);

fn read(text: &str, villages: &Villages) -> Result<Read, RosterError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| {
        file_error(
            format!("无法读取表头：{e}"),
            format!("cannot read the header: {e}"),
        )
    })?;
    let (cols, ignored) = Columns::from_headers(headers)?;
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for record in rdr.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(cols.error(
                    line,
                    None,
                    format!("无法读取：{e}"),
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|c| c.trim().is_empty()) {
            continue; // blank lines Excel leaves at the end
        }
        let cell = |f: Field| {
            cols.index(f)
                .and_then(|i| record.get(i))
                .map(str::trim)
                .unwrap_or("")
        };
        let text = |f: Field| Some(cell(f).to_string()).filter(|s| !s.is_empty());
        let before = errors.len();
        let mut check = |f: Field, r: Result<(), Bad>| {
            if let Err(b) = r {
                errors.push(cols.error(line, Some(f), b.zh, b.en));
            }
        };
        let mut h = NewHousehold {
            head: cell(Field::Head).to_string(),
            phone: text(Field::Phone),
            id_number: text(Field::IdNumber).map(|n| n.to_ascii_uppercase()),
            cadre: text(Field::Cadre),
            ..NewHousehold::default()
        };
        check(
            Field::Village,
            villages
                .find(cell(Field::Village))
                .map(|u| h.village = u.code.clone())
                .map_err(|e| Bad {
                    zh: e.zh(),
                    en: e.en(),
                }),
        );
        if let Some(m) = text(Field::Members) {
            check(
                Field::Members,
                parse::count(&m).map(|m| h.members = Some(m)),
            );
        }
        check(
            Field::Categories,
            parse::categories(cell(Field::Categories)).map(|c| h.categories = c),
        );
        check(
            Field::Seepage,
            parse::yes_no(cell(Field::Seepage)).map(|s| h.seepage = s),
        );
        check(
            Field::Rating,
            parse::code_or_none::<Rating>(cell(Field::Rating)).map(|r| h.rating = r),
        );
        if errors.len() == before {
            parsed.push(Parsed { line, household: h });
        }
    }
    Ok((cols, ignored, parsed, errors))
}

impl Store {
    /// Import a roster (the bytes of an .xlsx workbook or a CSV file): every line checked,
    /// the households added or updated in one batch, or nothing at all.
    pub fn import_roster(&mut self, bytes: &[u8]) -> Result<RosterImport, RosterError> {
        let villages = self.villages()?;
        let (cols, ignored, parsed, mut errors) = read(&roster_text(bytes)?, &villages)?;
        let had_errors = !errors.is_empty();
        // A household already here is updated, not doubled: importing the roster again
        // after editing it in Excel is a correction.
        let mut known: HashMap<(String, String), Vec<Known>> = HashMap::new();
        for h in self.households(&HouseholdFilter::default())? {
            let h = h.household;
            known
                .entry((h.unit.clone(), h.head.trim().to_string()))
                .or_default()
                .push(Known {
                    id: h.id,
                    phone: digits(h.phone.as_deref()),
                    id_number: h.id_number.clone(),
                });
        }
        // Rows that read well are still checked by the store, so every error is listed;
        // with any error the batch is rolled back.
        let result = self.batch(|s| {
            let (mut added, mut updated) = (0, 0);
            for p in &parsed {
                let h = &p.household;
                let key = (h.village.clone(), h.head.trim().to_string());
                let same: Vec<RowId> = known
                    .get(&key)
                    .map(|k| matching(k, h).iter().map(|k| k.id).collect())
                    .unwrap_or_default();
                let saved = match same[..] {
                    [] => s.add_household(h).map(|id| {
                        known.entry(key).or_default().push(Known {
                            id,
                            phone: digits(h.phone.as_deref()),
                            id_number: h.id_number.clone(),
                        });
                        added += 1;
                    }),
                    [id] => {
                        // The line is what the roster says now: a household found by
                        // its ID number takes the line's phone too.
                        let changes = HouseholdChanges {
                            members: h.members,
                            phone: Some(h.phone.clone().unwrap_or_default()),
                            categories: Some(h.categories.clone()),
                            seepage: Some(h.seepage),
                            rating: Some(h.rating),
                            id_number: h.id_number.clone(),
                            cadre: Some(h.cadre.clone().unwrap_or_default()),
                            ..HouseholdChanges::default()
                        };
                        s.edit_household(id, &changes).map(|_| updated += 1)
                    }
                    ref several => {
                        errors.push(cols.error(
                            p.line,
                            Some(Field::Head),
                            format!(
                                "本村有 {} 户户主和电话（或身份证号）都相同，请先合并（tally household duplicates）",
                                several.len()
                            ),
                            format!(
                                "{} households of the village have this head and phone (or ID number): merge them first (tally household duplicates)",
                                several.len()
                            ),
                        ));
                        Ok(())
                    }
                };
                match saved {
                    Ok(()) => {}
                    Err(StoreError::Invalid(v)) => errors.push(cols.error(
                        p.line,
                        Field::of_error(&v),
                        v.zh(),
                        v.to_string(),
                    )),
                    Err(e) => return Err(e),
                }
            }
            if had_errors || added + updated < parsed.len() {
                return Err(StoreError::Invalid(ValidationError::Other(
                    "the file has errors".into(),
                )));
            }
            Ok((added, updated))
        });
        match result {
            Ok((added, updated)) => Ok(RosterImport {
                added,
                updated,
                ignored_columns: ignored,
            }),
            Err(StoreError::Invalid(_)) if !errors.is_empty() => {
                errors.sort_by_key(|e| (e.line, e.column));
                Err(RosterError::Lines(errors))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The lines that report `errors`: the first [`SHOWN_ERRORS`] by line and column, then
/// how many more there are.
pub fn listed(mut errors: Vec<LineProblem>) -> Vec<String> {
    errors.sort_by_key(|e| (e.line, e.column));
    let n = errors.len();
    let mut lines: Vec<String> = errors
        .iter()
        .take(SHOWN_ERRORS)
        .map(LineProblem::render)
        .collect();
    if n > SHOWN_ERRORS {
        let rest = n - SHOWN_ERRORS;
        let plural = if rest == 1 { "" } else { "s" };
        lines.push(format!(
            "……另有 {rest} 处错误未列出（共 {n} 处）/ … and {rest} more error{plural} not listed ({n} in all)"
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_core::{Level, OrgUnit};

    /// Township 9 with village 1 (阿斯尔嘎查) and two villages named 新村 (2 and 3).
    fn villages() -> Villages {
        let unit = |code: &str, name: &str, level, parent: Option<&str>| {
            OrgUnit::new(code, name, level, parent)
        };
        Villages::new(vec![
            unit("9", "锡尼镇", Level::Township, None),
            unit("1", "阿斯尔嘎查", Level::Village, Some("9")),
            unit("2", "新村", Level::Village, Some("9")),
            unit("3", "新村", Level::Village, Some("9")),
        ])
    }

    #[test]
    fn utf8_with_bom_and_gbk_decode_to_the_same_text() {
        let text = "村,户主\n150625100201,张三\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(decode(gbk.as_ref()).unwrap(), text);
        let bom = format!("\u{feff}{text}");
        assert_eq!(decode(bom.as_bytes()).unwrap(), text);
        assert!(decode(&[0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn headers_in_either_language_and_all_cell_errors() {
        let text = "Village,HEAD,人口,类别,渗漏区,等级,序号\n\
                    1,张三,4,五保户、低保户,是,D,1\n\
                    1,李四,four,贫困户,maybe,E,2\n\
                    ,,,,,,\n\
                    ,王五,,,,,3\n";
        let (cols, _, parsed, errors) = read(text, &villages()).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].household.members, Some(4));
        assert_eq!(parsed[0].household.categories.len(), 2);
        assert!(parsed[0].household.seepage);
        let at: Vec<(u64, usize)> = errors.iter().map(|e| (e.line, e.column.unwrap())).collect();
        assert_eq!(at, [(3, 3), (3, 4), (3, 5), (3, 6), (5, 1)]);
        let first = errors[0].render();
        assert!(first.starts_with("第 3 行 第 3 列（人口）: "), "{first}");
        assert!(first.contains("/ line 3, column 3 (members): "), "{first}");
        assert_eq!(cols.index(Field::Head), Some(1));
    }

    #[test]
    fn a_missing_or_repeated_column_is_refused() {
        assert!(read("户主,人口\n张三,3\n", &villages()).is_err());
        assert!(read("村,户主,户主姓名\n1,张三,张三\n", &villages()).is_err());
    }

    #[test]
    fn the_village_is_a_code_or_a_name_and_a_shared_name_names_its_candidates() {
        let text = "村,户主\n阿斯尔嘎查,张三\n1,李四\n新村,王五\n无名村,赵六\n锡尼镇,孙七\n";
        let (_, _, parsed, errors) = read(text, &villages()).unwrap();
        let stored: Vec<(&str, &str)> = parsed
            .iter()
            .map(|p| (p.household.head.as_str(), p.household.village.as_str()))
            .collect();
        assert_eq!(stored, [("张三", "1"), ("李四", "1")]);
        let at: Vec<(u64, usize)> = errors.iter().map(|e| (e.line, e.column.unwrap())).collect();
        assert_eq!(at, [(4, 1), (5, 1), (6, 1)]);
        let ambiguous = errors[0].render();
        for part in [
            "2 新村（锡尼镇）、3 新村（锡尼镇）",
            "2 新村 (锡尼镇), 3 新村 (锡尼镇)",
        ] {
            assert!(ambiguous.contains(part), "{ambiguous}");
        }
        assert!(
            errors[1].render().contains("无名村"),
            "{}",
            errors[1].render()
        );
        assert!(
            errors[2].render().contains("township"),
            "{}",
            errors[2].render()
        );
    }

    #[test]
    fn at_most_fifty_errors_are_listed_then_the_count() {
        let error = |line| LineProblem {
            line,
            column: Some(3),
            header_zh: Some("人口".into()),
            header_en: Some("members".into()),
            zh: "人口格式不对".into(),
            en: "members is not a number".into(),
        };
        let few = listed((2..=51).rev().map(error).collect());
        assert_eq!(few.len(), 50, "fifty errors are all listed, no count line");
        assert!(few[0].starts_with("第 2 行"), "{}", few[0]);

        let many = listed((2..=121).rev().map(error).collect());
        assert_eq!(many.len(), 51);
        assert!(
            many[0].starts_with("第 2 行"),
            "sorted by line: {}",
            many[0]
        );
        assert!(many[49].starts_with("第 51 行"), "{}", many[49]);
        assert_eq!(
            many[50],
            "……另有 70 处错误未列出（共 120 处）/ … and 70 more errors not listed (120 in all)"
        );
    }

    #[test]
    fn store_errors_point_at_their_column() {
        let unknown = ValidationError::UnknownUnit("999".into());
        assert_eq!(Field::of_error(&unknown), Some(Field::Village));
        let missing = ValidationError::Missing {
            field: "head".into(),
        };
        assert_eq!(Field::of_error(&missing), Some(Field::Head));
        assert_eq!(Field::of_error(&ValidationError::Empty), None);
    }
}
