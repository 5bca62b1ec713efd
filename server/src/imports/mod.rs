//! A file of rows imported into a form as one caller, through the bulk upsert: read as a
//! stream (memory does not grow with the file), each row converted by the mapping
//! (`convert.rs`), a batch of 1,000 at a time upserted by the mapping's key with the
//! caller's roles (created, updated, unchanged or refused, every record through the write
//! pipeline), the import's progress saved in each batch's own transaction (`store.rs`), so
//! an import stopped halfway — the process killed — resumes after the last batch it wrote
//! and ends with every row written exactly once. A dry run does all of it in transactions
//! it rolls back and reports what would happen. Each refused row is told to the caller's
//! `Progress` with its row number and reasons (the command line writes them to an error
//! file). Imports uploaded through the API run as jobs (`job.rs`): their refusals are kept
//! for the error file in the batch's own transaction, and they can be cancelled between
//! batches.

pub mod convert;
pub mod job;
pub mod job_store;
pub mod source;
mod store;

use std::io::Read;

use serde::Serialize;
use serde_json::Value;
use sha2::Digest;

use crate::audit::Actor;
use crate::auth::Principal;
use crate::bulk::upsert::{Upsert, Upserted, within};
use crate::core::Core;
use crate::edit::{Edit, Who};
use crate::error::{BadInputCode, ConflictCode, Error};
pub use convert::{Mapping, MappingSpec};
pub use source::{Cell, Source};

/// How many rows one batch upserts.
pub const BATCH: usize = 1000;

/// How many records of each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub refused: u64,
}

impl Counts {
    fn add(&mut self, done: &Upserted) {
        self.created += done.created as u64;
        self.updated += done.updated as u64;
        self.unchanged += done.unchanged as u64;
        self.refused += done.refused as u64;
    }
}

/// What to import: into which form, from which file (its name and SHA-256, by which a
/// stopped import is found again), with which mapping.
pub struct Import<'a> {
    pub app: &'a str,
    pub form: &'a str,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub mapping: &'a MappingSpec,
    pub dry_run: bool,
    /// The stored job this is a run of (an import uploaded through the API), which keeps
    /// its progress and refusals; `None` for the command line's.
    pub job: Option<Run>,
}

/// A run of a stored job: the import's id, and which of its runs this is.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub id: i64,
    pub run: i64,
}

/// What an import tells as it goes.
pub trait Progress {
    /// The mapping fits; the import starts after `resumed_at` rows already written.
    fn started(&mut self, ignored: &[String], resumed_at: u64);
    /// Rows up to `rows_done` are written (or, in a dry run, tried).
    fn advanced(&mut self, rows_done: u64, counts: &Counts);
    /// Row `row` (as a spreadsheet numbers it: the header is row 1) was refused.
    fn refused(&mut self, row: u64, cells: &[String], reasons: &str) -> Result<(), Error>;
}

/// How an import ended.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The stored import (none for a dry run).
    pub import: Option<i64>,
    /// The data rows of the file.
    pub rows: u64,
    pub counts: Counts,
    pub ignored: Vec<String>,
    /// The job was cancelled: it stopped before the rest of the file.
    pub cancelled: bool,
}

/// A file's SHA-256 (by which a stopped import is found again) and how many lines it has,
/// taken a piece at a time as the file is read or arrives.
#[derive(Default)]
pub struct Fingerprint {
    hash: sha2::Sha256,
    lines: u64,
}

impl Fingerprint {
    pub fn update(&mut self, piece: &[u8]) {
        self.lines += piece.iter().filter(|b| **b == b'\n').count() as u64;
        self.hash.update(piece);
    }

    /// The SHA-256 in hex, and the lines.
    pub fn finish(self) -> (String, u64) {
        (hex::encode(self.hash.finalize()), self.lines)
    }
}

/// The [`Fingerprint`] of a file read as a stream.
pub fn fingerprint(mut file: impl Read) -> std::io::Result<(String, u64)> {
    let mut print = Fingerprint::default();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        print.update(&buffer[..n]);
    }
    Ok(print.finish())
}

/// Imports the rows of `source` as `principal`.
pub async fn run(
    core: &Core,
    (principal, actor): (&Principal, &Actor),
    import: &Import<'_>,
    source: Source,
    progress: &mut (dyn Progress + Send),
) -> Result<Summary, Error> {
    if import.mapping.app.as_ref().is_some_and(|a| a != import.app) {
        let detail = format!("the mapping is for another app than `{}`", import.app);
        return Err(Error::bad_input_at(BadInputCode::bad_mapping, "/app", detail));
    }
    let app = core.catalog.published(&core.db.conn, import.app).await?;
    let form = app.form(import.form)?;
    let zone = crate::meta::time_zone(&core.db.conn, import.app).await?;
    let mapping = Mapping::new(form, import.mapping, &source.header, zone.as_deref().unwrap_or("UTC"))?;
    let stored = match (import.job, import.dry_run) {
        (Some(job), _) => Some(store::progress(&core.db.conn, job.id).await?),
        (None, true) => None,
        (None, false) => {
            let spec = serde_json::to_string(import.mapping).map_err(|e| Error::Internal(e.into()))?;
            let owner = (import.app, import.form, principal.user_id);
            let file = (import.file_name, import.sha256, spec.as_str());
            Some(store::resume_or_begin(&core.db.conn, owner, file, core.clock.now()).await?)
        }
    };
    let skip = stored.map_or(0, |s| s.rows_done);
    let mut counts = stored.map_or_else(Counts::default, |s| s.counts);
    progress.started(&mapping.ignored, skip);
    let batches =
        Batches { core, who: (principal, actor), import, mapping: &mapping, form, stored: stored.map(|s| s.id) };
    let mut rows = 0u64;
    let mut batch: Vec<(u64, Vec<Cell>)> = Vec::with_capacity(BATCH);
    let mut source = source.rows;
    let mut cancelled = false;
    loop {
        let next = source.next().transpose()?;
        let ended = next.is_none();
        if let Some(cells) = next {
            rows += 1;
            // Rows a stopped import already wrote are read past, not written again; an
            // empty row (a spreadsheet's blank line) is no record.
            let blank = cells.iter().all(|c| c.text().trim().is_empty());
            if rows > skip && !blank {
                batch.push((rows + 1, cells));
            }
        }
        if batch.len() == BATCH || (ended && rows > skip) {
            let superseded = match import.job {
                Some(job) => store::superseded(&core.db.conn, job.id, job.run).await?,
                None => false,
            };
            if superseded || !batches.write(&batch, rows, &mut counts, progress).await? {
                cancelled = true;
                break;
            }
            batch.clear();
        }
        if ended {
            break;
        }
    }
    if let Some(stored) = stored.filter(|_| !cancelled) {
        store::finish(&core.db.conn, (stored.id, import.job.map(|j| j.run)), core.clock.now()).await?;
    }
    Ok(Summary { import: stored.map(|s| s.id), rows, counts, ignored: mapping.ignored, cancelled })
}

/// What every batch of one import is written with.
struct Batches<'a> {
    core: &'a Core,
    who: (&'a Principal, &'a Actor),
    import: &'a Import<'a>,
    mapping: &'a Mapping,
    form: &'a engine_form::Form,
    stored: Option<i64>,
}

/// A refused row: its number in the file, its cells as written, why in words (`field: why;
/// …`) and the problems themselves (paths from the record: `/mobile`), for a screen to put
/// in its reader's words.
#[derive(Debug, Clone)]
pub struct Refused {
    pub row: u64,
    pub cells: Vec<String>,
    pub reasons: String,
    pub problems: Vec<engine_form::FieldError>,
}

impl Refused {
    /// Row `row` refused for `errors`, whose paths start with `prefix` (`/records/3`).
    fn new(row: u64, cells: &[Cell], errors: &[engine_form::FieldError], prefix: &str) -> Refused {
        let problems: Vec<engine_form::FieldError> = errors
            .iter()
            .map(|e| {
                let path = e.path.strip_prefix(prefix).unwrap_or(&e.path);
                // A record's own problem names the record first (`record 3: …`); the row says which.
                let message = e
                    .message
                    .split_once(": ")
                    .filter(|(who, _)| who.starts_with("record "))
                    .map_or(e.message.as_str(), |(_, m)| m);
                engine_form::FieldError { path: path.to_owned(), message: message.to_owned(), ..e.clone() }
            })
            .collect();
        let each = problems.iter().map(|e| {
            let field = e.path.trim_start_matches('/');
            if field.is_empty() { e.message.clone() } else { format!("{field}: {}", e.message) }
        });
        let reasons = each.collect::<Vec<_>>().join("; ");
        Refused { row, cells: cells.iter().map(Cell::text).collect(), reasons, problems }
    }
}

impl Batches<'_> {
    /// Upserts `batch` (each row with its number in the file), the rows up to `rows_done`,
    /// in one transaction that also saves the import's progress (rolled back in a dry
    /// run); tells the refusals, those of cells no field takes among them. `false` when the
    /// job's run is no longer the one going on: the batch is rolled back.
    async fn write(
        &self,
        batch: &[(u64, Vec<Cell>)],
        rows_done: u64,
        counts: &mut Counts,
        progress: &mut (dyn Progress + Send),
    ) -> Result<bool, Error> {
        let mut unread = Vec::new();
        let mut kept = Vec::new();
        let mut records = Vec::new();
        for (row, cells) in batch {
            match self.mapping.record(self.form, cells) {
                (record, problems) if problems.is_empty() => {
                    kept.push((*row, cells));
                    records.push(Value::Object(record));
                }
                (_, problems) => unread.push(Refused::new(*row, cells, &problems, "")),
            }
        }
        let upsert = Upsert { key: self.mapping.key.clone(), records, atomic: false };
        for _ in 0..crate::bulk::RETRIES {
            let mut edit = Edit::begin(self.core, Who::Caller(self.who.0, self.who.1), self.import.app).await?;
            let done = if upsert.records.is_empty() {
                Some(Upserted { created: 0, updated: 0, unchanged: 0, refused: 0, results: Vec::new() })
            } else {
                within(&mut edit, self.import.form, &upsert).await?
            };
            let Some(done) = done else { continue };
            let mut refused = unread.clone();
            for outcome in done.results.iter().filter(|o| !o.errors.is_empty()) {
                let (row, cells) = kept[outcome.index];
                refused.push(Refused::new(row, cells, &outcome.errors, &format!("/records/{}", outcome.index)));
            }
            refused.sort_by_key(|r| r.row);
            // Told before the batch commits: a crash between the two tells them twice
            // (the command line's error file), never not at all.
            for r in &refused {
                progress.refused(r.row, &r.cells, &r.reasons)?;
            }
            let mut after = *counts;
            after.add(&done);
            after.refused += unread.len() as u64;
            let now = edit.now;
            let run = self.import.job.map(|j| j.run);
            match (self.stored, self.import.dry_run) {
                (Some(id), false) => {
                    if !store::advance(&edit.tx, (id, run), rows_done, after, now).await? {
                        return Ok(false);
                    }
                    if self.import.job.is_some() {
                        store::keep_refusals(&edit.tx, id, &refused).await?;
                    }
                    edit.commit().await?;
                }
                // A dry run writes nothing: the edit is dropped, its transaction rolled
                // back; a job's progress and refusals are kept after it.
                (stored, _) => {
                    drop(edit);
                    if let Some(id) = stored {
                        let tx = sea_orm::TransactionTrait::begin(&self.core.db.conn).await?;
                        if !store::advance(&tx, (id, run), rows_done, after, now).await? {
                            return Ok(false);
                        }
                        store::keep_refusals(&tx, id, &refused).await?;
                        tx.commit().await?;
                    }
                }
            }
            *counts = after;
            progress.advanced(rows_done, counts);
            return Ok(true);
        }
        Err(Error::Conflict {
            code: ConflictCode::busy,
            detail: "the records kept changing under this import; run it again to resume".into(),
        })
    }
}
