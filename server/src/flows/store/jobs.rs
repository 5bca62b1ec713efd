//! An instance's pending jobs: timers due at a time, service steps due at once.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;

use super::{a, stamp};
use crate::db::Table;

/// Sets (or moves) the timer of `token`; `None` removes it until it has a due time.
pub async fn set_timer(c: &impl ConnectionTrait, id: i64, token: u64, due: Option<DateTime<Utc>>) -> Result<(), DbErr> {
    let Some(due) = due else { return remove_job(c, id, token).await };
    let stmt = Query::insert()
        .into_table(Table::FlowJobs)
        .columns(["instance_id", "token", "due_at", "attempts"].map(a))
        .values_panic([id.into(), (token as i64).into(), stamp(c, due), 0i64.into()])
        .on_conflict(
            OnConflict::columns(["instance_id", "token"].map(a))
                .update_columns(["due_at", "attempts"].map(a))
                .to_owned(),
        )
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

/// A service step's job at `token`, due at once (`payload`: its node and action).
pub async fn add_service_job(
    c: &impl ConnectionTrait,
    id: i64,
    token: u64,
    payload: &Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let stmt = Query::insert()
        .into_table(Table::FlowJobs)
        .columns(["instance_id", "token", "due_at", "attempts", "kind", "payload"].map(a))
        .values_panic([
            id.into(),
            (token as i64).into(),
            stamp(c, now),
            0i64.into(),
            "service".into(),
            payload.to_string().into(),
        ])
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

/// Every job of instance `id` (it was cancelled).
pub async fn remove_jobs(c: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    let stmt = Query::delete().from_table(Table::FlowJobs).and_where(Expr::col(a("instance_id")).eq(id)).to_owned();
    c.execute(&stmt).await.map(drop)
}

/// The job (a timer, a service step) of `token` of instance `id`.
pub async fn remove_job(c: &impl ConnectionTrait, id: i64, token: u64) -> Result<(), DbErr> {
    let stmt = Query::delete()
        .from_table(Table::FlowJobs)
        .and_where(Expr::col(a("instance_id")).eq(id))
        .and_where(Expr::col(a("token")).eq(token as i64))
        .to_owned();
    c.execute(&stmt).await.map(drop)
}
