//! Every write to the task tables (`trellis_tasks`, `trellis_task_escalations`), here
//! only: a task opened (a process's user task, or one a rule raised) with its escalations,
//! its holder changed by one conditional write, taken for completion, renamed by a
//! migration, closed; an escalation claimed when it is due.

use chrono::{DateTime, Utc};
use engine_flow::TaskOrder;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;

use super::a;
use crate::db::Table;
use crate::db::codec::datetime;
use crate::notifications::{Notice, TaskNews};

fn stamp(c: &impl ConnectionTrait, t: DateTime<Utc>) -> sea_orm::sea_query::SimpleExpr {
    datetime(t, c.get_database_backend()).into()
}

/// A task to open: a process's user task, or one a rule raised.
pub struct NewTask<'a> {
    pub app: &'a str,
    /// The process instance, token and node of a process's user task.
    pub step: Option<(i64, u64, &'a str)>,
    /// The rule firing that raised it.
    pub firing: Option<i64>,
    pub title: &'a str,
    /// The user it is for; or it is offered to `candidate_role` (in `candidate_unit`).
    pub assignee: Option<String>,
    pub candidate_role: Option<String>,
    pub candidate_unit: Option<String>,
    /// `low`, `normal` or `high`.
    pub priority: &'a str,
    pub due: Option<DateTime<Utc>>,
    pub subject: Option<(&'a str, i64)>,
    /// When each escalation is due, and what it does.
    pub escalations: Vec<(DateTime<Utc>, engine_flow::Escalate)>,
    /// The title in each language it was given in (empty for one written once).
    pub titles: serde_json::Map<String, Value>,
    /// What the task says from the start (why it was offered where it was).
    pub data: Option<Value>,
}

impl<'a> NewTask<'a> {
    /// A process's user task, as the engine ordered it.
    pub fn of_step(app: &'a str, id: i64, subject: Option<(&'a str, i64)>, order: &'a TaskOrder) -> NewTask<'a> {
        NewTask {
            app,
            step: Some((id, order.token, order.node.as_str())),
            firing: None,
            title: order.title.as_str(),
            assignee: order.assignee.clone(),
            candidate_role: order.candidate_role.clone(),
            candidate_unit: order.candidate_unit.clone(),
            priority: match order.priority {
                engine_flow::Priority::Low => "low",
                engine_flow::Priority::Normal => "normal",
                engine_flow::Priority::High => "high",
            },
            due: order.due,
            subject,
            escalations: order.escalations.clone(),
            titles: order.titles.clone(),
            data: None,
        }
    }
}

/// Opens `task` with its escalations; its id.
pub async fn insert(c: &impl ConnectionTrait, task: &NewTask<'_>, now: DateTime<Utc>) -> Result<i64, DbErr> {
    // Its titles in each language are kept with what it says, read in the reader's.
    let mut data = task.data.clone();
    if !task.titles.is_empty() {
        let data = data.get_or_insert_with(|| Value::Object(Default::default()));
        data["titles"] = Value::Object(task.titles.clone());
    }
    let stmt = Query::insert()
        .into_table(Table::Tasks)
        .columns(
            [
                "app",
                "instance_id",
                "token",
                "node",
                "firing_id",
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
                "data",
            ]
            .map(a),
        )
        .values_panic([
            task.app.into(),
            task.step.map(|(id, _, _)| id).into(),
            task.step.map(|(_, token, _)| token as i64).into(),
            task.step.map(|(_, _, node)| node.to_owned()).into(),
            task.firing.into(),
            task.title.into(),
            task.assignee.clone().into(),
            task.candidate_role.clone().into(),
            task.candidate_unit.clone().into(),
            task.priority.into(),
            match task.due {
                Some(due) => stamp(c, due),
                None => Expr::cust("NULL"),
            },
            "open".into(),
            task.subject.map(|(f, _)| f.to_owned()).into(),
            task.subject.map(|(_, s)| s).into(),
            stamp(c, now),
            data.as_ref().map(Value::to_string).into(),
        ])
        .returning_col(a("id"))
        .to_owned();
    let row = c.query_one(&stmt).await?.ok_or_else(|| DbErr::Custom("INSERT returned no id".into()))?;
    let id: i64 = row.try_get_by_index(0)?;
    if let Some(user) = &task.assignee {
        let (message, messages) = TaskNews::Created.texts(task.title, &task.titles);
        let subject = task.subject;
        let notice = Notice { user, app: task.app, message: &message, messages: &messages, task: Some(id), subject };
        crate::notifications::notify(c, &notice, now).await?;
    }
    for (at, escalation) in &task.escalations {
        let (action, target) = escalation_parts(escalation);
        let stmt = Query::insert()
            .into_table(Table::TaskEscalations)
            .columns(["task_id", "due_at", "action", "target"].map(a))
            .values_panic([id.into(), stamp(c, *at), action.into(), target.into()])
            .to_owned();
        c.execute(&stmt).await?;
    }
    Ok(id)
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
pub async fn close_step(
    c: &impl ConnectionTrait,
    (id, token): (i64, u64),
    status: &str,
    completion: Option<(&str, Option<&str>, &Value)>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let at = Cond::all().add(Expr::col(a("instance_id")).eq(id)).add(Expr::col(a("token")).eq(token as i64));
    close_where(c, at, status, completion, now).await
}

/// Closes open task `id`, one a rule raised, as `status`.
pub async fn close_raised(
    c: &impl ConnectionTrait,
    id: i64,
    status: &str,
    completion: Option<(&str, Option<&str>, &Value)>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    close_where(c, Cond::all().add(Expr::col(a("id")).eq(id)), status, completion, now).await
}

async fn close_where(
    c: &impl ConnectionTrait,
    at: Cond,
    status: &str,
    completion: Option<(&str, Option<&str>, &Value)>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut stmt = Query::update();
    stmt.table(Table::Tasks)
        .value(a("status"), status)
        .value(a("completed_at"), stamp(c, now))
        .cond_where(at.clone())
        .and_where(Expr::col(a("status")).eq("open"));
    if let Some((by, outcome, done)) = completion {
        // What was done joins what the task said from the start (its titles, why it was routed).
        let said = Query::select().column(a("data")).from(Table::Tasks).cond_where(at.clone()).to_owned();
        let said: Option<String> = match c.query_one(&said).await? {
            Some(row) => row.try_get_by_index(0)?,
            None => None,
        };
        let mut data = said.and_then(|d| serde_json::from_str::<Value>(&d).ok()).unwrap_or(Value::Null);
        match (data.as_object_mut(), done.as_object()) {
            (Some(said), Some(done)) => said.extend(done.clone()),
            _ => data = done.clone(),
        }
        stmt.value(a("completed_by"), by)
            .value(a("outcome"), outcome.map(str::to_owned))
            .value(a("data"), data.to_string());
    }
    c.execute(&stmt).await?;
    // A closed task's escalations that have not happened never will.
    let task = Query::select().column(a("id")).from(Table::Tasks).cond_where(at).to_owned();
    let pending = Query::delete()
        .from_table(Table::TaskEscalations)
        .and_where(Expr::col(a("task_id")).in_subquery(task))
        .and_where(Expr::col(a("done_at")).is_null())
        .to_owned();
    c.execute(&pending).await.map(drop)
}

/// The node an open task of `(instance, token)` is at, after a migration renamed it.
pub async fn rename_node(c: &impl ConnectionTrait, (id, token): (i64, u64), node: &str) -> Result<(), DbErr> {
    let stmt = Query::update()
        .table(Table::Tasks)
        .value(a("node"), node)
        .and_where(Expr::col(a("instance_id")).eq(id))
        .and_where(Expr::col(a("token")).eq(token as i64))
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

/// Hands open task `id` to `to` (none: back to its role or queue) if it is still as
/// `held_as` says (held by someone, or waiting); whether it was.
pub async fn set_holder(c: &impl ConnectionTrait, id: i64, to: Option<&str>, held_as: Cond) -> Result<bool, DbErr> {
    let stmt = Query::update()
        .table(Table::Tasks)
        .value(a("assignee"), to.map(str::to_owned))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("status")).eq("open"))
        .cond_where(held_as)
        .to_owned();
    Ok(c.execute(&stmt).await?.rows_affected() == 1)
}

/// Takes open task `id`, held by `holder`, for them to complete: the first write decides,
/// so of fifty completions at once one takes it (the others, waiting on the row on
/// PostgreSQL or after it on SQLite, find it taken). Whether it was taken.
pub async fn take(c: &impl ConnectionTrait, id: i64, holder: &str) -> Result<bool, DbErr> {
    let stmt = Query::update()
        .table(Table::Tasks)
        .value(a("completed_by"), holder)
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("status")).eq("open"))
        .and_where(Expr::col(a("assignee")).eq(holder))
        .to_owned();
    Ok(c.execute(&stmt).await?.rows_affected() == 1)
}

/// An escalation due: its id, its task, its action (`remind`, `escalate`, `reassign`) and
/// for a reassignment to whom.
pub struct DueEscalation {
    pub id: i64,
    pub task: i64,
    pub action: String,
    pub target: Option<String>,
}

/// At most `limit` escalations due at `now` and not done, soonest first.
pub async fn due_escalations(
    c: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DueEscalation>, DbErr> {
    let due = Query::select()
        .columns(["id", "task_id", "action", "target"].map(a))
        .from(Table::TaskEscalations)
        .and_where(Expr::col(a("done_at")).is_null())
        .and_where(Expr::col(a("due_at")).lte(stamp(c, now)))
        .order_by(a("due_at"), Order::Asc)
        .limit(limit)
        .to_owned();
    let mut found = Vec::new();
    for row in c.query_all(&due).await? {
        found.push(DueEscalation {
            id: row.try_get_by_index(0)?,
            task: row.try_get_by_index(1)?,
            action: row.try_get_by_index(2)?,
            target: row.try_get_by_index(3)?,
        });
    }
    Ok(found)
}

/// Marks escalation `id` done at `now`, which claims it: another server finds nothing left
/// to do. Whether this one claimed it.
pub async fn claim_escalation(c: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let claim = Query::update()
        .table(Table::TaskEscalations)
        .value(a("done_at"), stamp(c, now))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("done_at")).is_null())
        .to_owned();
    Ok(c.execute(&claim).await?.rows_affected() == 1)
}
