//! Tasks people do, one kind of task: the user tasks of running processes and the tasks
//! rules raise (an alert for a customer's RM), assigned to a user or offered to a role, listed for whoever may see them (their holder, their role's holders, their
//! holder's managers), completed with their form, and handed on.

mod assign;
mod complete;

pub use assign::{Reassignment, hand_all, reassign};
pub use complete::{Completion, complete, task_form};

use chrono::{DateTime, Utc};
use engine_form::StorageType;
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, NullOrdering, Order, Query as Sql};
use sea_orm::{ConnectionTrait, QueryResult};
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::db::Table;
use crate::error::Error;
use crate::records::codec::{datetime, decode};

fn a(name: &str) -> Alias {
    Alias::new(name)
}

const COLUMNS: [&str; 20] = [
    "id",
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
    "outcome",
    "data",
    "subject_form",
    "subject_id",
    "created_at",
    "completed_at",
    "completed_by",
    "firing_id",
];

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
            _ => Err(Error::bad_input_at("bad_query", "/whose", "`whose` is mine, queue or team")),
        }
    }
}

/// The largest page of tasks.
pub const MAX_PAGE: u64 = 500;

/// A page of tasks, and the cursor of the next if there is one.
pub struct TaskPage {
    pub items: Vec<Value>,
    pub next: Option<String>,
}

/// A task page's cursor: the last task's due time (none for a task without one, which
/// sort last) and id, `2026-12-08T10:00:00.000000Z/42` or `/42`.
fn after_condition(cursor: &str, backend: sea_orm::DbBackend) -> Result<sea_orm::sea_query::Cond, Error> {
    use sea_orm::sea_query::Cond;
    let bad = || Error::bad_input_at("bad_cursor", "/after", "not a cursor this list gave");
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

/// Who may see which tasks: the caller's name, their (app, role) pairs, and their team.
pub struct Reach {
    principal: Principal,
    roles: Vec<(String, String)>,
    /// The keys of the caller's org unit and every unit below it: the queues they see.
    pub(crate) units: Vec<String>,
    /// Asked for, the users of the units the caller leads (manages) and those below them.
    team: Vec<String>,
}

pub async fn reach(c: &impl ConnectionTrait, principal: Principal, team: bool) -> Result<Reach, Error> {
    let roles_q = Sql::select()
        .columns(["app", "role"].map(a))
        .from(Table::UserRoles)
        .and_where(Expr::col(a("user_id")).eq(principal.user_id))
        .to_owned();
    let mut roles = Vec::new();
    for row in c.query_all(&roles_q).await? {
        roles.push((row.try_get_by_index(0)?, row.try_get_by_index(1)?));
    }
    let below = crate::auth::directory::unit_and_below(c, principal.user_id).await?;
    let mut members = Vec::new();
    let led = if team { crate::auth::directory::units_led(c, &principal.username).await? } else { Vec::new() };
    if !led.is_empty() {
        // The users of the units the caller leads and of those below them.
        let users = Sql::select()
            .column(a("username"))
            .from(Table::Users)
            .and_where(Expr::col(a("org_unit_id")).is_in(led))
            .to_owned();
        for row in c.query_all(&users).await? {
            members.push(row.try_get_by_index(0)?);
        }
    }
    let units = below.into_iter().map(|(_, key)| key).collect();
    Ok(Reach { principal, roles, units, team: members })
}

impl Reach {
    /// The tasks the caller may see, as SQL: theirs; those offered to a role of theirs,
    /// anywhere or in a unit at or below theirs; those waiting in such a unit's queue for
    /// no role; and, asked for, their team's.
    pub fn condition(&self) -> Cond {
        let mut any = Cond::any().add(Expr::col(a("assignee")).eq(self.principal.username.as_str())).add(self.queue());
        if !self.team.is_empty() {
            any = any.add(Expr::col(a("assignee")).is_in(self.team.clone()));
        }
        any
    }

    /// The tasks waiting in the caller's queues, as SQL: held by no one and offered to a
    /// role of theirs (anywhere, or in a unit at or below theirs), or waiting in such a
    /// unit's queue for no role. What the caller may claim.
    pub fn queue(&self) -> Cond {
        Cond::all().add(Expr::col(a("assignee")).is_null()).add(self.offered())
    }

    /// The tasks offered to the caller's roles and units, held or not: those they could
    /// claim, or could have.
    pub fn offered(&self) -> Cond {
        let mut any = Cond::any();
        let in_my_units = || Expr::col(a("candidate_unit")).is_in(self.units.clone());
        for (app, role) in &self.roles {
            any = any.add(
                Cond::all()
                    .add(Expr::col(a("app")).eq(app.as_str()))
                    .add(Expr::col(a("candidate_role")).eq(role.as_str()))
                    .add(Cond::any().add(Expr::col(a("candidate_unit")).is_null()).add(in_my_units())),
            );
        }
        if !self.units.is_empty() {
            any = any.add(Cond::all().add(Expr::col(a("candidate_role")).is_null()).add(in_my_units()));
        }
        if any.is_empty() {
            // No role and no unit: nothing is offered to them. (Said outright: an empty
            // `any` must not vanish from the SQL and leave every queue open.)
            return Cond::all().add(Expr::cust("1 = 0"));
        }
        any
    }

    /// Whether the caller acts on `task` (its JSON): theirs, or waiting in a queue of theirs.
    pub fn acts_on(&self, task: &Value) -> bool {
        Value::is_null(&task["assignee"]) || task["assignee"].as_str() == Some(self.principal.username.as_str())
    }

    /// Whether the caller leads the unit of `user` (or one above it).
    pub fn leads(&self, user: &str) -> bool {
        self.team.iter().any(|member| member == user)
    }

    /// Whether the caller holds `role` in `app`.
    pub fn holds(&self, app: &str, role: &str) -> bool {
        self.roles.iter().any(|(a, r)| a == app && r == role)
    }

    /// Whether the caller holds any role in `app`.
    pub fn has_roles_in(&self, app: &str) -> bool {
        self.roles.iter().any(|(a, _)| a == app)
    }

    /// The language the caller reads tasks in.
    pub fn language(&self) -> Option<&str> {
        self.principal.language.as_deref()
    }

    /// The tasks of `status` the caller may see: every one for an administrator.
    fn tasks(&self, status: &str) -> sea_orm::sea_query::SelectStatement {
        let mut stmt = Sql::select();
        stmt.from(Table::Tasks).and_where(Expr::col(a("status")).eq(status));
        if !self.is_admin() {
            stmt.cond_where(self.condition());
        }
        stmt
    }

    fn is_admin(&self) -> bool {
        self.principal.platform_role == "administrator"
    }

    /// `whose` part of the tasks the caller sees, as SQL (within [`Reach::condition`]).
    fn part(&self, whose: Whose) -> Cond {
        let assignee = || Expr::col(a("assignee"));
        let me = self.principal.username.as_str();
        match whose {
            Whose::Mine => Cond::all().add(assignee().eq(me)),
            Whose::Queue => Cond::all().add(assignee().is_null()),
            Whose::Team => Cond::all().add(assignee().is_in(self.team.iter().filter(|m| *m != me).cloned())),
        }
    }
}

/// A task row as the API shows it to a reader of `language`: its title in theirs, if given.
pub fn task_json(
    row: &QueryResult,
    backend: sea_orm::DbBackend,
    now: chrono::DateTime<Utc>,
    language: Option<&str>,
) -> Result<Value, Error> {
    let text = |key: &str| -> Result<Value, Error> {
        Ok(row.try_get::<Option<String>>("", key)?.map_or(Value::Null, Value::String))
    };
    let instant = |i: usize| decode(row, i, &StorageType::DateTime, backend).map(|v| v.to_json());
    let json_text = |key: &str| -> Result<Value, Error> {
        Ok(row.try_get::<Option<String>>("", key)?.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null))
    };
    let due = decode(row, 10, &StorageType::DateTime, backend)?;
    let status: String = row.try_get("", "status")?;
    let overdue = status == "open" && matches!(&due, engine_form::FieldValue::DateTime(d) if *d < now);
    let (title, data): (String, Value) = (row.try_get("", "title")?, json_text("data")?);
    let title = engine_rule::in_language(&title, data["titles"].as_object().unwrap_or(&Default::default()), language)
        .to_owned();
    Ok(json!({
        "id": row.try_get::<i64>("", "id")?,
        "app": row.try_get::<String>("", "app")?,
        "instance": row.try_get::<Option<i64>>("", "instance_id")?,
        "token": row.try_get::<Option<i64>>("", "token")?,
        "node": text("node")?,
        "firing": row.try_get::<Option<i64>>("", "firing_id")?,
        "title": title,
        "assignee": text("assignee")?,
        "candidate_role": text("candidate_role")?,
        "candidate_unit": text("candidate_unit")?,
        "priority": row.try_get::<String>("", "priority")?,
        "due_at": due.to_json(),
        "overdue": overdue,
        "status": status,
        "outcome": text("outcome")?,
        "data": data,
        "subject": { "form": text("subject_form")?, "id": row.try_get::<Option<i64>>("", "subject_id")? },
        "created_at": instant(16)?,
        "completed_at": instant(17)?,
        "completed_by": text("completed_by")?,
    }))
}

/// How many open tasks the inbox shows `principal`, and how many of those are overdue.
pub async fn counts(c: &impl ConnectionTrait, principal: Principal, now: DateTime<Utc>) -> Result<(i64, i64), Error> {
    let reach = reach(c, principal, false).await?;
    let mut counts = [0i64; 2];
    for (i, overdue) in [false, true].into_iter().enumerate() {
        let mut stmt = reach.tasks("open");
        stmt.expr(Expr::col(a("id")).count());
        if overdue {
            stmt.and_where(Expr::col(a("due_at")).lt(datetime(now, c.get_database_backend())));
        }
        if let Some(row) = c.query_one(&stmt).await? {
            counts[i] = row.try_get_by_index(0)?;
        }
    }
    Ok((counts[0], counts[1]))
}

/// The tasks `principal` may see that `query` asks for, soonest due first.
pub async fn list(core: &Core, principal: Principal, query: &TaskQuery, now: DateTime<Utc>) -> Result<TaskPage, Error> {
    let conn = &core.db.conn;
    let reach = reach(conn, principal, query.team || query.whose == Some(Whose::Team)).await?;
    let backend = conn.get_database_backend();
    let status = query.status.as_deref().unwrap_or("open");
    if !["open", "completed", "cancelled"].contains(&status) {
        return Err(Error::bad_input("bad_query", "`status` is open, completed or cancelled"));
    }
    let mut stmt = reach.tasks(status);
    stmt.columns(COLUMNS.map(a));
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
            return Err(Error::bad_input("bad_query", "`priority` is low, normal or high"));
        }
        stmt.and_where(Expr::col(a("priority")).eq(priority.as_str()));
    }
    if !(1..=MAX_PAGE).contains(&query.limit) {
        return Err(Error::bad_input_at("bad_query", "/limit", format!("`limit` is 1 to {MAX_PAGE}")));
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
    Ok(TaskPage { items, next: next.flatten() })
}

/// `SELECT` of the task rows [`task_json`] reads, for whoever may read what they are
/// about (a record's timeline); the caller adds the conditions.
pub fn rows() -> sea_orm::sea_query::SelectStatement {
    Sql::select().columns(COLUMNS.map(a)).from(Table::Tasks).to_owned()
}

/// Task `id`, if the caller may see it.
pub async fn visible(c: &impl ConnectionTrait, reach: &Reach, id: i64) -> Result<QueryResult, Error> {
    visible_or(c, reach, id, None).await
}

/// Task `id`, if the caller may see it or it is also of `or` (an offered task someone has
/// claimed meanwhile, which a candidate is told of by name).
pub(crate) async fn visible_or(
    c: &impl ConnectionTrait,
    reach: &Reach,
    id: i64,
    or: Option<Cond>,
) -> Result<QueryResult, Error> {
    let mut stmt = rows();
    stmt.and_where(Expr::col(a("id")).eq(id));
    if !reach.is_admin() {
        stmt.cond_where(match or {
            Some(or) => Cond::any().add(reach.condition()).add(or),
            None => reach.condition(),
        });
    }
    c.query_one(&stmt).await?.ok_or_else(|| Error::not_found(format!("no task {id} of yours")))
}

/// Whether the caller may see task `id` (its files are theirs to read): 404 if not.
pub async fn visible_to(core: &Core, principal: Principal, id: i64) -> Result<(), Error> {
    let reach = reach(&core.db.conn, principal, true).await?;
    visible(&core.db.conn, &reach, id).await.map(drop)
}

/// Whether `principal` holds an open task of `app` (or one is offered to their role)
/// whose form, in the app's published flows, takes files.
pub async fn holds_task_taking_files(core: &Core, app: &PublishedApp, principal: &Principal) -> Result<bool, Error> {
    let mut nodes = Cond::any();
    let mut any = false;
    for flow in app.flows.iter() {
        for node in &flow.nodes {
            if let engine_flow::NodeKind::UserTask(task) = &node.kind
                && task.fields.iter().any(|f| f["type"] == "attachment")
            {
                let of_flow = Sql::select()
                    .column(a("id"))
                    .from(Table::FlowInstances)
                    .and_where(Expr::col(a("app")).eq(app.key.as_str()))
                    .and_where(Expr::col(a("flow")).eq(flow.key.as_str()))
                    .to_owned();
                nodes = nodes.add(
                    Expr::col(a("node")).eq(node.id.as_str()).and(Expr::col(a("instance_id")).in_subquery(of_flow)),
                );
                any = true;
            }
        }
    }
    if !any {
        return Ok(false);
    }
    let reach = reach(&core.db.conn, principal.clone(), false).await?;
    let stmt = Sql::select()
        .column(a("id"))
        .from(Table::Tasks)
        .and_where(Expr::col(a("app")).eq(app.key.as_str()))
        .and_where(Expr::col(a("status")).eq("open"))
        .cond_where(nodes)
        .cond_where(reach.condition())
        .limit(1)
        .to_owned();
    Ok(core.db.conn.query_one(&stmt).await?.is_some())
}

/// A task's SLA escalations: when, what, to whom, and when done.
pub async fn escalations_of(c: &impl ConnectionTrait, task: i64) -> Result<Value, Error> {
    let stmt = Sql::select()
        .columns(["due_at", "action", "target", "done_at"].map(a))
        .from(Table::TaskEscalations)
        .and_where(Expr::col(a("task_id")).eq(task))
        .order_by(a("due_at"), Order::Asc)
        .to_owned();
    let backend = c.get_database_backend();
    let mut out = Vec::new();
    for row in c.query_all(&stmt).await? {
        out.push(json!({
            "at": decode(&row, 0, &StorageType::DateTime, backend)?.to_json(),
            "action": row.try_get_by_index::<String>(1)?,
            "to": row.try_get_by_index::<Option<String>>(2)?,
            "done_at": decode(&row, 3, &StorageType::DateTime, backend)?.to_json(),
        }));
    }
    Ok(Value::Array(out))
}
