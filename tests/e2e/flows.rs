//! Process timers survive a crash: the server is killed while timers are due and firing;
//! after a restart every timer has fired, each exactly once. Two server processes on one
//! PostgreSQL fire 10,000 due timers, each exactly once in total.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::process::{PgDb, Server};

const APP: &str = "/api/v1/apps/bank_crm";

fn ping_flow() -> serde_json::Value {
    json!({ "key": "ping", "nodes": [
        { "id": "start", "type": "start" }, { "id": "wait", "type": "timer", "after": { "minutes": 0 } }, { "id": "end", "type": "end" }],
        "flows": [{ "from": "start", "to": "wait" }, { "from": "wait", "to": "end" }] })
}

fn timers_fire_once_across_a_crash(db: &str) {
    let server = Server::start(db, &["--demo"]);
    assert_eq!(server.request("PUT", &format!("{APP}/drafts/flows/ping"), Some(&ping_flow())).0, 200);
    let (status, published) = server.request("POST", &format!("{APP}/publish"), Some(&json!({})));
    assert_eq!(status, 200, "{published}");
    // Timers come due at once; the runner fires them while more are started, and the
    // server is killed in the middle of it.
    let mut ids = Vec::new();
    for _ in 0..300 {
        let (status, started) = server.request("POST", &format!("{APP}/flows/ping/instances"), Some(&json!({})));
        assert_eq!(status, 201, "{started}");
        ids.push(started["id"].as_i64().expect("id"));
    }
    server.kill();

    let server = Server::start(db, &["--demo"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut waiting = ids.clone();
    while !waiting.is_empty() {
        assert!(Instant::now() < deadline, "{} processes never completed", waiting.len());
        waiting.retain(|id| server.request("GET", &format!("{APP}/instances/{id}"), None).1["status"] != "completed");
        std::thread::sleep(Duration::from_millis(200));
    }
    for id in ids {
        let (_, instance) = server.request("GET", &format!("{APP}/instances/{id}"), None);
        let fired =
            instance["history"].as_array().expect("history").iter().filter(|h| h["event"] == "timer_due").count();
        assert_eq!(fired, 1, "process {id}: {}", instance["history"]);
    }
}

#[test]
fn timers_fire_once_across_a_crash_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    timers_fire_once_across_a_crash(&format!("sqlite://{}", dir.path().join("trellis.db").display()));
}

#[test]
fn timers_fire_once_across_a_crash_on_postgres() {
    let db = PgDb::new();
    timers_fire_once_across_a_crash(&db.url);
}

/// 10,000 processes wait at a due timer (started through a server that runs no jobs);
/// then two servers with runners start on the same PostgreSQL. Every timer fires exactly
/// once in total, and both servers fire some.
#[test]
fn two_servers_fire_ten_thousand_timers_once() {
    const COUNT: usize = 10_000;
    let db = PgDb::new();
    let api = Server::start(&db.url, &["--demo", "--no-jobs"]);
    assert_eq!(api.request("PUT", &format!("{APP}/drafts/flows/ping"), Some(&ping_flow())).0, 200);
    assert_eq!(api.request("POST", &format!("{APP}/publish"), Some(&json!({}))).0, 200);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..COUNT / 4 {
                    let (status, body) = api.request("POST", &format!("{APP}/flows/ping/instances"), Some(&json!({})));
                    assert_eq!(status, 201, "{body}");
                }
            });
        }
    });
    // The demo's seeded purchases run follow-up processes of their own: count the pings.
    const PINGS: &str = "SELECT id FROM trellis_flow_instances WHERE flow = 'ping'";
    let due = db.value(&format!("SELECT COUNT(*) FROM trellis_flow_jobs WHERE instance_id IN ({PINGS})"));
    assert_eq!(due, COUNT.to_string(), "no job runner: every timer is still pending");
    api.kill();

    let (first, second) = (Server::spawn(&db.url, &[]), Server::spawn(&db.url, &[]));
    first.wait_healthy();
    second.wait_healthy();
    let deadline = Instant::now() + Duration::from_secs(300);
    while db.value("SELECT COUNT(*) FROM trellis_flow_instances WHERE flow = 'ping' AND status = 'completed'")
        != COUNT.to_string()
    {
        assert!(
            Instant::now() < deadline,
            "not all processes completed: {}",
            db.value("SELECT COUNT(*) FROM trellis_flow_jobs")
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let fired = db.value(&format!(
        "SELECT COUNT(*) FROM trellis_flow_history WHERE event = 'timer_due' AND instance_id IN ({PINGS})"
    ));
    assert_eq!(fired, COUNT.to_string(), "each timer fired once in total");
    let twice = db.value(&format!(
        "SELECT COUNT(*) FROM (SELECT instance_id FROM trellis_flow_history WHERE event = 'timer_due' \
         AND instance_id IN ({PINGS}) GROUP BY instance_id HAVING COUNT(*) <> 1) AS t"
    ));
    assert_eq!(twice, "0");
    let runners = db.value(&format!(
        "SELECT COUNT(DISTINCT CAST(detail AS jsonb)->>'runner') FROM trellis_flow_history \
         WHERE event = 'timer_due' AND instance_id IN ({PINGS})"
    ));
    assert_eq!(runners, "2", "both servers fired timers");
}
