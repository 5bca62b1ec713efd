//! Process instances, their pending jobs (timers, service steps), their message waits
//! and their history (their tasks are the task tables', `tasks::store`), in the same database as the records, each change in
//! the transaction of the event that caused it. This file holds the instances.

use chrono::{DateTime, Utc};
use engine_flow::Instance;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockType, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use serde_json::Value;

use crate::db::Table;
use crate::db::codec::datetime;
use crate::error::Error;

mod jobs;
mod waits;

pub use jobs::{add_service_job, remove_job, remove_jobs, set_timer};
pub use waits::{add_wait, any_waiting, remove_wait, waiting_for};

pub(super) fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn stamp(c: &impl ConnectionTrait, t: DateTime<Utc>) -> sea_orm::sea_query::SimpleExpr {
    datetime(t, c.get_database_backend()).into()
}

/// An instance row.
pub struct Row {
    pub app: String,
    pub flow: String,
    pub version: i64,
    pub subject: Option<(String, i64)>,
    /// The instance (and its token) this one runs as a sub-process of.
    pub parent: Option<(i64, u64)>,
    pub instance: Instance,
}

const COLUMNS: [&str; 8] =
    ["app", "flow", "version", "subject_form", "subject_id", "state", "parent_id", "parent_token"];

fn row_of(r: &QueryResult) -> Result<Row, Error> {
    let state: String = r.try_get("", "state")?;
    let instance = serde_json::from_str(&state)
        .map_err(|e| Error::Internal(anyhow::anyhow!("a stored process instance does not read back: {e}")))?;
    let form: Option<String> = r.try_get("", "subject_form")?;
    let id: Option<i64> = r.try_get("", "subject_id")?;
    let parent: Option<i64> = r.try_get("", "parent_id")?;
    let parent_token: Option<i64> = r.try_get("", "parent_token")?;
    Ok(Row {
        parent: parent.zip(parent_token.map(|t| t as u64)),
        app: r.try_get("", "app")?,
        flow: r.try_get("", "flow")?,
        version: r.try_get("", "version")?,
        subject: form.zip(id),
        instance,
    })
}

/// Stores a new instance, not yet started; its id.
pub async fn insert(
    c: &impl ConnectionTrait,
    (app, flow, version): (&str, &str, i64),
    subject: Option<(&str, i64)>,
    (by, parent): (Option<i64>, Option<(i64, u64)>),
    now: DateTime<Utc>,
) -> Result<i64, Error> {
    let state = serde_json::to_string(&Instance::new()).map_err(|e| Error::Internal(e.into()))?;
    let stmt = Query::insert()
        .into_table(Table::FlowInstances)
        .columns(
            [
                "app",
                "flow",
                "version",
                "subject_form",
                "subject_id",
                "status",
                "state",
                "started_by",
                "started_at",
                "updated_at",
                "parent_id",
                "parent_token",
            ]
            .map(a),
        )
        .values([
            app.into(),
            flow.into(),
            version.into(),
            subject.map(|(f, _)| f.to_owned()).into(),
            subject.map(|(_, id)| id).into(),
            "running".into(),
            state.into(),
            by.into(),
            stamp(c, now),
            stamp(c, now),
            parent.map(|(p, _)| p).into(),
            parent.map(|(_, t)| t as i64).into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .returning_col(a("id"))
        .to_owned();
    let row = c.query_one(&stmt).await?.ok_or_else(|| DbErr::Custom("INSERT returned no id".into()))?;
    Ok(row.try_get_by_index(0)?)
}

/// Instance `id`, locked until the transaction ends (PostgreSQL; SQLite has one writer).
pub async fn load(c: &impl ConnectionTrait, id: i64, lock: bool) -> Result<Option<Row>, Error> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS.map(a)).from(Table::FlowInstances).and_where(Expr::col(a("id")).eq(id));
    if lock && c.get_database_backend() == sea_orm::DbBackend::Postgres {
        stmt.lock(LockType::Update);
    }
    c.query_one(&stmt).await?.as_ref().map(row_of).transpose()
}

/// The running instances of `app` following record `id` of `form`.
pub async fn following(c: &impl ConnectionTrait, app: &str, form: &str, id: i64) -> Result<Vec<i64>, DbErr> {
    let stmt = Query::select()
        .column(a("id"))
        .from(Table::FlowInstances)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("subject_form")).eq(form))
        .and_where(Expr::col(a("subject_id")).eq(id))
        .and_where(Expr::col(a("status")).eq("running"))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    c.query_all(&stmt).await?.iter().map(|r| r.try_get_by_index(0)).collect()
}

pub async fn save(c: &impl ConnectionTrait, id: i64, instance: &Instance, now: DateTime<Utc>) -> Result<(), Error> {
    let status = match instance.status {
        engine_flow::Status::Running => "running",
        engine_flow::Status::Completed => "completed",
        engine_flow::Status::Cancelled => "cancelled",
    };
    let state = serde_json::to_string(instance).map_err(|e| Error::Internal(e.into()))?;
    let stmt = Query::update()
        .table(Table::FlowInstances)
        .values([(a("status"), status.into()), (a("state"), state.into()), (a("updated_at"), stamp(c, now))])
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

pub async fn history(
    c: &impl ConnectionTrait,
    id: i64,
    event: &str,
    detail: Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let stmt = Query::insert()
        .into_table(Table::FlowHistory)
        .columns(["instance_id", "at", "event", "detail"].map(a))
        .values_panic([id.into(), stamp(c, now), event.into(), detail.to_string().into()])
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

pub async fn set_version(c: &impl ConnectionTrait, id: i64, version: i64) -> Result<(), DbErr> {
    let stmt = Query::update()
        .table(Table::FlowInstances)
        .value(a("version"), version)
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

/// The running sub-processes of instance `id`.
pub async fn children(c: &impl ConnectionTrait, id: i64) -> Result<Vec<i64>, DbErr> {
    let stmt = Query::select()
        .column(a("id"))
        .from(Table::FlowInstances)
        .and_where(Expr::col(a("parent_id")).eq(id))
        .and_where(Expr::col(a("status")).eq("running"))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    c.query_all(&stmt).await?.iter().map(|r| r.try_get_by_index(0)).collect()
}
