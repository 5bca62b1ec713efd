//! Testing a rule before it is published: the draft rule is evaluated against a stored
//! record or given values, with no side effect, and the answer says whether it fires, what
//! it read and what it would do.

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload, Query};
use actix_web::{HttpRequest, HttpResponse};
use engine_form::{CheckMode, FieldValue, Form, check_record};
use engine_rule::{Context, Trigger, TriggerKind};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::error::Problem;
use super::identity::{Designer, principal};
use super::{State, json_body, json_response};
use crate::error::Error;
use crate::meta;
use crate::records::values::{RecordValues, expr_json, field_values, merged};
use crate::records::{FormCtx, read};
use engine_app::check_app;

/// What to test a rule on.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "id": 42, "record": { "aum": "7100000.00" }, "now": "2026-11-28T01:30:00+08:00" }))]
pub struct RuleTestRequest {
    /// A stored record of the rule's form. With `record`, the stored values are the state
    /// before the change and `record` the change.
    pub id: Option<i64>,
    /// Field values: the whole record, or (with `id`) the fields that change.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub record: Map<String, Value>,
    /// Without `id`, for rules on `updated` or `deleted`: the values before the change.
    #[schema(value_type = Object)]
    pub old: Option<Map<String, Value>>,
    /// The instant the rule sees as now, in RFC 3339; the current time by default.
    pub now: Option<String>,
}

/// The stored values of record `id`, read as the published app stores them and checked
/// against the draft form (fields that no longer fit read as empty).
async fn stored(state: &State, app: &str, form: &Form, id: i64) -> Result<Vec<(String, FieldValue)>, Error> {
    let published = state.catalog.published(&state.db.conn, app).await?;
    let ctx = FormCtx::new(&published, &form.key, state.db.backend(), state.clock.now())?;
    let record = read::get(&state.db.conn, &ctx, id, None)
        .await?
        .ok_or_else(|| Error::not_found(format!("no `{}` record {id}", form.key)))?;
    Ok(field_values(form, record.as_object().ok_or_else(|| anyhow::anyhow!("a record is an object"))?))
}

/// Values given in the request, every wrong one reported under `at` (`/record`, `/old`,
/// `/data`); `Create` also requires the required fields.
fn given(
    form: &Form,
    values: &Map<String, Value>,
    at: &str,
    mode: CheckMode,
) -> Result<Vec<(String, FieldValue)>, Error> {
    check_record(form, values, mode).map_err(|errors| {
        Error::InvalidRecord(
            errors
                .into_iter()
                .map(|mut e| {
                    e.path = format!("{at}{}", e.path);
                    e
                })
                .collect(),
        )
    })
}

/// Evaluate a draft rule on a record, without side effects, and explain the result.
#[utoipa::path(post, path = "/api/v1/apps/{app}/rules/{rule}/test", tag = "rules",
    params(("app" = String, Path, description = "App key"), ("rule" = String, Path, description = "Rule key")),
    request_body = RuleTestRequest,
    responses((status = 200, description = "Whether the rule fires, what it read and what it would do", body = Object,
            example = json!({ "rule": "large_outflow", "trigger": "updated", "fired": true,
                "read": { "outflow_today": "4200000.00", "aum": "12800000.00" },
                "actions": [{ "type": "create_task", "title": "Large outflow: Li Wei", "assignee": 3, "priority": "high", "due_at": "2026-11-28T03:30:00.000000Z" }] })),
        (status = 404, description = "No such app, rule or record", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The app's drafts are invalid, or the values are", body = Problem, content_type = "application/problem+json")))]
pub async fn test(
    state: State,
    _: Designer,
    req: HttpRequest,
    path: Path<(String, String)>,
    payload: Payload,
) -> Result<HttpResponse, Error> {
    let request: RuleTestRequest = serde_json::from_value(json_body(payload).await?)
        .map_err(|e| Error::bad_input("malformed_json", format!("not a rule test: {e}")))?;
    let now = match &request.now {
        None => state.clock.now(),
        Some(text) => engine_form::parse_instant(text)
            .ok_or_else(|| Error::bad_input("bad_now", format!("`now` is not an RFC 3339 date-time: `{text}`")))?,
    };
    let app = meta::find_app(&state.db.conn, &path.0)
        .await?
        .ok_or_else(|| Error::not_found(format!("no app `{}`", path.0)))?;
    let drafts = check_app(&meta::draft_bundle(&state.db.conn, &app).await?, 0).map_err(Error::InvalidMetadata)?;
    let rule = drafts.rule(&path.1).ok_or_else(|| Error::not_found(format!("no rule `{}`", path.1)))?;
    // A rule on an event reads the event's data: `record` is that data.
    let event = rule.event.as_deref().and_then(|e| drafts.events.iter().find(|f| f.key == e));
    let Some(form) = rule.form.as_deref().and_then(|f| drafts.bundle.form(f)).or(event) else {
        return Err(Error::not_found("the rule's form or event is not in the app"));
    };
    let changes = given(form, &request.record, "/record", CheckMode::Patch)?;
    // What the test reads from stored records (the record, related ones) it reads through
    // the caller's access; what the caller gave it, it answers as given.
    let published = state.catalog.published(&state.db.conn, &app.key).await?;
    let access = match rule.form.as_deref().and_then(|f| published.bundle.form(f)) {
        Some(published_form) => {
            let principal = principal(&req)?;
            Some(crate::access::load(&state.db.conn, &published, &principal, published_form).await?)
        }
        None => None,
    };
    let (before, after) = match (request.id, &request.old) {
        (Some(id), None) => {
            crate::access::reach::readable(&state.core, &principal(&req)?, (&app.key, &form.key, id), now).await?;
            let stored = stored(&state, &app.key, form, id).await?;
            (Some(stored.clone()), merged(stored, changes))
        }
        (None, Some(old)) => {
            let old = given(form, old, "/old", CheckMode::Patch)?;
            (Some(old.clone()), merged(old, changes))
        }
        (None, None) => (None, changes),
        (Some(_), Some(_)) => return Err(Error::bad_input("bad_test", "give `id` or `old`, not both")),
    };
    let id = request.id.unwrap_or(0);
    let paths = crate::rules::related_paths([rule]);
    // A rule names its zone (`today_in`); `today()` is refused when it is checked.
    let ctx = Context::at(now, now.date_naive()).with_calendars(&drafts.bundle.calendars);
    let mut after = RecordValues::new(form, id, after, ctx);
    let mut before = before.map(|values| RecordValues::new(form, id, values, ctx));
    if !paths.is_empty() {
        // Related records are read as the published app stores them.
        for record in before.iter_mut().chain(std::iter::once(&mut after)) {
            crate::rules::load_related(&state.db.conn, &published, record, &paths).await?;
        }
    }
    let trigger = match (rule.trigger, &before) {
        (TriggerKind::Created, _) => Trigger::Created { id, version: 1, record: &after },
        (TriggerKind::Updated, Some(before)) => Trigger::Updated { id, version: 2, before, after: &after },
        (TriggerKind::Deleted, Some(before)) => Trigger::Deleted { id, version: 2, before },
        (TriggerKind::Schedule, _) => Trigger::Scheduled { occurrence: now, id, record: &after },
        (TriggerKind::Event, _) => Trigger::Event { name: &form.key, event_id: "test", payload: &after },
        _ => return Err(Error::bad_input("bad_test", "this rule sees a change: give `id` or `old`")),
    };
    let firing = rule.fire(&trigger, &ctx).map_err(|e| Error::InvalidExpression { param: "rule", errors: vec![e] })?;
    let trigger_name = crate::rules::trigger_name(rule.trigger);
    let mut body = json!({ "rule": rule.key, "trigger": trigger_name, "fired": firing.is_some() });
    if let Some(firing) = firing {
        let mut read: Map<String, Value> = firing.read.iter().map(|(k, v)| (k.clone(), expr_json(v))).collect();
        body["actions"] = Value::Array(firing.actions.iter().map(engine_rule::Action::to_json).collect());
        if let Some(access) = &access {
            let mut secrets = match request.id {
                Some(id) => {
                    crate::access::reach::secrets_around(&state.db.conn, &published, (&form.key, id), access, now)
                        .await?
                }
                None => crate::access::Secrets::default(),
            };
            let mut shaped = read.clone();
            access.shape_paths(&published.bundle, form, &mut shaped, &mut secrets);
            for (path, value) in std::mem::take(&mut read) {
                let given = given_path(&path, &request.record, request.old.as_ref());
                match shaped.remove(&path) {
                    _ if given => read.insert(path, value),
                    Some(shaped) => read.insert(path, shaped),
                    None => None,
                };
            }
            secrets.scrub(&mut body["actions"]);
        }
        body["read"] = Value::Object(read);
    }
    Ok(json_response(StatusCode::OK, &body))
}

/// Whether `path` (`aum`, `old.aum`) reads a value the caller gave in the test itself.
fn given_path(path: &str, record: &Map<String, Value>, old: Option<&Map<String, Value>>) -> bool {
    match path.strip_prefix("old.") {
        Some(field) => old.is_some_and(|o| o.contains_key(field)),
        None => record.contains_key(path),
    }
}

/// Why a record got its alerts, tasks and messages: every rule that fired on it, what it
/// read shaped by the caller's field modes.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records/{id}/firings", tag = "rules",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "The firings on the record, newest first", body = Object,
            example = json!({ "items": [{ "id": 7, "rule": "aum_fell_30_percent", "rule_version": 3, "trigger": "updated", "record_id": 42,
                "read": { "tier": "hnw", "aum": "8959999.99", "old.aum": "12800000.00" },
                "actions": [{ "type": "create_task", "title": "…", "assignee": 1, "priority": "high", "due_at": "2026-11-28T03:30:00.000000Z" }],
                "status": "done", "error": null, "fired_at": "2026-11-28T01:30:00.000000Z" }] }))))]
pub async fn firings(
    state: State,
    req: actix_web::HttpRequest,
    path: Path<(String, String, i64)>,
) -> Result<HttpResponse, Error> {
    let access =
        crate::access::reach::readable(&state.core, &principal(&req)?, (&path.0, &path.1, path.2), state.clock.now())
            .await?;
    let app = state.catalog.published(&state.db.conn, &path.0).await?;
    let form = app.bundle.form(&path.1).ok_or_else(|| Error::not_found(format!("no form `{}`", path.1)))?;
    let mut secrets =
        crate::access::reach::secrets_around(&state.db.conn, &app, (&path.1, path.2), &access, state.clock.now())
            .await?;
    let mut items = crate::rules::firings_of_record(&state.db.conn, &path.0, &path.1, path.2).await?;
    // What each rule read, as the caller sees it; its texts masked in what the rule did.
    for item in &mut items {
        if let Some(Value::Object(read)) = item.get_mut("read") {
            access.shape_paths(&app.bundle, form, read, &mut secrets);
        }
    }
    let mut body = json!({ "items": items });
    secrets.scrub(&mut body);
    Ok(json_response(StatusCode::OK, &body))
}

/// Rule firings that failed: a value out of range, an action the data refused, a cascade
/// too deep. The change that fired them went through. Failed actions are retried after 1,
/// 5, 30 and 120 minutes (`status` `retrying`, with `attempts` and `next_attempt_at`);
/// after the last attempt the firing is `failed` and waits for someone.
#[utoipa::path(get, path = "/api/v1/apps/{app}/incidents", tag = "rules",
    params(("app" = String, Path, description = "App key")),
    responses((status = 200, description = "The latest 100 incidents and retries, newest first", body = Object,
        example = json!({ "items": [{ "id": 7, "rule": "large_outflow", "rule_version": 3, "trigger": "created",
            "form": "transaction", "record_id": 42, "read": {}, "actions": [], "status": "failed",
            "error": "invalid record: /title: too long", "fired_at": "2026-11-28T01:30:00.000000Z",
            "attempts": 5, "next_attempt_at": null }] }))))]
pub async fn incidents(state: State, _: Designer, path: Path<String>) -> Result<HttpResponse, Error> {
    let items = crate::rules::incidents(&state.db.conn, &path, 100).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// Run a failed firing's actions again now (after the data or the app was corrected). The
/// actions are the ones decided when the rule fired. Answers with the firing after the
/// attempt: `done`, or still failing with the new error.
#[utoipa::path(post, path = "/api/v1/apps/{app}/incidents/{id}/retry", tag = "rules",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Firing id")),
    responses((status = 200, description = "The firing after the attempt", body = Object),
        (status = 404, description = "No such incident", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The firing did not fail, or could not be evaluated (`nothing_to_retry`)", body = Problem, content_type = "application/problem+json")))]
pub async fn retry_incident(state: State, _: Designer, path: Path<(String, i64)>) -> Result<HttpResponse, Error> {
    let firing = crate::rules::retry_incident(&state, &path.0, path.1, state.clock.now()).await?;
    Ok(json_response(StatusCode::OK, &firing))
}

/// Which outbox messages to list.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct OutboxParams {
    /// `pending`, `delivered` or `failed`; all when absent.
    pub state: Option<String>,
}

/// The app's outbox: messages rules queued (SMS, e-mail, IM, in-app, webhooks) and how
/// their delivery went. Webhooks are sent by the server, retried after 1, 5, 30, 120 and 720
/// minutes, then `failed`.
#[utoipa::path(get, path = "/api/v1/apps/{app}/outbox", tag = "rules",
    params(("app" = String, Path, description = "App key"), OutboxParams),
    responses((status = 200, description = "The latest 100 messages, newest first", body = Object,
        example = json!({ "items": [{ "id": 3, "channel": "webhook", "recipient": "https://crm.example/hooks/outflow",
            "body": { "customer": "李伟" }, "state": "failed", "attempts": 6, "next_attempt_at": "2026-11-28T14:00:00.000000Z",
            "last_error": "the receiver answered 503 Service Unavailable" }] }))))]
pub async fn outbox(
    state: State,
    _: Designer,
    path: Path<String>,
    params: Query<OutboxParams>,
) -> Result<HttpResponse, Error> {
    if let Some(s) = params.state.as_deref().filter(|s| !matches!(*s, "pending" | "delivered" | "failed")) {
        return Err(Error::bad_input("bad_state", format!("`{s}` is not pending, delivered or failed")));
    }
    let items = crate::outbox::list(&state.db.conn, &path, params.state.as_deref(), 100).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// Send a failed outbox message again, now (after the receiver was fixed).
#[utoipa::path(post, path = "/api/v1/apps/{app}/outbox/{id}/resend", tag = "rules",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Message id")),
    responses((status = 202, description = "Queued for the next delivery run"),
        (status = 404, description = "No failed message with that id", body = Problem, content_type = "application/problem+json")))]
pub async fn resend(state: State, _: Designer, path: Path<(String, i64)>) -> Result<HttpResponse, Error> {
    crate::outbox::resend(&state.db.conn, &path.0, path.1, state.clock.now()).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// An event sent in by another system.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "event_id": "MB-20261128-000123", "data": { "customer": 1, "occurred_at": "2026-11-28T21:12:00+08:00" } }))]
pub struct EventRequest {
    /// The sender's id of this event: the same id again is the same event.
    pub event_id: String,
    /// The event's fields, as declared in the app.
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
}

/// Receive an event (a transaction from core banking, a mobile-banking login) and fire the
/// rules listening for it, in one transaction. Sending the same `event_id` again is safe.
#[utoipa::path(post, path = "/api/v1/apps/{app}/events/{event}/occurrences", tag = "rules",
    params(("app" = String, Path, description = "App key"), ("event" = String, Path, description = "Event key")),
    request_body = EventRequest,
    responses((status = 201, description = "Received; the rules that fired, each with what it read and did", body = Object,
            example = json!({ "event": "mobile_login", "event_id": "MB-20261128-000123", "duplicate": false, "firings": [] })),
        (status = 200, description = "Received before under this `event_id`; nothing fired again", body = Object),
        (status = 404, description = "No such app or event", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The data does not fit the event's fields (`errors` under `/data`)", body = Problem, content_type = "application/problem+json")))]
pub async fn receive_event(
    state: State,
    req: HttpRequest,
    path: Path<(String, String)>,
    payload: Payload,
) -> Result<HttpResponse, Error> {
    let request: EventRequest = serde_json::from_value(json_body(payload).await?)
        .map_err(|e| Error::bad_input("malformed_json", format!("not an event: {e}")))?;
    if request.event_id.is_empty() || request.event_id.len() > 200 || request.event_id.contains('\0') {
        return Err(Error::bad_input("bad_event_id", "`event_id` is 1 to 200 characters"));
    }
    let tx = state.db.conn.begin().await?;
    let app = state.catalog.published_for_write(&tx, &path.0).await?;
    let form = app.event(&path.1)?;
    let sender = principal(&req)?;
    if !crate::access::may_send(&tx, &app, &sender, &path.1).await? {
        return Err(Error::Forbidden {
            code: "forbidden",
            detail: format!("none of your roles may send `{}` events", path.1),
        });
    }
    let data = given(form, &request.data, "/data", CheckMode::Create)?;
    let incoming = (path.1.as_str(), request.event_id.as_str());
    let fired =
        crate::rules::receive_event(&tx, &app, incoming, data, &request.data, Some(sender.user_id), state.clock.now())
            .await?;
    tx.commit().await?;
    let duplicate = fired.is_none();
    let body = json!({ "event": path.1, "event_id": request.event_id, "duplicate": duplicate,
        "firings": fired.unwrap_or_default() });
    Ok(json_response(if duplicate { StatusCode::OK } else { StatusCode::CREATED }, &body))
}
