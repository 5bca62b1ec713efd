//! Imports as stored (`trellis_imports`): one found again to resume (the same form, the
//! same file by its SHA-256, the same mapping, still running) or begun, its progress saved
//! in each batch's own transaction, and finished.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};

use super::Counts;
use crate::db::Table;
use crate::error::Error;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// An import under way: its id and the rows of the file already written, with their counts.
#[derive(Debug, Clone, Copy)]
pub struct Stored {
    pub id: i64,
    pub rows_done: u64,
    pub counts: Counts,
}

/// The columns [`stored`] reads.
pub(super) const PROGRESS: [&str; 6] = ["id", "rows_done", "created", "updated", "unchanged", "refused"];

/// An import's row as where it got to (its [`PROGRESS`] columns, by name).
pub(super) fn stored(row: &sea_orm::QueryResult) -> Result<Stored, Error> {
    let n = |c: &str| row.try_get::<i64>("", c).map(|v| u64::try_from(v).unwrap_or(0));
    let counts =
        Counts { created: n("created")?, updated: n("updated")?, unchanged: n("unchanged")?, refused: n("refused")? };
    Ok(Stored { id: row.try_get("", "id")?, rows_done: n("rows_done")?, counts })
}

/// The running import of this file into this form with this mapping, or a new one.
pub async fn resume_or_begin(
    c: &impl ConnectionTrait,
    (app, form, user): (&str, &str, i64),
    (file_name, sha256, mapping): (&str, &str, &str),
    now: DateTime<Utc>,
) -> Result<Stored, Error> {
    let found = Query::select()
        .columns(PROGRESS.map(a))
        .from(Table::Imports)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("form")).eq(form))
        .and_where(Expr::col(a("file_sha256")).eq(sha256))
        .and_where(Expr::col(a("mapping")).eq(mapping))
        .and_where(Expr::col(a("state")).eq("running"))
        // Not a job of the API's, which its own runner resumes.
        .and_where(Expr::col(a("spool")).is_null())
        .order_by(a("id"), Order::Desc)
        .limit(1)
        .to_owned();
    if let Some(row) = c.query_one(&found).await? {
        return stored(&row);
    }
    let id = insert(c, (app, form, user), (file_name, sha256, mapping), "running", now, Vec::new()).await?;
    Ok(Stored { id, rows_done: 0, counts: Counts::default() })
}

/// A new import of `file` (its name, SHA-256 and mapping) by `user` into `form` of `app`, in
/// `state`, with `more` columns set: its id.
pub(super) async fn insert(
    c: &impl ConnectionTrait,
    (app, form, user): (&str, &str, i64),
    (file_name, sha256, mapping): (&str, &str, &str),
    state: &str,
    now: DateTime<Utc>,
    more: Vec<(&str, sea_orm::sea_query::Value)>,
) -> Result<i64, Error> {
    let stamp = crate::db::codec::datetime(now, c.get_database_backend());
    let mut columns = vec![
        "app",
        "form",
        "user_id",
        "file_name",
        "file_sha256",
        "mapping",
        "state",
        "rows_done",
        "created",
        "updated",
        "unchanged",
        "refused",
        "started_at",
        "updated_at",
    ];
    let mut values: Vec<sea_orm::sea_query::Value> = vec![
        app.into(),
        form.into(),
        user.into(),
        file_name.into(),
        sha256.into(),
        mapping.into(),
        state.into(),
        0i64.into(),
        0i64.into(),
        0i64.into(),
        0i64.into(),
        0i64.into(),
        stamp.clone(),
        stamp,
    ];
    for (column, value) in more {
        columns.push(column);
        values.push(value);
    }
    let insert = Query::insert()
        .into_table(Table::Imports)
        .columns(columns.into_iter().map(a))
        .values_panic(values.into_iter().map(Into::into))
        .returning_col(a("id"))
        .to_owned();
    let row = c.query_one(&insert).await?.ok_or_else(|| Error::Internal(anyhow::anyhow!("no import id")))?;
    Ok(row.try_get_by_index(0)?)
}

/// Where import `id` got to.
pub async fn progress(c: &impl ConnectionTrait, id: i64) -> Result<Stored, Error> {
    let found =
        Query::select().columns(PROGRESS.map(a)).from(Table::Imports).and_where(Expr::col(a("id")).eq(id)).to_owned();
    let row = c.query_one(&found).await?.ok_or_else(|| Error::not_found(format!("no import {id}")))?;
    stored(&row)
}

/// Whether run `run` of import `id` is no longer the one going on: cancelled, started
/// again, taken over, or gone.
pub async fn superseded(c: &impl ConnectionTrait, id: i64, run: i64) -> Result<bool, Error> {
    let q = Query::select()
        .columns(["state", "run"].map(a))
        .from(Table::Imports)
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    let Some(row) = c.query_one(&q).await? else { return Ok(true) };
    Ok(row.try_get_by_index::<String>(0)? != "running" || row.try_get_by_index::<i64>(1)? != run)
}

fn json(value: &impl serde::Serialize) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::Internal(e.into()))
}

/// Keeps the refused rows of a batch of job `id` for its error file.
pub async fn keep_refusals(c: &impl ConnectionTrait, id: i64, refused: &[super::Refused]) -> Result<(), Error> {
    for chunk in refused.chunks(200) {
        let mut insert = Query::insert()
            .into_table(Table::ImportRefusals)
            .columns(["import_id", "row", "cells", "reasons", "problems"].map(a))
            .to_owned();
        for r in chunk {
            let row = i64::try_from(r.row).unwrap_or(i64::MAX);
            let values =
                [id.into(), row.into(), json(&r.cells)?.into(), r.reasons.clone().into(), json(&r.problems)?.into()];
            insert.values_panic(values);
        }
        c.execute(&insert).await?;
    }
    Ok(())
}

/// Saves how far import `id` got, in the transaction of the batch that got it there, and
/// that its runner is alive (on the wall clock, as a lease is); for a job's run `run`, only
/// while it is the one going on (`false`: it is not, and the batch is to be rolled back).
pub async fn advance(
    tx: &impl ConnectionTrait,
    (id, run): (i64, Option<i64>),
    rows_done: u64,
    counts: Counts,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let stmt = Query::update()
        .table(Table::Imports)
        .value(a("rows_done"), n(rows_done))
        .value(a("created"), n(counts.created))
        .value(a("updated"), n(counts.updated))
        .value(a("unchanged"), n(counts.unchanged))
        .value(a("refused"), n(counts.refused))
        .value(a("updated_at"), crate::db::codec::datetime(now, tx.get_database_backend()))
        .value(a("heard_at"), crate::db::codec::datetime(crate::auth::wall_now(), tx.get_database_backend()))
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    let mut stmt = stmt;
    if let Some(run) = run {
        stmt.and_where(Expr::col(a("run")).eq(run)).and_where(Expr::col(a("state")).eq("running"));
    }
    Ok(tx.execute(&stmt).await?.rows_affected() == 1)
}

/// Marks import `id` done (a job's, only if run `run` is still the one going on): a later
/// import of the same file begins anew.
pub async fn finish(c: &impl ConnectionTrait, (id, run): (i64, Option<i64>), now: DateTime<Utc>) -> Result<(), Error> {
    let stamp = crate::db::codec::datetime(now, c.get_database_backend());
    let stmt = Query::update()
        .table(Table::Imports)
        .value(a("state"), "done")
        .value(a("finished_at"), stamp.clone())
        .value(a("updated_at"), stamp)
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("state")).eq("running"))
        .to_owned();
    let mut stmt = stmt;
    if let Some(run) = run {
        stmt.and_where(Expr::col(a("run")).eq(run));
    }
    c.execute(&stmt).await?;
    Ok(())
}
