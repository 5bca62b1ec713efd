//! The job runner: process timers that came due and service steps to carry out. Each due
//! job is taken in a transaction of its own — found through the `due_at` index, locked
//! with `FOR UPDATE SKIP LOCKED` on PostgreSQL so servers sharing the database never take
//! the same one (SQLite has one writer), deleted and run in that same transaction, so it
//! runs once; a server that dies mid-way leaves the transaction rolled back and the job
//! due for the next runner. A job that fails is tried again after 1, 5, 30 and 120
//! minutes; after the last attempt it stays, with its error, as an incident, listed by
//! `incidents` and run again by `retry_incident`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait};
use serde_json::{Value, json};

use super::store::a;
use super::{Incoming, deliver};
use crate::core::Core;
use crate::db::Table;
use crate::db::codec::{datetime, decode};
use crate::error::Error;

/// Attempts before a failing job is left as an incident.
pub const MAX_ATTEMPTS: i64 = 5;

const COLUMNS: [&str; 6] = ["id", "instance_id", "token", "attempts", "kind", "payload"];

/// Runs every job due at `now` (timers fired, service steps carried out); how many ran.
pub async fn run_due_timers(state: &Core, now: DateTime<Utc>) -> Result<usize, Error> {
    let mut ran = 0;
    while let Some(outcome) = run_next(state, now, None).await? {
        if outcome.is_ok() {
            ran += 1;
        }
    }
    Ok(ran)
}

/// Takes and runs the next due job (or job `only`, due or not): `None` when there is
/// none, else how it went (a failure is recorded on the job for a later attempt).
async fn run_next(state: &Core, now: DateTime<Utc>, only: Option<i64>) -> Result<Option<Result<(), String>>, Error> {
    let conn = &state.db.conn;
    let backend = conn.get_database_backend();
    let stamp = |t: DateTime<Utc>| datetime(t, backend);
    let tx = conn.begin().await?;
    let mut next = Query::select();
    next.columns(COLUMNS.map(a)).from(Table::FlowJobs).limit(1);
    match only {
        Some(id) => next.and_where(Expr::col(a("id")).eq(id)),
        None => next
            .and_where(Expr::col(a("due_at")).lte(stamp(now)))
            // After a failed attempt, not before its back-off ends.
            .and_where(Expr::col(a("claimed_until")).is_null().or(Expr::col(a("claimed_until")).lte(stamp(now))))
            .and_where(Expr::col(a("attempts")).lt(MAX_ATTEMPTS))
            .order_by(a("due_at"), Order::Asc),
    };
    if backend == DbBackend::Postgres {
        next.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(row) = tx.query_one(&next).await? else {
        tx.commit().await?;
        return Ok(None);
    };
    let job = Job::of(&row)?;
    let ran = async {
        let delete = Query::delete().from_table(Table::FlowJobs).and_where(Expr::col(a("id")).eq(job.id)).to_owned();
        tx.execute(&delete).await?;
        let stored =
            super::store::load(&tx, job.instance, false).await?.ok_or_else(|| Error::not_found("process gone"))?;
        let app = state.catalog.published(&tx, &stored.app).await?;
        match job.payload {
            Some(payload) => super::run_service(&tx, &app, (job.instance, job.token), &payload, now).await,
            None => deliver(&tx, &app, job.instance, Incoming::TimerDue(job.token), now, 0).await,
        }
    }
    .await;
    match ran {
        Ok(()) => {
            tx.commit().await?;
            Ok(Some(Ok(())))
        }
        Err(e) => {
            tx.rollback().await?;
            let error = e.to_string();
            failed(state, job.id, job.attempts + 1, &error, now).await?;
            Ok(Some(Err(error)))
        }
    }
}

/// A job as stored: a timer, or a service step with its payload.
struct Job {
    id: i64,
    instance: i64,
    token: u64,
    attempts: i64,
    payload: Option<Value>,
}

impl Job {
    fn of(row: &QueryResult) -> Result<Job, Error> {
        let kind: String = row.try_get_by_index(4)?;
        let payload: Option<String> = row.try_get_by_index(5)?;
        let payload = match (kind.as_str(), payload) {
            ("service", Some(text)) => Some(
                serde_json::from_str(&text)
                    .map_err(|e| Error::Internal(anyhow::anyhow!("a stored service job does not read back: {e}")))?,
            ),
            _ => None,
        };
        let token: i64 = row.try_get_by_index(2)?;
        Ok(Job {
            id: row.try_get_by_index(0)?,
            instance: row.try_get_by_index(1)?,
            token: token as u64,
            attempts: row.try_get_by_index(3)?,
            payload,
        })
    }
}

/// Records a failed attempt: tried again after 1, 5, 30 and 120 minutes, then left.
async fn failed(state: &Core, job: i64, attempts: i64, error: &str, now: DateTime<Utc>) -> Result<(), Error> {
    let backoff = [1, 5, 30, 120].get(attempts as usize - 1).copied().unwrap_or(120);
    let stmt = Query::update()
        .table(Table::FlowJobs)
        .value(a("attempts"), attempts)
        .value(a("last_error"), error)
        .value(a("claimed_until"), datetime(now + Duration::minutes(backoff), state.db.conn.get_database_backend()))
        .and_where(Expr::col(a("id")).eq(job))
        .to_owned();
    state.db.conn.execute(&stmt).await?;
    Ok(())
}

/// The app's process jobs that failed (or only job `only`): those waiting to be tried
/// again and, after the last attempt, the incidents; the latest 100, newest first.
pub async fn incidents(state: &Core, app: &str, only: Option<i64>) -> Result<Vec<Value>, Error> {
    let conn = &state.db.conn;
    let backend = conn.get_database_backend();
    let (j, i) = (Table::FlowJobs, Table::FlowInstances);
    let mut stmt = Query::select();
    stmt.columns(
        ["id", "instance_id", "token", "attempts", "kind", "payload", "due_at", "claimed_until", "last_error"]
            .map(|c| (j, a(c))),
    )
    .column((i, a("flow")))
    .from(j)
    .inner_join(i, Expr::col((i, a("id"))).equals((j, a("instance_id"))))
    .and_where(Expr::col((i, a("app"))).eq(app))
    .and_where(Expr::col((j, a("attempts"))).gt(0))
    .order_by((j, a("id")), Order::Desc)
    .limit(100);
    if let Some(id) = only {
        stmt.and_where(Expr::col((j, a("id"))).eq(id));
    }
    let mut out = Vec::new();
    for row in conn.query_all(&stmt).await? {
        let job = Job::of(&row)?;
        let when = |i: usize| decode(&row, i, &engine_form::StorageType::DateTime, backend).map(|v| v.to_json());
        let error: Option<String> = row.try_get_by_index(8)?;
        let flow: String = row.try_get_by_index(9)?;
        out.push(json!({
            "id": job.id, "instance": job.instance, "flow": flow, "token": job.token,
            "kind": if job.payload.is_some() { "service" } else { "timer" },
            "node": job.payload.as_ref().map(|p| p["node"].clone()),
            "attempts": job.attempts,
            "state": if job.attempts >= MAX_ATTEMPTS { "failed" } else { "retrying" },
            "due_at": when(6)?, "next_attempt": if job.attempts >= MAX_ATTEMPTS { Value::Null } else { when(7)? },
            "error": error,
        }));
    }
    Ok(out)
}

/// Runs failed job `id` of `app` again now, whatever its schedule: how it went.
pub async fn retry_incident(state: &Core, app: &str, id: i64, now: DateTime<Utc>) -> Result<Value, Error> {
    let known = incidents(state, app, Some(id)).await?.into_iter().next();
    let Some(incident) = known else {
        return Err(Error::not_found(format!("no failed process job {id} in `{app}`")));
    };
    let outcome = run_next(state, now, Some(id)).await?;
    Ok(match outcome {
        Some(Ok(())) => json!({ "id": id, "instance": incident["instance"], "ran": true }),
        Some(Err(error)) => json!({ "id": id, "instance": incident["instance"], "ran": false, "error": error }),
        None => json!({ "id": id, "instance": incident["instance"], "ran": false, "error": "taken by another server" }),
    })
}
