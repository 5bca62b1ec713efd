//! An app's published versions over HTTP (`crate::versions`): the list, any version's
//! bundle, and a diff in business words; and its texts for translation (`crate::texts`).
//! For designers and administrators.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use serde::Deserialize;
use serde_json::json;

use super::error::Problem;
use super::identity::Designer;
use super::params::Params;
use super::{State, json_response};
use crate::error::Error;
use crate::versions::{self, Side};

/// The app's published versions, newest first: when, by whom, approved by whom, and which
/// is current.
#[utoipa::path(get, path = "/api/v1/apps/{app}/versions", tag = "versions", params(("app" = String, Path, description = "App key")),
    responses((status = 200, description = "The versions", body = Object,
            example = json!({ "items": [{ "version": 2, "published_at": "2026-12-01T02:00:00Z", "made_by": "chen.analyst", "approved_by": "li.na", "current": true }] })),
        (status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, _: Designer, path: Path<String>) -> Result<HttpResponse, Error> {
    Ok(json_response(StatusCode::OK, &json!({ "items": versions::list(&state.core, &path).await? })))
}

/// The bundle published as one version of the app.
#[utoipa::path(get, path = "/api/v1/apps/{app}/versions/{version}", tag = "versions",
    params(("app" = String, Path, description = "App key"), ("version" = i64, Path, description = "Version number")),
    responses((status = 200, description = "The bundle as it was published", body = Object),
        (status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or version", body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: State, _: Designer, path: Path<(String, i64)>) -> Result<HttpResponse, Error> {
    Ok(json_response(StatusCode::OK, &versions::bundle(&state.core, &path.0, path.1).await?))
}

/// Which two sides to compare.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// A version number, or `draft`; the version published now by default.
    pub from: Option<String>,
    /// A version number, or `draft` (the default).
    pub to: Option<String>,
}

/// What changed between two versions (or a version and the drafts), in business words:
/// each change with what it is about and its text in zh-CN and English ("客户：字段 年收入
/// 改为必填"); fields matched by key, not by position.
#[utoipa::path(get, path = "/api/v1/apps/{app}/diff", tag = "versions",
    params(("app" = String, Path, description = "App key"), DiffParams),
    responses((status = 200, description = "The changes", body = Object,
            example = json!({ "from": 2, "to": "draft", "changes": [{ "kind": "field_required", "of": "forms", "key": "customer",
                "field": "annual_income", "text": { "zh-CN": "客户：字段 年收入 改为必填", "en": "Customer: Annual income is now required" } }] })),
        (status = 400, description = "A side that is neither a version number nor `draft`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or version", body = Problem, content_type = "application/problem+json")))]
pub async fn diff(
    state: State,
    _: Designer,
    path: Path<String>,
    params: Params<DiffParams>,
) -> Result<HttpResponse, Error> {
    let from = params.from.as_deref().map(|t| Side::parse(t, "from")).transpose()?;
    let to = params.to.as_deref().map(|t| Side::parse(t, "to")).transpose()?;
    Ok(json_response(StatusCode::OK, &versions::diff(&state.core, &path, (from, to)).await?))
}

/// Every text of the app's drafts for translation: each label, help, message and title in
/// zh-CN and English with its JSON path and the languages it lacks (`missing` counts the
/// texts lacking one); a rule's or a process's titles and messages are expressions.
#[utoipa::path(get, path = "/api/v1/apps/{app}/texts", tag = "versions", params(("app" = String, Path, description = "App key")),
    responses((status = 200, description = "The texts", body = Object,
            example = json!({ "languages": ["zh-CN", "en"], "missing": 1, "items": [{ "path": "/forms/2/fields/8/label", "of": "forms", "document": 2,
                "texts": { "zh-CN": "管理资产(AUM)" }, "missing": ["en"], "expression": false }] })),
        (status = 403, description = "Not a designer or administrator, signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json")))]
pub async fn texts(state: State, _: Designer, path: Path<String>) -> Result<HttpResponse, Error> {
    Ok(json_response(StatusCode::OK, &crate::texts::list(&state.core, &path).await?))
}
