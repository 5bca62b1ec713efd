//! The generated record API of every published form.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Value, json};

use super::error::Problem;
use super::identity::{actor, principal};
use super::params::Params;
use super::{State, json_object, json_request, json_response};
use crate::access::reach;
use crate::edit::Who;
use crate::error::{BadInputCode, Error};
use crate::pipeline::Op;
use crate::records::query::{ListParams, RecordParams};

/// A form of an app, as the path names it.
#[derive(serde::Deserialize)]
pub(super) struct FormAt {
    pub app: String,
    pub form: String,
}

/// A record of a form, as the path names it.
#[derive(serde::Deserialize)]
pub(super) struct RecordAt {
    pub app: String,
    pub form: String,
    pub id: i64,
}

/// A response carrying one record, with its version as the ETag.
fn record_response(status: StatusCode, record: &Value) -> HttpResponse {
    let response = json_response(status, record);
    match record.get("_version").and_then(Value::as_i64) {
        Some(version) => super::with_etag(response, version),
        None => response,
    }
}

/// Reads `If-Match`: the record's version the caller read.
fn if_match(req: &HttpRequest) -> Result<Option<i64>, Error> {
    super::if_match(req, "the record's _version")
}

/// One record changed by the caller (`edit::change`, with their roles, audited as them).
async fn change(state: &State, req: &HttpRequest, at: (&str, &str), op: Op<'_>) -> Result<(i64, Option<Value>), Error> {
    let (principal, actor) = (principal(req)?, actor(req));
    crate::edit::change(&state.core, Who::Caller(&principal, &actor), at, op).await
}

/// List records with filters, sort and a cursor.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ListParams),
    responses((status = 200, description = "A page of records; `next` is the cursor of the following page", body = super::schemas::RecordList,
            example = json!({"items": [{"id": 1, "_version": 1, "_created_at": "2026-11-28T09:00:00.000000Z", "_updated_at": "2026-11-28T09:00:00.000000Z",
                "name": "Li Wei", "aum": "6200000.00", "tier": "hnw"}], "next": "WyI2MjAwMDAwLjAwIiwxXQ", "total": 1})),
        (status = 400, description = "A bad filter, sort, limit, fields or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or form", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A `where` that is not a valid condition: `errors[].span` locates the mistake", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: State,
    req: HttpRequest,
    path: Path<FormAt>,
    params: Params<ListParams>,
) -> Result<HttpResponse, Error> {
    let at = (path.app.as_str(), path.form.as_str());
    let page = reach::list(&state, &principal(&req)?, at, &params, state.clock.now()).await?;
    Ok(json_response(StatusCode::OK, &page))
}

/// Create a record.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/records", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key")),
    request_body(content = Object, description = "Field values; decimals as strings keep every digit",
        example = json!({"name": "Li Wei", "aum": "6200000.00", "tier": "hnw", "birthday": "1980-02-29"})),
    responses((status = 201, description = "Created; Location names it, ETag carries its version", body = super::schemas::Record),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or form", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values: `errors` names each bad field", body = Problem, content_type = "application/problem+json")))]
pub async fn create(state: State, path: Path<FormAt>, req: HttpRequest, body: Payload) -> Result<HttpResponse, Error> {
    let input = json_object(body).await?;
    let (id, record) = change(&state, &req, (&path.app, &path.form), Op::Create(&input)).await?;
    let mut response = record_response(StatusCode::CREATED, &record.unwrap_or_default());
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/apps/{}/forms/{}/records/{id}", path.app, path.form))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// What a record being typed comes to: the fields its form hides for the values so far,
/// its formulas, and the typed values that do not fit. Nothing is written.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/check", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key")),
    request_body = crate::records::check::CheckRequest,
    responses((status = 200, description = "Hidden fields, formula values and misfits", body = super::schemas::DraftCheck,
            example = json!({ "hidden": ["visit_address"], "formulas": {}, "errors": [] })),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's roles do not create (or, with `id`, update) the form's records", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app, form or record", body = Problem, content_type = "application/problem+json")))]
pub async fn check(state: State, path: Path<FormAt>, req: HttpRequest, body: Payload) -> Result<HttpResponse, Error> {
    let request: crate::records::check::CheckRequest = json_request(body, "a draft").await?;
    let at = (path.app.as_str(), path.form.as_str());
    let answer = crate::records::check::check(&state, &principal(&req)?, at, &request, state.clock.now()).await?;
    Ok(json_response(StatusCode::OK, &answer))
}

/// One change to many records: the same values set on each, or each deleted, through the
/// write pipeline with the caller's roles, all or nothing; every refusal is named.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/bulk", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key")),
    request_body = crate::bulk::BulkChange,
    responses((status = 200, description = "Every record changed", body = super::schemas::BulkDone, example = json!({ "changed": 3 })),
        (status = 400, description = "A bad action, ids or values", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or form", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Some records refused (nothing changed): each at `/values/…` for a field, `/ids/{i}` otherwise, the message naming the record", body = Problem, content_type = "application/problem+json")))]
pub async fn bulk(state: State, path: Path<FormAt>, req: HttpRequest, body: Payload) -> Result<HttpResponse, Error> {
    let change: crate::bulk::BulkChange = json_request(body, "a bulk change").await?;
    let who = (&principal(&req)?, &actor(&req));
    let done = crate::bulk::apply(&state.core, who, (&path.app, &path.form), &change).await?;
    Ok(json_response(StatusCode::OK, &done))
}

/// Records created or updated by a unique key of their form, as another system's feed
/// sends them (up to 10,000): a record whose key no record holds is created, one whose
/// key a record holds updates it, one whose values equal the stored ones writes nothing.
/// A relation may name its record as `{"<unique field>": value}`. All or nothing unless
/// `atomic` is false.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/records/bulk", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key")),
    request_body = crate::bulk::upsert::Upsert,
    responses((status = 200, description = "Each record's outcome: created, updated, unchanged (nothing written) or, when not atomic, refused with its errors",
            body = crate::bulk::upsert::Upserted,
            example = json!({ "created": 1, "updated": 0, "unchanged": 1, "refused": 0, "results": [
                { "index": 0, "outcome": "created", "id": 41 }, { "index": 1, "outcome": "unchanged", "id": 7 }] })),
        (status = 400, description = "A key that is no unique field, or no records, too many, one not an object", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's roles do not create or update the form's records", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or form", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A body over 32 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Atomic, some records refused (nothing written): each problem at `/records/{i}/…`", body = Problem, content_type = "application/problem+json")))]
pub async fn upsert(state: State, path: Path<FormAt>, req: HttpRequest, body: Payload) -> Result<HttpResponse, Error> {
    let body = super::json_body_within(body, crate::bulk::upsert::MAX_BODY).await?;
    let upsert: crate::bulk::upsert::Upsert = super::parse_request(body, "an upsert")?;
    let who = (&principal(&req)?, &actor(&req));
    let done = crate::bulk::upsert::upsert(&state.core, who, (&path.app, &path.form), &upsert).await?;
    Ok(json_response(StatusCode::OK, &serde_json::to_value(done).map_err(|e| Error::Internal(e.into()))?))
}

/// Read one record.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records/{id}", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id"), RecordParams),
    responses((status = 200, description = "The record; ETag carries its version", body = super::schemas::Record),
        (status = 400, description = "`fields` names a field the form does not have", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app, form or record", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: State,
    req: HttpRequest,
    path: Path<RecordAt>,
    params: Params<RecordParams>,
) -> Result<HttpResponse, Error> {
    let principal = principal(&req)?;
    let at = (path.app.as_str(), path.form.as_str(), path.id);
    let record = reach::read_one(&state.core, &principal, at, params.fields.as_deref(), state.clock.now()).await?;
    Ok(record_response(StatusCode::OK, &record))
}

/// Update some fields of a record, if it is still at the version in If-Match.
#[utoipa::path(patch, path = "/api/v1/apps/{app}/forms/{form}/records/{id}", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id"),
        ("If-Match" = String, Header, description = "The record's `_version`, e.g. \"3\"")),
    request_body(content = Object, description = "The fields to change", example = json!({"aum": "7100000.00"})),
    responses((status = 200, description = "Updated", body = super::schemas::Record),
        (status = 404, description = "No such record", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The record changed since that version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: State,
    path: Path<RecordAt>,
    req: HttpRequest,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let version = if_match(&req)?.ok_or(Error::VersionRequired)?;
    let input = json_object(body).await?;
    let op = Op::Update { id: path.id, version: Some(version), values: &input };
    let (_, record) = change(&state, &req, (&path.app, &path.form), op).await?;
    Ok(record_response(StatusCode::OK, &record.unwrap_or_default()))
}

/// Delete a record. If-Match is optional; when sent, the record must be at that version.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/forms/{form}/records/{id}", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such record", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Other records still link to it", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The record changed since that version", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(state: State, path: Path<RecordAt>, req: HttpRequest) -> Result<HttpResponse, Error> {
    let version = if_match(&req)?;
    change(&state, &req, (&path.app, &path.form), Op::Delete { id: path.id, version }).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who takes over, and which of the leaving person's records.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Handover {
    /// The id of the person (a record of the same form) who takes over.
    pub to: i64,
    /// The forms whose records linking to the one leaving go to `to` (`["customer"]`).
    pub forms: Vec<String>,
}

/// Hand a person's records and open tasks to another (an RM who leaves the bank): for a
/// form whose records are people (`user_field`), in one audited change, each record
/// through the write pipeline with your roles; all or nothing.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/records/{id}/handover", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "A form whose records are people"), ("id" = i64, Path, description = "The person leaving")),
    request_body = Handover,
    responses((status = 200, description = "What was handed over", body = Object,
            example = json!({ "records": { "customer": 42 }, "tasks": 7 })),
        (status = 400, description = "Not a form of people, no such person, or a form with no link to them", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Your roles do not let you change one of the records; nothing was moved", body = Problem, content_type = "application/problem+json")))]
pub async fn hand_over(
    state: State,
    req: HttpRequest,
    path: Path<RecordAt>,
    body: Payload,
) -> Result<HttpResponse, Error> {
    let handover: Handover = json_request(body, "a handover").await?;
    let who = (&principal(&req)?, &actor(&req));
    let at = (path.app.as_str(), path.form.as_str());
    let handed = crate::handover::hand_over(&state.core, who, at, (path.id, handover.to), &handover.forms).await?;
    Ok(json_response(StatusCode::OK, &json!({ "records": handed.records, "tasks": handed.tasks })))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimelineParams {
    /// At most this many entries, newest first: 1 to 1000, 200 by default.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// Everything that happened to and around a record, newest first: its changes, the rules
/// that fired and why, tasks raised and completed (with notes), its processes and the
/// messages sent about it with their delivery state, as you may see them.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records/{id}/timeline", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id"), TimelineParams),
    responses((status = 200, description = "Entries newest first, each with its `kind` (change, firing, task, process, message) and `at`; `more` when older ones were left out", body = super::schemas::Timeline,
            example = json!({ "items": [{ "kind": "task", "at": "2026-12-01T01:30:00.000000Z", "title": "大额资金流出预警：陈静", "status": "completed", "data": { "notes": "客户确认是购房首付" } }], "more": false })),
        (status = 404, description = "No such record, or not one of yours", body = Problem, content_type = "application/problem+json")))]
pub async fn timeline(
    state: State,
    req: HttpRequest,
    path: Path<RecordAt>,
    params: Params<TimelineParams>,
) -> Result<HttpResponse, Error> {
    let limit = params.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(Error::bad_input_at(BadInputCode::bad_query, "/limit", "`limit` must be between 1 and 1000"));
    }
    let at = (path.app.as_str(), path.form.as_str(), path.id);
    let body = crate::timeline::timeline(&state.core, &principal(&req)?, at, limit).await?;
    Ok(json_response(StatusCode::OK, &body))
}
