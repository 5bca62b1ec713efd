//! SLA escalations of open tasks, each done once when due: a reminder to whoever holds
//! the task, an escalation to the manager of their org unit (or of the unit above, for a
//! manager's own task), or a reassignment. Messages go through the outbox (in-app).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::json;

use super::store::{a, history};
use crate::core::Core;
use crate::db::Table;
use crate::error::Error;
use crate::notifications::TaskNews;
use crate::records::codec::datetime;

const BATCH: u64 = 200;

/// Carries out every escalation due at `now`; how many (of tasks still open).
pub async fn run_due_escalations(state: &Core, now: DateTime<Utc>) -> Result<usize, Error> {
    let conn = &state.db.conn;
    let backend = conn.get_database_backend();
    let mut done = 0;
    loop {
        let due = Query::select()
            .columns(["id", "task_id", "action", "target"].map(a))
            .from(Table::TaskEscalations)
            .and_where(Expr::col(a("done_at")).is_null())
            .and_where(Expr::col(a("due_at")).lte(datetime(now, backend)))
            .order_by(a("due_at"), Order::Asc)
            .limit(BATCH)
            .to_owned();
        let rows = conn.query_all(&due).await?;
        if rows.is_empty() {
            return Ok(done);
        }
        for row in rows {
            let (id, task): (i64, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            let (action, target): (String, Option<String>) = (row.try_get_by_index(2)?, row.try_get_by_index(3)?);
            let tx = conn.begin().await?;
            // Marking it done claims it: another server finds nothing left to do.
            let claim = Query::update()
                .table(Table::TaskEscalations)
                .value(a("done_at"), datetime(now, backend))
                .and_where(Expr::col(a("id")).eq(id))
                .and_where(Expr::col(a("done_at")).is_null())
                .to_owned();
            if tx.execute(&claim).await?.rows_affected() == 1 && escalate(&tx, task, &action, target, now).await? {
                done += 1;
            }
            tx.commit().await?;
        }
    }
}

async fn escalate(
    tx: &DatabaseTransaction,
    task: i64,
    action: &str,
    target: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let q = Query::select()
        .columns(["app", "instance_id", "title", "assignee", "status", "data"].map(a))
        .from(Table::Tasks)
        .and_where(Expr::col(a("id")).eq(task))
        .to_owned();
    let Some(row) = tx.query_one(&q).await? else { return Ok(false) };
    let (app, instance, title): (String, Option<i64>, String) =
        (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
    let (holder, status): (Option<String>, String) = (row.try_get_by_index(3)?, row.try_get_by_index(4)?);
    if status != "open" {
        return Ok(false);
    }
    let data: Option<String> = row.try_get_by_index(5)?;
    let data = data.and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok()).unwrap_or_default();
    let titles = data["titles"].as_object().cloned().unwrap_or_default();
    let (to, news) = match action {
        "remind" => (holder.clone(), TaskNews::Reminder),
        "escalate" => {
            let manager = match &holder {
                Some(h) => manager_of(tx, h).await?,
                None => None,
            };
            (manager, TaskNews::Escalated)
        }
        _ => {
            let stmt = Query::update()
                .table(Table::Tasks)
                .value(a("assignee"), target.clone())
                .and_where(Expr::col(a("id")).eq(task))
                .to_owned();
            tx.execute(&stmt).await?;
            (target.clone(), TaskNews::Reassigned)
        }
    };
    if let Some(to) = &to {
        let (mut message, mut messages) = news.texts(&title, &titles);
        // The manager is told whose task it was.
        if let (TaskNews::Escalated, Some(holder)) = (news, &holder) {
            message = format!("{message} ({holder})");
            for text in messages.values_mut() {
                *text = json!(format!("{} ({holder})", text.as_str().unwrap_or_default()));
            }
        }
        let body = json!({ "message": message, "messages": messages, "task": task });
        crate::rules::queue_message_for(tx, &app, "in_app", &json!(to), &body, now).await?;
    }
    if let Some(instance) = instance {
        history(tx, instance, "escalation", json!({ "task": task, "action": action, "to": to }), now).await?;
    }
    Ok(true)
}

/// Who leads `username`'s org unit, or the unit above when that is them; `None` at the top.
async fn manager_of(c: &impl ConnectionTrait, username: &str) -> Result<Option<String>, Error> {
    let own = Query::select()
        .column(a("org_unit_id"))
        .from(Table::Users)
        .and_where(Expr::col(a("username")).eq(username))
        .to_owned();
    let mut unit: Option<i64> = match c.query_one(&own).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => None,
    };
    while let Some(id) = unit {
        let q = Query::select()
            .columns(["manager", "parent_id"].map(a))
            .from(Table::OrgUnits)
            .and_where(Expr::col(a("id")).eq(id))
            .to_owned();
        let Some(row) = c.query_one(&q).await? else { return Ok(None) };
        let (manager, parent): (Option<String>, Option<i64>) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        match manager {
            Some(m) if m != username => return Ok(Some(m)),
            _ => unit = parent,
        }
    }
    Ok(None)
}
