//! The database connection: SQLite (a file, WAL mode, full durability) or PostgreSQL,
//! and the platform's own tables.

pub mod codec;
mod migrations;
mod tables;

pub use tables::Table;

use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, TransactionTrait};
use sea_orm_migration::MigratorTrait;

/// A connected database with the platform tables migrated.
#[derive(Clone, Debug)]
pub struct Db {
    pub conn: DatabaseConnection,
}

impl Db {
    /// Connects to `url` (`sqlite://path.db` or `postgres://…`) and migrates the platform tables.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        Db::connect_migrated(url, None).await
    }

    /// Connects to `url` with the platform tables as the first `migrations` migrations
    /// leave them: how a test sees a database made by an earlier Trellis move on.
    pub async fn connect_at_migration(url: &str, migrations: u32) -> anyhow::Result<Db> {
        Db::connect_migrated(url, Some(migrations)).await
    }

    async fn connect_migrated(url: &str, migrations: Option<u32>) -> anyhow::Result<Db> {
        let mut options = ConnectOptions::new(normalise_url(url));
        // No ping before each use of a pooled connection: it would double the round trips
        // of every query. A broken connection surfaces as an error and is replaced.
        options.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).test_before_acquire(false);
        if url.starts_with("sqlite:") {
            // One connection: SQLite has one writer, and a single connection avoids
            // SQLITE_BUSY on upgrading read transactions. WAL with FULL sync makes every
            // committed change durable.
            options.max_connections(1).map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        } else {
            options.max_connections(16);
        }
        let conn = Database::connect(options).await.with_context(|| format!("cannot connect to {}", redact(url)))?;
        migrate(&conn, migrations).await.context("cannot migrate the platform tables")?;
        Ok(Db { conn })
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }
}

/// Brings the platform tables up to date. On PostgreSQL several servers may start at once;
/// an advisory lock held for the migration's transaction lets one migrate while the
/// others wait, then find nothing left to do.
async fn migrate(conn: &DatabaseConnection, until: Option<u32>) -> Result<(), sea_orm::DbErr> {
    // Up to `until` migrations in all: those already applied count.
    let pending = match until {
        Some(n) => Some(n.saturating_sub(migrations::Migrator::get_applied_migrations(conn).await?.len() as u32)),
        None => None,
    };
    if conn.get_database_backend() != DbBackend::Postgres {
        return migrations::Migrator::up(conn, pending).await;
    }
    let tx = conn.begin().await?;
    tx.execute_unprepared(MIGRATION_LOCK).await?;
    migrations::Migrator::up(&tx, pending).await?;
    tx.commit().await
}

/// A constant statement: the advisory lock key is Trellis's own ("trellis" in ASCII).
const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(126896224307315)";

/// `sqlite://trellis.db` would be read by sqlx as host `trellis.db`; make the path explicit
/// and ask for the file to be created.
fn normalise_url(url: &str) -> String {
    match url.strip_prefix("sqlite://") {
        Some(rest) if !rest.contains('?') => format!("sqlite:{rest}?mode=rwc"),
        Some(rest) => format!("sqlite:{rest}"),
        None => url.to_owned(),
    }
}

/// Hides a password in a connection URL before it is printed.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => match url[scheme + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}
