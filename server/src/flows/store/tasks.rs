//! The task rows of instances' user tasks: opened, renamed by a migration, closed.

use chrono::{DateTime, Utc};
use engine_flow::TaskOrder;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;

use super::{a, stamp};
use crate::db::Table;

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
