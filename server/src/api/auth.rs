//! Signing in and out.

use actix_web::http::StatusCode;
use actix_web::web::Payload;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::{State, json_body, json_response};
use crate::auth::{self, Principal};

/// A user name and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "username": "zhang.wei", "password": "correct horse battery staple" }))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// Sign in: a session token to send as `Authorization: Bearer <token>`, valid for 12
/// hours or until signed out. Five wrong passwords in a row lock the user for 15 minutes.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()), request_body = LoginRequest,
    responses((status = 200, description = "Signed in", body = Object,
            example = json!({ "token": "x3Jx…", "expires_at": "2026-11-29T10:00:00Z", "username": "zhang.wei" })),
        (status = 401, description = "Wrong user name or password (`wrong_credentials`), or locked (`locked`)", body = Problem, content_type = "application/problem+json")))]
pub async fn login(state: State, payload: Payload) -> Result<HttpResponse, ApiError> {
    let request: LoginRequest = serde_json::from_value(json_body(payload).await?)
        .map_err(|e| ApiError::bad_request("malformed_json", format!("not a login: {e}")))?;
    let (token, expires) = auth::login(&state.db.conn, &request.username, &request.password, Utc::now()).await?;
    let body = json!({ "token": token, "username": request.username,
        "expires_at": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) });
    Ok(json_response(StatusCode::OK, &body))
}

fn principal(req: &HttpRequest) -> Result<Principal, ApiError> {
    req.extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("an authenticated route without a principal")))
}

/// Sign out: the token stops working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
pub async fn logout(state: State, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    auth::logout(&state.db.conn, &principal(&req)?.session, Utc::now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, description = "The signed-in user", body = Object,
            example = json!({ "id": 1, "username": "admin", "platform_role": "administrator" })),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
pub async fn me(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let p = principal(&req)?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "id": p.user_id, "username": p.username, "platform_role": p.platform_role }),
    ))
}
