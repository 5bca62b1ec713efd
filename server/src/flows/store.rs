//! Process instances, their pending timers, their tasks and their history, in the same
//! database as the records, each change in the transaction of the event that caused it.

use chrono::{DateTime, Utc};
use engine_flow::{Instance, TaskOrder};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockType, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use serde_json::Value;

use crate::db::Table;
use crate::error::Error;
use crate::records::codec::datetime;

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

pub async fn insert_task(
    c: &impl ConnectionTrait,
    (app, id): (&str, i64),
    subject: Option<(&str, i64)>,
    order: &TaskOrder,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let priority = format!("{:?}", order.priority).to_lowercase();
    let stmt = Query::insert()
        .into_table(Table::FlowTasks)
        .columns(
            [
                "app",
                "instance_id",
                "token",
                "node",
                "title",
                "assignee",
                "candidate_role",
                "candidate_unit",
                "priority",
                "due_at",
                "status",
                "subject_form",
                "subject_id",
                "created_at",
            ]
            .map(a),
        )
        .values_panic([
            app.into(),
            id.into(),
            (order.token as i64).into(),
            order.node.as_str().into(),
            order.title.as_str().into(),
            order.assignee.clone().into(),
            order.candidate_role.clone().into(),
            order.candidate_unit.clone().into(),
            priority.into(),
            match order.due {
                Some(due) => stamp(c, due),
                None => Expr::cust("NULL"),
            },
            "open".into(),
            subject.map(|(f, _)| f.to_owned()).into(),
            subject.map(|(_, s)| s).into(),
            stamp(c, now),
        ])
        .returning_col(a("id"))
        .to_owned();
    let row = c.query_one(&stmt).await?.ok_or_else(|| DbErr::Custom("INSERT returned no id".into()))?;
    let task: i64 = row.try_get_by_index(0)?;
    for (at, escalation) in &order.escalations {
        let (action, target) = escalation_parts(escalation);
        let stmt = Query::insert()
            .into_table(Table::FlowEscalations)
            .columns(["task_id", "due_at", "action", "target"].map(a))
            .values_panic([task.into(), stamp(c, *at), action.into(), target.into()])
            .to_owned();
        c.execute(&stmt).await?;
    }
    Ok(())
}

/// An escalation as stored: its action and, for a reassignment, to whom.
fn escalation_parts(e: &engine_flow::Escalate) -> (&'static str, Option<String>) {
    match e {
        engine_flow::Escalate::Remind => ("remind", None),
        engine_flow::Escalate::ToManager => ("escalate", None),
        engine_flow::Escalate::Reassign(to) => ("reassign", Some(to.clone())),
    }
}

/// Closes the open task at `token` of instance `id` as `status` (`completed`, `cancelled`).
pub async fn close_task(
    c: &impl ConnectionTrait,
    (id, token): (i64, u64),
    status: &str,
    completion: Option<(&str, Option<&str>, &Value)>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut stmt = Query::update();
    stmt.table(Table::FlowTasks)
        .value(a("status"), status)
        .value(a("completed_at"), stamp(c, now))
        .and_where(Expr::col(a("instance_id")).eq(id))
        .and_where(Expr::col(a("token")).eq(token as i64))
        .and_where(Expr::col(a("status")).eq("open"));
    if let Some((by, outcome, data)) = completion {
        stmt.value(a("completed_by"), by)
            .value(a("outcome"), outcome.map(str::to_owned))
            .value(a("data"), data.to_string());
    }
    c.execute(&stmt).await?;
    // A closed task's escalations that have not happened never will.
    let task = Query::select()
        .column(a("id"))
        .from(Table::FlowTasks)
        .and_where(Expr::col(a("instance_id")).eq(id))
        .and_where(Expr::col(a("token")).eq(token as i64))
        .to_owned();
    let pending = Query::delete()
        .from_table(Table::FlowEscalations)
        .and_where(Expr::col(a("task_id")).in_subquery(task))
        .and_where(Expr::col(a("done_at")).is_null())
        .to_owned();
    c.execute(&pending).await.map(drop)
}

/// The node an open task of `(instance, token)` is at, after a migration renamed it.
pub async fn rename_task_node(c: &impl ConnectionTrait, (id, token): (i64, u64), node: &str) -> Result<(), DbErr> {
    let stmt = Query::update()
        .table(Table::FlowTasks)
        .value(a("node"), node)
        .and_where(Expr::col(a("instance_id")).eq(id))
        .and_where(Expr::col(a("token")).eq(token as i64))
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

/// Token `token` of instance `id` waits for `event` (whose field `key.0` has the value
/// `key.1`, if keyed); again: its key is updated.
pub async fn add_wait(
    c: &impl ConnectionTrait,
    (app, event): (&str, &str),
    (id, token): (i64, u64),
    key: Option<(String, String)>,
) -> Result<(), DbErr> {
    let (path, value) = key.unzip();
    let stmt = Query::insert()
        .into_table(Table::FlowWaits)
        .columns(["app", "event", "instance_id", "token", "match_path", "match_value"].map(a))
        .values_panic([app.into(), event.into(), id.into(), (token as i64).into(), path.into(), value.into()])
        .on_conflict(
            OnConflict::columns(["instance_id", "token"].map(a))
                .update_columns(["match_path", "match_value"].map(a))
                .to_owned(),
        )
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

/// Token `token` of instance `id` no longer waits.
pub async fn remove_wait(c: &impl ConnectionTrait, id: i64, token: u64) -> Result<(), DbErr> {
    let stmt = Query::delete()
        .from_table(Table::FlowWaits)
        .and_where(Expr::col(a("instance_id")).eq(id))
        .and_where(Expr::col(a("token")).eq(token as i64))
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

/// The instances of `app` with a token that may take `event`: waiting for it unkeyed, or
/// keyed on a field whose value in this event (`value_of`) is the one waited for. Each
/// once, oldest first.
pub async fn waiting_for(
    c: &impl ConnectionTrait,
    app: &str,
    event: &str,
    value_of: impl Fn(&str) -> Option<String>,
) -> Result<Vec<i64>, DbErr> {
    let paths = Query::select()
        .distinct()
        .column(a("match_path"))
        .from(Table::FlowWaits)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("event")).eq(event))
        .and_where(Expr::col(a("match_path")).is_not_null())
        .to_owned();
    let mut any = sea_orm::sea_query::Cond::any().add(Expr::col(a("match_path")).is_null());
    for row in c.query_all(&paths).await? {
        let path: String = row.try_get_by_index(0)?;
        if let Some(value) = value_of(&path) {
            any = any.add(Expr::col(a("match_path")).eq(path.as_str()).and(Expr::col(a("match_value")).eq(value)));
        }
    }
    let stmt = Query::select()
        .distinct()
        .column(a("instance_id"))
        .from(Table::FlowWaits)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("event")).eq(event))
        .cond_where(any)
        .order_by(a("instance_id"), Order::Asc)
        .to_owned();
    c.query_all(&stmt).await?.iter().map(|r| r.try_get_by_index(0)).collect()
}

/// Whether anything of `app` waits for `event`.
pub async fn any_waiting(c: &impl ConnectionTrait, app: &str, event: &str) -> Result<bool, DbErr> {
    let stmt = Query::select()
        .column(a("id"))
        .from(Table::FlowWaits)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("event")).eq(event))
        .limit(1)
        .to_owned();
    Ok(c.query_one(&stmt).await?.is_some())
}
