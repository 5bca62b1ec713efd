//! The server's one clock, moved through the HTTP API: due work runs at the new time
//! before the answer, nothing sleeps, and a wall clock cannot be moved.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::support::{Backend, both_backends, start_at, start_on_wall_clock};

both_backends!(time_moves_through_the_api);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
}

async fn time_moves_through_the_api(backend: Backend) {
    let env =
        start_at(backend, at("2026-12-01T01:00:00Z")).await.with_bank_crm().await.without_seeded_processes().await;
    let clock = env.get("/api/v1/clock").await;
    assert_eq!(clock.body, json!({ "now": "2026-12-01T01:00:00.000000Z", "virtual": true }));
    let flow = json!({ "key": "ping", "nodes": [
        { "id": "start", "type": "start" }, { "id": "wait", "type": "timer", "after": { "minutes": 30 } }, { "id": "end", "type": "end" }],
        "flows": [{ "from": "start", "to": "wait" }, { "from": "wait", "to": "end" }] });
    assert_eq!(env.put("/api/v1/apps/bank_crm/drafts/flows/ping", &flow).await.status, 200);
    assert_eq!(env.post("/api/v1/apps/bank_crm/publish", &json!({})).await.status, 200);
    let started = env.post("/api/v1/apps/bank_crm/flows/ping/instances", &json!({})).await;
    assert_eq!(started.status, 201, "{}", started.body);
    let instance = format!("/api/v1/apps/bank_crm/instances/{}", started.body["id"]);
    assert_eq!(started.body["history"][0]["at"], "2026-12-01T01:00:00.000000Z", "started on the virtual clock");

    let early = env.post("/api/v1/clock", &json!({ "advance_seconds": 20 * 60 })).await;
    assert_eq!((early.status, &early.body["ran"]["process_jobs"]), (200, &json!(0)), "{}", early.body);
    let due = env.post("/api/v1/clock", &json!({ "advance_seconds": 15 * 60 })).await;
    assert_eq!(due.body["now"], "2026-12-01T01:35:00.000000Z");
    assert_eq!(due.body["ran"]["process_jobs"], 1, "the timer fired before the answer: {}", due.body);
    assert_eq!(env.get(&instance).await.body["status"], "completed");
    // Moved back, the clock refuses (it answered 200 and did nothing); moved to the end
    // of time, every later sign-in would have given an expired session.
    let back = env.post("/api/v1/clock", &json!({ "to": "2026-01-01T00:00:00Z" })).await;
    assert_eq!((back.status, back.body["code"].as_str()), (409, Some("clock_backwards")), "a clock never goes back");
    let end = env.post("/api/v1/clock", &json!({ "to": "9999-12-31T00:00:00Z" })).await;
    assert_eq!(end.error_paths(), ["/to out_of_range"]);
    assert_eq!(env.get("/api/v1/clock").await.body["now"], "2026-12-01T01:35:00.000000Z");
    let both = env.post("/api/v1/clock", &json!({ "to": "2027-01-01T00:00:00Z", "advance_seconds": 1 })).await;
    assert_eq!(both.status, 400);
    // A year on, each daily scan runs once, as of its latest day, and says how many days
    // it stood for.
    let year = env.post("/api/v1/clock", &json!({ "advance_seconds": 366 * 86_400 })).await;
    assert_eq!(year.status, 200, "{}", year.body);
    assert!(year.body["ran"]["merged_occurrences"].as_u64().is_some_and(|n| n >= 4 * 365), "{}", year.body);
    env.finish().await;

    let wall = start_on_wall_clock(backend).await;
    let moved = wall.post("/api/v1/clock", &json!({ "advance_seconds": 60 })).await;
    assert_eq!((moved.status, moved.body["code"].as_str()), (409, Some("wall_clock")));
    wall.finish().await;
}
