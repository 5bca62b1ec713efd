//! The `trellis` command: serve the API; import, validate or export app bundles; import a
//! file of records into a form.

/// mimalloc rather than glibc's malloc, in whose allocations, frees and consolidation the
/// HTTP worker spent nearly a third of a bulk upsert (README, "Bulk upsert and imports").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod command_import;

use std::path::PathBuf;

use actix_web::{App, HttpServer, middleware};
use anyhow::Context;
use clap::{Parser, Subcommand};
use server::clock::Clock;
use server::core::Core;
use server::{AppState, Db, configure, demo};

#[derive(Parser)]
#[command(name = "trellis", version, about = "Trellis: no-code apps on SQLite or PostgreSQL")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct DbArg {
    /// Database URL: sqlite://path.db or postgres://user@host/db.
    #[arg(long, env = "TRELLIS_DB", default_value = "sqlite://trellis.db")]
    db: String,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// Address to listen on.
        #[arg(long, env = "TRELLIS_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Import and publish the demo app (with its seed records) if it is not there yet.
        #[arg(long)]
        demo: bool,
        /// The bundle folder --demo loads; by default `examples/bank-crm` here or beside the
        /// binary, else the demo built into the binary.
        #[arg(long, env = "TRELLIS_DEMO_BUNDLE")]
        demo_bundle: Option<PathBuf>,
        /// Worker threads (default: one per core).
        #[arg(long)]
        workers: Option<usize>,
        /// Serve the API only, without the job runner (timers, schedules, retries, the
        /// outbox): for API nodes of a scale-out whose jobs other servers run.
        #[arg(long, env = "TRELLIS_NO_JOBS")]
        no_jobs: bool,
        /// Run on a virtual clock starting at this instant (RFC 3339), moved only by
        /// administrators through `POST /api/v1/clock`: for trying out days of rules and
        /// processes in minutes, and for tests. Never in production.
        #[arg(long, env = "TRELLIS_VIRTUAL_CLOCK")]
        virtual_clock: Option<String>,
    },
    /// Manage app bundles.
    App {
        #[command(subcommand)]
        command: AppCommand,
    },
    /// Import a CSV file into a form (created, updated or left unchanged by a unique key),
    /// resumed where it stopped when run again with the same file.
    Import {
        #[command(flatten)]
        args: command_import::Args,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Import a bundle (a folder or one JSON file) as a new app.
    Import {
        path: PathBuf,
        #[command(flatten)]
        db: DbArg,
        /// Also publish it and load its seed records.
        #[arg(long)]
        publish: bool,
    },
    /// Check a bundle and print every diagnostic; exits 1 if there are any.
    Validate { path: PathBuf },
    /// Print an app's draft bundle as JSON.
    Export {
        app: String,
        #[command(flatten)]
        db: DbArg,
    },
}

/// Runs the command; a failure is one line on stderr (with what led to it), exit status 1.
fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

#[actix_web::main]
async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("TRELLIS_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve { db, listen, demo: with_demo, demo_bundle, workers, no_jobs, virtual_clock } => {
            let clock = match virtual_clock.as_deref() {
                None => Clock::wall(),
                Some(at) => {
                    let at = engine_form::parse_instant(at)
                        .with_context(|| format!("--virtual-clock needs an RFC 3339 instant, not `{at}`"))?;
                    anyhow::ensure!(at <= server::clock::LATEST, "--virtual-clock goes no further than 9998-12-31");
                    Clock::at(at)
                }
            };
            // A key for secrets that is set but unusable stops the server here.
            server::channels::secrets::Sealer::from_env().map_err(anyhow::Error::msg)?;
            let database = Db::connect(&db.db).await?;
            let state = AppState::of(Core::with_clock(database, clock), Default::default());
            if let Some(password) = server::auth::bootstrap_admin(&state.db.conn, state.clock.now()).await? {
                // Shown once: only its hash is kept.
                eprintln!("created the administrator `admin` with the password {password}");
                eprintln!("(shown only now; set TRELLIS_ADMIN_PASSWORD before the first start to choose it)");
            }
            if with_demo {
                let (files, origin) = demo::demo_files(demo_bundle.as_deref())?;
                let loaded = server::bundle_dir::assemble(&files, &origin)?;
                let key = demo::import_loaded(&state, loaded, true, true)
                    .await
                    .with_context(|| format!("cannot load the demo bundle ({origin})"))?;
                for (user, password) in demo::people(&state, &files).await? {
                    // Shown once, like the administrator's: only the hash is kept.
                    eprintln!("created the demo user `{user}` with the password {password}");
                }
                tracing::info!("demo app `{key}` is ready");
            }
            if no_jobs {
                tracing::info!("the job runner is off (--no-jobs): other servers run timers and schedules");
            } else {
                server::jobs::spawn(state.core.clone());
            }
            let mut http = HttpServer::new(move || {
                App::new().wrap(middleware::Compress::default()).configure(configure(state.clone()))
            });
            if let Some(n) = workers {
                http = http.workers(n);
            }
            let http = http.bind(&listen).with_context(|| format!("cannot listen on {listen}"))?;
            // The addresses bound, not the one asked for: `--listen 127.0.0.1:0` takes a
            // free port, and this line says which.
            for addr in http.addrs() {
                tracing::info!("listening on http://{addr} (database {})", server::db::redact(&db.db));
            }
            http.run().await?;
        }
        Command::App { command: AppCommand::Import { path, db, publish } } => {
            let state = AppState::new(Db::connect(&db.db).await?);
            let key = demo::import_path(&state, &path, publish, false).await?;
            println!("imported app `{key}`{}", if publish { " and published it" } else { "" });
        }
        Command::App { command: AppCommand::Validate { path } } => {
            let loaded = server::bundle_dir::load(&path)?;
            match engine_app::check_app(&loaded.document, 0) {
                Ok(app) => println!(
                    "{}: valid app `{}` with {} forms and {} rules",
                    path.display(),
                    app.bundle.key,
                    app.bundle.forms.len(),
                    app.rules.len()
                ),
                Err(diags) => {
                    for d in &diags {
                        println!("{} [{}] {}", if d.path.is_empty() { "/" } else { &d.path }, d.code, d.message);
                    }
                    eprintln!("{}: {} problem(s)", path.display(), diags.len());
                    std::process::exit(1);
                }
            }
        }
        Command::Import { args, db } => {
            let core = Core::new(Db::connect(&db.db).await?);
            command_import::run(&core, args).await?;
        }
        Command::App { command: AppCommand::Export { app, db } } => {
            let database = Db::connect(&db.db).await?;
            let row = server::meta::find_app(&database.conn, &app).await?.with_context(|| format!("no app `{app}`"))?;
            let bundle = server::meta::draft_bundle(&database.conn, &row).await?;
            println!("{}", serde_json::to_string_pretty(&bundle)?);
        }
    }
    Ok(())
}
