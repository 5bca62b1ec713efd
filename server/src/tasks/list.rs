//! The inbox: the tasks a caller may see, a page at a time, soonest due first; and how
//! many are open and overdue.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, NullOrdering, Order};
use serde_json::Value;

use super::{COLUMNS, a, reach, task_json};
use crate::auth::Principal;
use crate::core::Core;
use crate::db::codec::datetime;
use crate::error::{BadInputCode, Error};

/// Which tasks to list.
#[derive(Debug, Default)]
pub struct TaskQuery {
    pub app: Option<String>,
    /// `open` (the default), `completed` or `cancelled`.
    pub status: Option<String>,
    /// Also the tasks of the users in the units the caller leads and those below them.
    pub team: bool,
    /// Only one part of what the caller sees: none for all of it.
    pub whose: Option<Whose>,
    pub overdue: bool,
    pub due_before: Option<DateTime<Utc>>,
    /// `low`, `normal` or `high`.
    pub priority: Option<String>,
    /// At most this many: 1 to [`MAX_PAGE`].
    pub limit: u64,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// One part of an inbox: the caller's own tasks, those waiting in a queue of theirs (a role
/// or unit of theirs, held by no one), or those the others in their units hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    Mine,
    Queue,
    Team,
}

impl Whose {
    pub fn parse(text: &str) -> Result<Whose, Error> {
        match text {
            "mine" => Ok(Whose::Mine),
            "queue" => Ok(Whose::Queue),
            "team" => Ok(Whose::Team),
            _ => Err(Error::bad_input_at(BadInputCode::bad_query, "/whose", "`whose` is mine, queue or team")),
        }
    }
}

/// The largest page of tasks.
pub const MAX_PAGE: u64 = 500;

/// A page of tasks, and the cursor of the next if there is one.
pub struct TaskPage {
    pub items: Vec<Value>,
    pub next: Option<String>,
    /// For a team's first page: each holder's open and overdue tasks among all it selects.
    pub holders: Option<Vec<Value>>,
}

/// At most this many of a team's tasks are counted by holder.
const MAX_COUNTED: u64 = 10_000;

/// A task page's cursor: the last task's due time (none for a task without one, which
/// sort last) and id, `2026-12-08T10:00:00.000000Z/42` or `/42`.
fn after_condition(cursor: &str, backend: sea_orm::DbBackend) -> Result<sea_orm::sea_query::Cond, Error> {
    use sea_orm::sea_query::Cond;
    let bad = || Error::bad_input_at(BadInputCode::bad_cursor, "/after", "not a cursor this list gave");
    let (due, id) = cursor.rsplit_once('/').ok_or_else(bad)?;
    let id: i64 = id.parse().map_err(|_| bad())?;
    let (due_col, id_col) = (Expr::col(a("due_at")), Expr::col(a("id")));
    if due.is_empty() {
        return Ok(Cond::all().add(due_col.is_null()).add(id_col.gt(id)));
    }
    let due = engine_form::parse_instant(due).ok_or_else(bad)?;
    let at = datetime(due, backend);
    Ok(Cond::any()
        .add(due_col.clone().gt(at.clone()))
        .add(Cond::all().add(due_col.clone().eq(at)).add(id_col.gt(id)))
        .add(due_col.is_null()))
}

/// How many open tasks the inbox opens on (the caller's own: what its "mine" list shows),
/// and how many of those are overdue: counted by the very selection that list reads.
pub async fn counts(c: &impl ConnectionTrait, principal: Principal, now: DateTime<Utc>) -> Result<(i64, i64), Error> {
    let reach = reach(c, principal, false).await?;
    let mut counts = [0i64; 2];
    for (i, overdue) in [false, true].into_iter().enumerate() {
        let query = TaskQuery { whose: Some(Whose::Mine), overdue, ..TaskQuery::default() };
        let mut stmt = selection(&reach, &query, now, c.get_database_backend())?;
        stmt.expr(Expr::col(a("id")).count());
        if let Some(row) = c.query_one(&stmt).await? {
            counts[i] = row.try_get_by_index(0)?;
        }
    }
    Ok((counts[0], counts[1]))
}

/// The tasks `query` asks for among those `reach` sees, as SQL (no columns, order or page).
fn selection(
    reach: &super::Reach,
    query: &TaskQuery,
    now: DateTime<Utc>,
    backend: sea_orm::DbBackend,
) -> Result<sea_orm::sea_query::SelectStatement, Error> {
    let status = query.status.as_deref().unwrap_or("open");
    if !["open", "completed", "cancelled"].contains(&status) {
        return Err(Error::bad_input(BadInputCode::bad_query, "`status` is open, completed or cancelled"));
    }
    let mut stmt = reach.tasks(status);
    if let Some(whose) = query.whose {
        stmt.cond_where(reach.part(whose));
    }
    if let Some(app) = &query.app {
        stmt.and_where(Expr::col(a("app")).eq(app.as_str()));
    }
    if query.overdue {
        stmt.and_where(Expr::col(a("due_at")).lt(datetime(now, backend)));
    }
    if let Some(before) = query.due_before {
        stmt.and_where(Expr::col(a("due_at")).lt(datetime(before, backend)));
    }
    if let Some(priority) = &query.priority {
        if !["low", "normal", "high"].contains(&priority.as_str()) {
            return Err(Error::bad_input(BadInputCode::bad_query, "`priority` is low, normal or high"));
        }
        stmt.and_where(Expr::col(a("priority")).eq(priority.as_str()));
    }
    Ok(stmt)
}

/// The tasks `principal` may see that `query` asks for, soonest due first.
pub async fn list(core: &Core, principal: Principal, query: &TaskQuery, now: DateTime<Utc>) -> Result<TaskPage, Error> {
    let conn = &core.db.conn;
    let reach = reach(conn, principal, query.team || query.whose == Some(Whose::Team)).await?;
    let backend = conn.get_database_backend();
    let mut stmt = selection(&reach, query, now, backend)?;
    stmt.columns(COLUMNS.map(a));
    if !(1..=MAX_PAGE).contains(&query.limit) {
        return Err(Error::bad_input_at(BadInputCode::bad_query, "/limit", format!("`limit` is 1 to {MAX_PAGE}")));
    }
    if let Some(cursor) = &query.after {
        stmt.cond_where(after_condition(cursor, backend)?);
    }
    stmt.order_by_with_nulls(a("due_at"), Order::Asc, NullOrdering::Last)
        .order_by(a("id"), Order::Asc)
        .limit(query.limit + 1);
    let rows = conn.query_all(&stmt).await?;
    let mut items: Vec<Value> =
        rows.iter().map(|r| task_json(r, backend, now, reach.language())).collect::<Result<_, _>>()?;
    let next = (items.len() as u64 > query.limit).then(|| {
        items.truncate(query.limit as usize);
        items.last().map(|t| format!("{}/{}", t["due_at"].as_str().unwrap_or(""), t["id"]))
    });
    // A team's task about what the reader sees masked (a birthday's) tells it by its title
    // and its date: left out, as the value is.
    crate::access::without_derived(core, &reach.principal, &mut items, |t| reach.acts_on(t)).await?;
    let holders = match (query.whose, &query.after) {
        (Some(Whose::Team), None) => Some(holders(core, &reach, query, now).await?),
        _ => None,
    };
    Ok(TaskPage { items, next: next.flatten(), holders })
}

/// Each holder of the tasks `query` selects (every page of them, as the list shows them:
/// what the reader may not see left out), with how many are open and overdue, most first.
async fn holders(
    core: &Core,
    reach: &super::Reach,
    query: &TaskQuery,
    now: DateTime<Utc>,
) -> Result<Vec<Value>, Error> {
    let conn = &core.db.conn;
    let backend = conn.get_database_backend();
    let mut stmt = selection(reach, query, now, backend)?;
    stmt.columns(COLUMNS.map(a)).limit(MAX_COUNTED);
    let mut tasks: Vec<Value> = conn
        .query_all(&stmt)
        .await?
        .iter()
        .map(|r| task_json(r, backend, now, reach.language()))
        .collect::<Result<_, _>>()?;
    crate::access::without_derived(core, &reach.principal, &mut tasks, |t| reach.acts_on(t)).await?;
    let mut counted: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for task in &tasks {
        let entry = counted.entry(task["assignee"].as_str().unwrap_or_default().to_owned()).or_default();
        entry.0 += 1;
        entry.1 += i64::from(task["overdue"] == true);
    }
    // Each holder by the name people know them by, in one read.
    let known = crate::auth::directory::display_names(conn, counted.keys().cloned()).await?;
    let mut holders: Vec<Value> = counted
        .into_iter()
        .map(|(username, (open, overdue))| {
            let display_name = known.get(&username).cloned().flatten();
            serde_json::json!({ "username": username, "display_name": display_name, "open": open, "overdue": overdue })
        })
        .collect();
    holders.sort_by_key(|h| std::cmp::Reverse((h["overdue"].as_i64(), h["open"].as_i64())));
    Ok(holders)
}
