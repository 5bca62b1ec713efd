//! A report's answer as a file in the exporter's words — CSV, or XLSX through
//! rust_xlsxwriter's constant-memory worksheets: a header of the columns' labels in their
//! language, a row per group (a select's value by its option's label; each measure exact:
//! in CSV its decimal text, in XLSX a number where a spreadsheet's double holds it exactly
//! — at most 15 significant digits — else its text), then the total. What it reads is what
//! the answer read — the viewer's rows and fields — and the export leaves an audit entry
//! like a record export's before the file leaves.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::core::Core;
use crate::error::Error;
use crate::export::{Words, push_row, words_of};

/// The rows of a worksheet: XLSX holds 1,048,576, the header one of them.
const SHEET_ROWS: usize = 1_048_575;

/// A file to send: its name, content type and bytes.
pub struct File {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// `answer` (report `key` of `app`) as a file of `format` (`csv` or `xlsx`), the export audited.
pub async fn file(
    core: &Core,
    (principal, actor): (&Principal, &Actor),
    (app, key): (&str, &str),
    answer: &Value,
    format: &str,
) -> Result<File, Error> {
    let now = core.clock.now();
    let published = core.catalog.published(&core.db.conn, app).await?;
    let words = words_of(core, principal, &published, false).await?;
    let form = answer["report"]["platform"].as_str().or(answer["report"]["form"].as_str()).unwrap_or_default();
    let rows = answer["rows"].as_array().map_or(0, Vec::len);
    let parameters: Vec<&Value> = answer["report"]["parameters"].as_array().into_iter().flatten().collect();
    let detail = json!({ "format": format, "report": key, "rows": rows,
        "parameters": parameters.iter().map(|p| json!({ "key": p["key"], "value": p["value"] })).collect::<Vec<_>>() });
    audit::write(&core.db.conn, actor, Entry::form("report.export", app, form, detail), now).await?;
    let name = words.label_of(&answer["report"]["label"]).unwrap_or(key).to_owned();
    let stamp = now.format("%Y%m%d-%H%M%S");
    let (header, body) = sheet(answer, &words);
    if format == "xlsx" {
        let bytes = tokio::task::spawn_blocking(move || {
            let mut book = Book::new(header)?;
            book.write(&body)?;
            book.finish()
        })
        .await
        .map_err(|e| Error::Internal(e.into()))??;
        return Ok(File { name: format!("{name}-{stamp}.xlsx"), content_type: XLSX, bytes });
    }
    let mut out = "\u{feff}".to_owned();
    push_header(&mut out, &header);
    out.push_str(&csv_rows(body));
    Ok(File { name: format!("{name}-{stamp}.csv"), content_type: CSV, bytes: out.into_bytes() })
}

pub const CSV: &str = "text/csv; charset=utf-8";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The header row of a CSV file.
pub fn push_header(out: &mut String, header: &[String]) {
    push_row(out, header.iter().cloned());
}

/// Rows as CSV lines: each cell's text, numbers exact.
pub fn csv_rows(rows: Vec<Vec<Cell>>) -> String {
    let mut out = String::new();
    for row in rows {
        push_row(&mut out, row.into_iter().map(|c| c.text));
    }
    out
}

/// One cell: its text, and for a number its exact value and places.
pub struct Cell {
    text: String,
    number: Option<(Decimal, u32)>,
}

impl Cell {
    pub fn text(text: String) -> Cell {
        Cell { text, number: None }
    }
}

/// A text a spreadsheet could take for a formula, written with a leading `'`.
pub fn guarded(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text }
}

/// The header and rows of the answer in the exporter's words.
pub fn sheet(answer: &Value, words: &Words) -> (Vec<String>, Vec<Vec<Cell>>) {
    let columns: Vec<&Value> = answer["columns"].as_array().into_iter().flatten().collect();
    // Dimensions (or a list's fields) first, in words; then the measures, exact.
    let dims = columns.iter().filter(|c| c["role"] != "measure").count();
    let header =
        columns.iter().map(|c| words.label_of(&c["label"]).unwrap_or(c["key"].as_str().unwrap_or("")).to_owned());
    let english = words.language.as_deref() == Some("en");
    let number = |value: &Value, column: Option<&&Value>| -> Cell {
        let text = value.as_str().unwrap_or("").to_owned();
        let scale = column.and_then(|c| c["scale"].as_u64()).unwrap_or(0) as u32;
        Cell { number: text.parse::<Decimal>().ok().map(|d| (d, scale)), text }
    };
    let mut rows = Vec::new();
    for row in answer["rows"].as_array().into_iter().flatten() {
        let keys = (0..dims).map(|d| {
            if row["others"] == true {
                return Cell::text(if english { "Others" } else { "其他" }.to_owned());
            }
            let key = row["keys"][d].as_str().unwrap_or_default();
            // An instant (a listed task's due time) on the exporter's clocks.
            if columns[d]["type"] == "instant"
                && let Ok(at) = chrono::DateTime::parse_from_rfc3339(key)
            {
                return Cell::text(at.with_timezone(&words.zone).format("%Y-%m-%d %H:%M").to_string());
            }
            let option = columns[d]["options"].as_array().and_then(|o| o.iter().find(|o| o["key"] == key));
            let text = option.and_then(|o| words.label_of(&o["label"])).unwrap_or(key);
            Cell::text(guarded(text.to_owned()))
        });
        let values =
            row["values"].as_array().into_iter().flatten().enumerate().map(|(m, v)| number(v, columns.get(dims + m)));
        rows.push(keys.chain(values).collect());
    }
    // The total under the measures, named in the first column (a list has none).
    if let Some(total) = answer["total"].as_array().filter(|t| !t.is_empty()) {
        let named = (0..dims).map(|d| {
            Cell::text(
                if d > 0 {
                    ""
                } else if english {
                    "Total"
                } else {
                    "合计"
                }
                .to_owned(),
            )
        });
        let values = total.iter().enumerate().map(|(m, v)| number(v, columns.get(dims + m)));
        rows.push(named.chain(values).collect());
    }
    (header.collect(), rows)
}

/// A workbook written a part at a time: rows in order through constant-memory worksheets
/// (their rows go to temporary files as they are written), a further sheet past a sheet's
/// rows, each sheet headed by the header.
pub struct Book {
    book: rust_xlsxwriter::Workbook,
    header: Vec<String>,
    /// Rows a sheet takes under its header: a worksheet's 1,048,576 less one.
    sheet_rows: usize,
    /// Rows written on the current sheet, none before the first.
    written: Option<usize>,
    formats: std::collections::HashMap<u32, rust_xlsxwriter::Format>,
}

fn failed(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::Internal(anyhow::anyhow!("writing the workbook: {e}"))
}

impl Book {
    pub fn new(header: Vec<String>) -> Result<Book, Error> {
        Ok(Book::with_sheet_rows(header, SHEET_ROWS))
    }

    /// A workbook whose sheets take `rows` rows each (fewer than a worksheet's, to see the
    /// next sheet begin without a million rows).
    pub fn with_sheet_rows(header: Vec<String>, rows: usize) -> Book {
        let sheet_rows = rows.clamp(1, SHEET_ROWS);
        Book { book: rust_xlsxwriter::Workbook::new(), header, sheet_rows, written: None, formats: Default::default() }
    }

    fn sheet(&mut self) -> Result<&mut rust_xlsxwriter::Worksheet, Error> {
        let full = self.written.is_none_or(|n| n >= self.sheet_rows);
        if full {
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let sheet = self.book.add_worksheet_with_constant_memory().map_err(failed)?;
            for (c, text) in self.header.iter().enumerate() {
                sheet.write_string_with_format(0, c as u16, text, &bold).map_err(failed)?;
            }
            self.written = Some(0);
        }
        let last = self.book.worksheets_mut().len() - 1;
        self.book.worksheet_from_index(last).map_err(failed)
    }

    pub fn write(&mut self, rows: &[Vec<Cell>]) -> Result<(), Error> {
        use rust_xlsxwriter::Format;
        for row in rows {
            self.sheet()?;
            let r = self.written.unwrap_or(0) as u32 + 1;
            let mut formats = std::mem::take(&mut self.formats);
            let sheet = self.sheet()?;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell.number {
                    // A double holds 15 significant digits exactly; more stay text.
                    Some((d, scale)) if d.mantissa().unsigned_abs() < 10u128.pow(15) => {
                        let format = formats.entry(scale).or_insert_with(|| {
                            let places =
                                if scale == 0 { String::new() } else { format!(".{}", "0".repeat(scale as usize)) };
                            Format::new().set_num_format(format!("#,##0{places}"))
                        });
                        let value: f64 = d.to_string().parse().unwrap_or_default();
                        sheet.write_number_with_format(r, c, value, format).map_err(failed)?;
                    }
                    _ => {
                        sheet.write_string(r, c, &cell.text).map_err(failed)?;
                    }
                }
            }
            self.formats = formats;
            self.written = Some(r as usize);
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<u8>, Error> {
        if self.written.is_none() {
            self.sheet()?;
        }
        self.book.save_to_buffer().map_err(failed)
    }
}
