//! CSV files to download: cells a spreadsheet would run as formulas are
//! neutralised, and the response is an attachment that is never cached.
//!
//! Spreadsheets (Excel, LibreOffice, Google Sheets) read a cell that begins
//! with `=`, `+`, `-` or `@`, or with a tab or carriage return, as a
//! formula or a formula's start (OWASP "CSV injection"). A single quote in
//! front makes them show the text instead. A plain number such as `-2.5` is
//! left alone: it cannot be a formula, and a negative slip must stay a
//! number. Quoting commas, quotes and line breaks is the csv crate's job.

use crate::error::AppError;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

/// `cell` as a spreadsheet shows it as text: prefixed with `'` when it
/// begins with `=`, `+`, `-`, `@`, a tab or a carriage return (plain
/// negative numbers excepted).
#[must_use]
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_plain_number(cell) => {
            Cow::Owned(format!("'{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

/// `-12`, `-0.5`, `3`: digits with an optional minus and decimal part.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix('-').unwrap_or(cell);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

/// A CSV file written in memory: a header row, then rows of as many cells.
pub struct CsvFile {
    writer: csv::Writer<Vec<u8>>,
    width: usize,
}

impl CsvFile {
    /// A file whose first row is `header`.
    pub fn new(header: &[&str]) -> Result<Self, AppError> {
        let mut file = Self {
            writer: csv::Writer::from_writer(Vec::new()),
            width: header.len(),
        };
        file.row(header.iter().copied())?;
        Ok(file)
    }

    /// Adds a row, every cell neutralised.
    pub fn row<I, S>(&mut self, cells: I) -> Result<(), AppError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| neutralise(c.as_ref()).into_owned())
            .collect();
        self.writer.write_record(&cells).map_err(internal)
    }

    /// Adds a row whose first cell is `text` and whose others are empty
    /// (a note after the data that keeps every row the same width).
    pub fn note(&mut self, text: &str) -> Result<(), AppError> {
        let cells =
            std::iter::once(text).chain(std::iter::repeat_n("", self.width.saturating_sub(1)));
        self.row(cells)
    }

    /// The bytes of the file.
    pub fn finish(self) -> Result<Vec<u8>, AppError> {
        self.writer
            .into_inner()
            .map_err(|e| AppError::Internal(Box::new(e.into_error())))
    }
}

fn internal(e: csv::Error) -> AppError {
    AppError::Internal(Box::new(e))
}

/// A download of `body` as `filename` (`text/csv`, never cached). The name
/// must be plain (letters, digits, `-`, `.`): it is quoted as is.
pub fn attachment(filename: &str, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised() {
        for (cell, shown) in [
            ("=SUM(1)", "'=SUM(1)"),
            ("+1+2", "'+1+2"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-1.", "'-1."),
            ("--1", "'--1"),
            ("-1e3", "'-1e3"),
        ] {
            assert_eq!(neutralise(cell), shown, "{cell:?}");
        }
    }

    #[test]
    fn other_cells_and_plain_numbers_are_kept() {
        for cell in [
            "",
            "Payments",
            "a=b",
            " =SUM(1)",
            "2026-11-24T22:00:00-05:00",
            "-2",
            "-0.25",
            "3.50",
            "'quoted",
        ] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
        }
    }

    /// Written with the csv crate and read back with it: quoting is right
    /// and neutralised cells arrive with their quote.
    #[test]
    fn a_file_reads_back_cell_for_cell() -> Result<(), Box<dyn std::error::Error>> {
        let mut file = CsvFile::new(&["name", "note", "days"])?;
        file.row(["a, b", "say \"hi\"", "-1.5"])?;
        file.row(["line\nbreak", "=HYPERLINK(\"x\")", "@x"])?;
        file.note("Only the first 2 rows are exported.")?;
        let bytes = file.finish()?;
        let text = String::from_utf8(bytes.clone())?;
        assert!(text.starts_with("name,note,days\n\"a, b\",\"say \"\"hi\"\"\",-1.5\n"));
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(reader.headers()?, vec!["name", "note", "days"]);
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.map(|r| r.iter().map(str::to_owned).collect()))
            .collect::<Result<_, _>>()?;
        assert_eq!(
            rows,
            vec![
                vec!["a, b", "say \"hi\"", "-1.5"],
                vec!["line\nbreak", "'=HYPERLINK(\"x\")", "'@x"],
                vec!["Only the first 2 rows are exported.", "", ""],
            ]
        );
        Ok(())
    }

    #[test]
    fn the_attachment_is_csv_and_never_cached() {
        let r = attachment("acme-releases-2026-11-27.csv", b"a\n".to_vec());
        let h = r.headers();
        assert_eq!(h[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        assert_eq!(
            h[header::CONTENT_DISPOSITION],
            "attachment; filename=\"acme-releases-2026-11-27.csv\""
        );
    }
}
