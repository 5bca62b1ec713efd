//! Testing a rule before it is published: the draft rule is evaluated against a stored
//! record or given values, with no side effect, and the answer says whether it fires, what
//! it read and what it would do.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use chrono::{DateTime, Utc};
use engine_form::{CheckMode, FieldValue, Form, check_record};
use engine_rule::{Context, Trigger, TriggerKind};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::{State, json_body, json_response};
use crate::app_meta::check_app;
use crate::meta;
use crate::records::values::{RecordValues, expr_json, field_values, merged};
use crate::records::{FormCtx, read};

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
async fn stored(state: &State, app: &str, form: &Form, id: i64) -> Result<Vec<(String, FieldValue)>, ApiError> {
    let published = state.catalog.published(&state.db.conn, app).await?;
    let ctx = FormCtx::new(&published, &form.key, state.db.backend())?;
    let record = read::get(&state.db.conn, &ctx, id, None)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no `{}` record {id}", form.key)))?;
    Ok(field_values(form, record.as_object().ok_or_else(|| anyhow::anyhow!("a record is an object"))?))
}

/// Values given in the request, every wrong one reported under `at` (`/record`, `/old`).
fn given(form: &Form, values: &Map<String, Value>, at: &str) -> Result<Vec<(String, FieldValue)>, ApiError> {
    check_record(form, values, CheckMode::Patch).map_err(|errors| {
        ApiError::InvalidRecord(
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
pub async fn test(state: State, path: Path<(String, String)>, payload: Payload) -> Result<HttpResponse, ApiError> {
    let request: RuleTestRequest = serde_json::from_value(json_body(payload).await?)
        .map_err(|e| ApiError::bad_request("malformed_json", format!("not a rule test: {e}")))?;
    let now = match &request.now {
        None => Utc::now(),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map_err(|_| ApiError::bad_request("bad_now", format!("`now` is not an RFC 3339 date-time: `{text}`")))?
            .with_timezone(&Utc),
    };
    let app = meta::find_app(&state.db.conn, &path.0)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no app `{}`", path.0)))?;
    let drafts = check_app(&meta::draft_bundle(&state.db.conn, &app).await?, 0).map_err(ApiError::InvalidMetadata)?;
    let rule = drafts.rule(&path.1).ok_or_else(|| ApiError::not_found(format!("no rule `{}`", path.1)))?;
    let Some(form) = rule.form.as_deref().and_then(|f| drafts.bundle.form(f)) else {
        return Err(ApiError::bad_request("event_rule", "rules on events are tested with an event payload"));
    };
    let changes = given(form, &request.record, "/record")?;
    let (before, after) = match (request.id, &request.old) {
        (Some(id), None) => {
            let stored = stored(&state, &app.key, form, id).await?;
            (Some(stored.clone()), merged(stored, changes))
        }
        (None, Some(old)) => {
            let old = given(form, old, "/old")?;
            (Some(old.clone()), merged(old, changes))
        }
        (None, None) => (None, changes),
        (Some(_), Some(_)) => return Err(ApiError::bad_request("bad_test", "give `id` or `old`, not both")),
    };
    let id = request.id.unwrap_or(0);
    let paths = crate::rules::related_paths(rule);
    let mut after = RecordValues::new(form, id, after, now);
    let mut before = before.map(|values| RecordValues::new(form, id, values, now));
    if !paths.is_empty() {
        // Related records are read as the published app stores them.
        let published = state.catalog.published(&state.db.conn, &app.key).await?;
        for record in before.iter_mut().chain(std::iter::once(&mut after)) {
            crate::rules::load_related(&state.db.conn, &published, record, &paths).await?;
        }
    }
    let trigger = match (rule.trigger, &before) {
        (TriggerKind::Created, _) => Trigger::Created { id, version: 1, record: &after },
        (TriggerKind::Updated, Some(before)) => Trigger::Updated { id, version: 2, before, after: &after },
        (TriggerKind::Deleted, Some(before)) => Trigger::Deleted { id, version: 2, before },
        (TriggerKind::Schedule, _) => Trigger::Scheduled { occurrence: now, id, record: &after },
        _ => return Err(ApiError::bad_request("bad_test", "this rule sees a change: give `id` or `old`")),
    };
    // A rule names its zone (`today_in`); `today()` is refused when it is checked.
    let ctx = Context { now, today: now.date_naive() };
    let firing =
        rule.fire(&trigger, &ctx).map_err(|e| ApiError::InvalidExpression { param: "rule", errors: vec![e] })?;
    let trigger_name = crate::rules::trigger_name(rule.trigger);
    let mut body = json!({ "rule": rule.key, "trigger": trigger_name, "fired": firing.is_some() });
    if let Some(firing) = firing {
        let read: Map<String, Value> = firing.read.iter().map(|(k, v)| (k.clone(), expr_json(v))).collect();
        body["read"] = Value::Object(read);
        body["actions"] = Value::Array(firing.actions.iter().map(crate::rules::action_json).collect());
    }
    Ok(json_response(StatusCode::OK, &body))
}

/// Why a record got its alerts, tasks and messages: every rule that fired on it.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records/{id}/firings", tag = "rules",
    params(("app" = String, Path, description = "App key"), ("form" = String, Path, description = "Form key"), ("id" = i64, Path, description = "Record id")),
    responses((status = 200, description = "The firings on the record, newest first", body = Object,
            example = json!({ "items": [{ "id": 7, "rule": "aum_fell_30_percent", "rule_version": 3, "trigger": "updated", "record_id": 42,
                "read": { "tier": "hnw", "aum": "8959999.99", "old.aum": "12800000.00" },
                "actions": [{ "type": "create_task", "title": "…", "assignee": 1, "priority": "high", "due_at": "2026-11-28T03:30:00.000000Z" }],
                "status": "done", "error": null, "fired_at": "2026-11-28T01:30:00.000000Z" }] }))))]
pub async fn firings(state: State, path: Path<(String, String, i64)>) -> Result<HttpResponse, ApiError> {
    let items = crate::rules::firings_of_record(&state.db.conn, &path.0, &path.1, path.2).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// Rule firings that failed: a value out of range, an action the data refused, a cascade
/// too deep. The change that fired them went through; these wait for a designer.
#[utoipa::path(get, path = "/api/v1/apps/{app}/incidents", tag = "rules",
    params(("app" = String, Path, description = "App key")),
    responses((status = 200, description = "The latest 100 incidents, newest first", body = Object)))]
pub async fn incidents(state: State, path: Path<String>) -> Result<HttpResponse, ApiError> {
    let items = crate::rules::incidents(&state.db.conn, &path, 100).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}
