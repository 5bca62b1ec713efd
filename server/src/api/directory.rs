//! The directory through the API: administrators only.

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use super::error::Problem;
use super::identity::{Administrator, actor};
use super::{MAX_JSON_BODY, State, json_request, json_response, read_body};
use crate::auth::directory::{self, Import, OrgUnit, UserChange};
use crate::error::{BadInputCode, Error};

async fn apply(state: &State, req: &HttpRequest, import: Import, action: &str) -> Result<(usize, usize), Error> {
    directory::save(&state.core, &actor(req), import, action).await
}

/// Import a directory: `{"org_units": [...], "users": [...]}` as JSON, or users as CSV
/// (`Content-Type: text/csv`, a header row). Checked whole first, every problem with its
/// path; then applied in one transaction. Users already there are updated.
#[utoipa::path(post, path = "/api/v1/directory/import", tag = "directory", request_body = Import,
    responses((status = 200, description = "Imported", body = Object, example = json!({ "org_units": 3, "users": 40 })),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Every problem, e.g. `/users/3/org_unit unknown_unit`", body = Problem, content_type = "application/problem+json")))]
pub async fn import(state: State, _: Administrator, req: HttpRequest, body: Payload) -> Result<HttpResponse, Error> {
    let csv = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/csv"));
    let import = if csv {
        let bytes = read_body(body, MAX_JSON_BODY).await?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| Error::bad_input(BadInputCode::bad_csv, "the CSV is not UTF-8"))?;
        if text.contains('\0') {
            return Err(Error::bad_input(
                BadInputCode::bad_csv,
                "the CSV holds the NUL character, which no field stores",
            ));
        }
        Import { org_units: Vec::new(), users: directory::users_from_csv(text)? }
    } else {
        json_request(body, "a directory").await?
    };
    let (units, users) = apply(&state, &req, import, "directory.import").await?;
    Ok(json_response(StatusCode::OK, &json!({ "org_units": units, "users": users })))
}

/// The org units, each with the key of the unit above it.
#[utoipa::path(get, path = "/api/v1/org-units", tag = "directory", responses((status = 200, description = "The units", body = Object)))]
pub async fn org_units(state: State, _: Administrator) -> Result<HttpResponse, Error> {
    Ok(json_response(StatusCode::OK, &json!({ "items": directory::org_units(&state.db.conn).await? })))
}

/// Add an org unit, or rename or move one.
#[utoipa::path(post, path = "/api/v1/org-units", tag = "directory", request_body = OrgUnit,
    responses((status = 200, description = "Saved", body = Object),
        (status = 422, description = "A bad key or an unknown parent", body = Problem, content_type = "application/problem+json")))]
pub async fn save_org_unit(
    state: State,
    _: Administrator,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let unit: OrgUnit = json_request(body, "an org unit").await?;
    let key = unit.key.clone();
    apply(&state, &req, Import { org_units: vec![unit], users: Vec::new() }, "org_unit.save").await?;
    Ok(json_response(StatusCode::OK, &json!({ "key": key, "saved": true })))
}

/// The users, without their password hashes.
#[utoipa::path(get, path = "/api/v1/users", tag = "directory", responses((status = 200, description = "The users, each with its roles per app (`app_roles`)", body = Object)))]
pub async fn users(state: State, _: Administrator) -> Result<HttpResponse, Error> {
    Ok(json_response(StatusCode::OK, &json!({ "items": directory::users(&state.db.conn).await? })))
}

/// Create or update a user: role, org unit, display name, a new password, disabled.
#[utoipa::path(put, path = "/api/v1/users/{username}", tag = "directory", request_body = UserChange,
    params(("username" = String, Path, description = "User name")),
    responses((status = 200, description = "Saved", body = Object),
        (status = 422, description = "Every problem", body = Problem, content_type = "application/problem+json")))]
pub async fn save_user(
    state: State,
    _: Administrator,
    req: HttpRequest,
    path: Path<String>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let change: UserChange = json_request(body, "a user").await?;
    let user = change.of(&path);
    apply(&state, &req, Import { org_units: Vec::new(), users: vec![user] }, "user.save").await?;
    Ok(json_response(StatusCode::OK, &json!({ "username": path.as_str(), "saved": true })))
}

/// Unlock a user name locked by wrong passwords, before its 15 minutes are up.
#[utoipa::path(post, path = "/api/v1/users/{username}/unlock", tag = "directory",
    params(("username" = String, Path, description = "User name")),
    responses((status = 200, description = "Unlocked (or was not locked)", body = Object,
            example = json!({ "username": "zhang.min", "was_locked": true })),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json")))]
pub async fn unlock_user(
    state: State,
    _: Administrator,
    req: HttpRequest,
    path: Path<String>,
) -> Result<HttpResponse, Error> {
    let was_locked = directory::unlock(&state.core, &actor(&req), &path).await?;
    Ok(json_response(StatusCode::OK, &json!({ "username": path.as_str(), "was_locked": was_locked })))
}

/// A user's live sessions (when each began and ends, the address it signed in from) and
/// their API tokens; never a token itself.
#[utoipa::path(get, path = "/api/v1/users/{username}/sessions", tag = "directory",
    params(("username" = String, Path, description = "User name")),
    responses((status = 200, description = "Their sessions and tokens", body = Object,
            example = json!({ "username": "wang.lei", "sessions": [{ "id": 7, "created_at": "2026-12-01T01:00:00.000000Z",
                "expires_at": "2026-12-01T13:00:00.000000Z", "address": "10.2.3.4" }], "tokens": [] })),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json")))]
pub async fn sessions(state: State, _: Administrator, path: Path<String>) -> Result<HttpResponse, Error> {
    Ok(json_response(StatusCode::OK, &directory::sessions(&state.core, &path).await?))
}

/// Shut a user out at once: every session of theirs ends and every API token of theirs is
/// revoked (audited). They sign in again with their password; a compromised one is reset
/// with `PUT /api/v1/users/{username}`.
#[utoipa::path(delete, path = "/api/v1/users/{username}/sessions", tag = "directory",
    params(("username" = String, Path, description = "User name")),
    responses((status = 200, description = "What ended", body = Object,
            example = json!({ "username": "wang.lei", "sessions": 2, "tokens_revoked": 1 })),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json")))]
pub async fn end_sessions(
    state: State,
    _: Administrator,
    req: HttpRequest,
    path: Path<String>,
) -> Result<HttpResponse, Error> {
    let ended = directory::shut_out(&state.core, &actor(&req), &path).await?;
    let body = json!({ "username": path.as_str(), "sessions": ended.sessions, "tokens_revoked": ended.tokens_revoked });
    Ok(json_response(StatusCode::OK, &body))
}

/// End one session of a user (audited).
#[utoipa::path(delete, path = "/api/v1/users/{username}/sessions/{id}", tag = "directory",
    params(("username" = String, Path, description = "User name"), ("id" = i64, Path, description = "Session id")),
    responses((status = 204, description = "Ended"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live session", body = Problem, content_type = "application/problem+json")))]
pub async fn end_session(
    state: State,
    _: Administrator,
    req: HttpRequest,
    path: Path<(String, i64)>,
) -> Result<HttpResponse, Error> {
    directory::end_session(&state.core, &actor(&req), &path.0, path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}
