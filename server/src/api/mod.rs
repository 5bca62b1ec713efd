//! The HTTP API: routes, shared state, and request helpers. Handlers are thin:
//! extract, call the store or service, shape the response.

mod apps;
mod audit;
mod auth;
mod channels;
mod clock;
mod directory;
mod docs;
pub mod error;
mod export;
mod expressions;
mod files;
mod guard;
mod headers;
pub mod identity;
mod imports;
mod metadata;
mod notifications;
mod pages;
mod params;
mod processes;
mod records;
mod reports;
mod rules;
mod schemas;
mod tasks;
mod versions;
mod views;
mod web_app;
mod workspace;

use std::sync::Arc;

use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::Value;

use crate::db::Db;
use crate::error::{BadInputCode, Error};

pub use docs::{PlatformApi, operation_of, platform_document};

/// What every handler can reach: the domain's core, and the HTTP layer's own sign-in limits.
pub struct AppState {
    pub core: crate::core::Core,
    /// Sign-in rate limits, and the trusted header that names the client's address.
    pub sign_in_limits: crate::auth::throttle::Limits,
    pub sign_in_throttle: crate::auth::throttle::Throttle,
}

impl std::ops::Deref for AppState {
    type Target = crate::core::Core;

    fn deref(&self) -> &crate::core::Core {
        &self.core
    }
}

impl AppState {
    pub fn new(db: Db) -> Arc<AppState> {
        AppState::with_limits(db, crate::auth::throttle::Limits::default())
    }

    pub fn with_limits(db: Db, sign_in_limits: crate::auth::throttle::Limits) -> Arc<AppState> {
        AppState::of(crate::core::Core::new(db), sign_in_limits)
    }

    pub fn of(core: crate::core::Core, sign_in_limits: crate::auth::throttle::Limits) -> Arc<AppState> {
        Arc::new(AppState { core, sign_in_limits, sign_in_throttle: Default::default() })
    }
}

pub type State = web::Data<Arc<AppState>>;

/// Registers every route. Specific paths come before the generic metadata-kind routes.
pub fn configure(state: Arc<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(state))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|e, _| Error::bad_input(BadInputCode::bad_path, e.to_string()).into()),
            )
            .service(
                web::scope("")
                    .wrap(actix_web::middleware::from_fn(guard::guard))
                    // Public: liveness, signing in, and the published documents.
                    .route("/healthz", web::get().to(docs::healthz))
                    .route("/api/v1/auth/login", web::post().to(auth::login))
                    .route("/api/v1/openapi.json", web::get().to(docs::platform_openapi))
                    .route("/api/v1/schemas/{kind}", web::get().to(docs::metadata_schema))
                    .route("/api/v1/apps/{app}/openapi.json", web::get().to(docs::app_openapi))
                    // The browser app: every GET outside the API.
                    .route(
                        "/{page:.*}",
                        web::route().guard(actix_web::guard::fn_guard(web_app::is_page)).to(web_app::serve),
                    )
                    // Everything else needs a session token.
                    .service(authenticated()),
            );
    }
}

/// The routes that need a signed-in user.
fn authenticated() -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("")
        .wrap(actix_web::middleware::from_fn(identity::require))
        // Record routes first: they carry the traffic, and actix tries routes in order.
        .service(
            web::resource("/api/v1/apps/{app}/forms/{form}/records")
                .route(web::get().to(records::list))
                .route(web::post().to(records::create)),
        )
        // Before `records/{id}`, whose resource would answer a POST here with a 405; a
        // resource, not a route, so that another method gets its 405 here rather than
        // reaching `records/{id}` with `bulk` as the id.
        .service(web::resource("/api/v1/apps/{app}/forms/{form}/records/bulk").route(web::post().to(records::upsert)))
        .service(
            web::resource("/api/v1/apps/{app}/forms/{form}/records/{id}")
                .route(web::get().to(records::get))
                .route(web::patch().to(records::update))
                .route(web::delete().to(records::delete)),
        )
        .service(
            web::resource("/api/v1/apps/{app}/forms/{form}/views")
                .route(web::get().to(views::list))
                .route(web::post().to(views::create)),
        )
        .service(
            web::resource("/api/v1/apps/{app}/forms/{form}/views/{id}")
                .route(web::put().to(views::replace))
                .route(web::delete().to(views::delete)),
        )
        .route("/api/v1/apps/{app}/pages/{page}/records/{id}", web::get().to(pages::page))
        // A resource, so that another method gets its 405 here, not `reports/{report}`.
        .service(web::resource("/api/v1/apps/{app}/reports/preview").route(web::post().to(reports::preview)))
        .route("/api/v1/apps/{app}/reports/{report}", web::get().to(reports::report))
        .route("/api/v1/apps/{app}/dashboards/{dashboard}", web::get().to(reports::dashboard))
        .route("/api/v1/apps/{app}/forms/{form}/bulk", web::post().to(records::bulk))
        .route("/api/v1/apps/{app}/forms/{form}/check", web::post().to(records::check))
        .route("/api/v1/apps/{app}/forms/{form}/export", web::get().to(export::export))
        .route("/api/v1/apps/{app}/forms/{form}/records/{id}/handover", web::post().to(records::hand_over))
        .route("/api/v1/apps/{app}/forms/{form}/records/{id}/timeline", web::get().to(records::timeline))
        .route("/api/v1/apps/{app}/forms/{form}/evaluate", web::post().to(expressions::evaluate))
        .route("/api/v1/apps/{app}/rules/{rule}/test", web::post().to(rules::test))
        .route("/api/v1/apps/{app}/forms/{form}/records/{id}/firings", web::get().to(rules::firings))
        .route("/api/v1/apps/{app}/incidents", web::get().to(rules::incidents))
        .route("/api/v1/apps/{app}/incidents/{id}/retry", web::post().to(rules::retry_incident))
        .route("/api/v1/apps/{app}/outbox", web::get().to(rules::outbox))
        .route("/api/v1/apps/{app}/forms/{form}/imports", web::post().to(imports::upload_import))
        .route("/api/v1/apps/{app}/imports", web::get().to(imports::list_imports))
        .route("/api/v1/apps/{app}/imports/{id}", web::get().to(imports::get_import))
        .route("/api/v1/apps/{app}/imports/{id}/run", web::post().to(imports::run_import))
        .route("/api/v1/apps/{app}/imports/{id}/cancel", web::post().to(imports::cancel_import))
        .route("/api/v1/apps/{app}/imports/{id}/refusals", web::get().to(imports::import_refusals))
        .route("/api/v1/apps/{app}/imports/{id}/errors", web::get().to(imports::import_errors))
        .route("/api/v1/apps/{app}/channels", web::get().to(channels::list_channels))
        .service(
            web::resource("/api/v1/apps/{app}/channels/{channel}")
                .route(web::put().to(channels::set_channel))
                .route(web::delete().to(channels::remove_channel)),
        )
        .route("/api/v1/apps/{app}/channels/{channel}/test", web::post().to(channels::test_channel))
        .route("/api/v1/apps/{app}/outbox/{id}/resend", web::post().to(rules::resend))
        .route("/api/v1/apps/{app}/events/{event}/occurrences", web::post().to(rules::receive_event))
        .route("/api/v1/apps/{app}/events/{event}/occurrences/batch", web::post().to(rules::receive_events))
        .route("/api/v1/apps/{app}/flows/{flow}/instances", web::post().to(processes::start))
        .route("/api/v1/apps/{app}/instances/{id}", web::get().to(processes::get))
        .route("/api/v1/apps/{app}/instances/{id}/cancel", web::post().to(processes::cancel))
        .route("/api/v1/apps/{app}/instances/{id}/migrate", web::post().to(processes::migrate))
        .route("/api/v1/apps/{app}/forms/{form}/records/{id}/processes", web::get().to(processes::of_record))
        .route("/api/v1/apps/{app}/process-incidents", web::get().to(processes::incidents))
        .route("/api/v1/apps/{app}/process-incidents/{id}/retry", web::post().to(processes::retry_incident))
        .route("/api/v1/notifications", web::get().to(notifications::list))
        .route("/api/v1/notifications/read", web::post().to(notifications::read_all))
        .route("/api/v1/notifications/{id}/read", web::post().to(notifications::read))
        .route("/api/v1/tasks", web::get().to(tasks::list))
        .route("/api/v1/tasks/{id}", web::get().to(tasks::get))
        .route("/api/v1/tasks/{id}/complete", web::post().to(tasks::complete))
        .route("/api/v1/tasks/{id}/claim", web::post().to(tasks::claim))
        .route("/api/v1/tasks/{id}/unclaim", web::post().to(tasks::unclaim))
        .route("/api/v1/tasks/{id}/delegate", web::post().to(tasks::delegate))
        .route("/api/v1/tasks/{id}/takers", web::get().to(tasks::takers))
        .route("/api/v1/auth/logout", web::post().to(auth::logout))
        .route("/api/v1/auth/password", web::post().to(auth::change_password))
        .route("/api/v1/auth/me", web::get().to(auth::me))
        .route("/api/v1/workspace", web::get().to(workspace::get))
        .route("/api/v1/auth/me", web::patch().to(auth::change_me))
        .service(
            web::resource("/api/v1/tokens")
                .route(web::get().to(auth::list_tokens))
                .route(web::post().to(auth::create_token)),
        )
        .route("/api/v1/tokens/{id}", web::delete().to(auth::revoke_token))
        .route("/api/v1/tokens/{id}/confirm", web::post().to(auth::confirm_token))
        .route("/api/v1/audit", web::get().to(audit::list))
        .service(web::resource("/api/v1/clock").route(web::get().to(clock::get)).route(web::post().to(clock::advance)))
        .route("/api/v1/directory/import", web::post().to(directory::import))
        .service(
            web::resource("/api/v1/org-units")
                .route(web::get().to(directory::org_units))
                .route(web::post().to(directory::save_org_unit)),
        )
        .route("/api/v1/users", web::get().to(directory::users))
        .route("/api/v1/users/{username}", web::put().to(directory::save_user))
        .route("/api/v1/users/{username}/unlock", web::post().to(directory::unlock_user))
        .service(
            web::resource("/api/v1/users/{username}/sessions")
                .route(web::get().to(directory::sessions))
                .route(web::delete().to(directory::end_sessions)),
        )
        .route("/api/v1/users/{username}/sessions/{id}", web::delete().to(directory::end_session))
        .route("/api/v1/apps/{app}/forms/{form}/records/{id}/history", web::get().to(audit::history))
        .service(web::resource("/api/v1/apps").route(web::get().to(apps::list)).route(web::post().to(apps::import)))
        .route("/api/v1/apps/{app}", web::get().to(apps::get))
        .route("/api/v1/apps/{app}/publish", web::post().to(apps::publish))
        .route("/api/v1/apps/{app}/publish/dry-run", web::post().to(apps::dry_run))
        .route("/api/v1/apps/{app}/settings", web::put().to(apps::settings))
        .route("/api/v1/apps/{app}/publish-requests", web::get().to(apps::publish_requests))
        .route("/api/v1/apps/{app}/publish-requests/{id}/approve", web::post().to(apps::approve))
        .route("/api/v1/apps/{app}/publish-requests/{id}/reject", web::post().to(apps::reject))
        .route("/api/v1/apps/{app}/publish-requests/{id}/dry-run", web::post().to(apps::request_dry_run))
        .route("/api/v1/apps/{app}/bundle", web::get().to(apps::export))
        .route("/api/v1/apps/{app}/versions", web::get().to(versions::list))
        .route("/api/v1/apps/{app}/versions/{version}", web::get().to(versions::get))
        .route("/api/v1/apps/{app}/diff", web::get().to(versions::diff))
        .route("/api/v1/apps/{app}/texts", web::get().to(versions::texts))
        .route("/api/v1/apps/{app}/forms/{form}/fields/{field}/uses", web::get().to(metadata::uses))
        .route("/api/v1/apps/{app}/forms/{form}/fields/{field}/rename", web::post().to(metadata::rename))
        .route("/api/v1/apps/{app}/check", web::post().to(metadata::check))
        .route("/api/v1/apps/{app}/import", web::post().to(metadata::import))
        .route("/api/v1/apps/{app}/forms/{form}/seen-as/{username}", web::get().to(metadata::seen_as))
        .route("/api/v1/apps/{app}/files", web::post().to(files::upload))
        .route("/api/v1/apps/{app}/files/{id}", web::get().to(files::download))
        .route("/api/v1/apps/{app}/drafts/{kind}", web::get().to(metadata::list))
        .service(
            web::resource("/api/v1/apps/{app}/drafts/{kind}/{key}")
                .route(web::get().to(metadata::get))
                .route(web::put().to(metadata::put))
                .route(web::delete().to(metadata::delete)),
        )
        .default_service(web::to(not_found))
}

/// No route took the request: a 405 naming the methods the path takes, if it is a route of
/// the API, else a 404.
async fn not_found(req: HttpRequest) -> HttpResponse {
    let methods = docs::methods_of(req.path());
    if methods.is_empty() {
        return actix_web::ResponseError::error_response(&Error::not_found(format!(
            "no route for {} {}",
            req.method(),
            req.path()
        )));
    }
    let mut response = error::problem_response(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        crate::error::FixedCode::method_not_allowed,
        format!("{} takes {}", req.path(), methods.join(", ")),
    );
    if let Ok(allow) = actix_web::http::header::HeaderValue::from_str(&methods.join(", ")) {
        response.headers_mut().insert(actix_web::http::header::ALLOW, allow);
    }
    response
}

/// The largest JSON request body; uploaded files have their own, larger limit.
pub const MAX_JSON_BODY: usize = 4 * 1024 * 1024;

/// How long a body may pause between two of its pieces.
pub const BODY_IDLE: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads a request body of at most `limit` bytes; a larger one is refused as soon as it
/// passes the limit, with a 413 problem, before it fills memory. A body must keep coming
/// (no pause over [`BODY_IDLE`]) and be whole within a minute plus a second for every 100
/// KiB its limit allows (a file of 100 MiB: 18 minutes): a client sending a byte now and
/// then holds its connection no longer (408).
pub async fn read_body(payload: web::Payload, limit: usize) -> Result<Bytes, Error> {
    let mut body = web::BytesMut::new();
    read_chunks(payload, limit, |chunk| {
        body.extend_from_slice(chunk);
        Ok(())
    })
    .await?;
    Ok(body.freeze())
}

/// [`read_body`] a piece at a time, each handed to `each` as it arrives (a file spooled to
/// disk); the bytes read.
pub async fn read_chunks(
    mut payload: web::Payload,
    limit: usize,
    mut each: impl FnMut(&[u8]) -> Result<(), Error>,
) -> Result<usize, Error> {
    let late = || Error::Timeout("the body did not arrive in time".into());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60 + (limit / (100 * 1024)) as u64);
    let mut read = 0;
    loop {
        let wait = BODY_IDLE.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        let Ok(next) = tokio::time::timeout(wait, payload.next()).await else { return Err(late()) };
        let Some(chunk) = next else { break };
        let chunk =
            chunk.map_err(|e| Error::bad_input(BadInputCode::bad_body, format!("the body could not be read: {e}")))?;
        if read + chunk.len() > limit {
            return Err(Error::TooLarge(format!("the body is larger than {limit} bytes")));
        }
        read += chunk.len();
        each(&chunk)?;
    }
    Ok(read)
}

/// Reads and parses a JSON request body, keeping numbers' exact text (money must not pass
/// through a float).
pub async fn json_body(payload: web::Payload) -> Result<Value, Error> {
    json_body_within(payload, MAX_JSON_BODY).await
}

/// [`json_body`] of at most `limit` bytes, for a route that takes more (a bulk upsert).
pub async fn json_body_within(payload: web::Payload, limit: usize) -> Result<Value, Error> {
    let body = read_body(payload, limit).await?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| Error::bad_input(BadInputCode::malformed_json, format!("the body is not valid JSON: {e}")))?;
    // JSON can carry a NUL only as the escape `\u0000` (a raw one is not valid JSON): a body
    // without that text is not searched.
    let escaped_nul = body.split(|b| *b == b'\\').skip(1).any(|after| after.starts_with(b"u0000"));
    if let Some(path) = escaped_nul.then(|| nul_at(&value)).flatten() {
        return Err(Error::BadInput {
            code: BadInputCode::malformed_json,
            detail: "the body holds text with the NUL character, which no field stores".into(),
            errors: vec![engine_form::FieldError::new(path, "nul_character", "text cannot contain the NUL character")],
        });
    }
    Ok(value)
}

/// The JSON pointer of the first text (or key) in `value` that holds a NUL character.
/// Iterative, so no nesting can exhaust the stack.
fn nul_at(value: &Value) -> Option<String> {
    let mut pending = vec![(String::new(), value)];
    while let Some((path, value)) = pending.pop() {
        match value {
            Value::String(s) if s.contains('\0') => return Some(path),
            Value::Array(items) => {
                pending.extend(items.iter().enumerate().map(|(i, v)| (format!("{path}/{i}"), v)));
            }
            Value::Object(map) => {
                for (key, v) in map {
                    let at = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
                    if key.contains('\0') {
                        return Some(at);
                    }
                    pending.push((at, v));
                }
            }
            _ => {}
        }
    }
    None
}

/// A JSON object body, or a 400 naming what was sent instead.
pub async fn json_object(payload: web::Payload) -> Result<serde_json::Map<String, Value>, Error> {
    object_of(json_body(payload).await?)
}

fn object_of(body: Value) -> Result<serde_json::Map<String, Value>, Error> {
    match body {
        Value::Object(map) => Ok(map),
        other => Err(Error::bad_input(
            BadInputCode::malformed_json,
            format!("expected a JSON object, got {}", json_kind(&other)),
        )),
    }
}

/// A request body of the shape `T` describes, which must be a JSON object (serde would
/// otherwise read a struct from an array of its fields in order); `what` names it in the
/// refusal ("a view").
pub async fn json_request<T: serde::de::DeserializeOwned>(payload: web::Payload, what: &str) -> Result<T, Error> {
    parse_request(json_body(payload).await?, what)
}

/// A read body as [`json_request`] takes it: a JSON object of the shape `T` describes.
pub fn parse_request<T: serde::de::DeserializeOwned>(body: Value, what: &str) -> Result<T, Error> {
    let object = object_of(body)?;
    serde_json::from_value(Value::Object(object))
        .map_err(|e| Error::bad_input(BadInputCode::malformed_json, format!("not {what}: {e}")))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Serialises a JSON response; money stays a string, numbers keep their text.
pub fn json_response(status: actix_web::http::StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(body.to_string())
}

/// `response` with `version` as its ETag (`"3"`): a record's version, a draft's revision.
pub fn with_etag(mut response: HttpResponse, version: i64) -> HttpResponse {
    if let Ok(etag) = actix_web::http::header::HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(actix_web::http::header::ETAG, etag);
    }
    response
}

/// Reads `If-Match` (`"3"`, `W/"3"` or `3`): the version the caller read of `what`, or none.
pub fn if_match(req: &actix_web::HttpRequest, what: &str) -> Result<Option<i64>, Error> {
    let Some(raw) = req.headers().get(actix_web::http::header::IF_MATCH) else { return Ok(None) };
    let text = raw.to_str().unwrap_or("").trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse::<i64>().ok().filter(|v| *v >= 0).map(Some).ok_or_else(|| {
        Error::bad_input(crate::error::BadInputCode::bad_if_match, format!("If-Match must carry {what}, e.g. \"3\""))
    })
}
