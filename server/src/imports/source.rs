//! A file as rows of cells, read as a stream: CSV (every cell text) or the first sheet of
//! an XLSX workbook, whose cells keep what the spreadsheet stored (a number as the float
//! it is, a date as a date), so that converting them can refuse what a float cannot hold
//! exactly instead of passing on its nearest neighbour. The workbook is read on a thread
//! of its own, a bounded number of rows ahead of the import.

use std::io::Read;
use std::path::Path;

use chrono::NaiveDateTime;

use crate::error::{BadInputCode, Error};

/// One cell as the file stored it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A spreadsheet's number: an IEEE double, never taken for exact.
    Number(f64),
    Bool(bool),
    /// A spreadsheet's date or date-time (no zone: the mapping's).
    When(NaiveDateTime),
}

impl Cell {
    /// The cell as its text, for the error file.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::When(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}

/// The rows of a file after its header.
pub type Rows = Box<dyn Iterator<Item = Result<Vec<Cell>, Error>> + Send>;

/// A file's header and its rows.
pub struct Source {
    pub header: Vec<String>,
    pub rows: Rows,
}

fn unreadable(what: &str, e: impl std::fmt::Display) -> Error {
    Error::bad_input(BadInputCode::bad_csv, format!("the file is not {what}: {e}"))
}

/// A CSV file (UTF-8, a byte-order mark allowed, a header row; rows may be short).
pub fn csv(reader: impl Read + Send + 'static) -> Result<Source, Error> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let header = reader
        .headers()
        .map_err(|e| unreadable("CSV", e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let rows = reader
        .into_records()
        .map(|row| row.map(|r| r.iter().map(|c| Cell::Text(c.to_owned())).collect()).map_err(|e| unreadable("CSV", e)));
    Ok(Source { header, rows: Box::new(rows) })
}

/// How many rows the workbook's reader may run ahead of the import.
const AHEAD: usize = 2000;

/// The first sheet of an XLSX workbook; its first row is the header.
pub fn xlsx(path: &Path) -> Result<Source, Error> {
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook(path).map_err(|e| unreadable("an XLSX workbook", e))?;
    let sheet =
        workbook.sheet_names().first().cloned().ok_or_else(|| unreadable("an XLSX workbook", "it has no sheet"))?;
    let (send, receive) = std::sync::mpsc::sync_channel::<Result<Vec<Cell>, Error>>(AHEAD);
    std::thread::spawn(move || {
        let mut cells = match workbook.worksheet_cells_reader(&sheet) {
            Ok(cells) => cells,
            Err(e) => {
                let _ = send.send(Err(unreadable("an XLSX workbook", e)));
                return;
            }
        };
        let mut row: Vec<Cell> = Vec::new();
        let mut at = 0u32;
        loop {
            match cells.next_cell() {
                Ok(Some(cell)) => {
                    let (r, c) = cell.get_position();
                    // Rows the sheet skips (empty ones) are rows all the same.
                    while r > at {
                        if send.send(Ok(std::mem::take(&mut row))).is_err() {
                            return;
                        }
                        at += 1;
                    }
                    let c = c as usize;
                    if row.len() <= c {
                        row.resize(c + 1, Cell::Text(String::new()));
                    }
                    row[c] = of(cell.get_value());
                }
                Ok(None) => {
                    let _ = send.send(Ok(row));
                    return;
                }
                Err(e) => {
                    let _ = send.send(Err(unreadable("an XLSX workbook", e)));
                    return;
                }
            }
        }
    });
    let mut rows = receive.into_iter();
    let header = match rows.next() {
        Some(first) => first?.iter().map(Cell::text).collect(),
        None => Vec::new(),
    };
    Ok(Source { header, rows: Box::new(rows) })
}

fn of(value: &calamine::DataRef<'_>) -> Cell {
    use calamine::DataRef;
    match value {
        DataRef::Int(n) => Cell::Text(n.to_string()),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) => d.as_datetime().map_or_else(|| Cell::Number(d.as_f64()), Cell::When),
        DataRef::Error(e) => Cell::Text(format!("#{e}")),
        DataRef::Empty => Cell::Text(String::new()),
    }
}
