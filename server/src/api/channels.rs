//! An app's channels, as administrators set them (`crate::channels::admin`): the gateway
//! each channel's messages leave through, its secrets never shown.

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::error::Problem;
use super::identity::{Administrator, actor};
use super::{State, json_body, json_request, json_response};
use crate::channels::admin;
use crate::error::Error;

/// A message to send through a channel now, to try its gateway.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "to": "ops@bank.example", "message": "Trellis 测试消息" }))]
pub struct TestMessage {
    /// A mobile, an e-mail address, a robot's group or a webhook URL.
    pub to: String,
    pub message: String,
}

/// The app's channels that have a gateway: each one's settings, and which of its secrets
/// are set (never their values).
#[utoipa::path(get, path = "/api/v1/apps/{app}/channels", tag = "rules",
    params(("app" = String, Path, description = "App key")),
    responses((status = 200, description = "By channel", body = Object, example = json!({ "items": [{
            "channel": "email", "kind": "smtp", "host": "smtp.bank.example", "port": 465, "security": "tls",
            "username": "crm", "from": "客户关怀 <care@bank.example>", "quiet_hours": { "from": "21:00", "to": "08:00" },
            "secrets": { "password": true, "headers": [], "robots": [], "signing": 0 } }] })),
        (status = 404, description = "No such app", body = Problem, content_type = "application/problem+json")))]
pub async fn list_channels(state: State, _: Administrator, path: Path<String>) -> Result<HttpResponse, Error> {
    let items = admin::list(&state.core, &path).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// Set the gateway of one of the app's channels (`email`: `smtp`; `sms`: `sms_http`; `im`:
/// `wecom_robot` or `dingtalk_robot`; `webhook`: `webhook`), with quiet hours and a rate.
/// `secrets` (a password, headers, robots, signing secrets) replace those stored when given
/// and stay when left out; they are sealed with the server's key.
#[utoipa::path(put, path = "/api/v1/apps/{app}/channels/{channel}", tag = "rules",
    params(("app" = String, Path, description = "App key"), ("channel" = String, Path, description = "`email`, `sms`, `im` or `webhook`")),
    request_body(content = Object, example = json!({ "kind": "dingtalk_robot", "markdown": false, "per_minute": 20,
        "secrets": { "robots": { "east": { "url": "https://oapi.dingtalk.com/robot/send?access_token=…", "secret": "SEC…" } } } })),
    responses((status = 200, description = "Set; as listed", body = Object),
        (status = 404, description = "No such app or channel", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Secrets, on a server without a key for them (`no_secret_key`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong settings, each at its path", body = Problem, content_type = "application/problem+json")))]
pub async fn set_channel(
    state: State,
    _: Administrator,
    req: HttpRequest,
    path: Path<(String, String)>,
    payload: Payload,
) -> Result<HttpResponse, Error> {
    let body = json_body(payload).await?;
    let shown = admin::configure(&state.core, &actor(&req), (&path.0, &path.1), &body).await?;
    Ok(json_response(StatusCode::OK, &shown))
}

/// Remove a channel's gateway: its messages are undeliverable until one is set again.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/channels/{channel}", tag = "rules",
    params(("app" = String, Path, description = "App key"), ("channel" = String, Path, description = "Channel")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "No such app, channel or gateway", body = Problem, content_type = "application/problem+json")))]
pub async fn remove_channel(
    state: State,
    _: Administrator,
    req: HttpRequest,
    path: Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    admin::remove(&state.core, &actor(&req), (&path.0, &path.1)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a message through a channel's gateway now, outside the outbox: whether the gateway
/// took it, and if not, what it said (never a secret).
#[utoipa::path(post, path = "/api/v1/apps/{app}/channels/{channel}/test", tag = "rules",
    params(("app" = String, Path, description = "App key"), ("channel" = String, Path, description = "Channel")),
    request_body = TestMessage,
    responses((status = 200, description = "Tried", body = Object, example = json!({ "delivered": false, "error": "`https://oapi.dingtalk.com/robot/send` answered 200: {\"errcode\":310000,\"errmsg\":\"sign not match\"}" })),
        (status = 404, description = "No such app or channel, or no gateway for it", body = Problem, content_type = "application/problem+json")))]
pub async fn test_channel(
    state: State,
    _: Administrator,
    req: HttpRequest,
    path: Path<(String, String)>,
    payload: Payload,
) -> Result<HttpResponse, Error> {
    let message: TestMessage = json_request(payload, "a test message").await?;
    let answer = admin::test(&state.core, &actor(&req), (&path.0, &path.1), (&message.to, &message.message)).await?;
    Ok(json_response(StatusCode::OK, &answer))
}
