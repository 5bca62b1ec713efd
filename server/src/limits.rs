//! What a user may store, bounded: the one table of limits on stored values that no
//! metadata sets (a form's fields carry their own lengths, checked by engine-form; its
//! sub-tables hold at most `engine_form::MAX_ROWS` rows). Each is checked on the raw value,
//! never on a trimmed copy, and refused at its path: a whole document too large with 413,
//! a value too long or a collection too full with 422 or 409. README lists them. And how
//! much a report may read and how long it may take (`ReportLimits`, the core's).

use crate::error::Error;

/// Names people give things (a saved view, an API token, a display name, an org unit), in
/// characters.
pub const NAME: usize = 100;
/// A word a user picks that the platform keeps as it is (a task's outcome, where its task
/// names none), in characters.
pub const KEY: usize = 64;
/// A saved view's columns.
pub const VIEW_COLUMNS: usize = 200;
/// A saved view's sort, in characters (a comma-separated list of field keys).
pub const SORT: usize = 1_000;
/// One draft metadata document, as stored (its JSON text), in bytes.
pub const DRAFT_BYTES: usize = 1024 * 1024;
/// Draft documents of one kind in one app (forms, rules…).
pub const DRAFTS_PER_KIND: usize = 1_000;
/// All the draft documents of one app, in characters of their JSON text: what a publish
/// checks and keeps as one version.
pub const DRAFTS_PER_APP: usize = 16 * 1024 * 1024;
/// The files a user uploaded that no record or task has taken yet, in bytes, and how many;
/// what is left unattached for [`UNATTACHED_DAYS`] is deleted.
pub const UNATTACHED_BYTES: i64 = 500 * 1024 * 1024;
pub const UNATTACHED_FILES: i64 = 100;
/// How long an upload waits to be attached before it is deleted.
pub const UNATTACHED_DAYS: i64 = 1;
/// A file's name, in bytes, and its content type.
pub const FILE_NAME_BYTES: usize = 255;

/// Refuses `value` at `path` if it has more than `max` characters (counted as given).
pub fn chars(path: &str, value: &str, max: usize) -> Result<(), Error> {
    if value.chars().count() > max {
        let problem = engine_form::FieldError::new(path, "too_long", format!("at most {max} characters"));
        return Err(Error::InvalidRecord(vec![problem]));
    }
    Ok(())
}

/// Whether `text` holds a character that changes how the text around it reads: a control
/// character, or a bidirectional override or isolate (a name `invoice<U+202E>fdp.exe` that shows as
/// `invoiceexe.pdf`).
pub fn has_hidden_characters(text: &str) -> bool {
    text.chars().any(|c| {
        c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// What a report may take: how many rows it reads (`TRELLIS_REPORT_ROWS`, 2,000,000 by
/// default; a report over more is refused, never computed over a part) and how long,
/// reading and computing (`TRELLIS_REPORT_SECONDS`, 30; past it the viewer is told, and
/// the computing, which cannot be stopped midway, keeps its place in the pool until it
/// ends). A report the database can group is read as its groups, which the rows limit then
/// counts (`fold`; off, every row is read into the engine: tests compare the two).
#[derive(Debug, Clone, Copy)]
pub struct ReportLimits {
    pub rows: u64,
    pub time: std::time::Duration,
    pub fold: bool,
}

impl ReportLimits {
    pub fn from_env() -> ReportLimits {
        let read = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<f64>().ok());
        let seconds = read("TRELLIS_REPORT_SECONDS").unwrap_or(30.0).clamp(0.000_001, 3600.0);
        ReportLimits {
            rows: read("TRELLIS_REPORT_ROWS").map_or(2_000_000, |r| r.max(0.0) as u64),
            time: std::time::Duration::from_secs_f64(seconds),
            fold: true,
        }
    }
}
