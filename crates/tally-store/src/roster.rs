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
mod tests;
