//! Tasks people do, one kind of task: the user tasks of running processes and the tasks
//! rules raise (an alert for a customer's RM), assigned to a user or offered to a role,
//! listed for whoever may see them (their holder, their role's holders, their holder's
//! managers), and handed on. This module owns the task tables: every write to them is in
//! `store.rs`, which processes and rules open and close tasks through. Completing a task
//! moves its process on, so it is the processes' (`flows::complete`).

mod assign;
mod list;
mod reach;
pub mod store;
mod takers;

pub use assign::{Reassignment, hand_all, reassign};
pub(crate) use assign::{closed, held, now_is};
pub use list::{MAX_PAGE, TaskPage, TaskQuery, Whose, counts, list};
pub use reach::{Reach, reach};
pub use takers::takers;

use chrono::{DateTime, Utc};
use engine_form::StorageType;
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Order, Query as Sql};
use sea_orm::{ConnectionTrait, QueryResult};
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::db::Table;
use crate::db::codec::decode;
use crate::error::Error;

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

/// Task `id` as the caller may see it, with its form, its outcomes, its escalations and the
/// record it is about (as they may see it; none if they may not read it).
pub async fn detail(core: &Core, principal: &Principal, id: i64, now: DateTime<Utc>) -> Result<Value, Error> {
    let conn = &core.db.conn;
    let reach = reach(conn, principal.clone(), true).await?;
    let row = visible(conn, &reach, id).await?;
    let mut shown = vec![task_json(&row, conn.get_database_backend(), now, reach.language())?];
    crate::access::without_derived(core, principal, &mut shown, |t| reach.acts_on(t)).await?;
    let Some(mut task) = shown.pop() else { return Err(Error::not_found(format!("no task {id} of yours"))) };
    let form = task_form(core, &task).await?;
    // The task's own fields are its holder's to write.
    let mut fields = form.fields.clone();
    for field in &mut fields {
        crate::access::Mode::Visible.mark(field);
    }
    task["form"] = json!({ "fields": fields });
    task["escalations"] = escalations_of(conn, id).await?;
    task["outcomes"] =
        form.outcomes.iter().map(|key| json!({ "key": key, "label": form.outcome_labels.get(key) })).collect();
    if let (Some(app), Some(form), Some(record)) =
        (task["app"].as_str(), task["subject"]["form"].as_str(), task["subject"]["id"].as_i64())
    {
        let app = app.to_owned();
        task["record"] = match crate::access::reach::read_one(core, principal, (&app, form, record), None, now).await {
            Ok(record) => record,
            Err(_) => Value::Null, // Not a record the caller may read.
        };
    }
    Ok(task)
}

/// Task `id` as it stands, read by no one in particular (titles as written); `None` if
/// there is no such task.
pub async fn one(c: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<Option<Value>, Error> {
    let mut stmt = rows();
    stmt.and_where(Expr::col(a("id")).eq(id));
    match c.query_one(&stmt).await? {
        Some(row) => Ok(Some(task_json(&row, c.get_database_backend(), now, None)?)),
        None => Ok(None),
    }
}

/// A task node's form: its fields as written (what a task shows), as engine-form
/// checked them (what completing checks), and its outcomes.
pub struct TaskForm {
    pub fields: Vec<Value>,
    pub form: engine_form::Form,
    pub outcomes: Vec<String>,
    /// What each outcome is called, per language.
    pub outcome_labels: std::collections::BTreeMap<String, engine_form::Labels>,
}

/// The task form and outcomes of a task's node, from the flow version its process runs;
/// for a task a rule raised, notes on what was done.
pub async fn task_form(core: &Core, task: &Value) -> Result<TaskForm, Error> {
    let app_key = task["app"].as_str().unwrap_or_default();
    let Some(instance) = task["instance"].as_i64() else {
        let app = core.catalog.published(&core.db.conn, app_key).await?;
        return raised_task_form(&app.bundle);
    };
    let head = Sql::select()
        .columns(["flow", "version"].map(a))
        .from(Table::FlowInstances)
        .and_where(Expr::col(a("id")).eq(instance))
        .to_owned();
    let row = core.db.conn.query_one(&head).await?.ok_or_else(|| Error::not_found("process gone"))?;
    let (flow_key, version): (String, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    let flows = crate::catalog::flows_of_version(&core.db.conn, app_key, version).await?;
    let node = flows.iter().find(|f| f.key == flow_key).and_then(|f| f.node(task["node"].as_str().unwrap_or_default()));
    match node.map(|n| &n.kind) {
        Some(engine_flow::NodeKind::UserTask(t)) => Ok(TaskForm {
            fields: t.fields.clone(),
            form: t.form.clone(),
            outcomes: t.outcomes.clone(),
            outcome_labels: t.outcome_labels.clone(),
        }),
        _ => Err(Error::Internal(anyhow::anyhow!("task {} has no task node", task["id"]))),
    }
}

/// The form of a task a rule raised: what was done about it, in a note.
fn raised_task_form(bundle: &engine_form::Bundle) -> Result<TaskForm, Error> {
    let labels = |zh: &str, en: &str| json!({ "zh-CN": zh, "en": en });
    let notes =
        json!({ "key": "notes", "type": "long_text", "label": labels("处理说明", "Notes"), "max_length": 4000 });
    let doc = json!({ "key": "task_form", "label": labels("任务", "Task"), "fields": [notes.clone()] });
    let form = engine_form::lower_form(&doc, bundle)
        .map_err(|d| Error::Internal(anyhow::anyhow!("the notes form of a raised task: {d:?}")))?;
    Ok(TaskForm { fields: vec![notes], form, outcomes: Vec::new(), outcome_labels: Default::default() })
}
