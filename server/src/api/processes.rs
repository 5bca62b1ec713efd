//! Process instances through the API: start one, read its state and history, cancel it,
//! and the processes a record has been through.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Value, json};

use super::error::Problem;
use super::identity::{Designer, actor, principal};
use super::{State, json_body, json_response};
use crate::error::{BadInputCode, Error};
use crate::flows::{
    self,
    instances::{self, Caller},
};

/// Start a process: `{"subject": <record id>}` for a flow that follows a record.
#[utoipa::path(post, path = "/api/v1/apps/{app}/flows/{flow}/instances", tag = "processes",
    params(("app" = String, Path, description = "App key"), ("flow" = String, Path, description = "Flow key")),
    request_body(content = Object, example = json!({ "subject": 12 })),
    responses((status = 201, description = "Started: the instance", body = Object),
        (status = 400, description = "The flow needs a subject record", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app, flow or record", body = Problem, content_type = "application/problem+json")))]
pub async fn start(
    state: State,
    Designer(principal): Designer,
    req: HttpRequest,
    path: Path<(String, String)>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let subject = json_body(body).await?.get("subject").and_then(Value::as_i64);
    let caller = Caller { principal: &principal, actor: &actor(&req) };
    let instance = instances::start(&state.core, &caller, (&path.0, &path.1), subject).await?;
    Ok(json_response(StatusCode::CREATED, &instance))
}

/// A process instance: its state (where its tokens are), what its tasks recorded, and its
/// history.
#[utoipa::path(get, path = "/api/v1/apps/{app}/instances/{id}", tag = "processes",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Instance id")),
    responses((status = 200, description = "The instance", body = Object),
        (status = 404, description = "No such instance", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: State,
    Designer(principal): Designer,
    path: Path<(String, i64)>,
) -> Result<HttpResponse, Error> {
    let instance = instances::get(&state.core, &principal, (&path.0, path.1)).await?;
    Ok(json_response(StatusCode::OK, &instance))
}

/// Cancel a running process: its timers stop and its open tasks are withdrawn.
#[utoipa::path(post, path = "/api/v1/apps/{app}/instances/{id}/cancel", tag = "processes",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Instance id")),
    responses((status = 200, description = "Cancelled: the instance", body = Object),
        (status = 409, description = "It has ended already", body = Problem, content_type = "application/problem+json")))]
pub async fn cancel(
    state: State,
    Designer(principal): Designer,
    req: HttpRequest,
    path: Path<(String, i64)>,
) -> Result<HttpResponse, Error> {
    let caller = Caller { principal: &principal, actor: &actor(&req) };
    let instance = instances::cancel(&state.core, &caller, (&path.0, path.1)).await?;
    Ok(json_response(StatusCode::OK, &instance))
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
    Designer(principal): Designer,
    req: HttpRequest,
    path: Path<(String, i64)>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let doc = json_body(body).await?;
    let mapping: BTreeMap<String, String> = match doc.get("mapping") {
        Some(m) => serde_json::from_value(m.clone()).map_err(|e| {
            Error::bad_input(BadInputCode::malformed_json, format!("`mapping` maps node ids to node ids: {e}"))
        })?,
        None => Default::default(),
    };
    let to = doc.get("version").and_then(Value::as_i64);
    let caller = Caller { principal: &principal, actor: &actor(&req) };
    let instance = instances::migrate(&state.core, &caller, (&path.0, path.1), to, &mapping).await?;
    Ok(json_response(StatusCode::OK, &instance))
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
    let items = instances::of_record(&state.core, &principal(&req)?, (&path.0, &path.1, path.2)).await?;
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
    let outcome = instances::retry(&state.core, &actor(&req), (&path.0, path.1)).await?;
    Ok(json_response(StatusCode::OK, &outcome))
}
