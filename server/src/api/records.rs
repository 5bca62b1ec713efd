//! The generated record API of every published form.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{Path, Payload, Query};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use engine_form::{CheckMode, check_record};
use sea_orm::TransactionTrait;
use serde_json::{Value, json};

use super::error::{ApiError, Problem};
use super::{State, json_object, json_response};
use crate::access::Access;
use crate::access::enforce::{allowed, out_of_reach, within_reach, writable};
use crate::audit::{self, Actor, Entry};
use crate::records::query::{ListParams, ListQuery};
use crate::records::values::field_values;
use crate::records::{FormCtx, enforce_conditions, read, write};
use crate::rules::{self, Change};
use engine_rule::TriggerKind;
use serde_json::Map;

pub(super) type FormPath = Path<(String, String)>;
type RecordPath = Path<(String, String, i64)>;

/// A response carrying one record, with its version as the ETag.
fn record_response(status: StatusCode, record: &Value) -> HttpResponse {
    let mut response = json_response(status, record);
    if let Some(version) = record.get("_version").and_then(Value::as_i64)
        && let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\""))
    {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// Reads `If-Match`: `"3"`, `W/"3"` or `3`.
fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(raw) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = raw.to_str().unwrap_or("").trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse()
        .map(Some)
        .map_err(|_| ApiError::bad_request("bad_if_match", "If-Match must carry the record's _version, e.g. \"3\""))
}

/// The caller's access to the form, refusing the request unless it grants `operation`.
pub(super) async fn access_for(
    c: &impl sea_orm::ConnectionTrait,
    req: &HttpRequest,
    ctx: &FormCtx<'_>,
    operation: &str,
) -> Result<Access, ApiError> {
    let principal = crate::auth::principal(req)?;
    let access = crate::access::load(c, ctx.app, &principal, ctx.form).await?;
    allowed(&access, operation, &ctx.form.key)?;
    Ok(access)
}

/// Refuses unless the caller may read record `id` of `form` (404 for one outside their
/// records): for the routes about a record (its firings, its history).
pub(super) async fn readable(
    state: &State,
    req: &HttpRequest,
    app: &str,
    form: &str,
    id: i64,
) -> Result<Access, ApiError> {
    let app = state.catalog.published(&state.db.conn, app).await?;
    let ctx = FormCtx::new(&app, form, state.db.backend())?;
    let access = access_for(&state.db.conn, req, &ctx, "read").await?;
    within_reach(&state.db.conn, &ctx, &access, id, || ApiError::not_found(format!("no `{form}` record {id}"))).await?;
    Ok(access)
}

/// The texts of record `id`, and of the records it relates to (two relations deep: a
/// holding's customer and the customer's manager), that `access` masks or hides: to be
/// masked wherever else they appear in an answer about the record (what its rules,
/// processes and tasks wrote, which may quote them).
pub(super) async fn secrets_around(
    state: &State,
    app: &crate::catalog::PublishedApp,
    form: &str,
    id: i64,
    access: &Access,
) -> Result<crate::access::Secrets, ApiError> {
    let mut secrets = crate::access::Secrets::default();
    let mut pending = vec![(form.to_owned(), id, 0)];
    let mut seen = std::collections::HashSet::new();
    while let Some((form, id, depth)) = pending.pop() {
        if !seen.insert((form.clone(), id)) {
            continue;
        }
        let Some(form_access) = (if depth == 0 { Some(access) } else { access.to_form(&form) }) else { continue };
        let ctx = FormCtx::new(app, &form, state.db.backend())?;
        let Some(Value::Object(mut record)) = read::get(&state.db.conn, &ctx, id, None).await? else { continue };
        if depth < 2 {
            for field in &ctx.form.fields {
                if let engine_form::FieldType::Relation { form: target, .. } = &field.kind
                    && let Some(related) = record.get(&field.key).and_then(Value::as_i64)
                {
                    pending.push((target.clone(), related, depth + 1));
                }
            }
        }
        form_access.shape_collecting(&mut record, &mut secrets);
    }
    Ok(secrets)
}

/// Record `id` of `form` as the caller may see it (404 outside their records).
pub(super) async fn read_one(
    state: &State,
    req: &HttpRequest,
    app: &str,
    form: &str,
    id: i64,
) -> Result<Value, ApiError> {
    let app = state.catalog.published(&state.db.conn, app).await?;
    let mut ctx = FormCtx::new(&app, form, state.db.backend())?;
    let access = access_for(&state.db.conn, req, &ctx, "read").await?;
    ctx.access = Some(&access);
    let record = read::get(&state.db.conn, &ctx, id, None)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no `{form}` record {id}")))?;
    Ok(shaped(&access, record))
}

/// The record a write leaves, as the caller may see it: refused with `out_of_reach` when
/// their rows no longer admit it, and read again through their access when it limits what
/// the record's lookups show.
async fn as_written(
    c: &impl sea_orm::ConnectionTrait,
    ctx: &FormCtx<'_>,
    access: &Access,
    id: i64,
    record: Value,
) -> Result<Value, ApiError> {
    if access.rows.is_none() && !access.limits_lookups() {
        return Ok(shaped(access, record));
    }
    let scoped = FormCtx { access: Some(access), ..*ctx };
    let record = read::get(c, &scoped, id, None).await?.ok_or_else(out_of_reach)?;
    Ok(shaped(access, record))
}

/// A record as the caller may see it.
pub(super) fn shaped(access: &Access, mut record: Value) -> Value {
    if let Some(obj) = record.as_object_mut() {
        access.shape(obj);
    }
    record
}

/// The caller's access for `operation` and their list query, refused if it filters or
/// sorts on what they may not see in clear.
pub(super) async fn list_query(
    state: &State,
    req: &HttpRequest,
    ctx: &FormCtx<'_>,
    params: &ListParams,
    operation: &str,
) -> Result<(Access, ListQuery), ApiError> {
    let access = access_for(&state.db.conn, req, ctx, operation).await?;
    let query = ListQuery::parse(ctx.form, params)?;
    access
        .check_readable(&ctx.app.bundle, ctx.form, &query.paths_read())
        .map_err(|detail| ApiError::Forbidden { code: "not_readable", detail })?;
    Ok((access, query))
}

/// List records with filters, sort and a cursor.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ListParams),
    responses((status = 200, description = "A page of records; `next` is the cursor of the following page", body = Object,
            example = json!({"items": [{"id": 1, "_version": 1, "_created_at": "2026-11-28T09:00:00.000000Z", "_updated_at": "2026-11-28T09:00:00.000000Z",
                "name": "Li Wei", "aum": "6200000.00", "tier": "hnw"}], "next": "WyI2MjAwMDAwLjAwIiwxXQ", "total": 1})),
        (status = 400, description = "A bad filter, sort, limit, fields or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or form", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: State,
    req: HttpRequest,
    path: FormPath,
    params: Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let app = state.catalog.published(&state.db.conn, &path.0).await?;
    let mut ctx = FormCtx::new(&app, &path.1, state.db.backend())?;
    let (access, query) = list_query(&state, &req, &ctx, &params, "read").await?;
    ctx.access = Some(&access);
    let mut page = read::list(&state.db.conn, &ctx, &query).await?;
    page.items = page.items.into_iter().map(|r| shaped(&access, r)).collect();
    let mut body = json!({ "items": page.items, "next": page.next });
    if let Some(total) = page.total {
        body["total"] = Value::from(total);
    }
    Ok(json_response(StatusCode::OK, &body))
}

/// Create a record.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/records", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key")),
    request_body(content = Object, description = "Field values; decimals as strings keep every digit",
        example = json!({"name": "Li Wei", "aum": "6200000.00", "tier": "hnw", "birthday": "1980-02-29"})),
    responses((status = 201, description = "Created; Location names it, ETag carries its version", body = Object),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or form", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values: `errors` names each bad field", body = Problem, content_type = "application/problem+json")))]
pub async fn create(state: State, path: FormPath, req: HttpRequest, body: Payload) -> Result<HttpResponse, ApiError> {
    let input = json_object(body).await?;
    let tx = state.db.conn.begin().await?;
    let app = state.catalog.published_for_write(&tx, &path.0).await?;
    let mut ctx = FormCtx::new(&app, &path.1, state.db.backend())?;
    ctx.writer = Some(crate::auth::principal(&req)?.user_id);
    let access = access_for(&tx, &req, &ctx, "create").await?;
    writable(&access, &input)?;
    let values = check_record(ctx.form, &input, CheckMode::Create).map_err(ApiError::InvalidRecord)?;
    let own_row = read::OwnRow::of(&ctx);
    let now = Utc::now();
    let row = write::create(&tx, &ctx, &values, now, &read::OwnRow::returning(own_row.as_ref())).await?;
    let mut record = read::written(&tx, &ctx, own_row.as_ref(), &row).await?;
    let id = record["id"].as_i64().unwrap_or_default();
    let sent: Vec<&str> = input.keys().map(String::as_str).collect();
    if ctx.form.has_conditions() {
        let stored = field_values(ctx.form, record.as_object().unwrap_or(&Map::new()));
        enforce_conditions(&ctx, &stored, &sent, now)?;
    }
    let entry = Entry::record("record.create", &path.0, &path.1, id, json!({ "after": record }));
    audit::write(&tx, &Actor::of(&req), entry, now).await?;
    if rules::watches(&app, &path.1, TriggerKind::Created) {
        let after = Some(field_values(ctx.form, record.as_object().unwrap_or(&Map::new())));
        let kind = TriggerKind::Created;
        let change = Change { form: path.1.clone(), id, version: 1, kind, before: None, after, by: ctx.writer };
        rules::after_change(&tx, &app, change, now, 0).await?;
        // Rules may have changed the record.
        record = read::get(&tx, &ctx, id, None).await?.unwrap_or(record);
    }
    let written = crate::flows::Written { form: &path.1, id, created: true, by: ctx.writer };
    crate::flows::on_record_change(&tx, &app, written, now, 0).await?;
    let record = as_written(&tx, &ctx, &access, id, record).await?;
    tx.commit().await?;
    let mut response = record_response(StatusCode::CREATED, &record);
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/apps/{}/forms/{}/records/{id}", path.0, path.1)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Read one record.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records/{id}", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "The record; ETag carries its version", body = Object),
        (status = 404, description = "No such app, form or record", body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: State, req: HttpRequest, path: RecordPath) -> Result<HttpResponse, ApiError> {
    let app = state.catalog.published(&state.db.conn, &path.0).await?;
    let mut ctx = FormCtx::new(&app, &path.1, state.db.backend())?;
    let access = access_for(&state.db.conn, &req, &ctx, "read").await?;
    ctx.access = Some(&access);
    let record = read::get(&state.db.conn, &ctx, path.2, None)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no `{}` record {}", path.1, path.2)))?;
    Ok(record_response(StatusCode::OK, &shaped(&access, record)))
}

/// Update some fields of a record, if it is still at the version in If-Match.
#[utoipa::path(patch, path = "/api/v1/apps/{app}/forms/{form}/records/{id}", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id"),
        ("If-Match" = String, Header, description = "The record's `_version`, e.g. \"3\"")),
    request_body(content = Object, description = "The fields to change", example = json!({"aum": "7100000.00"})),
    responses((status = 200, description = "Updated", body = Object),
        (status = 404, description = "No such record", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The record changed since that version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json")))]
pub async fn update(state: State, path: RecordPath, req: HttpRequest, body: Payload) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?.ok_or(ApiError::VersionRequired)?;
    let input = json_object(body).await?;
    let tx = state.db.conn.begin().await?;
    let app = state.catalog.published_for_write(&tx, &path.0).await?;
    let mut ctx = FormCtx::new(&app, &path.1, state.db.backend())?;
    ctx.writer = Some(crate::auth::principal(&req)?.user_id);
    let access = access_for(&tx, &req, &ctx, "update").await?;
    // A record the caller cannot reach is, to them, not there.
    within_reach(&tx, &ctx, &access, path.2, || ApiError::not_found(format!("no `{}` record {}", path.1, path.2)))
        .await?;
    writable(&access, &input)?;
    let values = check_record(ctx.form, &input, CheckMode::Patch).map_err(ApiError::InvalidRecord)?;
    let own_row = read::OwnRow::of(&ctx);
    let returning = read::OwnRow::returning(own_row.as_ref());
    let now = Utc::now();
    let watched = rules::watches(&app, &path.1, TriggerKind::Updated);
    // The record before the change, read in this transaction: for the audit trail, and
    // for the rules that compare with it (`old.`).
    let before_json = read::get(&tx, &ctx, path.2, None).await?;
    let before = match (&before_json, watched) {
        (Some(Value::Object(obj)), true) => Some(field_values(ctx.form, obj)),
        _ => None,
    };
    let row = write::update(&tx, &ctx, path.2, expected, &values, now, &returning).await?;
    let mut record = read::written(&tx, &ctx, own_row.as_ref(), &row).await?;
    let entry = Entry::record(
        "record.update",
        &path.0,
        &path.1,
        path.2,
        json!({ "before": before_json, "after": record, "sent": input }),
    );
    audit::write(&tx, &Actor::of(&req), entry, now).await?;
    if ctx.form.has_conditions() {
        let sent: Vec<&str> = input.keys().map(String::as_str).collect();
        let stored = field_values(ctx.form, record.as_object().unwrap_or(&Map::new()));
        enforce_conditions(&ctx, &stored, &sent, now)?;
    }
    if let Some(before) = before {
        let after = Some(field_values(ctx.form, record.as_object().unwrap_or(&Map::new())));
        let version = record["_version"].as_i64().unwrap_or_default();
        let change = Change {
            form: path.1.clone(),
            id: path.2,
            version,
            kind: TriggerKind::Updated,
            before: Some(before),
            after,
            by: ctx.writer,
        };
        rules::after_change(&tx, &app, change, now, 0).await?;
        record = read::get(&tx, &ctx, path.2, None).await?.unwrap_or(record);
    }
    let written = crate::flows::Written { form: &path.1, id: path.2, created: false, by: ctx.writer };
    crate::flows::on_record_change(&tx, &app, written, now, 0).await?;
    let record = as_written(&tx, &ctx, &access, path.2, record).await?;
    tx.commit().await?;
    Ok(record_response(StatusCode::OK, &record))
}

/// Delete a record. If-Match is optional; when sent, the record must be at that version.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/forms/{form}/records/{id}", tag = "records",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such record", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Other records still link to it", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The record changed since that version", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(state: State, path: RecordPath, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let tx = state.db.conn.begin().await?;
    let app = state.catalog.published_for_write(&tx, &path.0).await?;
    let ctx = FormCtx::new(&app, &path.1, state.db.backend())?;
    let access = access_for(&tx, &req, &ctx, "delete").await?;
    // A record the caller cannot reach is, to them, not there.
    within_reach(&tx, &ctx, &access, path.2, || ApiError::not_found(format!("no `{}` record {}", path.1, path.2)))
        .await?;
    let before_json = read::get(&tx, &ctx, path.2, None).await?;
    let before = match (&before_json, rules::watches(&app, &path.1, TriggerKind::Deleted)) {
        (Some(Value::Object(obj)), true) => {
            Some((obj.get("_version").and_then(Value::as_i64).unwrap_or(0), field_values(ctx.form, obj)))
        }
        _ => None,
    };
    write::delete(&tx, &ctx, path.2, expected).await?;
    let entry = Entry::record("record.delete", &path.0, &path.1, path.2, json!({ "before": before_json }));
    audit::write(&tx, &Actor::of(&req), entry, Utc::now()).await?;
    if let Some((version, before)) = before {
        let change = Change {
            form: path.1.clone(),
            id: path.2,
            version,
            kind: TriggerKind::Deleted,
            before: Some(before),
            after: None,
            by: Some(crate::auth::principal(&req)?.user_id),
        };
        rules::after_change(&tx, &app, change, Utc::now(), 0).await?;
    }
    crate::flows::on_record_deleted(&tx, &app, (&path.1, path.2), Utc::now()).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
