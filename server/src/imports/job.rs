//! Imports uploaded through the API, run by the server as jobs. The file is spooled to disk
//! as it arrives (`TRELLIS_SPOOL_DIR`, else the system's temporary directory: memory does
//! not grow with it), registered with its header, its first rows and a suggested mapping,
//! then run — a dry run or the real one — on a runtime of its own, as the user who uploaded
//! it, with progress, refusals and cancellation kept in the database. A runner not heard
//! from for two minutes (its server stopped) is taken over by the job loop of a server
//! holding the file, which goes on after the last batch written; a real run that ends
//! forgets the file, and a file untouched for a day is deleted.

use std::path::{Path, PathBuf};

use serde::Serialize;
use utoipa::ToSchema;

use super::job_store::{self, ImportJob, Spooled};
use super::{Import, MappingSpec, Progress, Source};
use crate::audit::Actor;
use crate::auth::Principal;
use crate::core::Core;
use crate::error::{BadInputCode, ConflictCode, Error, ForbiddenCode};

/// The largest file an import takes through the API.
pub const MAX_IMPORT_BYTES: usize = 1024 * 1024 * 1024;
/// How many imports holding an uploaded file a user may have.
pub const SPOOLED_PER_USER: u64 = 10;
/// How many rows an upload shows of itself.
const SAMPLE_ROWS: usize = 5;
/// How long a running import's runner may stay silent before another takes over.
const SILENT: chrono::Duration = chrono::Duration::minutes(2);

/// Where uploaded files wait for their import.
pub fn spool_dir() -> PathBuf {
    std::env::var_os("TRELLIS_SPOOL_DIR").map_or_else(|| std::env::temp_dir().join("trellis-spool"), PathBuf::from)
}

/// Whether a file of this name is read as a workbook (else as CSV).
pub fn is_workbook(file_name: &str) -> bool {
    file_name.to_ascii_lowercase().ends_with(".xlsx")
}

/// Opens a spooled file (a workbook's shared strings are read on a blocking thread).
async fn open(path: PathBuf, workbook: bool) -> Result<Source, Error> {
    tokio::task::spawn_blocking(move || {
        if workbook {
            super::source::xlsx(&path)
        } else {
            let file = std::fs::File::open(&path).map_err(|e| Error::Internal(e.into()))?;
            super::source::csv(std::io::BufReader::new(file))
        }
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?
}

/// Refuses an upload before it is read: the form must be one the caller may create or
/// update records of, and they may hold only so many uploaded files.
pub async fn admit(core: &Core, principal: &Principal, app: &str, form: &str) -> Result<(), Error> {
    let published = core.catalog.published(&core.db.conn, app).await?;
    let access = crate::access::load(&core.db.conn, &published, principal, published.form(form)?).await?;
    if !access.allows("create") && !access.allows("update") {
        return Err(Error::Forbidden {
            code: ForbiddenCode::forbidden,
            detail: format!("you may neither create nor update records of `{form}`"),
        });
    }
    if job_store::spooled_by(&core.db.conn, principal.user_id).await? >= SPOOLED_PER_USER {
        return Err(Error::Conflict {
            code: ConflictCode::too_many_imports,
            detail: format!("you have {SPOOLED_PER_USER} imports holding a file; run or wait out some first"),
        });
    }
    Ok(())
}

/// An uploaded file, ready to be mapped and run.
#[derive(Debug, Serialize, ToSchema)]
pub struct Uploaded {
    /// The import, with the file's header row.
    pub import: ImportJob,
    /// Its first rows, each cell as text.
    pub sample: Vec<Vec<String>>,
    /// Columns matched to fields by their key or label, and a unique field among them as
    /// the key (empty when none is).
    pub suggested: MappingSpec,
}

/// The file an upload was spooled to.
pub struct Upload<'a> {
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub lines: u64,
    pub path: &'a Path,
}

/// Registers the file spooled at `file.path`, removing it if it is not a file one imports.
pub async fn register(
    core: &Core,
    principal: &Principal,
    (app, form): (&str, &str),
    file: &Upload<'_>,
) -> Result<Uploaded, Error> {
    let workbook = is_workbook(file.file_name);
    let read = async {
        let source = open(file.path.to_owned(), workbook).await?;
        let header = source.header.clone();
        let sample = tokio::task::spawn_blocking(move || {
            let rows = source.rows.take(SAMPLE_ROWS);
            rows.map(|r| r.map(|cells| cells.iter().map(super::Cell::text).collect::<Vec<_>>()))
                .collect::<Result<Vec<_>, Error>>()
        })
        .await
        .map_err(|e| Error::Internal(e.into()))??;
        Ok::<_, Error>((header, sample))
    };
    let (header, sample) = match read.await {
        Ok(read) => read,
        Err(e) => {
            let _ = std::fs::remove_file(file.path);
            return Err(e);
        }
    };
    let published = core.catalog.published(&core.db.conn, app).await?;
    let suggested = super::convert::suggested(published.form(form)?, &header);
    let path = file.path.to_string_lossy();
    let spooled = Spooled {
        file_name: file.file_name,
        sha256: file.sha256,
        // A workbook's lines are not its rows.
        total_rows: (!workbook).then(|| file.lines.saturating_sub(1)),
        path: &path,
        header: &header,
    };
    let id = job_store::register(&core.db.conn, (app, form, principal.user_id), &spooled, core.clock.now()).await?;
    let import = job_store::get(&core.db.conn, app, id).await?.ok_or_else(|| Error::not_found("the import"))?;
    Ok(Uploaded { import, sample, suggested })
}

/// Import `id` of `app`, if it is the caller's: no one else sees an import or its rows.
pub async fn owned(core: &Core, principal: &Principal, app: &str, id: i64) -> Result<ImportJob, Error> {
    job_store::get(&core.db.conn, app, id)
        .await?
        .filter(|j| j.user_id == principal.user_id)
        .ok_or_else(|| Error::not_found(format!("no import {id} of yours in `{app}`")))
}

/// Starts a run of the caller's import `id` with `mapping`, checked against the form and
/// the file first (every problem at its path).
pub async fn start(
    core: &Core,
    principal: &Principal,
    (app, id): (&str, i64),
    mapping: &MappingSpec,
    dry_run: bool,
) -> Result<ImportJob, Error> {
    let found = owned(core, principal, app, id).await?;
    let gone = || Error::Conflict {
        code: ConflictCode::import_file_gone,
        detail: "the server no longer keeps this import's file; upload it again".into(),
    };
    found.spool.as_deref().filter(|p| Path::new(p).is_file()).ok_or_else(gone)?;
    // Checked against the header read when the file came, not the file read again.
    let published = core.catalog.published(&core.db.conn, app).await?;
    let zone = crate::meta::time_zone(&core.db.conn, app).await?;
    super::Mapping::new(published.form(&found.form)?, mapping, &found.header, zone.as_deref().unwrap_or("UTC"))?;
    let spec = serde_json::to_string(mapping).map_err(|e| Error::Internal(e.into()))?;
    if !job_store::start(&core.db.conn, &found, &spec, dry_run, core.clock.now()).await? {
        return Err(running("it is running already"));
    }
    let job = owned(core, principal, app, id).await?;
    spawn(core.clone(), job.clone())?;
    Ok(job)
}

fn running(detail: &str) -> Error {
    Error::Conflict { code: ConflictCode::import_running, detail: detail.to_owned() }
}

/// Cancels the caller's running import `id`: it stops at its next batch (one under way is
/// rolled back unless it commits first); what it wrote stays written.
pub async fn cancel(core: &Core, principal: &Principal, (app, id): (&str, i64)) -> Result<ImportJob, Error> {
    owned(core, principal, app, id).await?;
    if !job_store::end(&core.db.conn, (id, None), "cancelled", None, core.clock.now()).await? {
        return Err(running("it is not running"));
    }
    owned(core, principal, app, id).await
}

/// The runtime imports run on: a thread of their own, so that a long import takes no time
/// from the requests the server answers, living as long as the process does (database
/// connections opened on it are shared with the rest of the server).
fn runtime() -> Result<&'static tokio::runtime::Runtime, Error> {
    static RUNTIME: std::sync::OnceLock<Result<tokio::runtime::Runtime, String>> = std::sync::OnceLock::new();
    let built = RUNTIME.get_or_init(|| {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(1).thread_name("imports").enable_all().build().map_err(|e| e.to_string())
    });
    built.as_ref().map_err(|e| Error::Internal(anyhow::anyhow!("no runtime for imports: {e}")))
}

/// Runs `job` on the imports' runtime.
fn spawn(core: Core, job: ImportJob) -> Result<(), Error> {
    runtime()?.spawn(async move {
        if let Err(e) = run(&core, &job).await {
            let why = e.describe();
            tracing::warn!("import {} failed: {why}", job.id);
            let run = (job.id, Some(job.run));
            if let Err(e) = job_store::end(&core.db.conn, run, "failed", Some(&why), core.clock.now()).await {
                tracing::error!("import {}: {e}", job.id);
            }
        }
    });
    Ok(())
}

/// A job's run tells nothing as it goes: its progress and refusals are stored.
struct Stored;

impl Progress for Stored {
    fn started(&mut self, _: &[String], _: u64) {}
    fn advanced(&mut self, _: u64, _: &super::Counts) {}
    fn refused(&mut self, _: u64, _: &[String], _: &str) -> Result<(), Error> {
        Ok(())
    }
}

async fn run(core: &Core, job: &ImportJob) -> Result<(), Error> {
    let principal = crate::auth::user(&core.db.conn, crate::auth::Who::Id(job.user_id))
        .await?
        .ok_or_else(|| Error::not_found("the user who uploaded the file is disabled or gone"))?;
    let actor = Actor { user_id: Some(principal.user_id), name: principal.username.clone(), via: "import", ip: None };
    let mapping = job.mapping.clone().ok_or_else(|| Error::bad_input(BadInputCode::bad_mapping, "no mapping"))?;
    let spool = job.spool.clone().ok_or_else(|| Error::not_found("the import's file"))?;
    let source = open(PathBuf::from(&spool), is_workbook(&job.file_name)).await?;
    let import = Import {
        app: &job.app,
        form: &job.form,
        file_name: &job.file_name,
        sha256: "",
        mapping: &mapping,
        dry_run: job.dry_run,
        job: Some(super::Run { id: job.id, run: job.run }),
    };
    let summary = super::run(core, (&principal, &actor), &import, source, &mut Stored).await?;
    if !job.dry_run && !summary.cancelled {
        job_store::unspool(&core.db.conn, job.id).await?;
        let _ = std::fs::remove_file(&spool);
    }
    Ok(())
}

/// Takes over running imports whose runner fell silent and whose file is here; those whose
/// file is not (it was spooled on another server) fail, saying to upload it again. Then
/// deletes the files of imports untouched for a day. Run by the job loop.
pub async fn look_after(core: &Core, now: chrono::DateTime<chrono::Utc>) -> Result<usize, Error> {
    let silent = job_store::claim_silent(&core.db.conn, crate::auth::wall_now() - SILENT).await?;
    let taken = silent.len();
    for job in silent {
        if job.spool.as_deref().is_some_and(|p| Path::new(p).is_file()) {
            spawn(core.clone(), job)?;
        } else {
            let why = "the server running it stopped, and its file is not on this one; upload the file again";
            job_store::end(&core.db.conn, (job.id, Some(job.run)), "failed", Some(why), now).await?;
        }
    }
    for path in job_store::forget_spools(&core.db.conn, now).await? {
        let _ = std::fs::remove_file(path);
    }
    Ok(taken)
}
