//! The task inbox: the user tasks of running processes that are yours (assigned to you, or
//! offered to a role you hold), and your team's for managers; completing one with its form
//! moves its process on. Claiming, giving back and delegating change who holds it.

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload, Query};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use engine_form::{CheckMode, StorageType, check_record};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, NullOrdering, Order, Query as Sql};
use sea_orm::{ConnectionTrait, QueryResult, TransactionTrait};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::error::Problem;
use super::identity::{actor, principal};
use super::{State, json_body, json_response};
use crate::audit::{self, Entry};
use crate::auth::Principal;
use crate::db::Table;
use crate::error::Error;
use crate::flows::{self, Incoming};
use crate::records::codec::{datetime, decode};

fn a(name: &str) -> Alias {
    Alias::new(name)
}

const COLUMNS: [&str; 19] = [
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
];

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskFilter {
    /// Only this app's tasks.
    app: Option<String>,
    /// `open` (the default), `completed` or `cancelled`.
    status: Option<String>,
    /// Also the tasks of the users in your org unit and the units below it.
    team: Option<bool>,
    /// Only tasks past their due time.
    overdue: Option<bool>,
    /// Only tasks due before this instant (RFC 3339), e.g. the end of the week.
    due_before: Option<chrono::DateTime<Utc>>,
    /// Only tasks of this priority: `low`, `normal` or `high`.
    priority: Option<String>,
}

/// Who may see which tasks: the caller's name, their (app, role) pairs, and their team.
struct Reach {
    principal: Principal,
    roles: Vec<(String, String)>,
    team: Vec<String>,
}

async fn reach(c: &impl ConnectionTrait, principal: Principal, team: bool) -> Result<Reach, Error> {
    let roles_q = Sql::select()
        .columns(["app", "role"].map(a))
        .from(Table::UserRoles)
        .and_where(Expr::col(a("user_id")).eq(principal.user_id))
        .to_owned();
    let mut roles = Vec::new();
    for row in c.query_all(&roles_q).await? {
        roles.push((row.try_get_by_index(0)?, row.try_get_by_index(1)?));
    }
    let mut members = Vec::new();
    if team {
        // The users of the units at and below the caller's.
        let below: Vec<i64> =
            crate::auth::directory::unit_and_below(c, principal.user_id).await?.into_iter().map(|(id, _)| id).collect();
        let users = Sql::select()
            .column(a("username"))
            .from(Table::Users)
            .and_where(Expr::col(a("org_unit_id")).is_in(below))
            .to_owned();
        for row in c.query_all(&users).await? {
            members.push(row.try_get_by_index(0)?);
        }
    }
    Ok(Reach { principal, roles, team: members })
}

impl Reach {
    /// The tasks the caller may see, as SQL.
    fn condition(&self) -> Cond {
        let mut any = Cond::any().add(Expr::col(a("assignee")).eq(self.principal.username.as_str()));
        for (app, role) in &self.roles {
            any = any.add(
                Cond::all()
                    .add(Expr::col(a("assignee")).is_null())
                    .add(Expr::col(a("app")).eq(app.as_str()))
                    .add(Expr::col(a("candidate_role")).eq(role.as_str())),
            );
        }
        if !self.team.is_empty() {
            any = any.add(Expr::col(a("assignee")).is_in(self.team.clone()));
        }
        any
    }

    fn is_admin(&self) -> bool {
        self.principal.platform_role == "administrator"
    }
}

fn task_json(row: &QueryResult, backend: sea_orm::DbBackend, now: chrono::DateTime<Utc>) -> Result<Value, Error> {
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
    Ok(json!({
        "id": row.try_get::<i64>("", "id")?,
        "app": row.try_get::<String>("", "app")?,
        "instance": row.try_get::<i64>("", "instance_id")?,
        "token": row.try_get::<i64>("", "token")?,
        "node": row.try_get::<String>("", "node")?,
        "title": row.try_get::<String>("", "title")?,
        "assignee": text("assignee")?,
        "candidate_role": text("candidate_role")?,
        "candidate_unit": text("candidate_unit")?,
        "priority": row.try_get::<String>("", "priority")?,
        "due_at": due.to_json(),
        "overdue": overdue,
        "status": status,
        "outcome": text("outcome")?,
        "data": json_text("data")?,
        "subject": { "form": text("subject_form")?, "id": row.try_get::<Option<i64>>("", "subject_id")? },
        "created_at": instant(16)?,
        "completed_at": instant(17)?,
        "completed_by": text("completed_by")?,
    }))
}

/// Your tasks (and with `team=true` your team's), soonest due first.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(TaskFilter),
    responses((status = 200, description = "Tasks, soonest due first; `overdue` marks those past due", body = Object)))]
pub async fn list(state: State, req: HttpRequest, filter: Query<TaskFilter>) -> Result<HttpResponse, Error> {
    let conn = &state.db.conn;
    let reach = reach(conn, principal(&req)?, filter.team.unwrap_or(false)).await?;
    let now = state.clock.now();
    let backend = conn.get_database_backend();
    let status = filter.status.as_deref().unwrap_or("open");
    if !["open", "completed", "cancelled"].contains(&status) {
        return Err(Error::bad_input("bad_query", "`status` is open, completed or cancelled"));
    }
    let mut stmt = Sql::select();
    stmt.columns(COLUMNS.map(a)).from(Table::FlowTasks).and_where(Expr::col(a("status")).eq(status));
    if !reach.is_admin() {
        stmt.cond_where(reach.condition());
    }
    if let Some(app) = &filter.app {
        stmt.and_where(Expr::col(a("app")).eq(app.as_str()));
    }
    if filter.overdue == Some(true) {
        stmt.and_where(Expr::col(a("due_at")).lt(datetime(now, backend)));
    }
    if let Some(before) = filter.due_before {
        stmt.and_where(Expr::col(a("due_at")).lt(datetime(before, backend)));
    }
    if let Some(priority) = &filter.priority {
        if !["low", "normal", "high"].contains(&priority.as_str()) {
            return Err(Error::bad_input("bad_query", "`priority` is low, normal or high"));
        }
        stmt.and_where(Expr::col(a("priority")).eq(priority.as_str()));
    }
    stmt.order_by_with_nulls(a("due_at"), Order::Asc, NullOrdering::Last).order_by(a("id"), Order::Asc).limit(500);
    let items: Vec<Value> =
        conn.query_all(&stmt).await?.iter().map(|r| task_json(r, backend, now)).collect::<Result<_, _>>()?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// Task `id`, if the caller may see it.
async fn visible(c: &impl ConnectionTrait, reach: &Reach, id: i64) -> Result<QueryResult, Error> {
    let mut stmt = Sql::select();
    stmt.columns(COLUMNS.map(a)).from(Table::FlowTasks).and_where(Expr::col(a("id")).eq(id));
    if !reach.is_admin() {
        stmt.cond_where(reach.condition());
    }
    c.query_one(&stmt).await?.ok_or_else(|| Error::not_found(format!("no task {id} of yours")))
}

/// Whether the caller may see task `id` (its files are theirs to read): 404 if not.
pub(crate) async fn visible_to(state: &State, req: &HttpRequest, id: i64) -> Result<(), Error> {
    let reach = reach(&state.db.conn, principal(req)?, true).await?;
    visible(&state.db.conn, &reach, id).await.map(drop)
}

/// Whether `principal` holds an open task of `app` (or one is offered to their role)
/// whose form, in the app's published flows, takes files.
pub(crate) async fn holds_task_taking_files(
    state: &State,
    app: &crate::catalog::PublishedApp,
    principal: &Principal,
) -> Result<bool, Error> {
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
    let reach = reach(&state.db.conn, principal.clone(), false).await?;
    let stmt = Sql::select()
        .column(a("id"))
        .from(Table::FlowTasks)
        .and_where(Expr::col(a("app")).eq(app.key.as_str()))
        .and_where(Expr::col(a("status")).eq("open"))
        .cond_where(nodes)
        .cond_where(reach.condition())
        .limit(1)
        .to_owned();
    Ok(state.db.conn.query_one(&stmt).await?.is_some())
}

/// A task's SLA escalations: when, what, to whom, and when done.
async fn escalations_of(c: &impl ConnectionTrait, task: i64) -> Result<Value, Error> {
    let stmt = Sql::select()
        .columns(["due_at", "action", "target", "done_at"].map(a))
        .from(Table::FlowEscalations)
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

/// A task node's form: its fields as written (what a task shows), as engine-form
/// checked them (what completing checks), and its outcomes.
struct TaskForm {
    fields: Vec<Value>,
    form: engine_form::Form,
    outcomes: Vec<String>,
}

/// The task form and outcomes of a task's node, from the flow version its process runs.
async fn task_form(state: &State, task: &Value) -> Result<TaskForm, Error> {
    let app_key = task["app"].as_str().unwrap_or_default();
    let instance = task["instance"].as_i64().unwrap_or_default();
    let head = Sql::select()
        .columns(["flow", "version"].map(a))
        .from(Table::FlowInstances)
        .and_where(Expr::col(a("id")).eq(instance))
        .to_owned();
    let row = state.db.conn.query_one(&head).await?.ok_or_else(|| Error::not_found("process gone"))?;
    let (flow_key, version): (String, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    let flows = crate::catalog::flows_of_version(&state.db.conn, app_key, version).await?;
    let node = flows.iter().find(|f| f.key == flow_key).and_then(|f| f.node(task["node"].as_str().unwrap_or_default()));
    match node.map(|n| &n.kind) {
        Some(engine_flow::NodeKind::UserTask(t)) => {
            Ok(TaskForm { fields: t.fields.clone(), form: t.form.clone(), outcomes: t.outcomes.clone() })
        }
        _ => Err(Error::Internal(anyhow::anyhow!("task {} has no task node", task["id"]))),
    }
}

/// One task with its form, its outcomes and the record it is about (as you may see it).
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "The task", body = Object),
        (status = 404, description = "No such task of yours", body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: State, req: HttpRequest, path: Path<i64>) -> Result<HttpResponse, Error> {
    let conn = &state.db.conn;
    let reach = reach(conn, principal(&req)?, true).await?;
    let row = visible(conn, &reach, *path).await?;
    let mut task = task_json(&row, conn.get_database_backend(), state.clock.now())?;
    let TaskForm { fields, outcomes, .. } = task_form(&state, &task).await?;
    task["form"] = json!({ "fields": fields });
    task["escalations"] = escalations_of(conn, *path).await?;
    task["outcomes"] = json!(outcomes);
    if let (Some(form), Some(id)) = (task["subject"]["form"].as_str(), task["subject"]["id"].as_i64()) {
        let app = task["app"].as_str().unwrap_or_default().to_owned();
        task["record"] = match super::records::read_one(&state, &req, &app, form, id).await {
            Ok(record) => record,
            Err(_) => Value::Null, // Not a record the caller may read.
        };
    }
    Ok(json_response(StatusCode::OK, &task))
}

/// Complete a task: `{"outcome": "reached", "values": {...}}`, the values checked against
/// the task's form. Its process moves on in the same transaction.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/complete", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
    request_body(content = Object, example = json!({ "outcome": "reached", "values": { "notes": "客户满意" } })),
    responses((status = 200, description = "Completed", body = Object),
        (status = 409, description = "Not open, or not yours to complete", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The values do not fit the task form, or the outcome is not one of its outcomes", body = Problem, content_type = "application/problem+json")))]
pub async fn complete(state: State, req: HttpRequest, path: Path<i64>, body: Payload) -> Result<HttpResponse, Error> {
    let doc = json_body(body).await?;
    let conn = &state.db.conn;
    let principal = principal(&req)?;
    let reach = reach(conn, principal.clone(), false).await?;
    let task = task_json(&visible(conn, &reach, *path).await?, conn.get_database_backend(), state.clock.now())?;
    if task["status"] != "open" {
        return Err(Error::Conflict { code: "task_closed", detail: format!("task {} is {}", path, task["status"]) });
    }
    let TaskForm { form, outcomes, .. } = task_form(&state, &task).await?;
    let outcome = doc.get("outcome").and_then(Value::as_str).map(str::to_owned);
    let mut errors = Vec::new();
    match &outcome {
        Some(o) if !outcomes.is_empty() && !outcomes.contains(o) => errors.push(engine_form::FieldError::new(
            "/outcome",
            "option",
            format!("`{o}` is not one of {}", outcomes.join(", ")),
        )),
        None if !outcomes.is_empty() => {
            errors.push(engine_form::FieldError::new(
                "/outcome",
                "required",
                format!("one of {}", outcomes.join(", ")),
            ));
        }
        _ => {}
    }
    let app_key = task["app"].as_str().unwrap_or_default().to_owned();
    let given = doc.get("values").and_then(Value::as_object).cloned().unwrap_or_default();
    let TaskValues { values, files } = match checked_values(&form, &given) {
        Ok(checked) => checked,
        Err(found) => {
            errors.extend(found);
            TaskValues::default()
        }
    };
    // Files go with the task: the caller's own uploads, or already this task's.
    let holder = crate::files::Holder {
        app: &app_key,
        form: crate::files::TASK_FILES,
        record_id: Some(*path),
        writer: Some(principal.user_id),
    };
    for (field, ids) in &files {
        for (i, id) in ids.iter().enumerate() {
            if let Some(problem) = crate::files::check_attachment(conn, &holder, field, *id).await? {
                errors.push(engine_form::FieldError::new(format!("/values/{}/{i}", field.key), "file", problem));
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::InvalidRecord(errors));
    }
    let now = state.clock.now();
    let tx = conn.begin().await?;
    let app = state.catalog.published_for_write(&tx, &app_key).await?;
    let token = task["token"].as_u64().unwrap_or_default();
    let instance = task["instance"].as_i64().unwrap_or_default();
    let event = Incoming::TaskCompleted { token, outcome, values, by: principal.username.clone() };
    flows::deliver(&tx, &app, instance, event, now, 0).await?;
    for (field, ids) in &files {
        crate::files::attach(&tx, crate::files::TASK_FILES, &field.key, *path, ids).await?;
    }
    let entry = Entry::app("task.complete", &app_key, json!({ "task": *path, "instance": instance, "values": given }));
    audit::write(&tx, &actor(&req), entry, now).await?;
    tx.commit().await?;
    let row = visible(conn, &reach, *path).await;
    let body = match row {
        Ok(row) => task_json(&row, conn.get_database_backend(), now)?,
        Err(_) => json!({ "id": *path, "status": "completed" }),
    };
    Ok(json_response(StatusCode::OK, &body))
}

/// A completed task form's values, as its process reads them, and the files given in each
/// attachment field.
#[derive(Default)]
struct TaskValues {
    values: Vec<(String, engine_rule::Value)>,
    files: Vec<(engine_form::Field, Vec<i64>)>,
}

/// The task form's values checked as a form's are (types, required, options); or every
/// problem, under `/values`.
fn checked_values(
    form: &engine_form::Form,
    given: &Map<String, Value>,
) -> Result<TaskValues, Vec<engine_form::FieldError>> {
    if form.fields.is_empty() {
        return Ok(TaskValues::default());
    }
    match check_record(form, given, CheckMode::Create) {
        Ok(values) => {
            let files = values
                .iter()
                .filter_map(|(k, v)| match (form.field(k), v) {
                    (Some(field), engine_form::FieldValue::Files(ids)) => Some((field.clone(), ids.clone())),
                    _ => None,
                })
                .collect();
            let values = values.iter().map(|(k, v)| (k.clone(), engine_form::expr_value(v))).collect();
            Ok(TaskValues { values, files })
        }
        Err(errors) => Err(errors
            .into_iter()
            .map(|mut e| {
                e.path = format!("/values{}", e.path);
                e
            })
            .collect()),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Delegation {
    /// The user name of who takes the task over.
    to: String,
}

/// Take a task offered to a role you hold.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/claim", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "Yours now", body = Object),
        (status = 409, description = "Someone holds it already", body = Problem, content_type = "application/problem+json")))]
pub async fn claim(state: State, req: HttpRequest, path: Path<i64>) -> Result<HttpResponse, Error> {
    let principal = principal(&req)?;
    let me = principal.username.clone();
    reassign(&state, &req, principal, *path, "task.claim", move |holder, _| match holder {
        None => Ok(Some(me.clone())),
        Some(_) => Err(Error::Conflict { code: "task_held", detail: "someone holds this task already".into() }),
    })
    .await
}

/// Give a claimed task back to its candidates.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/unclaim", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "Offered to its candidates again", body = Object),
        (status = 409, description = "Not yours, or not offered to a role", body = Problem, content_type = "application/problem+json")))]
pub async fn unclaim(state: State, req: HttpRequest, path: Path<i64>) -> Result<HttpResponse, Error> {
    let principal = principal(&req)?;
    let me = principal.username.clone();
    reassign(&state, &req, principal, *path, "task.unclaim", move |holder, role| match (holder, role) {
        (Some(h), Some(_)) if h == me => Ok(None),
        _ => {
            Err(Error::Conflict { code: "not_claimed", detail: "only a task you claimed from a role goes back".into() })
        }
    })
    .await
}

/// Hand a task you hold to another user.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/delegate", tag = "tasks", params(("id" = i64, Path, description = "Task id")),
    request_body = Delegation,
    responses((status = 200, description = "Theirs now", body = Object),
        (status = 409, description = "Not yours to hand on", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such user", body = Problem, content_type = "application/problem+json")))]
pub async fn delegate(state: State, req: HttpRequest, path: Path<i64>, body: Payload) -> Result<HttpResponse, Error> {
    let delegation: Delegation = serde_json::from_value(json_body(body).await?)
        .map_err(|e| Error::bad_input("malformed_json", format!("not a delegation: {e}")))?;
    let exists = Sql::select()
        .column(a("id"))
        .from(Table::Users)
        .and_where(Expr::col(a("username")).eq(delegation.to.as_str()))
        .to_owned();
    if state.db.conn.query_one(&exists).await?.is_none() {
        return Err(Error::InvalidRecord(vec![engine_form::FieldError::new("/to", "unknown_user", "no such user")]));
    }
    let principal = principal(&req)?;
    let (me, admin) = (principal.username.clone(), principal.platform_role == "administrator");
    let to = delegation.to;
    reassign(&state, &req, principal, *path, "task.delegate", move |holder, _| match holder {
        Some(h) if h == me || admin => Ok(Some(to.clone())),
        _ => Err(Error::Conflict { code: "not_yours", detail: "only the holder hands a task on".into() }),
    })
    .await
}

/// Changes who holds open task `id` to what `decide` says, given who holds it now and the
/// role it is offered to; audited.
async fn reassign(
    state: &State,
    req: &HttpRequest,
    principal: Principal,
    id: i64,
    action: &str,
    decide: impl Fn(Option<&str>, Option<&str>) -> Result<Option<String>, Error>,
) -> Result<HttpResponse, Error> {
    let conn = &state.db.conn;
    let reach = reach(conn, principal, false).await?;
    let now = state.clock.now();
    let tx = conn.begin().await?;
    let task = task_json(&visible(&tx, &reach, id).await?, conn.get_database_backend(), now)?;
    if task["status"] != "open" {
        return Err(Error::Conflict { code: "task_closed", detail: format!("task {id} is {}", task["status"]) });
    }
    let holder = decide(task["assignee"].as_str(), task["candidate_role"].as_str())?;
    let stmt = Sql::update()
        .table(Table::FlowTasks)
        .value(a("assignee"), holder.clone())
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("status")).eq("open"))
        .to_owned();
    tx.execute(&stmt).await?;
    let app = task["app"].as_str().unwrap_or_default();
    let entry = Entry::app(action, app, json!({ "task": id, "from": task["assignee"], "to": holder }));
    audit::write(&tx, &actor(req), entry, now).await?;
    tx.commit().await?;
    Ok(json_response(StatusCode::OK, &json!({ "id": id, "assignee": holder })))
}
