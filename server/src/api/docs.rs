//! Health, the platform's OpenAPI document, the JSON Schemas of metadata, and the
//! generated OpenAPI document of each app.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use utoipa::OpenApi;

use super::error::{Problem, ProblemItem};
use super::{State, json_response};
use crate::error::Error;

/// The platform API: everything except the generated per-app record API, which each app
/// documents at /api/v1/apps/{app}/openapi.json.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Trellis platform API",
        description = "Apps, metadata, records, files. Errors are RFC 9457 problem+json."
    ),
    paths(
        healthz,
        platform_openapi,
        metadata_schema,
        app_openapi,
        super::apps::list,
        super::apps::import,
        super::apps::get,
        super::apps::export,
        super::apps::publish,
        super::apps::dry_run,
        super::apps::settings,
        super::apps::publish_requests,
        super::apps::approve,
        super::apps::reject,
        super::apps::request_dry_run,
        super::versions::list,
        super::versions::get,
        super::versions::diff,
        super::versions::texts,
        super::metadata::list,
        super::metadata::get,
        super::metadata::put,
        super::metadata::delete,
        super::metadata::uses,
        super::metadata::check,
        super::metadata::rename,
        super::metadata::import,
        super::metadata::seen_as,
        super::records::list,
        super::export::export,
        super::processes::start,
        super::processes::get,
        super::processes::cancel,
        super::processes::migrate,
        super::processes::of_record,
        super::processes::incidents,
        super::processes::retry_incident,
        super::records::hand_over,
        super::records::timeline,
        super::notifications::list,
        super::notifications::read,
        super::notifications::read_all,
        super::tasks::list,
        super::tasks::get,
        super::tasks::complete,
        super::tasks::claim,
        super::tasks::unclaim,
        super::tasks::delegate,
        super::tasks::takers,
        super::records::create,
        super::records::check,
        super::records::bulk,
        super::records::upsert,
        super::pages::page,
        super::reports::report,
        super::reports::preview,
        super::reports::dashboard,
        super::views::list,
        super::views::create,
        super::views::replace,
        super::views::delete,
        super::records::get,
        super::records::update,
        super::records::delete,
        super::expressions::evaluate,
        super::rules::test,
        super::rules::firings,
        super::rules::incidents,
        super::rules::retry_incident,
        super::rules::outbox,
        super::rules::resend,
        super::rules::receive_event,
        super::rules::receive_events,
        super::files::upload,
        super::files::download,
        super::auth::login,
        super::auth::logout,
        super::auth::change_password,
        super::auth::me,
        super::auth::change_me,
        super::workspace::get,
        super::auth::create_token,
        super::auth::list_tokens,
        super::auth::revoke_token,
        super::auth::confirm_token,
        super::audit::list,
        super::imports::upload_import,
        super::imports::list_imports,
        super::imports::get_import,
        super::imports::run_import,
        super::imports::cancel_import,
        super::imports::import_refusals,
        super::imports::import_errors,
        super::channels::list_channels,
        super::channels::set_channel,
        super::channels::remove_channel,
        super::channels::test_channel,
        super::clock::get,
        super::clock::advance,
        super::audit::history,
        super::directory::import,
        super::directory::org_units,
        super::directory::save_org_unit,
        super::directory::users,
        super::directory::save_user,
        super::directory::sessions,
        super::directory::end_sessions,
        super::directory::end_session,
        super::directory::unlock_user,
    ),
    modifiers(&BearerAuth),
    components(schemas(
        Problem,
        ProblemItem,
        super::metadata::DraftCheckRequest,
        super::metadata::RenameRequest,
        super::schemas::ReportPreview,
        crate::publish::Published,
        crate::files::FileMeta,
        crate::records::preview::EvaluateRequest,
        crate::records::check::CheckRequest,
        crate::views::ViewSpec,
        crate::bulk::BulkChange,
        crate::bulk::upsert::Upsert,
        crate::rules::events::EventBatch,
        crate::rules::events::Received,
        crate::bulk::upsert::Upserted,
        crate::bulk::upsert::Outcome,
        crate::rules::test::RuleTestRequest,
        super::records::Handover,
        crate::rules::events::EventRequest,
        super::auth::LoginRequest,
        super::auth::TokenRequest,
        super::auth::PasswordChange,
        super::clock::ClockMove,
        super::channels::TestMessage,
        super::imports::RunImport,
        crate::imports::job::Uploaded,
        crate::imports::job_store::ImportJob,
        crate::imports::MappingSpec,
        crate::imports::Counts,
        super::apps::AppSettings,
        crate::auth::directory::Import,
        crate::auth::directory::OrgUnit,
        crate::auth::directory::UserEntry,
        crate::auth::directory::UserChange
    ))
)]
pub struct PlatformApi;

/// Every operation needs a session token (`Authorization: Bearer …`) unless it says
/// otherwise (`security(())`: health, sign-in, the documents).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

/// Liveness: the server answers and reaches its database.
#[utoipa::path(get, path = "/healthz", tag = "system", security(()),
    responses((status = 200, description = "Healthy", body = Object, example = json!({"status": "ok"})),
        (status = 500, description = "The database does not answer", body = Problem, content_type = "application/problem+json")))]
pub async fn healthz(state: State) -> Result<HttpResponse, Error> {
    state.db.conn.ping().await?;
    Ok(json_response(StatusCode::OK, &serde_json::json!({ "status": "ok" })))
}

/// The OpenAPI 3.1 document of the platform API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system", security(()), responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
pub async fn platform_openapi() -> HttpResponse {
    json_response(StatusCode::OK, platform_document())
}

/// The platform document, with the answers every route may give added to each operation.
pub fn platform_document() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = serde_json::to_value(PlatformApi::openapi()).unwrap_or_default();
        engine_form::add_common_answers(&mut doc);
        name_operations(&mut doc);
        doc
    })
}

/// Gives every operation a name of its own, `<tag>_<handler>` (`tasks_list`,
/// `records_list`): handlers in different modules share names, and a client generated
/// from the document keys its operations by them.
fn name_operations(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(serde_json::Value::as_object_mut) else { return };
    for item in paths.values_mut().filter_map(serde_json::Value::as_object_mut) {
        for operation in item.values_mut().filter_map(serde_json::Value::as_object_mut) {
            let tag = operation.get("tags").and_then(|t| t[0].as_str()).unwrap_or("platform").replace('-', "_");
            if let Some(id) = operation.get("operationId").and_then(serde_json::Value::as_str) {
                let named = format!("{tag}_{id}");
                operation.insert("operationId".into(), serde_json::Value::String(named));
            }
        }
    }
}

/// The path items of the platform document whose templates `path` matches, the most
/// specific (most literal segments) first: `/apps/{app}/drafts/forms` over `/apps/{app}/drafts/{kind}`,
/// as the router chooses.
fn items_of(path: &str) -> Vec<&'static serde_json::Value> {
    let segments: Vec<&str> = path.split('?').next().unwrap_or_default().trim_end_matches('/').split('/').collect();
    let mut matched: Vec<(usize, &serde_json::Value)> = Vec::new();
    for (template, item) in platform_document()["paths"].as_object().into_iter().flatten() {
        let parts: Vec<&str> = template.split('/').collect();
        let matches = parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(t, s)| t.starts_with('{') && !s.is_empty() || t == s);
        if matches {
            matched.push((parts.iter().filter(|p| !p.starts_with('{')).count(), item));
        }
    }
    let most = matched.iter().map(|(n, _)| *n).max().unwrap_or(0);
    matched.into_iter().filter(|(n, _)| *n == most).map(|(_, item)| item).collect()
}

/// The methods the platform document lists for the route `path` matches, if any: what a
/// 405 answer's `Allow` names.
pub fn methods_of(path: &str) -> Vec<String> {
    let mut methods: Vec<String> = Vec::new();
    for item in items_of(path) {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m.to_uppercase()) {
            if !methods.contains(&method) && method != "PARAMETERS" {
                methods.push(method);
            }
        }
    }
    methods
}

/// The operation of the platform document a request `method path` reaches, if the
/// document lists one: what the answers it may give are documented in.
pub fn operation_of(method: &str, path: &str) -> Option<&'static serde_json::Value> {
    items_of(path).into_iter().find_map(|item| item.get(method.to_lowercase()))
}

/// The JSON Schema of a metadata kind: `bundle`, `form` or `flow`.
#[utoipa::path(get, path = "/api/v1/schemas/{kind}", tag = "system", security(()),
    params(("kind" = String, Path, description = "`bundle`, `form` or `flow`")),
    responses((status = 200, description = "A JSON Schema (draft 2020-12)", body = Object),
        (status = 404, description = "No such kind", body = Problem, content_type = "application/problem+json")))]
pub async fn metadata_schema(path: Path<String>) -> Result<HttpResponse, Error> {
    let schema = match path.as_str() {
        "bundle" => engine_form::bundle_schema(),
        "form" | "forms" => engine_form::form_schema(),
        "flow" | "flows" => engine_flow::flow_schema(),
        other => {
            return Err(Error::not_found(format!("no schema for `{other}`; known: bundle, form, flow")));
        }
    };
    Ok(json_response(StatusCode::OK, schema))
}

/// The OpenAPI 3.1 document of one app's record API, generated from its published forms.
#[utoipa::path(get, path = "/api/v1/apps/{app}/openapi.json", tag = "apps", security(()),
    params(("app" = String, Path, description = "App key")),
    responses((status = 200, description = "OpenAPI 3.1", body = Object),
        (status = 404, description = "No such app, or not published", body = Problem, content_type = "application/problem+json")))]
pub async fn app_openapi(state: State, path: Path<String>) -> Result<HttpResponse, Error> {
    let app = state.catalog.published(&state.db.conn, &path).await?;
    let doc = engine_form::app_openapi(&app.bundle, &format!("/api/v1/apps/{}", app.key));
    Ok(json_response(StatusCode::OK, &doc))
}
