//! SLA escalations of open tasks, each done once when due: a reminder to whoever holds
//! the task, an escalation to the manager of their org unit (or of the unit above, for a
//! manager's own task), or a reassignment. Messages go through the outbox (in-app).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::json;

use super::store::{a, history};
use crate::core::Core;
use crate::db::Table;
use crate::error::Error;
use crate::notifications::TaskNews;
use crate::tasks::store::{self, DueEscalation};

const BATCH: u64 = 200;

/// Carries out every escalation due at `now`; how many (of tasks still open).
pub async fn run_due_escalations(state: &Core, now: DateTime<Utc>) -> Result<usize, Error> {
    let conn = &state.db.conn;
    let mut done = 0;
    loop {
        let due = store::due_escalations(conn, now, BATCH).await?;
        if due.is_empty() {
            return Ok(done);
        }
        for escalation in due {
            let tx = conn.begin().await?;
            if store::claim_escalation(&tx, escalation.id, now).await? && escalate(&tx, &escalation, now).await? {
                done += 1;
            }
            tx.commit().await?;
        }
    }
}

async fn escalate(tx: &DatabaseTransaction, escalation: &DueEscalation, now: DateTime<Utc>) -> Result<bool, Error> {
    let DueEscalation { task: id, action, target, .. } = escalation;
    let Some(task) = crate::tasks::one(tx, *id, now).await? else { return Ok(false) };
    if task["status"] != "open" {
        return Ok(false);
    }
    let (app, title) = (task["app"].as_str().unwrap_or_default(), task["title"].as_str().unwrap_or_default());
    let holder = task["assignee"].as_str().map(str::to_owned);
    let titles = task["data"]["titles"].as_object().cloned().unwrap_or_default();
    let (to, news) = match action.as_str() {
        "remind" => (holder.clone(), TaskNews::Reminder),
        "escalate" => {
            let manager = match &holder {
                Some(h) => manager_of(tx, h).await?,
                None => None,
            };
            (manager, TaskNews::Escalated)
        }
        _ => {
            store::set_holder(tx, *id, target.as_deref(), Cond::all()).await?;
            (target.clone(), TaskNews::Reassigned)
        }
    };
    if let Some(to) = &to {
        let (mut message, mut messages) = news.texts(title, &titles);
        // The manager is told whose task it was.
        if let (TaskNews::Escalated, Some(holder)) = (news, &holder) {
            message = format!("{message} ({holder})");
            for text in messages.values_mut() {
                *text = json!(format!("{} ({holder})", text.as_str().unwrap_or_default()));
            }
        }
        let body = json!({ "message": message, "messages": messages, "task": id });
        crate::rules::queue_message_for(tx, app, "in_app", &json!(to), &body, now).await?;
    }
    if let Some(instance) = task["instance"].as_i64() {
        history(tx, instance, "escalation", json!({ "task": id, "action": action, "to": to }), now).await?;
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
