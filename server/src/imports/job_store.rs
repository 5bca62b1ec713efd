//! Imports uploaded through the API as stored (`trellis_imports` with a spooled file):
//! registered when uploaded, started (a dry run or the real one, resuming a real run that
//! stopped with the same mapping) by one request of many sent at once, cancelled, failed,
//! taken over when their runner is no longer heard from, and their spooled files forgotten
//! a day after they were last touched. Their refused rows are read back for the error file.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult, TransactionTrait};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Counts, MappingSpec};
use crate::db::Table;
use crate::db::codec::datetime;
use crate::error::Error;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// An import as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportJob {
    pub id: i64,
    pub form: String,
    pub file_name: String,
    /// `uploaded` (not yet run), `running`, `done`, `cancelled` or `failed`.
    pub state: String,
    /// Whether the last run was (or this one is) a dry run, which writes nothing.
    pub dry_run: bool,
    /// The data rows read so far.
    pub rows_done: u64,
    /// The data rows of the file, when known (a CSV's lines, a row inside a quoted cell
    /// counted as another); a workbook's are not known before it is read.
    pub total_rows: Option<u64>,
    pub counts: Counts,
    /// The file's header row.
    pub header: Vec<String>,
    /// The mapping of the last run; none before the first.
    pub mapping: Option<MappingSpec>,
    /// Why the job failed.
    pub failure: Option<String>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub app: String,
    #[serde(skip)]
    pub user_id: i64,
    #[serde(skip)]
    pub spool: Option<String>,
    /// Which run is the current one.
    #[serde(skip)]
    pub run: i64,
}

const COLUMNS: [&str; 21] = [
    "id",
    "app",
    "form",
    "user_id",
    "file_name",
    "state",
    "dry_run",
    "rows_done",
    "total_rows",
    "created",
    "updated",
    "unchanged",
    "refused",
    "mapping",
    "failure",
    "started_at",
    "updated_at",
    "finished_at",
    "spool",
    "header",
    "run",
];

fn job(r: &QueryResult) -> Result<ImportJob, Error> {
    let progress = super::store::stored(r)?;
    let mapping: String = r.try_get("", "mapping")?;
    Ok(ImportJob {
        id: progress.id,
        app: r.try_get("", "app")?,
        form: r.try_get("", "form")?,
        user_id: r.try_get("", "user_id")?,
        file_name: r.try_get("", "file_name")?,
        state: r.try_get("", "state")?,
        dry_run: r.try_get("", "dry_run")?,
        rows_done: progress.rows_done,
        total_rows: r.try_get::<Option<i64>>("", "total_rows")?.map(|v| u64::try_from(v).unwrap_or(0)),
        counts: progress.counts,
        header: r
            .try_get::<Option<String>>("", "header")?
            .and_then(|h| serde_json::from_str(&h).ok())
            .unwrap_or_default(),
        mapping: serde_json::from_str(&mapping).ok(),
        failure: r.try_get("", "failure")?,
        started_at: r.try_get("", "started_at")?,
        updated_at: r.try_get("", "updated_at")?,
        finished_at: r.try_get("", "finished_at")?,
        spool: r.try_get("", "spool")?,
        run: r.try_get("", "run")?,
    })
}

/// The file an upload was spooled to, and what is known of it.
pub struct Spooled<'a> {
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub total_rows: Option<u64>,
    pub path: &'a str,
    /// Its header row.
    pub header: &'a [String],
}

/// Stores an uploaded file's import, not yet run.
pub async fn register(
    c: &impl ConnectionTrait,
    (app, form, user): (&str, &str, i64),
    file: &Spooled<'_>,
    now: DateTime<Utc>,
) -> Result<i64, Error> {
    let total = file.total_rows.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let header = serde_json::to_string(file.header).map_err(|e| Error::Internal(e.into()))?;
    let more = vec![("total_rows", total.into()), ("spool", file.path.into()), ("header", header.into())];
    super::store::insert(c, (app, form, user), (file.file_name, file.sha256, ""), "uploaded", now, more).await
}

/// How many of `user`'s imports still hold a spooled file.
pub async fn spooled_by(c: &impl ConnectionTrait, user: i64) -> Result<u64, Error> {
    let q = Query::select()
        .expr(Expr::col(a("id")).count())
        .from(Table::Imports)
        .and_where(Expr::col(a("user_id")).eq(user))
        .and_where(Expr::col(a("spool")).is_not_null())
        .to_owned();
    let n: i64 = c.query_one(&q).await?.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Import `id` of `app`, if there is one.
pub async fn get(c: &impl ConnectionTrait, app: &str, id: i64) -> Result<Option<ImportJob>, Error> {
    let q = Query::select()
        .columns(COLUMNS.map(a))
        .from(Table::Imports)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    c.query_one(&q).await?.as_ref().map(job).transpose()
}

/// `user`'s latest imports into `app` (into `form`, if given), newest first: the last 50.
pub async fn list(c: &impl ConnectionTrait, app: &str, user: i64, form: Option<&str>) -> Result<Vec<ImportJob>, Error> {
    let mut q = Query::select()
        .columns(COLUMNS.map(a))
        .from(Table::Imports)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("user_id")).eq(user))
        .order_by(a("id"), Order::Desc)
        .limit(50)
        .to_owned();
    if let Some(form) = form {
        q.and_where(Expr::col(a("form")).eq(form));
    }
    c.query_all(&q).await?.iter().map(job).collect()
}

/// Starts `found` with `mapping`: a real run after a real run that stopped (failed or
/// cancelled) with the same mapping goes on from where it stopped; any other run starts
/// from the first row, its earlier counts and refusals forgotten. `false` when another
/// request started it first.
pub async fn start(
    c: &sea_orm::DatabaseConnection,
    found: &ImportJob,
    mapping: &str,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let backend = c.get_database_backend();
    let same = found.mapping.as_ref().and_then(|m| serde_json::to_string(m).ok()).is_some_and(|m| m == mapping);
    let resume = !dry_run && !found.dry_run && same && matches!(found.state.as_str(), "failed" | "cancelled");
    let mut update = Query::update()
        .table(Table::Imports)
        .value(a("state"), "running")
        .value(a("dry_run"), dry_run)
        .value(a("mapping"), mapping)
        .value(a("failure"), Option::<String>::None)
        .value(a("finished_at"), Expr::cust("NULL"))
        .value(a("updated_at"), datetime(now, backend))
        .value(a("heard_at"), datetime(crate::auth::wall_now(), backend))
        .value(a("run"), Expr::col(a("run")).add(1))
        .and_where(Expr::col(a("id")).eq(found.id))
        .and_where(Expr::col(a("state")).ne("running"))
        .to_owned();
    if !resume {
        for column in ["rows_done", "created", "updated", "unchanged", "refused"] {
            update.value(a(column), 0i64);
        }
    }
    let tx = c.begin().await?;
    if tx.execute(&update).await?.rows_affected() == 0 {
        return Ok(false);
    }
    if !resume {
        let forget = Query::delete()
            .from_table(Table::ImportRefusals)
            .and_where(Expr::col(a("import_id")).eq(found.id))
            .to_owned();
        tx.execute(&forget).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Ends running import `id` (only its run `run`, if given) as `state` (`cancelled`,
/// `failed` with `failure`); `false` if it was not running.
pub async fn end(
    c: &impl ConnectionTrait,
    (id, run): (i64, Option<i64>),
    state: &str,
    failure: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let stamp = datetime(now, c.get_database_backend());
    let update = Query::update()
        .table(Table::Imports)
        .value(a("state"), state)
        .value(a("failure"), failure.map(str::to_owned))
        .value(a("finished_at"), stamp.clone())
        .value(a("updated_at"), stamp)
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("state")).eq("running"))
        .to_owned();
    let mut update = update;
    if let Some(run) = run {
        update.and_where(Expr::col(a("run")).eq(run));
    }
    Ok(c.execute(&update).await?.rows_affected() == 1)
}

/// Forgets the spooled file of import `id` (a real run is done with it).
pub async fn unspool(c: &impl ConnectionTrait, id: i64) -> Result<(), Error> {
    let update = Query::update()
        .table(Table::Imports)
        .value(a("spool"), Option::<String>::None)
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    c.execute(&update).await?;
    Ok(())
}

/// A refused row as kept: its number, its cells, why in words, and the problems (JSON:
/// `[{"path", "code", "message"}]`).
pub struct Kept {
    pub row: u64,
    pub cells: Vec<String>,
    pub reasons: String,
    pub problems: serde_json::Value,
}

/// Up to `limit` refused rows of import `id` after row `after`.
pub async fn refusals(c: &impl ConnectionTrait, id: i64, after: u64, limit: u64) -> Result<Vec<Kept>, Error> {
    let q = Query::select()
        .columns(["row", "cells", "reasons", "problems"].map(a))
        .from(Table::ImportRefusals)
        .and_where(Expr::col(a("import_id")).eq(id))
        .and_where(Expr::col(a("row")).gt(i64::try_from(after).unwrap_or(i64::MAX)))
        .order_by(a("row"), Order::Asc)
        .limit(limit)
        .to_owned();
    let rows = c.query_all(&q).await?;
    rows.iter()
        .map(|r| {
            let cells: String = r.try_get("", "cells")?;
            let problems: Option<String> = r.try_get("", "problems")?;
            Ok(Kept {
                row: u64::try_from(r.try_get::<i64>("", "row")?).unwrap_or(0),
                cells: serde_json::from_str(&cells).unwrap_or_default(),
                reasons: r.try_get("", "reasons")?,
                problems: problems.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_else(|| serde_json::json!([])),
            })
        })
        .collect()
}

/// Claims running imports whose runner was last heard from before `silent_since` (a
/// server stopped halfway): each claimed by one server, whose heartbeat it now carries, as
/// a new run (the silent runner, if it wakes, writes nothing more).
pub async fn claim_silent(c: &impl ConnectionTrait, silent_since: DateTime<Utc>) -> Result<Vec<ImportJob>, Error> {
    let backend = c.get_database_backend();
    let q = Query::select()
        .columns(COLUMNS.map(a))
        .expr_as(Expr::col(a("heard_at")), a("heard"))
        .from(Table::Imports)
        .and_where(Expr::col(a("state")).eq("running"))
        .and_where(Expr::col(a("spool")).is_not_null())
        .and_where(Expr::col(a("heard_at")).lt(datetime(silent_since, backend)))
        .limit(10)
        .to_owned();
    let mut claimed = Vec::new();
    for row in c.query_all(&q).await? {
        let heard: DateTime<Utc> = row.try_get("", "heard")?;
        let take = Query::update()
            .table(Table::Imports)
            .value(a("heard_at"), datetime(crate::auth::wall_now(), backend))
            .value(a("run"), Expr::col(a("run")).add(1))
            .and_where(Expr::col(a("id")).eq(row.try_get::<i64>("", "id")?))
            .and_where(Expr::col(a("heard_at")).eq(datetime(heard, backend)))
            .to_owned();
        if c.execute(&take).await?.rows_affected() == 1 {
            let mut taken = job(&row)?;
            taken.run += 1;
            claimed.push(taken);
        }
    }
    Ok(claimed)
}

/// The spooled files of imports not running and untouched for a day, forgotten: their
/// paths, to delete.
pub async fn forget_spools(c: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<String>, Error> {
    let before = datetime(now - Duration::days(1), c.get_database_backend());
    let q = Query::select()
        .columns(["id", "spool"].map(a))
        .from(Table::Imports)
        .and_where(Expr::col(a("spool")).is_not_null())
        .and_where(Expr::col(a("state")).ne("running"))
        .and_where(Expr::col(a("updated_at")).lt(before))
        .to_owned();
    let mut paths = Vec::new();
    for row in c.query_all(&q).await? {
        unspool(c, row.try_get("", "id")?).await?;
        paths.push(row.try_get("", "spool")?);
    }
    Ok(paths)
}
