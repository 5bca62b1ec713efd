//! The timer runner: each due timer is taken in a transaction of its own — found through
//! the `due_at` index, locked with `FOR UPDATE SKIP LOCKED` on PostgreSQL so servers
//! sharing the database never take the same one (SQLite has one writer), deleted and
//! fired in that same transaction, so it fires once; a server that dies mid-way leaves
//! the transaction rolled back and the timer due for the next runner. A firing that fails
//! is tried again after 1, 5, 30 and 120 minutes; after the last attempt it stays, with
//! its error, as an incident.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

use super::store::a;
use super::{Incoming, deliver};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::records::codec::datetime;

/// Attempts before a failing timer is left as an incident.
pub const MAX_ATTEMPTS: i64 = 5;

/// Fires every timer due at `now`; how many fired.
pub async fn run_due_timers(state: &AppState, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let mut fired = 0;
    while let Some(outcome) = fire_next(state, now).await? {
        if outcome {
            fired += 1;
        }
    }
    Ok(fired)
}

/// Takes and fires the next due timer: `None` when none is left, else whether it fired
/// (a failure is recorded on the timer for a later attempt).
async fn fire_next(state: &AppState, now: DateTime<Utc>) -> Result<Option<bool>, ApiError> {
    let conn = &state.db.conn;
    let backend = conn.get_database_backend();
    let stamp = |t: DateTime<Utc>| datetime(t, backend);
    let tx = conn.begin().await?;
    let mut next = Query::select();
    next.columns(["id", "instance_id", "token", "attempts"].map(a))
        .from(a("trellis_flow_timers"))
        .and_where(Expr::col(a("due_at")).lte(stamp(now)))
        // After a failed attempt, not before its back-off ends.
        .and_where(Expr::col(a("claimed_until")).is_null().or(Expr::col(a("claimed_until")).lte(stamp(now))))
        .and_where(Expr::col(a("attempts")).lt(MAX_ATTEMPTS))
        .order_by(a("due_at"), Order::Asc)
        .limit(1);
    if backend == DbBackend::Postgres {
        next.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(row) = tx.query_one(&next).await? else {
        tx.commit().await?;
        return Ok(None);
    };
    let (timer, instance): (i64, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    let (token, attempts): (i64, i64) = (row.try_get_by_index(2)?, row.try_get_by_index(3)?);
    let fired = async {
        let delete =
            Query::delete().from_table(a("trellis_flow_timers")).and_where(Expr::col(a("id")).eq(timer)).to_owned();
        tx.execute(&delete).await?;
        let stored =
            super::store::load(&tx, instance, false).await?.ok_or_else(|| ApiError::not_found("process gone"))?;
        let app = state.catalog.published(&tx, &stored.app).await?;
        deliver(&tx, &app, instance, Incoming::TimerDue(token as u64), now, 0).await
    }
    .await;
    match fired {
        Ok(()) => {
            tx.commit().await?;
            Ok(Some(true))
        }
        Err(e) => {
            tx.rollback().await?;
            failed(state, timer, attempts + 1, &e.to_string(), now).await?;
            Ok(Some(false))
        }
    }
}

/// Records a failed attempt: tried again after 1, 5, 30 and 120 minutes, then left.
async fn failed(state: &AppState, timer: i64, attempts: i64, error: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let backoff = [1, 5, 30, 120].get(attempts as usize - 1).copied().unwrap_or(120);
    let stmt = Query::update()
        .table(a("trellis_flow_timers"))
        .value(a("attempts"), attempts)
        .value(a("last_error"), error)
        .value(a("claimed_until"), datetime(now + Duration::minutes(backoff), state.db.conn.get_database_backend()))
        .and_where(Expr::col(a("id")).eq(timer))
        .to_owned();
    state.db.conn.execute(&stmt).await?;
    Ok(())
}
