//! The rules routes: testing a draft rule, a record's firings, incidents and their retry,
//! the outbox and its resend, and events sent in by other systems. Each calls the rules
//! domain (`crate::rules`) and shapes its reply.

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::error::Problem;
use super::identity::{Designer, principal};
use super::params::Params;
use super::{State, json_request, json_response};
use crate::error::{BadInputCode, Error};
use crate::rules::events::EventRequest;
use crate::rules::test::RuleTestRequest;

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
    Designer(principal): Designer,
    path: Path<(String, String)>,
    payload: Payload,
) -> Result<HttpResponse, Error> {
    let request: RuleTestRequest = json_request(payload, "a rule test").await?;
    let body = crate::rules::test::test(&state.core, &principal, (&path.0, &path.1), &request).await?;
    Ok(json_response(StatusCode::OK, &body))
}

/// Why a record got its alerts, tasks and messages: every rule that fired on it, what it
/// read shaped by the caller's field modes.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records/{id}/firings", tag = "rules",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "The firings on the record, newest first (at most 1,000: `more` says whether older ones were left out); those whose rule reads what the caller sees masked are withheld, and counted (`withheld`)", body = Object,
            example = json!({ "items": [{ "id": 7, "rule": "aum_fell_30_percent", "rule_version": 3, "trigger": "updated", "record_id": 42,
                "read": { "tier": "hnw", "aum": "8959999.99", "old.aum": "12800000.00" },
                "actions": [{ "type": "create_task", "title": "…", "assignee": 1, "priority": "high", "due_at": "2026-11-28T03:30:00.000000Z" }],
                "status": "done", "error": null, "fired_at": "2026-11-28T01:30:00.000000Z", "label": { "zh-CN": "资产管理规模下降 30%", "en": "AUM fell 30%" } }], "more": false, "withheld": 0 }))))]
pub async fn firings(
    state: State,
    req: actix_web::HttpRequest,
    path: Path<(String, String, i64)>,
) -> Result<HttpResponse, Error> {
    let body = crate::timeline::firings(&state.core, &principal(&req)?, (&path.0, &path.1, path.2), false).await?;
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
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    /// `pending`, `delivered`, `failed`, `undeliverable` (no gateway for its channel) or
    /// `opted_out` (its person takes no automatic messages, never sent); all when absent.
    pub state: Option<String>,
    /// `sms`, `email`, `im`, `in_app` or `webhook`; all when absent.
    pub channel: Option<String>,
    /// With `record`: only the messages about this record of this form.
    pub form: Option<String>,
    pub record: Option<i64>,
    /// Messages older than this one: the `next` of the previous page.
    pub before: Option<i64>,
}

/// The app's outbox: messages rules and processes queued (SMS, e-mail, IM, in-app,
/// webhooks), each with the record it is about, and how their delivery went; by state,
/// channel and record. Webhooks are sent by the server, retried after 1, 5, 30, 120 and 720
/// minutes, then `failed`.
#[utoipa::path(get, path = "/api/v1/apps/{app}/outbox", tag = "rules",
    params(("app" = String, Path, description = "App key"), OutboxParams),
    responses((status = 200, description = "Messages newest first, 100 at a time; `next`, when given, is the `before` of the following page", body = Object,
        example = json!({ "items": [{ "id": 3, "channel": "webhook", "recipient": "https://crm.example/hooks/outflow",
            "body": { "customer": "李伟" }, "state": "failed", "attempts": 6, "next_attempt_at": "2026-11-28T14:00:00.000000Z",
            "last_error": "the receiver answered 503 Service Unavailable", "firing": 12,
            "created_at": "2026-11-28T02:00:00.000000Z", "subject": { "form": "customer", "id": 1 } }], "next": null, "withheld": 0 })),
        (status = 400, description = "A bad state, channel or record filter", body = Problem, content_type = "application/problem+json")))]
pub async fn outbox(
    state: State,
    Designer(principal): Designer,
    path: Path<String>,
    params: Params<OutboxParams>,
) -> Result<HttpResponse, Error> {
    if let Some(s) = params
        .state
        .as_deref()
        .filter(|s| !matches!(*s, "pending" | "delivered" | "failed" | "undeliverable" | "opted_out"))
    {
        return Err(Error::bad_input(
            BadInputCode::bad_state,
            format!("`{s}` is not pending, delivered, failed, undeliverable or opted_out"),
        ));
    }
    if let Some(c) = params.channel.as_deref().filter(|c| !matches!(*c, "sms" | "email" | "im" | "in_app" | "webhook"))
    {
        return Err(Error::bad_input_at(
            BadInputCode::bad_query,
            "/channel",
            format!("`{c}` is not sms, email, im, in_app or webhook"),
        ));
    }
    let subject = match (params.form.as_deref(), params.record) {
        (Some(form), Some(id)) => Some((form, id)),
        (None, None) => None,
        _ => return Err(Error::bad_input(BadInputCode::bad_query, "`form` and `record` go together")),
    };
    let filter = crate::outbox::Filter {
        state: params.state.as_deref(),
        channel: params.channel.as_deref(),
        subject,
        before: params.before,
    };
    let mut items = crate::outbox::list(&state.db.conn, &path, &filter, 100).await?;
    let next = crate::audit::next_before(&items, Some(100));
    // A message a rule sent because of what the reader sees masked (a birthday greeting) is
    // withheld like the value: counted, not shown.
    let withheld = crate::access::without_derived(&state.core, &principal, &mut items, |_| false).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items, "next": next, "withheld": withheld })))
}

/// Send a failed or undeliverable outbox message again, now (after the receiver was fixed,
/// or a gateway for its channel configured).
#[utoipa::path(post, path = "/api/v1/apps/{app}/outbox/{id}/resend", tag = "rules",
    params(("app" = String, Path, description = "App key"), ("id" = i64, Path, description = "Message id")),
    responses((status = 202, description = "Queued for the next delivery run"),
        (status = 404, description = "No failed message with that id", body = Problem, content_type = "application/problem+json")))]
pub async fn resend(state: State, _: Designer, path: Path<(String, i64)>) -> Result<HttpResponse, Error> {
    crate::outbox::resend(&state.db.conn, &path.0, path.1, state.clock.now()).await?;
    Ok(HttpResponse::Accepted().finish())
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
    let request: EventRequest = json_request(payload, "an event").await?;
    let fired =
        crate::rules::events::receive_sent(&state.core, &principal(&req)?, (&path.0, &path.1), &request).await?;
    let duplicate = fired.is_none();
    let body = json!({ "event": path.1, "event_id": request.event_id, "duplicate": duplicate,
        "firings": fired.unwrap_or_default() });
    Ok(json_response(if duplicate { StatusCode::OK } else { StatusCode::CREATED }, &body))
}

/// Receive many occurrences of an event at once (a night's logins), in one transaction,
/// each as if sent alone: received (its rules fired), a duplicate of one received before
/// under its `event_id` (nothing fired), or refused with its errors while the others are
/// received.
#[utoipa::path(post, path = "/api/v1/apps/{app}/events/{event}/occurrences/batch", tag = "rules",
    params(("app" = String, Path, description = "App key"), ("event" = String, Path, description = "Event key")),
    request_body = crate::rules::events::EventBatch,
    responses((status = 200, description = "Each occurrence's outcome", body = Object,
            example = json!({ "received": 1, "duplicate": 0, "refused": 0, "results": [
                { "index": 0, "event_id": "MB-20261128-000123", "outcome": "received", "fired": 1 }] })),
        (status = 400, description = "No occurrences, or more than 1000", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "None of the caller's roles may send the event", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such app or event", body = Problem, content_type = "application/problem+json")))]
pub async fn receive_events(
    state: State,
    req: HttpRequest,
    path: Path<(String, String)>,
    payload: Payload,
) -> Result<HttpResponse, Error> {
    let batch: crate::rules::events::EventBatch = json_request(payload, "a batch of events").await?;
    let results =
        crate::rules::events::receive_batch(&state.core, &principal(&req)?, (&path.0, &path.1), &batch).await?;
    let count = |what: &str| results.iter().filter(|r| r.outcome == what).count();
    let body = json!({ "received": count("received"), "duplicate": count("duplicate"), "refused": count("refused"),
        "results": results });
    Ok(json_response(StatusCode::OK, &body))
}
