//! Reading the audit trail.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use serde_json::{Value, json};

use super::error::Problem;
use super::identity::{Administrator, principal};
use super::params::Params;
use super::{State, json_response};
use crate::access::Secrets;
use crate::audit::{self, Filter};
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
    let mut items = audit::list(&state.db.conn, &filter).await?;
    // Record values as the administrator's own app roles show them: personal data masked
    // unless a role shows it.
    let mut accesses: std::collections::HashMap<(String, String), Option<crate::access::Access>> = Default::default();
    let mut secrets = Secrets::default();
    for item in &mut items {
        let (Some(app), Some(form)) = (item["app"].as_str(), item["form"].as_str()) else { continue };
        let key = (app.to_owned(), form.to_owned());
        if !accesses.contains_key(&key) {
            let access = match state.catalog.published(&state.db.conn, app).await {
                Ok(published) => match published.bundle.form(form) {
                    Some(f) => Some(crate::access::load(&state.db.conn, &published, &admin.0, f).await?),
                    None => None,
                },
                Err(_) => None,
            };
            accesses.insert(key.clone(), access);
        }
        let Some(access) = &accesses[&key] else { continue };
        for side in ["before", "after"] {
            if let Some(Value::Object(values)) = item["detail"].get_mut(side) {
                access.shape_collecting(values, &mut secrets);
            }
        }
    }
    let next = audit::next_before(&items, filter.limit);
    let mut body = json!({ "items": items, "next": next });
    secrets.scrub(&mut body);
    Ok(json_response(StatusCode::OK, &body))
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
