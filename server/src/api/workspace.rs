//! The signed-in user's workspace over HTTP (`crate::workspace`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::identity::principal;
use super::{State, json_response};
use crate::error::Error;

/// Your apps, the forms your roles let you read (their metadata, each field's mode for
/// you) and the count of your open and overdue tasks: what the browser app's shell shows.
#[utoipa::path(get, path = "/api/v1/workspace", tag = "workspace",
    responses((status = 200, description = "Your apps and forms, and your tasks' counts", body = super::schemas::Workspace)))]
pub async fn get(state: State, req: HttpRequest) -> Result<HttpResponse, Error> {
    let workspace = crate::workspace::of(&state, &principal(&req)?).await?;
    Ok(json_response(StatusCode::OK, &workspace))
}
