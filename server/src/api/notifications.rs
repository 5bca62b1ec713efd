//! Your in-app notifications over HTTP (`crate::notifications`): listed newest first with
//! the unread count, marked read one by one or all at once.

use actix_web::http::StatusCode;
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::error::Problem;
use super::identity::principal;
use super::params::Params;
use super::{State, json_response};
use crate::error::{BadInputCode, Error};
use crate::notifications;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationFilter {
    /// Only the unread ones.
    unread: Option<bool>,
    /// Those older than this id: the `next` of the previous page.
    before: Option<i64>,
    /// Page size, 1 to 200; 50 by default.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
}

/// Your notifications, newest first, with how many are unread.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationFilter),
    responses((status = 200, description = "A page of notifications; `next` is the `before` of the following page", body = super::schemas::NotificationPage,
        example = json!({ "items": [{ "id": 12, "app": "bank_crm", "message": "新任务：大额资金流出预警：陈静",
            "task": 31, "subject": { "form": "transaction", "id": 88 }, "created_at": "2026-12-01T09:30:00.000000Z",
            "read": false, "read_at": null }], "unread": 1, "next": null })),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: State, req: HttpRequest, filter: Params<NotificationFilter>) -> Result<HttpResponse, Error> {
    let limit = filter.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Error::bad_input_at(BadInputCode::bad_query, "/limit", "`limit` must be between 1 and 200"));
    }
    let me = principal(&req)?;
    let page = notifications::list(
        &state.core,
        (&me.username, me.language.as_deref()),
        filter.unread.unwrap_or(false),
        filter.before,
        limit,
    )
    .await?;
    Ok(json_response(StatusCode::OK, &page))
}

/// Mark one of your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = i64, Path, description = "Notification id")),
    responses((status = 204, description = "Read"),
        (status = 404, description = "No such notification of yours", body = Problem, content_type = "application/problem+json")))]
pub async fn read(state: State, req: HttpRequest, path: Path<i64>) -> Result<HttpResponse, Error> {
    let me = principal(&req)?;
    notifications::mark_read(&state.db.conn, &me.username, Some(*path), state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mark all your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications",
    responses((status = 200, description = "How many were marked", body = Object, example = json!({ "marked": 3 }))))]
pub async fn read_all(state: State, req: HttpRequest) -> Result<HttpResponse, Error> {
    let me = principal(&req)?;
    let marked = notifications::mark_read(&state.db.conn, &me.username, None, state.clock.now()).await?;
    Ok(json_response(StatusCode::OK, &json!({ "marked": marked })))
}
