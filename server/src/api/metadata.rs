//! Draft metadata of every kind through one pattern:
//! `GET /apps/{app}/drafts/{kind}`, `GET|PUT|DELETE /apps/{app}/drafts/{kind}/{key}`.
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
#[utoipa::path(get, path = "/api/v1/apps/{app}/drafts/{kind}", tag = "metadata",
    params(("app" = String, Path, description = "App key"), ("kind" = String, Path, description = "Metadata kind: `forms` or `rules`")),
    responses((status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "The drafts, each with its revision", body = Object, example = json!({"items": [{"key": "customer", "updated_at": "2026-11-28T09:00:00Z", "revision": 3, "body": {}}]})),
        (status = 404, description = "No such app or kind", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, _: Designer, path: Path<(String, String)>) -> Result<HttpResponse, Error> {
    let (app, kind) = drafts::app_and_kind(&state.core, &path.0, &path.1).await?;
    let drafts = meta::list_drafts(&state.db.conn, &app.key, kind).await?;
    let items: Vec<Value> = drafts
        .into_iter()
        .map(|d| json!({ "key": d.key, "updated_at": d.updated_at, "revision": d.revision, "body": d.body }))
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// Read one draft document; its revision is its `ETag`, for a save over it (`If-Match`).
#[utoipa::path(get, path = "/api/v1/apps/{app}/drafts/{kind}/{key}", tag = "metadata",
    params(("app" = String, Path, description = "App key"), ("kind" = String, Path, description = "Metadata kind"), ("key" = String, Path, description = "Document key")),
    responses((status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "The draft document; `ETag` its revision", body = Object),
        (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: State, _: Designer, path: Path<(String, String, String)>) -> Result<HttpResponse, Error> {
    let (app, kind) = drafts::app_and_kind(&state.core, &path.0, &path.1).await?;
    let draft = meta::find_draft(&state.db.conn, &app.key, kind, &path.2)
        .await?
        .ok_or_else(|| Error::not_found(format!("no {kind} draft `{}`", path.2)))?;
    Ok(super::with_etag(json_response(StatusCode::OK, &draft.body), draft.revision))
}

/// Reads `If-Match`: the draft revision an editor read (`"0"`: none yet, create only), or
/// none: the save goes over whatever is there.
fn read_revision(req: &actix_web::HttpRequest) -> Result<Option<i64>, Error> {
    super::if_match(req, "the draft's revision (its ETag)")
}

/// Create or replace a draft document. Answers with its revision and the diagnostics of
/// this document (paths relative to it) so the designer can highlight them. With
/// `If-Match` (the revision read, `"0"` for a new one) it is saved only over that revision:
/// two designers never overwrite each other silently (412 `draft_changed`).
#[utoipa::path(put, path = "/api/v1/apps/{app}/drafts/{kind}/{key}", tag = "metadata",
    params(("app" = String, Path, description = "App key"), ("kind" = String, Path, description = "Metadata kind"), ("key" = String, Path, description = "Document key"),
        ("If-Match" = Option<String>, Header, description = "The revision read (the GET's ETag), e.g. \"3\"; \"0\" creates only")),
    request_body(content = Object, description = "The document; see /api/v1/schemas/form",
        example = json!({"key": "branch", "label": {"zh-CN": "网点", "en": "Branch"}, "fields": [{"key": "name", "type": "text", "label": {"zh-CN": "名称", "en": "Name"}}]})),
    responses((status = 200, description = "Saved, with its diagnostics", body = Object,
            example = json!({"key": "branch", "saved": true, "revision": 4, "diagnostics": [{"path": "/fields/0/type", "code": "schema", "message": "\"txt\" is not one of ..."}]})),
        (status = 400, description = "Not a JSON object, or a bad If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Saved by someone else since the If-Match revision (`draft_changed`)", body = Problem, content_type = "application/problem+json"),
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
    let read = read_revision(&req)?;
    let doc = json_object(body).await?;
    let (revision, diagnostics) = drafts::save(&state.core, &actor(&req), (&app, kind, &path.2), (doc, read)).await?;
    let body = json!({ "key": path.2, "saved": true, "revision": revision, "diagnostics": diagnostics });
    Ok(super::with_etag(json_response(StatusCode::OK, &body), revision))
}

/// Delete a draft document (with `If-Match`, only at that revision). Publishing afterwards
/// retires its table; the data is kept.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/drafts/{kind}/{key}", tag = "metadata",
    params(("app" = String, Path, description = "App key"), ("kind" = String, Path, description = "Metadata kind"), ("key" = String, Path, description = "Document key"),
        ("If-Match" = Option<String>, Header, description = "The revision read, e.g. \"3\"")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not found", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "A bad If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Saved by someone else since the If-Match revision (`draft_changed`)", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    state: State,
    _: Designer,
    req: actix_web::HttpRequest,
    path: Path<(String, String, String)>,
) -> Result<HttpResponse, Error> {
    let (app, kind) = drafts::app_and_kind(&state.core, &path.0, &path.1).await?;
    drafts::delete(&state.core, &actor(&req), (&app, kind, &path.2), read_revision(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Where a field is read, before it is deleted or renamed: every expression, lookup, column,
/// sort, layout and role of the app's drafts that names it (through relations and
/// aggregates too), and every saved view whose filter, sort or columns do; each at its
/// JSON path with the text that reads it.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/fields/{field}/uses", tag = "metadata",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("field" = String, Path, description = "Field key")),
    responses((status = 200, description = "The places that read it", body = Object,
            example = json!({ "form": "customer", "field": "aum", "count": 1, "items": [{ "path": "/rules/1/condition", "of": "rules",
                "key": "aum_fell_30_percent", "text": "tier in ['hnw', 'affluent'] and aum < old.aum * 0.7" }] })),
        (status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app, form or field in the drafts", body = Problem, content_type = "application/problem+json")))]
pub async fn uses(state: State, _: Designer, path: Path<(String, String, String)>) -> Result<HttpResponse, Error> {
    let found = crate::uses::of_field(&state.core, &path.0, (&path.1, &path.2)).await?;
    Ok(json_response(StatusCode::OK, &found))
}

/// A draft document to check as it is typed: `document`, draft `key` of `kind`, unsaved.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct DraftCheckRequest {
    /// The metadata kind: `forms`, `rules`, `roles`, …
    pub kind: String,
    pub key: String,
    #[schema(value_type = Object)]
    pub document: Value,
    /// The form whose names to give (a role's grant); by default the document's form.
    pub form: Option<String>,
    /// Sample values typed into a form's preview: the answer's `preview` says what they
    /// come to (hidden fields, formulas, misfits), as a record's check would.
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub values: Option<serde_json::Map<String, Value>>,
}

/// Check a draft document as it is typed, without saving it: its diagnostics among the
/// app's other drafts (paths relative to it; an expression's with its `span`), and the
/// names expressions on its form may use (fields, through relations too, related rows,
/// decision outputs, functions, `$user.`); with sample `values`, what a form's preview
/// shows for them. The designers' expression editor and preview ask this.
#[utoipa::path(post, path = "/api/v1/apps/{app}/check", tag = "metadata",
    params(("app" = String, Path, description = "App key")),
    request_body = DraftCheckRequest,
    responses((status = 200, description = "Its diagnostics and the names its expressions may use", body = Object,
            example = json!({ "diagnostics": [{ "path": "/fields/3/expression", "code": "unknown_field", "message": "no field `aun`", "span": [0, 3] }],
                "names": [{ "name": "aum", "kind": "field", "type": "decimal", "label": { "zh-CN": "管理资产", "en": "AUM" } }] })),
        (status = 400, description = "Not a check request", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or kind", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad key", body = Problem, content_type = "application/problem+json")))]
pub async fn check(state: State, _: Designer, path: Path<String>, body: Payload) -> Result<HttpResponse, Error> {
    let request: DraftCheckRequest = super::json_request(body, "a draft check").await?;
    let (app, kind) = drafts::app_and_kind(&state.core, &path, &request.kind).await?;
    if !meta::is_key(&request.key) || !request.document.is_object() {
        return Err(Error::InvalidMetadata(vec![engine_form::Diagnostic::new(
            "/key",
            "bad_key",
            "a key is a lower-case letter followed by up to 31 lower-case letters, digits or _, and the document an object",
        )]));
    }
    let what = (kind, request.key.as_str());
    let about = (request.form.as_deref(), request.values.as_ref());
    let found = crate::designing::check(&state.core, &app, what, request.document, about).await?;
    Ok(json_response(StatusCode::OK, &found))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct RenameRequest {
    /// The field's new key.
    pub to: String,
}

/// Rename a field in the drafts: its key changes, it keeps its published column and data
/// (`renamed_from`), and every draft that reads it (expressions, lookups, columns, layout,
/// roles' field modes) is rewritten, in one change; refused, naming each place it cannot
/// rewrite, with nothing changed. Users' saved views follow when the rename is published.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/fields/{field}/rename", tag = "metadata",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("field" = String, Path, description = "Field key")),
    request_body = RenameRequest,
    responses((status = 200, description = "Renamed: the drafts changed (with their revisions) and the places rewritten", body = Object,
            example = json!({ "form": "customer", "field": "aum", "to": "assets", "changed": [{ "kind": "rules", "key": "aum_fell_30_percent", "revision": 4 }],
                "rewritten": [{ "path": "/rules/1/condition", "of": "rules", "key": "aum_fell_30_percent", "text": "aum < old.aum * 0.7", "spans": [[0, 3], [10, 13]] }] })),
        (status = 400, description = "Not a rename request", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "A draft it rewrites was saved by someone else meanwhile (`draft_changed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such form or field, a bad or taken key, or a place it cannot rewrite", body = Problem, content_type = "application/problem+json")))]
pub async fn rename(
    state: State,
    _: Designer,
    req: actix_web::HttpRequest,
    path: Path<(String, String, String)>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let request: RenameRequest = super::json_request(body, "a rename").await?;
    let app = meta::app(&state.db.conn, &path.0).await?;
    let done = crate::designing::rename(&state.core, &actor(&req), &app, (&path.1, &path.2), &request.to).await?;
    Ok(json_response(StatusCode::OK, &done))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Only say what would change; nothing is saved.
    #[serde(default)]
    pub dry_run: bool,
}

/// Bring an exported app (`GET …/bundle` of another installation) into this app's drafts:
/// what changes against them, in business words, and the bundle's findings; unless
/// `dry_run`, the drafts become its documents (those it lacks deleted), in one change.
/// Publish afterwards, with its dry run, as ever.
#[utoipa::path(post, path = "/api/v1/apps/{app}/import", tag = "metadata",
    params(("app" = String, Path, description = "App key"), ImportQuery),
    request_body(content = Object, description = "The exported bundle; its key must be the app's"),
    responses((status = 200, description = "What changes (and, without dry_run, changed)", body = Object,
            example = json!({ "changes": [{ "kind": "field_added", "of": "forms", "key": "customer", "field": "wechat",
                "text": { "zh-CN": "客户：新增字段 微信号", "en": "Customer: field WeChat added" } }], "findings": [], "applied": false })),
        (status = 400, description = "Not a JSON object", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The bundle is another app's, or a document has no key", body = Problem, content_type = "application/problem+json")))]
pub async fn import(
    state: State,
    _: Designer,
    req: actix_web::HttpRequest,
    path: Path<String>,
    query: super::params::Params<ImportQuery>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let bundle = Value::Object(super::json_object(body).await?);
    let app = meta::app(&state.db.conn, &path).await?;
    let done = crate::designing::import_into(&state.core, &actor(&req), &app, bundle, !query.dry_run).await?;
    Ok(json_response(StatusCode::OK, &done))
}

/// See a form's records as another user would: the rows their roles admit and each field as
/// their roles show it, the roles as the drafts define them (before publishing); never
/// more than the caller reads themselves (the rows both reach, each field at the more
/// closed mode). With their operations and every field's mode.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/seen-as/{username}", tag = "metadata",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"),
        ("username" = String, Path, description = "The user to see as"), crate::records::query::ListParams),
    responses((status = 200, description = "A page of records as they would read them", body = Object,
            example = json!({ "user": "zhang.min", "operations": ["read", "create", "update"], "fields": { "mobile": "masked", "aum": "read_only" },
                "items": [{ "id": 1, "name": "李伟", "mobile": "*******0001" }], "next": null })),
        (status = 400, description = "A bad filter, sort, limit or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a designer or administrator, or the caller may not read the form themselves", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app, form or user", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The drafts' roles have problems (each at its path)", body = Problem, content_type = "application/problem+json")))]
pub async fn seen_as(
    state: State,
    designer: Designer,
    path: Path<(String, String, String)>,
    params: super::params::Params<crate::records::query::ListParams>,
) -> Result<HttpResponse, Error> {
    let at = (path.0.as_str(), path.1.as_str(), path.2.as_str());
    let page = crate::access::seen_as::list(&state.core, &designer.0, at, &params, state.clock.now()).await?;
    Ok(json_response(StatusCode::OK, &page))
}
