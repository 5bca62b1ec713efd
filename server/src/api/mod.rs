//! The HTTP API: routes, shared state, and request helpers. Handlers are thin:
//! extract, call the store or service, shape the response.

mod apps;
mod docs;
pub mod error;
mod files;
mod metadata;
mod records;

use std::sync::Arc;

use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;

use crate::catalog::Catalog;
use crate::db::Db;
use error::ApiError;

pub use docs::PlatformApi;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub catalog: Catalog,
}

impl AppState {
    pub fn new(db: Db) -> Arc<AppState> {
        Arc::new(AppState { db, catalog: Catalog::default() })
    }
}

pub type State = web::Data<Arc<AppState>>;

/// Registers every route. Specific paths come before the generic metadata-kind routes.
pub fn configure(state: Arc<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(web::Data::new(state))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|e, _| ApiError::bad_request("bad_path", e.to_string()).into()),
            )
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| ApiError::bad_request("bad_query", e.to_string()).into()),
            )
            .app_data(web::PayloadConfig::new(crate::files::MAX_FILE_SIZE))
            .route("/healthz", web::get().to(docs::healthz))
            .route("/api/v1/openapi.json", web::get().to(docs::platform_openapi))
            .route("/api/v1/schemas/{kind}", web::get().to(docs::metadata_schema))
            .service(web::resource("/api/v1/apps").route(web::get().to(apps::list)).route(web::post().to(apps::import)))
            .route("/api/v1/apps/{app}", web::get().to(apps::get))
            .route("/api/v1/apps/{app}/publish", web::post().to(apps::publish))
            .route("/api/v1/apps/{app}/bundle", web::get().to(apps::export))
            .route("/api/v1/apps/{app}/openapi.json", web::get().to(docs::app_openapi))
            .route("/api/v1/apps/{app}/files", web::post().to(files::upload))
            .route("/api/v1/apps/{app}/files/{id}", web::get().to(files::download))
            .service(
                web::resource("/api/v1/apps/{app}/forms/{form}/records")
                    .route(web::get().to(records::list))
                    .route(web::post().to(records::create)),
            )
            .service(
                web::resource("/api/v1/apps/{app}/forms/{form}/records/{id}")
                    .route(web::get().to(records::get))
                    .route(web::patch().to(records::update))
                    .route(web::delete().to(records::delete)),
            )
            .route("/api/v1/apps/{app}/{kind}", web::get().to(metadata::list))
            .service(
                web::resource("/api/v1/apps/{app}/{kind}/{key}")
                    .route(web::get().to(metadata::get))
                    .route(web::put().to(metadata::put))
                    .route(web::delete().to(metadata::delete)),
            )
            .default_service(web::to(not_found));
    }
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found(format!("no route for {} {}", req.method(), req.path())))
}

/// Parses a JSON request body, keeping numbers' exact text (money must not pass through a float).
pub fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}")))
}

/// A JSON object body, or a 400 naming what was sent instead.
pub fn json_object(body: &Bytes) -> Result<serde_json::Map<String, Value>, ApiError> {
    match json_body(body)? {
        Value::Object(map) => Ok(map),
        other => {
            Err(ApiError::bad_request("malformed_json", format!("expected a JSON object, got {}", json_kind(&other))))
        }
    }
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
