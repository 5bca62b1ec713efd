//! Process instances through the API: start one, read its state and history, cancel it,
//! and the processes a record has been through.

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

use super::error::Problem;
use super::identity::{Designer, actor, principal};
use super::{State, json_body, json_response};
use crate::audit::{self, Entry};
use crate::db::Table;
use crate::error::Error;
use crate::flows::{self, Incoming};
use crate::records::codec::decode;
use engine_form::StorageType;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Start a process: `{"subject": <record id>}` for a flow that follows a record.
#[utoipa::path(post, path = "/api/v1/apps/{app}/flows/{flow}/instances", tag = "processes",
    params(("app" = String, Path, description = "App key"), ("flow" = String, Path, description = "Flow key")),
    request_body(content = Object, example = json!({ "subject": 12 })),
    responses((status = 201, description = "Started: the instance", body = Object),
        (status = 400, description = "The flow needs a subject record", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app, flow or record", body = Problem, content_type = "application/problem+json")))]
pub async fn start(
    state: State,
    designer: Designer,
    req: HttpRequest,
    path: Path<(String, String)>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let doc = json_body(body).await?;
    let subject = doc.get("subject").and_then(Value::as_i64);
    let now = state.clock.now();
    let tx = state.db.conn.begin().await?;
    let app = state.catalog.published_for_write(&tx, &path.0).await?;
    let id = flows::start(&tx, &app, &path.1, subject, (Some(designer.0.user_id), None), now).await?;
    let entry = Entry::app("process.start", &path.0, json!({ "flow": path.1, "instance": id, "subject": subject }));
    audit::write(&tx, &actor(&req), entry, now).await?;
    tx.commit().await?;
    let body = describe(&state.db.conn, id).await?;
    Ok(json_response(StatusCode::CREATED, &shaped(&state, &req, body).await?))
}

/// A process instance: its state (where its tokens are), what its tasks recorded, and its
/// history.
#[utoipa::path(get, path = "/api/v1/apps/{app}/instances/{id}", tag = "processes",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Instance id")),
    responses((status = 200, description = "The instance", body = Object),
        (status = 404, description = "No such instance", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: State,
    _: Designer,
    req: HttpRequest,
    path: Path<(String, i64)>,
) -> Result<HttpResponse, Error> {
    let body = describe(&state.db.conn, path.1).await?;
    if body["app"] != path.0.as_str() {
        return Err(Error::not_found(format!("no process {} in `{}`", path.1, path.0)));
    }
    Ok(json_response(StatusCode::OK, &shaped(&state, &req, body).await?))
}

/// An instance as the caller may see it: what its steps sent and its tasks recorded may
/// quote its record's personal data (a message's recipient), masked where the caller's
/// roles mask it.
async fn shaped(state: &State, req: &HttpRequest, mut instance: Value) -> Result<Value, Error> {
    let (Some(app), Some(form), Some(id)) =
        (instance["app"].as_str(), instance["subject"]["form"].as_str(), instance["subject"]["id"].as_i64())
    else {
        return Ok(instance);
    };
    let app = state.catalog.published(&state.db.conn, app).await?;
    let Some(subject) = app.bundle.form(form) else { return Ok(instance) };
    let principal = principal(req)?;
    let access = crate::access::load(&state.db.conn, &app, &principal, subject).await?;
    crate::access::reach::secrets_around(&state.db.conn, &app, (form, id), &access, state.clock.now())
        .await?
        .scrub(&mut instance);
    Ok(instance)
}

/// Cancel a running process: its timers stop and its open tasks are withdrawn.
#[utoipa::path(post, path = "/api/v1/apps/{app}/instances/{id}/cancel", tag = "processes",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Instance id")),
    responses((status = 200, description = "Cancelled: the instance", body = Object),
        (status = 409, description = "It has ended already", body = Problem, content_type = "application/problem+json")))]
pub async fn cancel(
    state: State,
    _: Designer,
    req: HttpRequest,
    path: Path<(String, i64)>,
) -> Result<HttpResponse, Error> {
    let now = state.clock.now();
    let tx = state.db.conn.begin().await?;
    let app = state.catalog.published_for_write(&tx, &path.0).await?;
    flows::deliver(&tx, &app, path.1, Incoming::Cancel, now, 0).await?;
    audit::write(&tx, &actor(&req), Entry::app("process.cancel", &path.0, json!({ "instance": path.1 })), now).await?;
    tx.commit().await?;
    let body = describe(&state.db.conn, path.1).await?;
    Ok(json_response(StatusCode::OK, &shaped(&state, &req, body).await?))
}

/// Move a running process to another version of its app (the current one by default):
/// `{"version": 3, "mapping": {"call": "phone_call"}}`, each token to the mapped node or the
/// node with the same id. Refused (409, every reason) when a move is unsafe: a node gone,
/// a different kind of node, a token at a join or a sub-process.
#[utoipa::path(post, path = "/api/v1/apps/{app}/instances/{id}/migrate", tag = "processes",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Instance id")),
    request_body(content = Object, example = json!({ "version": 3, "mapping": { "call": "phone_call" } })),
    responses((status = 200, description = "Moved: the instance", body = Object),
        (status = 409, description = "An unsafe move", body = Problem, content_type = "application/problem+json")))]
pub async fn migrate(
    state: State,
    _: Designer,
    req: HttpRequest,
    path: Path<(String, i64)>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let doc = json_body(body).await?;
    let mapping: std::collections::BTreeMap<String, String> = match doc.get("mapping") {
        Some(m) => serde_json::from_value(m.clone())
            .map_err(|e| Error::bad_input("malformed_json", format!("`mapping` maps node ids to node ids: {e}")))?,
        None => Default::default(),
    };
    let now = state.clock.now();
    let tx = state.db.conn.begin().await?;
    let app = state.catalog.published_for_write(&tx, &path.0).await?;
    let to = doc.get("version").and_then(Value::as_i64).unwrap_or(app.version);
    if !(1..=app.version).contains(&to) {
        return Err(Error::bad_input("bad_version", format!("versions of `{}` are 1 to {}", path.0, app.version)));
    }
    flows::migrate(&tx, &app, path.1, to, &mapping, now).await?;
    let detail = json!({ "instance": path.1, "version": to, "mapping": mapping });
    audit::write(&tx, &actor(&req), Entry::app("process.migrate", &path.0, detail), now).await?;
    tx.commit().await?;
    let body = describe(&state.db.conn, path.1).await?;
    Ok(json_response(StatusCode::OK, &shaped(&state, &req, body).await?))
}

/// The processes that followed a record, each with its history.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records/{id}/processes", tag = "processes",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "Oldest first", body = Object),
        (status = 404, description = "No such record, or not one of yours", body = Problem, content_type = "application/problem+json")))]
pub async fn of_record(
    state: State,
    req: HttpRequest,
    path: Path<(String, String, i64)>,
) -> Result<HttpResponse, Error> {
    crate::access::reach::readable(&state.core, &principal(&req)?, (&path.0, &path.1, path.2), state.clock.now())
        .await?;
    // What a step sent (a message's recipient, a webhook's body) and what tasks and events
    // recorded are for designers; a reader of the record sees where it stands and which
    // steps ran.
    let role = principal(&req)?.platform_role;
    let full = role == "designer" || role == "administrator";
    let stmt = Query::select()
        .column(a("id"))
        .from(Table::FlowInstances)
        .and_where(Expr::col(a("app")).eq(path.0.as_str()))
        .and_where(Expr::col(a("subject_form")).eq(path.1.as_str()))
        .and_where(Expr::col(a("subject_id")).eq(path.2))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    let mut items = Vec::new();
    for row in state.db.conn.query_all(&stmt).await? {
        let mut item = shaped(&state, &req, describe(&state.db.conn, row.try_get_by_index(0)?).await?).await?;
        if !full {
            // What tasks and events recorded may hold data the reader's field modes hide.
            if let Some(object) = item.as_object_mut() {
                object.remove("outputs");
            }
            for entry in item["history"].as_array_mut().into_iter().flatten() {
                if entry["event"] == "service_done" {
                    let (node, kind) = (entry["detail"]["node"].clone(), entry["detail"]["action"]["type"].clone());
                    entry["detail"] = json!({ "node": node, "type": kind });
                }
            }
        }
        items.push(item);
    }
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// The app's process jobs (timers, service steps) that failed: those waiting to be tried
/// again, and the incidents whose last attempt failed.
#[utoipa::path(get, path = "/api/v1/apps/{app}/process-incidents", tag = "processes",
    params(("app" = String, Path, description = "App key")),
    responses((status = 200, description = "The latest 100, newest first", body = Object,
        example = json!({ "items": [{ "id": 7, "instance": 3, "flow": "new_wealth_customer", "token": 4, "kind": "service",
            "node": "care_sms", "attempts": 5, "state": "failed", "due_at": "2026-12-02T01:00:00Z", "next_attempt": null,
            "error": "no `customer` record 12" }] }))))]
pub async fn incidents(state: State, _: Designer, path: Path<String>) -> Result<HttpResponse, Error> {
    let items = flows::incidents(&state, &path, None).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// Run a failed process job again now: the process goes on if it succeeds; if not, the
/// attempt is counted and its error shown.
#[utoipa::path(post, path = "/api/v1/apps/{app}/process-incidents/{id}/retry", tag = "processes",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Job id")),
    responses((status = 200, description = "How it went: `ran`, and the `error` if it failed again", body = Object),
        (status = 404, description = "No such failed job", body = Problem, content_type = "application/problem+json")))]
pub async fn retry_incident(
    state: State,
    _: Designer,
    req: HttpRequest,
    path: Path<(String, i64)>,
) -> Result<HttpResponse, Error> {
    let now = state.clock.now();
    let outcome = flows::retry_incident(&state, &path.0, path.1, now).await?;
    let entry = Entry::app("process.retry", &path.0, outcome.clone());
    audit::write(&state.db.conn, &actor(&req), entry, now).await?;
    Ok(json_response(StatusCode::OK, &outcome))
}

/// An instance as the API shows it.
async fn describe(c: &impl ConnectionTrait, id: i64) -> Result<Value, Error> {
    let head = Query::select()
        .columns(
            [
                "id",
                "app",
                "flow",
                "version",
                "subject_form",
                "subject_id",
                "status",
                "state",
                "started_at",
                "updated_at",
            ]
            .map(a),
        )
        .from(Table::FlowInstances)
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    let row = c.query_one(&head).await?.ok_or_else(|| Error::not_found(format!("no process {id}")))?;
    let state: String = row.try_get("", "state")?;
    let state: Value = serde_json::from_str(&state).unwrap_or(Value::Null);
    let history = Query::select()
        .columns(["at", "event", "detail"].map(a))
        .from(Table::FlowHistory)
        .and_where(Expr::col(a("instance_id")).eq(id))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    let backend = c.get_database_backend();
    let instant =
        |r: &sea_orm::QueryResult, i: usize| decode(r, i, &StorageType::DateTime, backend).map(|v| v.to_json());
    let mut events = Vec::new();
    for h in c.query_all(&history).await? {
        let detail: String = h.try_get("", "detail")?;
        events.push(json!({ "at": instant(&h, 0)?, "event": h.try_get::<String>("", "event")?,
            "detail": serde_json::from_str::<Value>(&detail).unwrap_or(Value::Null) }));
    }
    Ok(json!({
        "id": id,
        "app": row.try_get::<String>("", "app")?,
        "flow": row.try_get::<String>("", "flow")?,
        "version": row.try_get::<i64>("", "version")?,
        "subject": { "form": row.try_get::<Option<String>>("", "subject_form")?, "id": row.try_get::<Option<i64>>("", "subject_id")? },
        "status": row.try_get::<String>("", "status")?,
        "started_at": instant(&row, 8)?,
        "current": state["tokens"].as_array().map(|t| t.iter().map(|t| t["node"].clone()).collect::<Vec<_>>()),
        "tokens": state["tokens"],
        "outputs": state["outputs"],
        "history": events,
    }))
}
