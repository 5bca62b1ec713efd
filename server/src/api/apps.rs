//! Apps: list, import a bundle, read, export the draft bundle, publish.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use serde_json::{Value, json};

use super::error::Problem;
use super::identity::{Administrator, Designer, actor};
use super::{State, json_body, json_request, json_response};
use crate::approval;
use crate::error::Error;
use crate::meta::{self, KINDS};
use crate::publish::{self, Published};

/// List apps.
#[utoipa::path(get, path = "/api/v1/apps", tag = "apps",
    responses((status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "Every app", body = Object,
        example = json!({"items": [{"key": "bank_crm", "name": {"zh-CN": "银行客户管理", "en": "Bank CRM"}, "published_version": 1,
            "created_at": "2026-11-28T09:00:00Z", "updated_at": "2026-11-28T09:00:00Z"}]}))))]
pub async fn list(state: State, _: Designer) -> Result<HttpResponse, Error> {
    let apps = meta::list_apps(&state.db.conn).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": apps.iter().map(meta::app_json).collect::<Vec<_>>() })))
}

/// Import an app bundle (one JSON document). The app starts as drafts; publish it to create its tables.
#[utoipa::path(post, path = "/api/v1/apps", tag = "apps",
    request_body(content = Object, description = "An app bundle; see /api/v1/schemas/bundle",
        example = json!({"key": "crm", "name": {"zh-CN": "客户", "en": "CRM"}, "forms": [{"key": "customer",
            "label": {"zh-CN": "客户", "en": "Customer"}, "fields": [{"key": "name", "type": "text", "label": {"zh-CN": "姓名", "en": "Name"}, "required": true}]}]})),
    responses(
        (status = 201, description = "Imported", body = Object),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An app with this key exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid bundle: every diagnostic with its JSON path", body = Problem, content_type = "application/problem+json")))]
pub async fn import(
    state: State,
    _: Designer,
    req: actix_web::HttpRequest,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let doc = json_body(body).await?;
    let app = publish::import(&state.db, &doc, &actor(&req), state.clock.now()).await?;
    Ok(json_response(StatusCode::CREATED, &meta::app_json(&app)))
}

/// Read an app: its summary and the keys of its draft metadata.
#[utoipa::path(get, path = "/api/v1/apps/{app}", tag = "apps", params(("app" = String, Path, description = "App key")),
    responses((status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "The app", body = Object,
        example = json!({"key": "bank_crm", "name": {"zh-CN": "银行客户管理", "en": "Bank CRM"}, "published_version": 1,
            "published_at": "2026-11-28T09:00:00Z", "drafts": {"forms": ["branch", "customer"]}})),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: State, _: Designer, path: Path<String>) -> Result<HttpResponse, Error> {
    let app = meta::app(&state.db.conn, &path).await?;
    let mut body = meta::app_json(&app);
    let mut drafts = serde_json::Map::new();
    for kind in KINDS {
        let keys: Vec<Value> =
            meta::list_drafts(&state.db.conn, &app.key, kind).await?.into_iter().map(|d| Value::from(d.key)).collect();
        drafts.insert(kind.into(), Value::Array(keys));
    }
    body["drafts"] = Value::Object(drafts);
    if app.published_version > 0
        && let Some((_, at)) = meta::version_bundle(&state.db.conn, &app.key, app.published_version).await?
    {
        body["published_at"] = json!(at);
    }
    Ok(json_response(StatusCode::OK, &body))
}

/// Export the app's draft metadata as one bundle document (what `trellis app export` prints).
#[utoipa::path(get, path = "/api/v1/apps/{app}/bundle", tag = "apps", params(("app" = String, Path, description = "App key")),
    responses((status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "The bundle", body = Object),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json")))]
pub async fn export(state: State, _: Designer, path: Path<String>) -> Result<HttpResponse, Error> {
    let app = meta::app(&state.db.conn, &path).await?;
    Ok(json_response(StatusCode::OK, &meta::draft_bundle(&state.db.conn, &app).await?))
}

/// Publish the drafts as a new version: validate everything, migrate every table safely.
/// For an app that requires approval (maker-checker), this files a request holding the
/// drafts as they are now (202); another designer approves it.
#[utoipa::path(post, path = "/api/v1/apps/{app}/publish", tag = "apps", params(("app" = String, Path, description = "App key")),
    responses((status = 200, description = "Published", body = Published),
        (status = 202, description = "Approval required: a request was filed", body = Object,
            example = json!({ "request": 3, "state": "pending" })),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid drafts or a refused migration: every diagnostic", body = Problem, content_type = "application/problem+json")))]
pub async fn publish(
    state: State,
    _: Designer,
    req: actix_web::HttpRequest,
    path: Path<String>,
) -> Result<HttpResponse, Error> {
    Ok(match approval::publish_or_request(&state.core, &actor(&req), &path).await? {
        approval::Publishing::Published(published) => HttpResponse::Ok().json(published),
        approval::Publishing::Requested(id) => {
            json_response(StatusCode::ACCEPTED, &json!({ "request": id, "state": "pending" }))
        }
    })
}

/// Whether publishing the app needs a second person's approval (administrators).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    pub publish_approval: bool,
}

/// Change the app's settings: maker-checker for publishing.
#[utoipa::path(put, path = "/api/v1/apps/{app}/settings", tag = "apps", request_body = AppSettings,
    params(("app" = String, Path, description = "App key")),
    responses((status = 200, description = "Saved", body = Object),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json")))]
pub async fn settings(
    state: State,
    _: Administrator,
    req: actix_web::HttpRequest,
    path: Path<String>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let settings: AppSettings = json_request(body, "app settings").await?;
    approval::set_required(&state.core, &actor(&req), &path, settings.publish_approval).await?;
    Ok(json_response(StatusCode::OK, &json!({ "publish_approval": settings.publish_approval })))
}

/// The app's publish requests, newest first.
#[utoipa::path(get, path = "/api/v1/apps/{app}/publish-requests", tag = "apps",
    params(("app" = String, Path, description = "App key")),
    responses((status = 200, description = "Requests", body = Object)))]
pub async fn publish_requests(state: State, _: Designer, path: Path<String>) -> Result<HttpResponse, Error> {
    Ok(json_response(StatusCode::OK, &json!({ "items": approval::list(&state.db.conn, &path).await? })))
}

/// Approve a publish request: the bundle it holds is published, made by the one who asked
/// and approved by you, who must be someone else.
#[utoipa::path(post, path = "/api/v1/apps/{app}/publish-requests/{id}/approve", tag = "apps",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Request id")),
    responses((status = 200, description = "Published", body = Published),
        (status = 403, description = "You asked for it yourself (`four_eyes`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No pending request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided by someone else meanwhile (`request_decided`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The bundle no longer publishes (the data moved on since it was asked)", body = Problem, content_type = "application/problem+json")))]
pub async fn approve(
    state: State,
    checker: Designer,
    req: actix_web::HttpRequest,
    path: Path<(String, i64)>,
) -> Result<HttpResponse, Error> {
    let (app, id) = path.into_inner();
    let published = approval::approve(&state.core, (&checker.0.username, &actor(&req)), (&app, id)).await?;
    Ok(HttpResponse::Ok().json(published))
}

/// Reject a publish request.
#[utoipa::path(post, path = "/api/v1/apps/{app}/publish-requests/{id}/reject", tag = "apps",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Request id")),
    responses((status = 204, description = "Rejected"),
        (status = 404, description = "No pending request", body = Problem, content_type = "application/problem+json")))]
pub async fn reject(
    state: State,
    checker: Designer,
    req: actix_web::HttpRequest,
    path: Path<(String, i64)>,
) -> Result<HttpResponse, Error> {
    let (app, id) = path.into_inner();
    approval::reject(&state.core, (&checker.0.username, &actor(&req)), (&app, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What publishing the drafts would do, without doing it: every check and every table's
/// steps and data conversions run in a transaction that is rolled back. Per table, the
/// columns added, retired, restored and converted; per conversion or check of stored
/// values, how many fit (with examples: the record, the value before and after) and how
/// many would be refused (the records and why); the diagnostics that would refuse the
/// publish; and the changes in business words. Nothing is changed. Stored values (the
/// examples, reasons quoting them) are shown only where your roles show the field in clear.
#[utoipa::path(post, path = "/api/v1/apps/{app}/publish/dry-run", tag = "apps", params(("app" = String, Path, description = "App key")),
    responses((status = 200, description = "What publishing would do", body = Object,
            example = json!({ "version": 3, "publishable": false,
                "diagnostics": [{ "path": "/forms/5/fields/5/type", "code": "stored_values_do_not_fit", "message": "1 stored values of `term_days` do not fit the new definition, e.g. record 4" }],
                "tables": [{ "form": "product", "sub_table": null, "table": "app_bank_crm_product",
                    "steps": ["app_bank_crm_product: convert f_term_days into f_term_days__text (text); f_term_days is kept"],
                    "conversions": [{ "field": "term_days", "converts": true, "fit": 3, "examples": [{ "id": 1, "from": 365, "to": "365" }], "refused": 1,
                        "refused_records": [{ "id": 4, "code": "max", "why": "must be at most 100" }] }] }],
                "changes": [{ "kind": "field_type", "of": "forms", "key": "product", "field": "term_days",
                    "text": { "zh-CN": "理财产品：字段 期限(天) 的类型由 integer 改为 text", "en": "Product: Term (days) is now text, was integer" } }] })),
        (status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json")))]
pub async fn dry_run(state: State, Designer(principal): Designer, path: Path<String>) -> Result<HttpResponse, Error> {
    let found = crate::publish::dry_run(&state.core, &principal, (&path, None), state.clock.now()).await?;
    Ok(json_response(StatusCode::OK, &found))
}

/// What approving a pending publish request would do: the dry run of the exact bundle it
/// holds (as `…/publish/dry-run` answers for the drafts), for the checker to weigh.
#[utoipa::path(post, path = "/api/v1/apps/{app}/publish-requests/{id}/dry-run", tag = "apps",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Request id")),
    responses((status = 200, description = "What publishing the request's bundle would do", body = Object),
        (status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No pending request", body = Problem, content_type = "application/problem+json")))]
pub async fn request_dry_run(
    state: State,
    Designer(principal): Designer,
    path: Path<(String, i64)>,
) -> Result<HttpResponse, Error> {
    let (app, id) = (path.0.as_str(), path.1);
    let (bundle, _) = approval::pending(&state.db.conn, app, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("no pending publish request {id} of `{app}`")))?;
    let found = crate::publish::dry_run(&state.core, &principal, (app, Some(&bundle)), state.clock.now()).await?;
    Ok(json_response(StatusCode::OK, &found))
}
