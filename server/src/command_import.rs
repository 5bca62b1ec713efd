//! `trellis import`: a CSV or XLSX file into a form as one user, with a progress bar (rows per
//! second and the time left), the refused rows written to an error file, and a stopped
//! import resumed where it stopped when run again with the same file and mapping.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use server::audit::Actor;
use server::core::Core;
use server::error::Error;
use server::imports::{self, Counts, Import, MappingSpec, Progress};

/// What the command was asked.
#[derive(clap::Args)]
pub struct Args {
    /// The file: CSV (UTF-8, a header row) or, ending in `.xlsx`, a workbook's first sheet.
    pub file: PathBuf,
    /// The app and the form the rows go into.
    #[arg(long)]
    pub app: String,
    #[arg(long)]
    pub form: String,
    /// The user whose roles the rows are written with.
    #[arg(long = "as")]
    pub user: String,
    /// A mapping file: `{"key": …, "zone": …, "columns": {"<header>": "<field or relation.key>"}}`.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// The unique field rows are matched on (without a mapping file, or overriding its).
    #[arg(long)]
    pub key: Option<String>,
    /// The zone of date-times written without an offset (default: the app's).
    #[arg(long)]
    pub zone: Option<String>,
    /// Report what would be created, updated, left unchanged and refused; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where the refused rows go, each with its reasons (default: FILE.errors.csv).
    #[arg(long)]
    pub errors: Option<PathBuf>,
}

/// The progress bar and the error file.
struct Shown {
    bar: ProgressBar,
    errors: Option<csv::Writer<std::fs::File>>,
    path: PathBuf,
    header: Vec<String>,
}

impl Progress for Shown {
    fn started(&mut self, ignored: &[String], resumed_at: u64) {
        if !ignored.is_empty() {
            self.bar.println(format!("columns no field takes, left out: {}", ignored.join(", ")));
        }
        if resumed_at > 0 {
            self.bar.println(format!("resuming after row {} (already written)", resumed_at + 1));
        }
        self.bar.set_position(resumed_at);
        self.bar.reset_eta();
    }

    fn advanced(&mut self, rows_done: u64, counts: &Counts) {
        self.bar.set_position(rows_done);
        self.bar.set_message(format!(
            "created {} · updated {} · unchanged {} · refused {}",
            counts.created, counts.updated, counts.unchanged, counts.refused
        ));
    }

    fn refused(&mut self, row: u64, cells: &[String], reasons: &str) -> Result<(), Error> {
        if self.errors.is_none() {
            self.errors = Some(open_errors(&self.path, &self.header).map_err(Error::Internal)?);
        }
        let Some(writer) = self.errors.as_mut() else { return Ok(()) };
        let mut line = vec![row.to_string()];
        line.extend(cells.iter().cloned());
        line.push(reasons.to_owned());
        writer.write_record(&line).and_then(|()| Ok(writer.flush()?)).map_err(|e| Error::Internal(e.into()))
    }
}

/// The error file, appended to when a resumed import had one: the header once.
fn open_errors(path: &Path, header: &[String]) -> anyhow::Result<csv::Writer<std::fs::File>> {
    let fresh = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    let mut writer = csv::Writer::from_writer(file);
    if fresh {
        let mut first = vec!["row".to_owned()];
        first.extend(header.iter().cloned());
        first.push("errors".to_owned());
        writer.write_record(&first)?;
    }
    Ok(writer)
}

/// Runs the import; prints its summary.
pub async fn run(core: &Core, args: Args) -> anyhow::Result<()> {
    let principal = server::auth::user(&core.db.conn, server::auth::Who::Name(&args.user))
        .await?
        .with_context(|| format!("no enabled user `{}`", args.user))?;
    let actor = Actor { user_id: Some(principal.user_id), name: principal.username.clone(), via: "import", ip: None };
    let mut mapping: MappingSpec = match &args.mapping {
        Some(path) => {
            serde_json::from_slice(&std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?)
                .with_context(|| format!("{} is not a mapping", path.display()))?
        }
        None => MappingSpec::default(),
    };
    if let Some(key) = &args.key {
        mapping.key = key.clone();
    }
    if let Some(zone) = &args.zone {
        mapping.zone = Some(zone.clone());
    }
    anyhow::ensure!(!mapping.key.is_empty(), "name the key rows are matched on: --key or the mapping's `key`");
    let open = || std::fs::File::open(&args.file).with_context(|| format!("cannot read {}", args.file.display()));
    let (sha256, lines) = imports::fingerprint(open()?)?;
    let workbook = args.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let source = if workbook {
        imports::source::xlsx(&args.file)
    } else {
        imports::source::csv(std::io::BufReader::new(open()?))
    }
    .map_err(|e| anyhow::anyhow!(e.describe()))?;
    let header = source.header.clone();
    // A workbook's rows are not its lines: its bar counts without a length.
    let bar = if workbook { ProgressBar::no_length() } else { ProgressBar::new(lines.saturating_sub(1)) };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} rows · {per_sec} · {eta} left\n{msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let errors = args.errors.clone().unwrap_or_else(|| args.file.with_extension("errors.csv"));
    let mut shown = Shown { bar, errors: None, path: errors.clone(), header };
    let name = args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let import = Import {
        app: &args.app,
        form: &args.form,
        file_name: &name,
        sha256: &sha256,
        mapping: &mapping,
        dry_run: args.dry_run,
        job: None,
    };
    let summary = imports::run(core, (&principal, &actor), &import, source, &mut shown)
        .await
        .map_err(|e| anyhow::anyhow!(e.describe()))?;
    shown.bar.finish_and_clear();
    let c = summary.counts;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}{} rows: created {}, updated {}, unchanged {}, refused {}",
        if args.dry_run { "dry run, nothing written — " } else { "" },
        summary.rows,
        c.created,
        c.updated,
        c.unchanged,
        c.refused
    )?;
    if c.refused > 0 {
        writeln!(out, "the refused rows and why: {}", errors.display())?;
    }
    Ok(())
}
