//! The server's clock, as administrators see and (when it is virtual) move it: a day of
//! rules, timers and escalations in one request, without sleeping.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Payload;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::error::Problem;
use super::identity::Administrator;
use super::{State, json_request, json_response};
use crate::error::{BadInputCode, ConflictCode, Error};

/// Where to move a virtual clock: to an instant, or on by some seconds.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "advance_seconds": 3600 }))]
pub struct ClockMove {
    /// An RFC 3339 instant; a clock never goes back.
    pub to: Option<String>,
    /// Seconds to move on, at most 366 days.
    pub advance_seconds: Option<i64>,
}

/// The server's time, and whether it is a virtual clock.
#[utoipa::path(get, path = "/api/v1/clock", tag = "system",
    responses((status = 200, description = "Now", body = Object, example = json!({ "now": "2026-12-01T09:00:00.000000Z", "virtual": false }))))]
pub async fn get(state: State, _: Administrator) -> Result<HttpResponse, Error> {
    let now = engine_form::format_datetime(&state.clock.now());
    Ok(json_response(StatusCode::OK, &json!({ "now": now, "virtual": state.clock.is_virtual() })))
}

/// Move a virtual clock (`trellis serve --virtual-clock`) and run what is due at the new
/// time before answering: scheduled rules, retries, timers, service steps, escalations,
/// the outbox.
#[utoipa::path(post, path = "/api/v1/clock", tag = "system", request_body = ClockMove,
    responses((status = 200, description = "Moved; what ran", body = Object,
            example = json!({ "now": "2026-12-01T10:00:00.000000Z", "ran": { "scheduled_rules": 0, "merged_occurrences": 0, "retried_firings": 0,
                "started_processes": 0, "process_jobs": 3, "escalations": 0, "messages": 1 } })),
        (status = 409, description = "The server runs on the wall clock (`wall_clock`), or the instant is before the clock's (`clock_backwards`: time never goes back)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Past the last instant a virtual clock reaches (`out_of_range`)", body = Problem, content_type = "application/problem+json")))]
pub async fn advance(state: State, _: Administrator, payload: Payload) -> Result<HttpResponse, Error> {
    let request: ClockMove = json_request(payload, "a clock move").await?;
    if !state.clock.is_virtual() {
        return Err(Error::Conflict {
            code: ConflictCode::wall_clock,
            detail: "this server runs on the wall clock".into(),
        });
    }
    let now = state.clock.now();
    let target = match (&request.to, request.advance_seconds) {
        (Some(text), None) => engine_form::parse_instant(text).ok_or_else(|| {
            Error::bad_input_at(BadInputCode::bad_instant, "/to", "an RFC 3339 instant with an offset")
        })?,
        (None, Some(seconds)) if (0..=366 * 86_400).contains(&seconds) => now + chrono::Duration::seconds(seconds),
        (None, Some(_)) => {
            return Err(Error::bad_input_at(BadInputCode::bad_advance, "/advance_seconds", "0 to 366 days in seconds"));
        }
        _ => return Err(Error::bad_input(BadInputCode::bad_move, "give `to` or `advance_seconds`, one of them")),
    };
    if target < now {
        return Err(Error::Conflict {
            code: ConflictCode::clock_backwards,
            detail: format!("the clock stands at {}; time never goes back", engine_form::format_datetime(&now)),
        });
    }
    // Sessions (12 hours) and tokens (366 days) must end within the years every store keeps.
    if target > crate::clock::LATEST {
        let latest = engine_form::format_datetime(&crate::clock::LATEST);
        return Err(Error::InvalidRecord(vec![engine_form::FieldError::new(
            "/to",
            "out_of_range",
            format!("a virtual clock goes no further than {latest}"),
        )]));
    }
    let now = state.clock.set(target).unwrap_or(target);
    let ran = crate::jobs::run_due(&state, now).await;
    Ok(json_response(StatusCode::OK, &json!({ "now": engine_form::format_datetime(&now), "ran": ran })))
}
