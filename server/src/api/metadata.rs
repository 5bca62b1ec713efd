//! Draft metadata of every kind through one pattern:
//! `GET /apps/{app}/{kind}`, `GET|PUT|DELETE /apps/{app}/{kind}/{key}`.
//! Drafts may be incomplete while a designer works; a PUT saves the document and answers
//! with its diagnostics. Publishing refuses while any remain. Drafts are for designers and
//! administrators, signed in: they hold what an app's users must not read (a rule's
//! thresholds, who sees what masked); users read what their work needs through the
//! workspace, shaped by their roles.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use serde_json::{Value, json};

use super::error::Problem;
use super::identity::{Designer, actor};
use super::{State, json_object, json_response};
use crate::error::Error;
use crate::{drafts, meta};

/// List the drafts of a metadata kind.
#[utoipa::path(get, path = "/api/v1/apps/{app}/{kind}", tag = "metadata",
    params(("app" = String, Path, description = "App key"), ("kind" = String, Path, description = "Metadata kind: `forms` or `rules`")),
    responses((status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "The drafts", body = Object, example = json!({"items": [{"key": "customer", "updated_at": "2026-11-28T09:00:00Z", "body": {}}]})),
        (status = 404, description = "No such app or kind", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, _: Designer, path: Path<(String, String)>) -> Result<HttpResponse, Error> {
    let (app, kind) = drafts::app_and_kind(&state.core, &path.0, &path.1).await?;
    let drafts = meta::list_drafts(&state.db.conn, &app.key, kind).await?;
    let items: Vec<Value> =
        drafts.into_iter().map(|d| json!({ "key": d.key, "updated_at": d.updated_at, "body": d.body })).collect();
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// Read one draft document.
#[utoipa::path(get, path = "/api/v1/apps/{app}/{kind}/{key}", tag = "metadata",
    params(("app" = String, Path, description = "App key"), ("kind" = String, Path, description = "Metadata kind"), ("key" = String, Path, description = "Document key")),
    responses((status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "The draft document", body = Object),
        (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: State, _: Designer, path: Path<(String, String, String)>) -> Result<HttpResponse, Error> {
    let (app, kind) = drafts::app_and_kind(&state.core, &path.0, &path.1).await?;
    let draft = meta::find_draft(&state.db.conn, &app.key, kind, &path.2)
        .await?
        .ok_or_else(|| Error::not_found(format!("no {kind} draft `{}`", path.2)))?;
    Ok(json_response(StatusCode::OK, &draft.body))
}

/// Create or replace a draft document. Answers with the diagnostics of this document
/// (paths relative to it) so the designer can highlight them.
#[utoipa::path(put, path = "/api/v1/apps/{app}/{kind}/{key}", tag = "metadata",
    params(("app" = String, Path, description = "App key"), ("kind" = String, Path, description = "Metadata kind"), ("key" = String, Path, description = "Document key")),
    request_body(content = Object, description = "The document; see /api/v1/schemas/form",
        example = json!({"key": "branch", "label": {"zh-CN": "网点", "en": "Branch"}, "fields": [{"key": "name", "type": "text", "label": {"zh-CN": "名称", "en": "Name"}}]})),
    responses((status = 200, description = "Saved, with its diagnostics", body = Object,
            example = json!({"key": "branch", "saved": true, "diagnostics": [{"path": "/fields/0/type", "code": "schema", "message": "\"txt\" is not one of ..."}]})),
        (status = 400, description = "Not a JSON object", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or kind", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The document's key differs from the path", body = Problem, content_type = "application/problem+json")))]
pub async fn put(
    state: State,
    _: Designer,
    req: actix_web::HttpRequest,
    path: Path<(String, String, String)>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let (app, kind) = drafts::app_and_kind(&state.core, &path.0, &path.1).await?;
    let doc = json_object(body).await?;
    let diagnostics = drafts::save(&state.core, &actor(&req), (&app, kind, &path.2), doc).await?;
    Ok(json_response(StatusCode::OK, &json!({ "key": path.2, "saved": true, "diagnostics": diagnostics })))
}

/// Delete a draft document. Publishing afterwards retires its table; the data is kept.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/{kind}/{key}", tag = "metadata",
    params(("app" = String, Path, description = "App key"), ("kind" = String, Path, description = "Metadata kind"), ("key" = String, Path, description = "Document key")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    state: State,
    _: Designer,
    req: actix_web::HttpRequest,
    path: Path<(String, String, String)>,
) -> Result<HttpResponse, Error> {
    let (app, kind) = drafts::app_and_kind(&state.core, &path.0, &path.1).await?;
    drafts::delete(&state.core, &actor(&req), (&app, kind, &path.2)).await?;
    Ok(HttpResponse::NoContent().finish())
}
