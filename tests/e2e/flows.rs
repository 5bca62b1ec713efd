//! Process timers survive a crash: the server is killed while timers are due and firing;
//! after a restart every timer has fired, each exactly once.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::process::{PgDb, Server};

const APP: &str = "/api/v1/apps/bank_crm";

fn timers_fire_once_across_a_crash(db: &str) {
    let server = Server::start(db, &["--demo"]);
    let flow = json!({ "key": "ping", "nodes": [
        { "id": "start", "type": "start" }, { "id": "wait", "type": "timer", "after": { "minutes": 0 } }, { "id": "end", "type": "end" }],
        "flows": [{ "from": "start", "to": "wait" }, { "from": "wait", "to": "end" }] });
    assert_eq!(server.request("PUT", &format!("{APP}/flows/ping"), Some(&flow)).0, 200);
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
