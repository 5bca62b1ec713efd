//! Reading the audit trail.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Path, Query};
use serde_json::json;

use super::error::{ApiError, Problem};
use super::{State, json_response};
use crate::audit::{self, Filter};
use crate::auth::Administrator;

/// The audit trail, filtered, newest first: administrators only.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(Filter),
    responses((status = 200, description = "Entries, newest first", body = Object,
            example = json!({ "items": [{ "id": 9, "at": "2026-11-28T10:00:00.000000Z", "actor_id": 1, "actor": "admin",
                "via": "session", "ip": "10.0.0.8", "action": "record.update", "app": "bank_crm", "form": "customer",
                "record_id": 1, "detail": { "before": { "aum": "12800000.00" }, "after": { "aum": "8000000.00" } } }] })),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, _: Administrator, filter: Query<Filter>) -> Result<HttpResponse, ApiError> {
    let items = audit::list(&state.db.conn, &filter).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// A record's history: every change to it, newest first, with its values before and after.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records/{id}/history", tag = "audit",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "Changes, newest first", body = Object)))]
pub async fn history(
    state: State,
    req: actix_web::HttpRequest,
    path: Path<(String, String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (app, form, id) = path.into_inner();
    super::records::readable(&state, &req, &app, &form, id).await?;
    let filter = Filter { app: Some(app), form: Some(form), record: Some(id), limit: Some(1000), ..Filter::default() };
    let items = audit::list(&state.db.conn, &filter).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}
