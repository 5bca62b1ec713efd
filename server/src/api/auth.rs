//! Signing in and out.

use actix_web::http::StatusCode;
use actix_web::web::Payload;
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::error::Problem;
use super::identity::{actor, principal};
use super::{State, json_request, json_response};
use crate::auth::account::{Attempt, TokenAsked};
use crate::auth::{self, Principal};
use crate::error::{Error, ForbiddenCode};

/// A user name and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "username": "zhang.wei", "password": "correct horse battery staple" }))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// Keep the session in an HttpOnly, SameSite=Strict cookie instead of answering its
    /// token (the browser app: no script in the page can read it).
    #[serde(default)]
    pub cookie: bool,
}

/// Sign in: a session token to send as `Authorization: Bearer <token>` (or, asked for, an
/// HttpOnly cookie), valid for 12 hours or until signed out. Five wrong passwords in a row
/// lock the name from the address they came from for 15 minutes; twenty from addresses the
/// name never signed in from lock it for all of those. The answer tells the user of wrong
/// passwords typed for their name since they last signed in.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()), request_body = LoginRequest,
    responses((status = 200, description = "Signed in", body = super::schemas::Session,
            example = json!({ "token": "x3Jx…", "expires_at": "2026-11-29T10:00:00Z", "username": "zhang.wei",
                "failed_attempts": { "count": 3, "last_at": "2026-11-29T01:12:09.000000Z", "last_address": "10.2.3.4" } })),
        (status = 400, description = "Not a login", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong user name or password (`wrong_credentials`), or the name is locked from here after too many wrong attempts in a row (`locked`), known or not", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts for this name or from this address; `Retry-After` says when to try again", body = Problem, content_type = "application/problem+json")))]
pub async fn login(state: State, req: HttpRequest, payload: Payload) -> Result<HttpResponse, Error> {
    let request: LoginRequest = json_request(payload, "a login").await?;
    let address = super::identity::client_address(&req);
    let attempt = Attempt { username: &request.username, password: &request.password, address: address.as_deref() };
    let limits = (&state.sign_in_throttle, &state.sign_in_limits);
    let signed_in = auth::account::sign_in(&state.core, limits, &attempt, &actor(&req)).await?;
    let mut body = json!({ "username": request.username, "failed_attempts": signed_in.failures,
        "expires_at": signed_in.expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) });
    if !request.cookie {
        body["token"] = json!(signed_in.token);
        return Ok(json_response(StatusCode::OK, &body));
    }
    let cookie = super::identity::session_cookie(&req, &signed_in.token, auth::SESSION_HOURS * 3600);
    Ok(HttpResponse::Ok().insert_header(cookie).content_type("application/json").body(body.to_string()))
}

/// Sign out: the token stops working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
pub async fn logout(state: State, req: HttpRequest) -> Result<HttpResponse, Error> {
    auth::account::sign_out(&state.core, &principal(&req)?, &actor(&req)).await?;
    // A browser's cookie goes with its session.
    Ok(HttpResponse::NoContent().insert_header(super::identity::session_cookie(&req, "", 0)).finish())
}

/// A new password for the signed-in user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "current_password": "correct horse battery staple", "new_password": "a longer passphrase of mine" }))]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 12 characters.
    pub new_password: String,
}

/// Change your own password. The current one is checked (and counted like a sign-in);
/// your other sessions end, this one goes on, and the API tokens your other sessions made
/// are suspended until you confirm them (`POST /api/v1/tokens/{id}/confirm`).
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204, description = "Changed"),
        (status = 400, description = "Not a password change", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid session, or too many wrong attempts (`locked`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API token: passwords are changed signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The current password is wrong (`/current_password`) or the new one too short (`/new_password`)", body = Problem, content_type = "application/problem+json")))]
pub async fn change_password(state: State, req: HttpRequest, payload: Payload) -> Result<HttpResponse, Error> {
    let user = session_user(&req)?;
    let change: PasswordChange = json_request(payload, "a password change").await?;
    let passwords = (change.current_password.as_str(), change.new_password.as_str());
    auth::account::change_password(&state.core, (&user, &actor(&req)), passwords).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user, as they see themselves.
#[derive(serde::Serialize, ToSchema)]
#[schema(example = json!({ "id": 1, "username": "admin", "platform_role": "administrator", "language": "zh-CN" }))]
pub struct Me {
    pub id: i64,
    pub username: String,
    /// administrator, designer or user.
    pub platform_role: String,
    /// The language they read Trellis in (zh-CN, en); null: texts as the app wrote them.
    pub language: Option<String>,
    /// The zone instants are shown in (IANA, e.g. Asia/Shanghai); null: the app's.
    pub time_zone: Option<String>,
    /// The name people know them by (张敏), if the directory gives one.
    pub display_name: Option<String>,
}

impl Me {
    fn of(p: &Principal, language: Option<String>, (time_zone, display_name): (Option<String>, Option<String>)) -> Me {
        Me {
            id: p.user_id,
            username: p.username.clone(),
            platform_role: p.platform_role.clone(),
            language,
            time_zone,
            display_name,
        }
    }
}

/// A setting sent (`Some`, its value possibly null) or left as it is (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, description = "The signed-in user", body = Me),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json")))]
pub async fn me(state: State, req: HttpRequest) -> Result<HttpResponse, Error> {
    let p = principal(&req)?;
    let own = auth::directory::own_settings(&state.db.conn, p.user_id).await?;
    Ok(json_response(StatusCode::OK, &json!(Me::of(&p, p.language.clone(), own))))
}

/// What a user changes of their own settings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "language": "en", "time_zone": "Asia/Shanghai" }))]
pub struct MyChange {
    /// zh-CN or en; null to read texts as the app wrote them. Left out: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
    /// An IANA zone; null for the app's. Left out: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub time_zone: Option<Option<String>>,
}

/// Changes the signed-in user's own settings (their language, their time zone); audited.
#[utoipa::path(patch, path = "/api/v1/auth/me", tag = "auth", request_body = MyChange,
    responses((status = 200, description = "The signed-in user, changed", body = Me),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a language Trellis speaks, or not a time zone", body = Problem, content_type = "application/problem+json")))]
pub async fn change_me(state: State, req: HttpRequest, body: Payload) -> Result<HttpResponse, Error> {
    let p = principal(&req)?;
    let change: MyChange = json_request(body, "a change of your settings").await?;
    if let Some(language) = &change.language {
        auth::directory::set_language(&state, &actor(&req), p.user_id, language.as_deref()).await?;
    }
    if let Some(zone) = &change.time_zone {
        auth::directory::set_time_zone(&state, &actor(&req), p.user_id, zone.as_deref()).await?;
    }
    let language = change.language.clone().unwrap_or_else(|| p.language.clone());
    let own = auth::directory::own_settings(&state.db.conn, p.user_id).await?;
    Ok(json_response(StatusCode::OK, &json!(Me::of(&p, language, own))))
}

/// A request for an API token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "core banking feed", "app": "bank_crm", "access": "write", "expires_in_days": 90 }))]
pub struct TokenRequest {
    pub name: String,
    /// The one app the token reaches.
    pub app: String,
    /// `read` (GET only) or `write`.
    pub access: String,
    /// 1 to 366.
    pub expires_in_days: i64,
}

/// A signed-in user's own session, not an API token: tokens do not make tokens.
fn session_user(req: &HttpRequest) -> Result<Principal, Error> {
    let p = principal(req)?;
    if p.scope.is_some() {
        return Err(Error::Forbidden {
            code: ForbiddenCode::token_scope,
            detail: "API tokens are managed when signed in".into(),
        });
    }
    Ok(p)
}

/// Make an API token for an integrator. The token is in this answer only; the server
/// keeps its hash.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", request_body = TokenRequest,
    responses((status = 201, description = "Made; `token` is shown this once", body = Object,
            example = json!({ "id": 4, "token": "trt_…", "app": "bank_crm", "access": "write", "expires_at": "2027-02-26T10:00:00Z" })),
        (status = 400, description = "A bad name, access or lifetime", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json")))]
pub async fn create_token(state: State, req: HttpRequest, payload: Payload) -> Result<HttpResponse, Error> {
    let user = session_user(&req)?;
    let r: TokenRequest = json_request(payload, "a token request").await?;
    let asked = TokenAsked { name: &r.name, app: &r.app, access: &r.access, days: r.expires_in_days };
    let (id, token, expires) = auth::account::make_token(&state.core, (&user, &actor(&req)), &asked).await?;
    let body = json!({ "id": id, "token": token, "name": r.name, "app": r.app, "access": r.access,
        "expires_at": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) });
    Ok(json_response(StatusCode::CREATED, &body))
}

/// The API tokens you made (all of them, for an administrator), without the tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth",
    responses((status = 200, description = "Newest first", body = Object)))]
pub async fn list_tokens(state: State, req: HttpRequest) -> Result<HttpResponse, Error> {
    let user = session_user(&req)?;
    let owner = (user.platform_role != "administrator").then_some(user.user_id);
    let items = auth::tokens::list(&state.db.conn, owner).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// Revoke an API token: it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"),
        (status = 404, description = "No live token of yours with that id", body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_token(
    state: State,
    req: HttpRequest,
    path: actix_web::web::Path<i64>,
) -> Result<HttpResponse, Error> {
    auth::account::revoke_token(&state.core, (&session_user(&req)?, &actor(&req)), *path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Take back into use an API token of yours that a password change or reset suspended:
/// the owner, signed in with the new password, says it is theirs.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/confirm", tag = "auth",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204, description = "In use again"),
        (status = 403, description = "An API token: tokens are confirmed signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No live token of yours with that id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The token is not suspended (`not_suspended`)", body = Problem, content_type = "application/problem+json")))]
pub async fn confirm_token(
    state: State,
    req: HttpRequest,
    path: actix_web::web::Path<i64>,
) -> Result<HttpResponse, Error> {
    auth::account::confirm_token(&state.core, (&session_user(&req)?, &actor(&req)), *path).await?;
    Ok(HttpResponse::NoContent().finish())
}
