//! Laying a report out: one XLSX workbook with a sheet per table (title row, bold
//! headers, frozen header, widths that fit Chinese text), or one UTF-8 CSV per table with
//! a byte-order mark so that Excel on a township PC opens the Chinese correctly.

use crate::{Cell, ExportError, Report};
use chrono::Datelike;
use rust_xlsxwriter::{
    ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};
use std::path::{Path, PathBuf};

fn xlsx_err(path: &Path) -> impl Fn(XlsxError) -> ExportError + '_ {
    move |e| ExportError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Display width of a cell's text: CJK characters count double.
fn width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => s.clone(),
        Cell::Number(n) => {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", *n as i64)
            } else {
                format!("{n}")
            }
        }
        Cell::Date(d) => d.to_string(),
        Cell::Empty => String::new(),
    }
}

fn write_sheet(
    ws: &mut Worksheet,
    title: &str,
    sheet: &crate::Sheet,
    path: &Path,
) -> Result<(), ExportError> {
    let err = xlsx_err(path);
    let title_fmt = Format::new().set_bold().set_font_size(14);
    let head_fmt = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let cell_fmt = Format::new().set_border(FormatBorder::Thin);
    // General: 12 and 12.5 as the screens show them (not "12." or "12.50").
    let num_fmt = Format::new().set_border(FormatBorder::Thin);
    // Dates as real dates, so Excel sorts, filters and counts them by day.
    let date_fmt = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("yyyy-mm-dd");
    ws.set_name(sheet.name).map_err(&err)?;
    ws.write_string_with_format(0, 0, title, &title_fmt)
        .map_err(&err)?;
    let mut widths: Vec<usize> = sheet.headers.iter().map(|h| width(h) + 2).collect();
    for (c, h) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &head_fmt)
            .map_err(&err)?;
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        let r = r as u32 + 2;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Number(n) => ws.write_number_with_format(r, col, *n, &num_fmt),
                Cell::Date(d) => {
                    let day = ExcelDateTime::from_ymd(
                        u16::try_from(d.year()).unwrap_or(1900),
                        d.month() as u8,
                        d.day() as u8,
                    )
                    .map_err(&err)?;
                    ws.write_datetime_with_format(r, col, day, &date_fmt)
                }
                Cell::Empty => ws.write_blank(r, col, &cell_fmt),
                other => ws.write_string_with_format(r, col, cell_text(other), &cell_fmt),
            }
            .map_err(&err)?;
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(width(&cell_text(cell)) + 2).min(60);
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w as f64).map_err(&err)?;
    }
    ws.set_freeze_panes(2, 0).map_err(&err)?;
    Ok(())
}

/// Write the report as one workbook at `path`.
pub fn write_xlsx(report: &Report, path: &Path) -> Result<(), ExportError> {
    let mut wb = Workbook::new();
    for sheet in &report.sheets {
        let ws = wb.add_worksheet();
        let title = if sheet.name == "台账" {
            report.title.clone()
        } else {
            format!("{}（{}）", report.title, sheet.name)
        };
        write_sheet(ws, &title, sheet, path)?;
    }
    wb.save(path).map_err(xlsx_err(path))
}

/// Write one CSV per sheet into `dir` as `<stem>_<sheet>.csv`; returns the files.
pub fn write_csv(report: &Report, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, ExportError> {
    let io_err = |path: &Path, e: &dyn std::fmt::Display| ExportError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, &e))?;
    let mut out = Vec::new();
    for sheet in &report.sheets {
        let path = dir.join(format!("{stem}_{}.csv", sheet.name));
        let mut bytes = "\u{feff}".as_bytes().to_vec();
        {
            let mut w = csv::Writer::from_writer(&mut bytes);
            w.write_record(&sheet.headers)
                .map_err(|e| io_err(&path, &e))?;
            for row in &sheet.rows {
                w.write_record(row.iter().map(cell_text))
                    .map_err(|e| io_err(&path, &e))?;
            }
            w.flush().map_err(|e| io_err(&path, &e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| io_err(&path, &e))?;
        out.push(path);
    }
    Ok(out)
}
