//! Reading the audit trail.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;

use super::error::Problem;
use super::identity::{Administrator, principal};
use super::params::Params;
use super::{State, json_response};
use crate::audit::Filter;
use crate::error::Error;

/// The audit trail, filtered, newest first: administrators only. Record values are shaped
/// by the administrator's app roles, like every other read: personal data stays masked.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(Filter),
    responses((status = 200, description = "Entries, newest first; `next`, when given, is the `before` of the following page", body = Object,
            example = json!({ "items": [{ "id": 9, "at": "2026-11-28T10:00:00.000000Z", "actor_id": 1, "actor": "admin",
                "via": "session", "ip": "10.0.0.8", "action": "record.update", "app": "bank_crm", "form": "customer",
                "record_id": 1, "detail": { "before": { "aum": "12800000.00" }, "after": { "aum": "8000000.00" } } }] })),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, admin: Administrator, filter: Params<Filter>) -> Result<HttpResponse, Error> {
    Ok(json_response(StatusCode::OK, &crate::trail::read(&state, &admin.0, &filter).await?))
}

/// A record's history: every change to it, newest first, with its values before and after,
/// shaped by the caller's field modes like the record itself.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records/{id}/history", tag = "audit",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "Changes, newest first", body = Object)))]
pub async fn history(
    state: State,
    req: actix_web::HttpRequest,
    path: Path<(String, String, i64)>,
) -> Result<HttpResponse, Error> {
    let body = crate::timeline::history(&state.core, &principal(&req)?, (&path.0, &path.1, path.2)).await?;
    Ok(json_response(StatusCode::OK, &body))
}
