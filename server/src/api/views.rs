//! Saved views of a form's records, each user's own (`crate::views`).

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};

use super::error::Problem;
use super::identity::principal;
use super::{State, json_request, json_response};
use crate::error::Error;
use crate::views::ViewSpec;

#[derive(serde::Deserialize)]
pub(super) struct ViewsAt {
    app: String,
    form: String,
}

#[derive(serde::Deserialize)]
pub(super) struct ViewAt {
    app: String,
    form: String,
    id: i64,
}

async fn spec(payload: Payload) -> Result<ViewSpec, Error> {
    json_request(payload, "a view").await
}

/// The caller's saved views of a form, oldest first.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/views", tag = "views",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key")),
    responses((status = 200, description = "The caller's views", body = super::schemas::SavedViews),
        (status = 403, description = "The caller's roles do not read the form", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or form", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, req: HttpRequest, path: Path<ViewsAt>) -> Result<HttpResponse, Error> {
    let body = crate::views::list(&state.core, &principal(&req)?, (&path.app, &path.form)).await?;
    Ok(json_response(StatusCode::OK, &body))
}

/// Save a view of a form's records, checked as its list would be for the caller.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/views", tag = "views",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key")),
    request_body = ViewSpec,
    responses((status = 201, description = "Saved", body = super::schemas::SavedView),
        (status = 400, description = "A bad name, sort, search or columns", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The view reads what the caller sees masked, or their roles do not read the form", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or form", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller has 100 views of the form already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A `where` that is not a valid condition: `errors[].span` locates the mistake", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: State,
    req: HttpRequest,
    path: Path<ViewsAt>,
    payload: Payload,
) -> Result<HttpResponse, Error> {
    let spec = spec(payload).await?;
    let body = crate::views::save(&state.core, &principal(&req)?, (&path.app, &path.form), None, &spec).await?;
    Ok(json_response(StatusCode::CREATED, &body))
}

/// Replace one of the caller's views.
#[utoipa::path(put, path = "/api/v1/apps/{app}/forms/{form}/views/{id}", tag = "views",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "View id")),
    request_body = ViewSpec,
    responses((status = 200, description = "Saved", body = super::schemas::SavedView),
        (status = 400, description = "A bad name, sort, search or columns", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The view reads what the caller sees masked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such view of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A `where` that is not a valid condition", body = Problem, content_type = "application/problem+json")))]
pub async fn replace(
    state: State,
    req: HttpRequest,
    path: Path<ViewAt>,
    payload: Payload,
) -> Result<HttpResponse, Error> {
    let spec = spec(payload).await?;
    let at = (path.app.as_str(), path.form.as_str());
    let body = crate::views::save(&state.core, &principal(&req)?, at, Some(path.id), &spec).await?;
    Ok(json_response(StatusCode::OK, &body))
}

/// Delete one of the caller's views.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/forms/{form}/views/{id}", tag = "views",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "View id")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such view of the caller's", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(state: State, req: HttpRequest, path: Path<ViewAt>) -> Result<HttpResponse, Error> {
    crate::views::delete(&state.core, &principal(&req)?, (&path.app, &path.form, path.id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
