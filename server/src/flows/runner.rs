//! The timer runner: due timers fetched in batches by their indexed due time, each
//! claimed with a lease (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so servers sharing the
//! database never take the same one) and fired in a transaction that also deletes it, so
//! it fires once. A firing that fails is retried with back-off; after the last attempt it
//! stays, with its error, as an incident.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

use super::store::a;
use super::{Incoming, deliver};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::records::codec::datetime;

/// Timers taken per query: memory follows the batch, not the number pending.
const BATCH: u64 = 200;
/// How long a claim holds before another server may take the timer over.
const LEASE_MINUTES: i64 = 5;
/// Attempts before a failing timer is left as an incident.
pub const MAX_ATTEMPTS: i64 = 5;

/// Fires every timer due at `now`; how many fired.
pub async fn run_due_timers(state: &AppState, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let mut fired = 0;
    loop {
        let claimed = claim(state, now).await?;
        if claimed.is_empty() {
            return Ok(fired);
        }
        for (timer, instance, token, attempts) in claimed {
            match fire(state, timer, instance, token, now).await {
                Ok(()) => fired += 1,
                Err(e) => failed(state, timer, attempts + 1, &e.to_string(), now).await?,
            }
        }
    }
}

/// Claims a batch of due timers: (timer, instance, token, attempts so far).
async fn claim(state: &AppState, now: DateTime<Utc>) -> Result<Vec<(i64, i64, u64, i64)>, ApiError> {
    let conn = &state.db.conn;
    let backend = conn.get_database_backend();
    let stamp = |t: DateTime<Utc>| datetime(t, backend);
    let tx = conn.begin().await?;
    let mut select = Query::select();
    select
        .columns(["id", "instance_id", "token", "attempts"].map(a))
        .from(a("trellis_flow_timers"))
        .and_where(Expr::col(a("due_at")).lte(stamp(now)))
        .and_where(Expr::col(a("claimed_until")).is_null().or(Expr::col(a("claimed_until")).lt(stamp(now))))
        .and_where(Expr::col(a("attempts")).lt(MAX_ATTEMPTS))
        .order_by(a("due_at"), sea_orm::sea_query::Order::Asc)
        .limit(BATCH);
    if backend == DbBackend::Postgres {
        select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let mut claimed = Vec::new();
    for row in tx.query_all(&select).await? {
        let token: i64 = row.try_get_by_index(2)?;
        claimed.push((row.try_get_by_index(0)?, row.try_get_by_index(1)?, token as u64, row.try_get_by_index(3)?));
    }
    if !claimed.is_empty() {
        let ids: Vec<i64> = claimed.iter().map(|c| c.0).collect();
        let lease = Query::update()
            .table(a("trellis_flow_timers"))
            .value(a("claimed_until"), stamp(now + Duration::minutes(LEASE_MINUTES)))
            .and_where(Expr::col(a("id")).is_in(ids))
            .to_owned();
        tx.execute(&lease).await?;
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Fires one claimed timer: deletes it and moves its token on, in one transaction.
async fn fire(state: &AppState, timer: i64, instance: i64, token: u64, now: DateTime<Utc>) -> Result<(), ApiError> {
    let tx = state.db.conn.begin().await?;
    let deleted = tx
        .execute(
            &Query::delete().from_table(a("trellis_flow_timers")).and_where(Expr::col(a("id")).eq(timer)).to_owned(),
        )
        .await?;
    if deleted.rows_affected() == 0 {
        return Ok(()); // Fired already, or moved by a record change.
    }
    let row = super::store::load(&tx, instance, false).await?.ok_or_else(|| ApiError::not_found("process gone"))?;
    let app = state.catalog.published(&tx, &row.app).await?;
    deliver(&tx, &app, instance, Incoming::TimerDue(token), now).await?;
    tx.commit().await?;
    Ok(())
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
