//! Handing a task on: claiming one offered to a role you hold, giving it back, delegating
//! it to someone else; each audited.
//!
//! Each is one conditional write (`UPDATE … WHERE id = ? AND status = 'open' AND assignee
//! …`) whose changed-row count decides: of fifty claims at once, one wins and the others
//! are told who holds the task. A task goes only to someone who may work on it (`eligible`):
//! a candidate of its role and unit, or someone whose roles let them read the record it is
//! about. The holder hands it on, or a manager of the holder's unit; a platform
//! administrator administers and does not act in the business's name.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Query as Sql};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

use super::{Reach, a, reach, task_json, visible_or};
use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::core::Core;
use crate::db::Table;
use crate::error::{ConflictCode, Error, ForbiddenCode};
use crate::notifications::{Notice, TaskNews};

/// Who is to hold a task.
pub enum Reassignment {
    /// The caller takes a task offered to a role they hold.
    Claim,
    /// The caller gives a task they claimed back to its role.
    Unclaim,
    /// The holder (or their manager) hands it to this user.
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
    let me = principal.username.clone();
    let reach = reach(conn, principal, true).await?;
    // A candidate who lost the race to claim is told who won, not that there is no task.
    let offered = matches!(how, Reassignment::Claim).then(|| reach.offered());
    let row = visible_or(conn, &reach, id, offered).await?;
    let task = task_json(&row, conn.get_database_backend(), now, reach.language())?;
    if task["status"] != "open" {
        return Err(closed(&task));
    }
    let holder = task["assignee"].as_str().map(str::to_owned);
    // A task offered to a role or waiting in a unit's queue goes back there when unclaimed.
    let queued = task["candidate_role"].is_string() || task["candidate_unit"].is_string();
    let (action, to, held_as) = match (&how, holder.as_deref()) {
        (Reassignment::Claim, None) => ("task.claim", Some(me.clone()), Cond::all().add(reach.queue())),
        (Reassignment::Claim, Some(_)) => return Err(held(&task)),
        (Reassignment::Unclaim, Some(h)) if h == me && queued => ("task.unclaim", None, held_by(h)),
        (Reassignment::Unclaim, _) => {
            return Err(Error::Conflict {
                code: ConflictCode::not_claimed,
                detail: "only a task you claimed from a role or a queue goes back".into(),
            });
        }
        (Reassignment::Delegate(to), Some(h)) if h == me || reach.leads(h) => {
            eligible(core, &task, to, now).await?;
            ("task.delegate", Some(to.clone()), held_by(h))
        }
        (Reassignment::Delegate(_), None) => {
            return Err(Error::Conflict {
                code: ConflictCode::not_claimed,
                detail: "claim the task before handing it on".into(),
            });
        }
        (Reassignment::Delegate(_), Some(h)) => {
            return Err(Error::Conflict {
                code: ConflictCode::not_yours,
                detail: format!("{h} holds this task: only they, or a manager of their unit, hand it on"),
            });
        }
    };
    let tx = conn.begin().await?;
    if !super::store::set_holder(&tx, id, to.as_deref(), held_as).await? {
        // Someone else changed it since it was read: say what it is now.
        return Err(now_is(&tx, id, now).await?);
    }
    let app = task["app"].as_str().unwrap_or_default();
    let entry = Entry::app(action, app, json!({ "task": id, "from": holder, "to": to }));
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
    Ok(to)
}

fn held_by(holder: &str) -> Cond {
    Cond::all().add(Expr::col(a("assignee")).eq(holder))
}

/// The refusal for a task that is no longer open: what became of it, and by whom.
pub(crate) fn closed(task: &Value) -> Error {
    let by = task["completed_by"].as_str().map(|by| format!(" by {by}")).unwrap_or_default();
    Error::Conflict {
        code: ConflictCode::task_closed,
        detail: format!("task {} is {}{by}", task["id"], task["status"]),
    }
}

/// The refusal for a task someone else holds.
pub(crate) fn held(task: &Value) -> Error {
    let holder = task["assignee"].as_str().unwrap_or("someone");
    Error::Conflict { code: ConflictCode::task_held, detail: format!("{holder} holds task {} already", task["id"]) }
}

/// Why a write that lost a race to task `id` was refused, as the task now stands.
pub(crate) async fn now_is(c: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<Error, Error> {
    let task = super::one(c, id, now).await?.ok_or_else(|| Error::not_found(format!("no task {id}")))?;
    Ok(match (task["status"].as_str(), task["assignee"].as_str()) {
        (Some("open"), Some(_)) => held(&task),
        (Some("open"), None) => not_offered(&task),
        _ => closed(&task),
    })
}

/// The refusal for a claim of a task not offered to the caller (which an administrator
/// sees, and may not take).
fn not_offered(task: &Value) -> Error {
    let role = task["candidate_role"].as_str().map(|r| format!(" the role `{r}`")).unwrap_or_default();
    let unit = task["candidate_unit"].as_str().map(|u| format!(" in `{u}`")).unwrap_or_default();
    Error::Forbidden {
        code: ForbiddenCode::not_a_candidate,
        detail: format!("task {} waits for{role}{unit}, which you do not hold there", task["id"]),
    }
}

/// Whether `username` may work on `task`: they are a candidate of its role (in a unit at or
/// above its queue's), or their roles let them read the record it is about. A task about
/// nothing, offered to no role, goes to anyone with a role in its app. A refusal says why.
pub(super) async fn eligible(core: &Core, task: &Value, username: &str, now: DateTime<Utc>) -> Result<(), Error> {
    let refused = |why: String| Error::InvalidRecord(vec![engine_form::FieldError::new("/to", "not_eligible", why)]);
    let conn = &core.db.conn;
    let Some(user) = crate::auth::user(conn, crate::auth::Who::Name(username)).await? else {
        return Err(Error::InvalidRecord(vec![engine_form::FieldError::new(
            "/to",
            "unknown_user",
            format!("no user `{username}` who may sign in"),
        )]));
    };
    let app = task["app"].as_str().unwrap_or_default();
    let theirs: Reach = reach(conn, user.clone(), false).await?;
    if let Some(role) = task["candidate_role"].as_str() {
        let unit = task["candidate_unit"].as_str();
        if theirs.holds(app, role) && unit.is_none_or(|u| theirs.units.iter().any(|mine| mine == u)) {
            return Ok(());
        }
    }
    if let (Some(form), Some(record)) = (task["subject"]["form"].as_str(), task["subject"]["id"].as_i64()) {
        return match crate::access::reach::read_one(core, &user, (app, form, record), None, now).await {
            Ok(_) => Ok(()),
            Err(Error::NotFound(_) | Error::Forbidden { .. }) => {
                Err(refused(format!("{username} may not read the `{form}` record {record} this task is about")))
            }
            Err(e) => Err(e),
        };
    }
    if Value::is_null(&task["candidate_role"]) && (theirs.has_roles_in(app) || no_roles(core, app).await?) {
        return Ok(());
    }
    Err(refused(format!("{username} holds no role this task is offered to")))
}

async fn no_roles(core: &Core, app: &str) -> Result<bool, Error> {
    Ok(core.catalog.published(&core.db.conn, app).await?.roles.is_empty())
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
    let mut handed = 0;
    for row in &rows {
        let (id, title): (i64, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        let subject: (Option<String>, Option<i64>) = (row.try_get_by_index(2)?, row.try_get_by_index(3)?);
        if !super::store::set_holder(c, id, Some(to), held_by(from)).await? {
            continue; // Completed or handed on meanwhile: not theirs to hand over.
        }
        let data: Option<String> = row.try_get_by_index(4)?;
        let data = data.and_then(|d| serde_json::from_str::<Value>(&d).ok()).unwrap_or(Value::Null);
        let titles = data["titles"].as_object().cloned().unwrap_or_default();
        let (message, messages) = TaskNews::Handed.texts(&title, &titles);
        let subject = subject.0.as_deref().zip(subject.1);
        let notice = Notice { user: to, app, message: &message, messages: &messages, task: Some(id), subject };
        crate::notifications::notify(c, &notice, now).await?;
        handed += 1;
    }
    Ok(handed)
}
