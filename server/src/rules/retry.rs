//! Failed rule actions are retried, then shown as incidents. When a firing's actions fail
//! in the change's transaction, their savepoint is rolled back (the change goes through)
//! and the firing waits as `retrying`; the runner runs its stored actions again, each
//! attempt in a transaction of its own, after 1, 5, 30 and 120 minutes. A firing whose
//! last attempt fails is `failed`: an incident, which `retry_incident` runs again on
//! demand. A firing's actions are the ones decided when it fired (stored with it), so a
//! retry does exactly what the first attempt meant to do.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use serde_json::Value;

use super::store::failed_attempt;
use super::{Subject, run_actions};
use crate::core::Core;
use crate::db::Table;
use crate::db::codec::datetime;
use crate::error::{ConflictCode, Error};

/// How long a server may take over one retry before another may claim it.
const LEASE: Duration = Duration::minutes(5);
/// Firings retried per run.
const BATCH: u64 = 100;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Retries every firing whose next attempt is due at `now`; returns how many succeeded.
pub async fn retry_due_firings(state: &Core, now: DateTime<Utc>) -> Result<usize, Error> {
    let conn = &state.db.conn;
    let due = Query::select()
        .column(a("id"))
        .from(Table::Firings)
        .and_where(Expr::col(a("status")).eq("retrying"))
        .and_where(Expr::col(a("next_attempt_at")).lte(datetime(now, conn.get_database_backend())))
        .order_by(a("next_attempt_at"), Order::Asc)
        .limit(BATCH)
        .to_owned();
    let mut succeeded = 0;
    for row in conn.query_all(&due).await? {
        let id: i64 = row.try_get_by_index(0)?;
        if claim(conn, id, now).await? && attempt(state, id, now).await? == Some(true) {
            succeeded += 1;
        }
    }
    Ok(succeeded)
}

/// Claims firing `id` for one retry, unless another server holds it.
async fn claim(c: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let backend = c.get_database_backend();
    let stmt = Query::update()
        .table(Table::Firings)
        .value(a("claimed_until"), datetime(now + LEASE, backend))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("status")).eq("retrying"))
        .and_where(Expr::col(a("claimed_until")).is_null().or(Expr::col(a("claimed_until")).lt(datetime(now, backend))))
        .to_owned();
    Ok(c.execute(&stmt).await?.rows_affected() == 1)
}

/// Runs a failed firing's actions again now, whatever its schedule: the incident's retry
/// button. Gives the firing as it stands after the attempt.
pub async fn retry_incident(state: &Core, app: &str, id: i64, now: DateTime<Utc>) -> Result<Value, Error> {
    let firing = load(&state.db.conn, id).await?.filter(|f| f.app == app);
    let Some(firing) = firing else { return Err(Error::not_found(format!("no incident {id} in app `{app}`"))) };
    if !matches!(firing.status.as_str(), "failed" | "retrying") {
        return Err(Error::Conflict {
            code: ConflictCode::not_an_incident,
            detail: format!("firing {id} did not fail"),
        });
    }
    if firing.actions.is_empty() {
        return Err(Error::Conflict {
            code: ConflictCode::nothing_to_retry,
            detail:
                "the rule could not be evaluated, so it has no actions to run again; correct the record or the rule"
                    .into(),
        });
    }
    if attempt(state, id, now).await?.is_none() {
        return Err(Error::Conflict {
            code: ConflictCode::not_an_incident,
            detail: format!("firing {id} was retried meanwhile"),
        });
    }
    let after = super::store::firing(&state.db.conn, id).await?;
    after.ok_or_else(|| Error::not_found(format!("no incident {id}")))
}

/// A stored firing, as a retry needs it.
struct Stored {
    app: String,
    status: String,
    attempts: i64,
    actions: Vec<Value>,
    subject: Subject,
}

async fn load(c: &impl ConnectionTrait, id: i64) -> Result<Option<Stored>, Error> {
    let stmt = Query::select()
        .columns(["app", "status", "attempts", "actions", "form", "record_id", "trigger", "acting_for"].map(a))
        .from(Table::Firings)
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    let Some(row) = c.query_one(&stmt).await? else { return Ok(None) };
    let actions: String = row.try_get_by_index(3)?;
    let actions = serde_json::from_str::<Vec<Value>>(&actions)
        .map_err(|e| Error::Internal(anyhow::anyhow!("firing {id}: stored actions: {e}")))?;
    Ok(Some(Stored {
        app: row.try_get_by_index(0)?,
        status: row.try_get_by_index(1)?,
        attempts: row.try_get_by_index(2)?,
        actions,
        subject: Subject {
            form: row.try_get_by_index(4)?,
            id: row.try_get_by_index(5)?,
            deleted: row.try_get_by_index::<String>(6)? == "deleted",
            acting_for: row.try_get_by_index(7)?,
        },
    }))
}

/// One more attempt at firing `id`'s actions, in a transaction of its own; whether it
/// succeeded (either way the firing records the outcome), or `None` if the firing was no
/// longer failed when the attempt began: another retry, at the same moment, ran it.
async fn attempt(state: &Core, id: i64, now: DateTime<Utc>) -> Result<Option<bool>, Error> {
    let conn = &state.db.conn;
    let Some(firing) = load(conn, id).await? else { return Ok(None) };
    let app = state.catalog.published(conn, &firing.app).await?;
    let tx = conn.begin().await?;
    // The firing is taken first, by a write that holds only while it is still failed: of
    // fifty retries at once one runs the actions (PostgreSQL makes the others wait here and
    // then find it done), never fifty.
    let take = Query::update()
        .table(Table::Firings)
        .value(a("attempts"), Expr::col(a("attempts")))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("status")).is_in(["failed", "retrying"]))
        .and_where(Expr::col(a("attempts")).eq(firing.attempts))
        .to_owned();
    if tx.execute(&take).await?.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(None);
    }
    let outcome = run_actions(&tx, &app, &firing.actions, id, &firing.subject, now, 0).await;
    match outcome {
        Ok(()) => {
            let done = Query::update()
                .table(Table::Firings)
                .value(a("status"), "done")
                .value(a("error"), Expr::cust("NULL"))
                .value(a("attempts"), firing.attempts + 1)
                .value(a("next_attempt_at"), Expr::cust("NULL"))
                .value(a("claimed_until"), Expr::cust("NULL"))
                .and_where(Expr::col(a("id")).eq(id))
                .to_owned();
            tx.execute(&done).await?;
            tx.commit().await?;
            Ok(Some(true))
        }
        Err(e) => {
            tx.rollback().await?;
            failed_attempt(conn, id, firing.attempts + 1, &e.describe(), now).await?;
            Ok(Some(false))
        }
    }
}
