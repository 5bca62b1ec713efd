//! Handing a task on: claiming one offered to a role you hold, giving it back, delegating
//! it to someone else; each audited.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query as Sql};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

use super::{a, reach, task_json, visible};
use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::core::Core;
use crate::db::Table;
use crate::error::Error;
use crate::notifications::{Notice, TaskNews};

/// Who is to hold a task.
pub enum Reassignment {
    /// The caller takes a task offered to a role they hold.
    Claim,
    /// The caller gives a task they claimed back to its role.
    Unclaim,
    /// The holder (or an administrator) hands it to this user.
    Delegate(String),
}

/// Changes who holds open task `id` as `how` says, as `principal`; audited. Who holds it
/// now.
pub async fn reassign(
    core: &Core,
    (principal, actor): (Principal, Actor),
    id: i64,
    how: Reassignment,
    now: DateTime<Utc>,
) -> Result<Option<String>, Error> {
    let conn = &core.db.conn;
    let (me, admin) = (principal.username.clone(), principal.platform_role == "administrator");
    if let Reassignment::Delegate(to) = &how {
        let exists = Sql::select()
            .column(a("id"))
            .from(Table::Users)
            .and_where(Expr::col(a("username")).eq(to.as_str()))
            .to_owned();
        if conn.query_one(&exists).await?.is_none() {
            return Err(Error::InvalidRecord(vec![engine_form::FieldError::new(
                "/to",
                "unknown_user",
                "no such user",
            )]));
        }
    }
    let reach = reach(conn, principal, false).await?;
    let tx = conn.begin().await?;
    let task = task_json(&visible(&tx, &reach, id).await?, conn.get_database_backend(), now, reach.language())?;
    if task["status"] != "open" {
        return Err(Error::Conflict { code: "task_closed", detail: format!("task {id} is {}", task["status"]) });
    }
    // A task offered to a role or waiting in a unit's queue goes back there when unclaimed.
    let queued = task["candidate_role"].is_string() || task["candidate_unit"].is_string();
    let (action, holder) = match (&how, task["assignee"].as_str(), queued) {
        (Reassignment::Claim, None, _) => ("task.claim", Some(me)),
        (Reassignment::Claim, Some(_), _) => {
            return Err(Error::Conflict { code: "task_held", detail: "someone holds this task already".into() });
        }
        (Reassignment::Unclaim, Some(h), true) if h == me => ("task.unclaim", None),
        (Reassignment::Unclaim, ..) => {
            return Err(Error::Conflict {
                code: "not_claimed",
                detail: "only a task you claimed from a role or a queue goes back".into(),
            });
        }
        (Reassignment::Delegate(to), Some(h), _) if h == me || admin => ("task.delegate", Some(to.clone())),
        (Reassignment::Delegate(_), ..) => {
            return Err(Error::Conflict { code: "not_yours", detail: "only the holder hands a task on".into() });
        }
    };
    let stmt = Sql::update()
        .table(Table::Tasks)
        .value(a("assignee"), holder.clone())
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("status")).eq("open"))
        .to_owned();
    tx.execute(&stmt).await?;
    let app = task["app"].as_str().unwrap_or_default();
    let entry = Entry::app(action, app, json!({ "task": id, "from": task["assignee"], "to": holder }));
    audit::write(&tx, &actor, entry, now).await?;
    // Whoever a task is handed to is told.
    if let (Reassignment::Delegate(to), Some(title)) = (&how, task["title"].as_str()) {
        let titles = task["data"]["titles"].as_object().cloned().unwrap_or_default();
        let (message, messages) = TaskNews::Handed.texts(title, &titles);
        let subject = match (task["subject"]["form"].as_str(), task["subject"]["id"].as_i64()) {
            (Some(form), Some(record)) => Some((form, record)),
            _ => None,
        };
        let notice = Notice { user: to, app, message: &message, messages: &messages, task: Some(id), subject };
        crate::notifications::notify(&tx, &notice, now).await?;
    }
    tx.commit().await?;
    Ok(holder)
}

/// Hands every open task of `app` that `from` holds to `to`, who is told of each; how many.
pub async fn hand_all(
    c: &impl ConnectionTrait,
    app: &str,
    (from, to): (&str, &str),
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    let held = Sql::select()
        .columns(["id", "title", "subject_form", "subject_id", "data"].map(a))
        .from(Table::Tasks)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("assignee")).eq(from))
        .and_where(Expr::col(a("status")).eq("open"))
        .to_owned();
    let rows = c.query_all(&held).await?;
    for row in &rows {
        let (id, title): (i64, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        let subject: (Option<String>, Option<i64>) = (row.try_get_by_index(2)?, row.try_get_by_index(3)?);
        let moved =
            Sql::update().table(Table::Tasks).value(a("assignee"), to).and_where(Expr::col(a("id")).eq(id)).to_owned();
        c.execute(&moved).await?;
        let data: Option<String> = row.try_get_by_index(4)?;
        let data = data.and_then(|d| serde_json::from_str::<Value>(&d).ok()).unwrap_or(Value::Null);
        let titles = data["titles"].as_object().cloned().unwrap_or_default();
        let (message, messages) = TaskNews::Handed.texts(&title, &titles);
        let subject = subject.0.as_deref().zip(subject.1);
        let notice = Notice { user: to, app, message: &message, messages: &messages, task: Some(id), subject };
        crate::notifications::notify(c, &notice, now).await?;
    }
    Ok(rows.len() as u64)
}
