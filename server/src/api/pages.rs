//! Record pages (a customer 360), assembled for the reader (`crate::pages`).

use actix_web::http::StatusCode;
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};

use super::error::Problem;
use super::identity::principal;
use super::{State, json_response};
use crate::error::Error;

#[derive(serde::Deserialize)]
pub(super) struct PageAt {
    app: String,
    page: String,
    id: i64,
}

/// A record's page as its app's `pages` metadata lays it out: the record, its summary
/// figures and its sections (related records with their columns, open tasks, processes,
/// alerts), each within the caller's roles; a section of a form they may not read is left
/// out, and a figure reading what they see masked has no value (`readable: false`).
#[utoipa::path(get, path = "/api/v1/apps/{app}/pages/{page}/records/{id}", tag = "records",
    params(("app" = String, Path, description = "App key"), ("page" = String, Path, description = "Page key"), ("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "The page", body = super::schemas::RecordPage),
        (status = 403, description = "The caller's roles do not read the page's form", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app, page or record, or not one of yours", body = Problem, content_type = "application/problem+json")))]
pub async fn page(state: State, req: HttpRequest, path: Path<PageAt>) -> Result<HttpResponse, Error> {
    let at = (path.app.as_str(), path.page.as_str(), path.id);
    let body = crate::pages::assemble(&state.core, &principal(&req)?, at).await?;
    Ok(json_response(StatusCode::OK, &body))
}
