//! Every kind of step a process takes on the server: service steps that update a related
//! record, create one, call a webhook (personal data masked) and start another process; a
//! sub-process whose end moves its parent on; a wait for an event with a correlation; a
//! flow started by an event, one started on a schedule, one started by a rule; and a
//! cancelled parent taking its sub-process with it.

use chrono::Duration;
use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(every_kind_of_step_runs, a_failing_job_becomes_an_incident_and_is_retried);

fn flows() -> Vec<Value> {
    let task = |id: &str, title: &str| json!({ "id": id, "type": "user_task", "title": title, "assignee": "'admin'" });
    let line =
        |pairs: &[(&str, &str)]| -> Vec<Value> { pairs.iter().map(|(f, t)| json!({ "from": f, "to": t })).collect() };
    vec![
        json!({ "key": "review", "subject": "wealth_holding", "nodes": [{ "id": "start", "type": "start" },
            task("check", "'复核 ' & customer.name"), { "id": "end", "type": "end" }],
            "flows": line(&[("start", "check"), ("check", "end")]) }),
        json!({ "key": "ping", "nodes": [{ "id": "start", "type": "start" },
            { "id": "wait", "type": "timer", "after": { "minutes": 30 } }, { "id": "end", "type": "end" }],
            "flows": line(&[("start", "wait"), ("wait", "end")]) }),
        json!({ "key": "renewal", "subject": "wealth_holding", "nodes": [
            { "id": "start", "type": "start" },
            { "id": "note", "type": "service", "action": { "type": "update_fields", "record": "customer", "set": { "notes": "'续作跟进中'" } } },
            { "id": "log", "type": "service", "action": { "type": "create_record", "form": "follow_up",
                "values": { "customer": "customer", "contacted_at": "now()", "method": "'call'", "summary": "'续作提醒：' & product.name" } } },
            { "id": "split", "type": "parallel" },
            { "id": "review_sub", "type": "subprocess", "flow": "review" },
            { "id": "login", "type": "message", "event": "mobile_login", "correlation": "event.customer == customer" },
            { "id": "join", "type": "join" },
            { "id": "hook", "type": "service", "action": { "type": "webhook", "url": "http://127.0.0.1:9/renewals",
                "body": { "holding": "id", "amount": "amount", "mobile": "customer.mobile", "device": "login.device" } } },
            { "id": "next", "type": "service", "action": { "type": "start_flow", "flow": "ping" } },
            { "id": "end", "type": "end" }],
            "flows": line(&[("start", "note"), ("note", "log"), ("log", "split"), ("split", "review_sub"), ("split", "login"),
                ("review_sub", "join"), ("login", "join"), ("join", "hook"), ("hook", "next"), ("next", "end")]) }),
        json!({ "key": "welcome", "subject": "customer", "nodes": [
            { "id": "start", "type": "start", "on": "event", "event": "mobile_login", "subject": "event.customer" },
            task("greet", "'欢迎回来 ' & name & '（' & start.device & '）'"), { "id": "end", "type": "end" }],
            "flows": line(&[("start", "greet"), ("greet", "end")]) }),
        json!({ "key": "morning", "nodes": [
            { "id": "start", "type": "start", "on": "schedule", "cron": "0 9 * * *", "zone": "Asia/Shanghai" },
            { "id": "tell", "type": "service", "action": { "type": "notify", "channel": "in_app", "to": "'admin'", "message": "'早安'" } },
            { "id": "end", "type": "end" }],
            "flows": line(&[("start", "tell"), ("tell", "end")]) }),
    ]
}

async fn every_kind_of_step_runs(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.shows_personal_data().await.without_seeded_processes().await;
    let app = "/api/v1/apps/bank_crm";
    for flow in flows() {
        let put = env.put(&format!("{app}/drafts/flows/{}", flow["key"].as_str().expect("key")), &flow).await;
        assert_eq!(put.status, 200, "{}", put.body);
    }
    let rule = json!({ "key": "review_matured", "trigger": { "on": "updated", "form": "wealth_holding" },
        "condition": "status == 'matured' and old.status != 'matured'", "actions": [{ "type": "start_process", "flow": "review" }] });
    assert_eq!(env.put(&format!("{app}/drafts/rules/review_matured"), &rule).await.status, 200);
    // Checked when saved: a scheduled start follows no record; a started flow follows this one's record.
    let scheduled = json!({ "key": "bad", "subject": "customer", "nodes": [
        { "id": "start", "type": "start", "on": "schedule", "cron": "0 9 * * *", "zone": "Asia/Shanghai" }, { "id": "end", "type": "end" }],
        "flows": [{ "from": "start", "to": "end" }] });
    let saved = env.put(&format!("{app}/drafts/flows/bad"), &scheduled).await;
    assert_eq!(saved.body["diagnostics"][0]["code"], "subject_on_schedule", "{}", saved.body);
    assert_eq!(saved.body["diagnostics"][0]["path"], "/nodes/0/on");
    assert!(env.send("DELETE", &format!("{app}/drafts/flows/bad"), None, &[]).await.status < 300);
    let published = env.post(&format!("{app}/publish"), &json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);

    let customers = env.get(&format!("{app}/forms/customer/records?sort=id&limit=2&fields=name,mobile")).await.body;
    let (li, other) =
        (customers["items"][0]["id"].as_i64().expect("id"), customers["items"][1]["id"].as_i64().expect("id"));
    let product = env.get(&format!("{app}/forms/product/records?limit=1&fields=name")).await.body["items"][0].clone();
    let holdings = format!("{app}/forms/wealth_holding/records");
    let holding = json!({ "customer": li, "product": product["id"], "amount": "500000.00", "start_date": "2026-12-01",
        "maturity_date": "2027-06-20", "status": "redeemed" });
    let holding = env.post(&holdings, &holding).await.body["id"].as_i64().expect("holding");

    // Started: the related customer is updated, a follow-up created, then it waits on two branches.
    let started = env.post(&format!("{app}/flows/renewal/instances"), &json!({ "subject": holding })).await;
    assert_eq!(started.status, 201, "{}", started.body);
    let renewal = started.body["id"].as_i64().expect("instance");
    assert_eq!(started.body["current"], json!(["note"]), "service steps are the runner's jobs: {}", started.body);
    let run = || server::flows::run_due_timers(&env.state, env.now());
    assert_eq!(run().await.expect("runs"), 2, "the two service steps");
    let instance = format!("{app}/instances/{renewal}");
    assert_eq!(env.get(&instance).await.body["current"], json!(["review_sub", "login"]));
    // The wait is keyed by the customer: another customer's login is not even offered to it.
    use sea_orm::ConnectionTrait;
    let conn = &env.state.db.conn;
    let sql = "SELECT match_path, match_value FROM trellis_flow_waits";
    let wait = conn.query_one_raw(sea_orm::Statement::from_string(conn.get_database_backend(), sql)).await;
    let wait = wait.expect("query").expect("a wait");
    let key: (String, String) = (wait.try_get_by_index(0).expect("path"), wait.try_get_by_index(1).expect("value"));
    assert_eq!(key, ("customer".to_owned(), li.to_string()));
    let customer = env.get(&format!("{app}/forms/customer/records/{li}")).await.body;
    assert_eq!(customer["notes"], "续作跟进中");
    let logged =
        env.get(&format!("{app}/forms/follow_up/records?where=customer%20%3D%3D%20{li}&fields=summary,method")).await;
    let summaries: Vec<&str> =
        logged.body["items"].as_array().expect("items").iter().filter_map(|f| f["summary"].as_str()).collect();
    assert!(summaries.iter().any(|s| s.starts_with("续作提醒：")), "{}", logged.body);
    let audit = env.get("/api/v1/audit?action=record.update&limit=5").await.body;
    assert!(audit.to_string().contains(&format!("process {renewal}")), "audited as the process: {audit}");

    // The sub-process has its own instance and task.
    let tasks = env.get("/api/v1/tasks").await.body["items"].clone();
    let check =
        tasks.as_array().expect("items").iter().find(|t| t["node"] == "check").expect("the review task").clone();
    assert_ne!(check["instance"], json!(renewal));
    let child = check["instance"].as_i64().expect("child");

    // A login of another customer does not match; this customer's does, and starts `welcome`.
    let login = |customer: i64, id: &str, device: &str| {
        let body = json!({ "event_id": id, "data": { "customer": customer, "occurred_at": "2026-12-02T08:00:00+08:00", "device": device } });
        let env = &env;
        async move { env.post("/api/v1/apps/bank_crm/events/mobile_login/occurrences", &body).await }
    };
    assert_eq!(login(other, "ML-1", "iPhone").await.status, 201);
    assert_eq!(env.get(&instance).await.body["current"], json!(["review_sub", "login"]));
    assert_eq!(login(li, "ML-2", "Huawei Mate").await.status, 201);
    assert_eq!(env.get(&instance).await.body["current"], json!(["review_sub", "join"]));
    assert_eq!(login(li, "ML-2", "Huawei Mate").await.status, 200, "the same event again moves nothing");
    let welcome = env.get(&format!("{app}/forms/customer/records/{li}/processes")).await.body;
    let welcomes: Vec<&Value> =
        welcome["items"].as_array().expect("items").iter().filter(|p| p["flow"] == "welcome").collect();
    assert_eq!(welcomes.len(), 1, "{welcome}");
    let tasks = env.get("/api/v1/tasks").await.body["items"].clone();
    let greet = tasks.as_array().expect("items").iter().find(|t| t["node"] == "greet" && t["subject"]["id"] == li);
    let greet = greet.map(|t| t["title"].clone()).unwrap_or_else(|| panic!("a greeting task: {tasks}"));
    assert!(greet.as_str().is_some_and(|t| t.contains("Huawei Mate")), "{greet}");

    // The review done, the sub-process ends and the parent goes on: webhook, a new process, the end.
    let done = env.post(&format!("/api/v1/tasks/{}/complete", check["id"]), &json!({})).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(env.get(&format!("{app}/instances/{child}")).await.body["status"], "completed");
    assert_eq!(env.get(&instance).await.body["current"], json!(["hook"]));
    assert_eq!(run().await.expect("runs"), 2, "the webhook, then the start of `ping`");
    let parent = env.get(&instance).await.body;
    assert_eq!(parent["status"], "completed", "{parent}");
    let events: Vec<&str> =
        parent["history"].as_array().expect("history").iter().filter_map(|h| h["event"].as_str()).collect();
    for expected in ["subprocess_started", "message", "subprocess_done", "completed"] {
        assert!(events.contains(&expected), "{expected} in {events:?}");
    }
    let started_ping = parent["history"]
        .as_array()
        .expect("history")
        .iter()
        .find_map(|h| h["detail"]["action"]["instance"].as_i64())
        .expect("the started process");
    let ping = env.get(&format!("{app}/instances/{started_ping}")).await.body;
    assert_eq!((ping["flow"].as_str(), ping["status"].as_str()), (Some("ping"), Some("running")), "{ping}");
    let outbox = env.get(&format!("{app}/outbox")).await.body["items"].clone();
    let hook =
        outbox.as_array().expect("items").iter().find(|m| m["channel"] == "webhook").expect("the webhook").clone();
    assert_eq!(hook["body"]["amount"], "500000.00", "exact: {hook}");
    assert_eq!(hook["body"]["device"], "Huawei Mate");
    let mobile = hook["body"]["mobile"].as_str().expect("mobile");
    assert!(mobile.contains('*'), "personal data leaves masked: {hook}");
    assert!(
        !parent.to_string().contains(&customers["items"][0]["mobile"].as_str().expect("mobile").to_owned()),
        "nor is it kept in the history"
    );

    // A rule starts `review` when the holding matures.
    let version = env.get(&format!("{holdings}/{holding}")).await.body["_version"].as_i64().expect("version");
    assert_eq!(env.patch(&format!("{holdings}/{holding}"), version, &json!({ "status": "matured" })).await.status, 200);
    let processes = env.get(&format!("{holdings}/{holding}/processes")).await.body;
    let reviews = processes["items"].as_array().expect("items").iter().filter(|p| p["flow"] == "review").count();
    assert_eq!(reviews, 2, "the sub-process, and the one the rule started: {processes}");

    // The scheduled start: once per occurrence, whichever server runs first.
    let tomorrow = env.now() + Duration::days(1);
    assert_eq!(server::flows::run_due_starts(&env.state, tomorrow).await.expect("starts"), 1);
    assert_eq!(server::flows::run_due_starts(&env.state, tomorrow).await.expect("starts"), 0);
    let ran = server::flows::run_due_timers(&env.state, tomorrow).await.expect("runs");
    assert_eq!(ran, 2, "its notification, and the timer of `ping`");
    let outbox = env.get(&format!("{app}/outbox")).await.body["items"].clone();
    assert!(outbox.as_array().expect("items").iter().any(|m| m["body"]["message"] == "早安"), "{outbox}");

    // Cancelling a parent cancels its sub-process, whose task is withdrawn.
    let again = env.post(&format!("{app}/flows/renewal/instances"), &json!({ "subject": holding })).await.body;
    let cancelled = env.post(&format!("{app}/instances/{}/cancel", again["id"]), &json!({})).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let processes = env.get(&format!("{holdings}/{holding}/processes")).await.body;
    let running: Vec<&Value> =
        processes["items"].as_array().expect("items").iter().filter(|p| p["status"] == "running").collect();
    assert_eq!(running.len(), 1, "only the rule's review runs: {processes}");

    // The holding deleted, the process that followed it is cancelled, saying why.
    let review = running[0]["id"].as_i64().expect("id");
    let version = env.get(&format!("{holdings}/{holding}")).await.body["_version"].as_i64().expect("version");
    let if_match = format!("\"{version}\"");
    let deleted = env.send("DELETE", &format!("{holdings}/{holding}"), None, &[("if-match", &if_match)]).await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let review = env.get(&format!("{app}/instances/{review}")).await.body;
    assert_eq!(review["status"], "cancelled");
    assert!(review["history"].to_string().contains("subject_deleted"), "{review}");
    let tasks = env.get("/api/v1/tasks").await.body["items"].clone();
    assert!(
        tasks.as_array().expect("items").iter().all(|t| t["subject"]["id"] != holding),
        "its task is withdrawn: {tasks}"
    );
    env.finish().await;
}

/// A job that keeps failing (a task title whose number overflows) is tried again with
/// back-off, shown as an incident after the last attempt, and runs when retried once the
/// data is fixed.
async fn a_failing_job_becomes_an_incident_and_is_retried(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    let app = "/api/v1/apps/bank_crm";
    let flow = json!({ "key": "per_unit", "subject": "wealth_holding", "nodes": [
        { "id": "start", "type": "start" }, { "id": "wait", "type": "timer", "after": { "minutes": 1 } },
        { "id": "task", "type": "user_task", "title": "'规模 ' & (amount * 1000000000000 * 1000000000000)", "assignee": "'admin'" },
        { "id": "end", "type": "end" }],
        "flows": [{ "from": "start", "to": "wait" }, { "from": "wait", "to": "task" }, { "from": "task", "to": "end" }] });
    assert_eq!(env.put(&format!("{app}/drafts/flows/per_unit"), &flow).await.status, 200);
    assert_eq!(env.post(&format!("{app}/publish"), &json!({})).await.status, 200);
    let customer =
        env.get(&format!("{app}/forms/customer/records?limit=1&fields=name")).await.body["items"][0]["id"].clone();
    let product =
        env.get(&format!("{app}/forms/product/records?limit=1&fields=name")).await.body["items"][0]["id"].clone();
    let holdings = format!("{app}/forms/wealth_holding/records");
    let holding = json!({ "customer": customer, "product": product, "amount": "500000.00", "start_date": "2026-12-01", "status": "redeemed" });
    let holding = env.post(&holdings, &holding).await.body["id"].as_i64().expect("holding");
    let started = env.post(&format!("{app}/flows/per_unit/instances"), &json!({ "subject": holding })).await;
    assert_eq!(started.status, 201, "{}", started.body);

    // Tried when due, then after 1, 5, 30 and 120 minutes: five attempts, then an incident.
    let mut at = env.now() + Duration::minutes(2);
    for (attempt, wait) in [(1, 1), (2, 5), (3, 30), (4, 120), (5, 0)] {
        assert_eq!(server::flows::run_due_timers(&env.state, at).await.expect("runs"), 0);
        let listed = env.get(&format!("{app}/process-incidents")).await.body["items"][0].clone();
        assert_eq!(listed["attempts"], attempt, "{listed}");
        assert!(listed["error"].as_str().is_some_and(|e| e.contains("task")), "{listed}");
        at += Duration::minutes(wait) + Duration::seconds(1);
    }
    let incidents = env.get(&format!("{app}/process-incidents")).await.body["items"].clone();
    assert_eq!(
        (incidents[0]["state"].as_str(), incidents[0]["kind"].as_str()),
        (Some("failed"), Some("timer")),
        "{incidents}"
    );
    assert_eq!(server::flows::run_due_timers(&env.state, at + Duration::days(1)).await.expect("runs"), 0, "left alone");

    // Retried as it is, it fails again; once the amount is fixed, it runs and the process goes on.
    let retry = format!("{app}/process-incidents/{}/retry", incidents[0]["id"]);
    let again = env.post(&retry, &json!({})).await;
    assert_eq!((again.status, again.body["ran"].as_bool()), (200, Some(false)), "{}", again.body);
    let version = env.get(&format!("{holdings}/{holding}")).await.body["_version"].as_i64().expect("version");
    assert_eq!(env.patch(&format!("{holdings}/{holding}"), version, &json!({ "amount": "0.01" })).await.status, 200);
    let fixed = env.post(&retry, &json!({})).await;
    assert_eq!((fixed.status, fixed.body["ran"].as_bool()), (200, Some(true)), "{}", fixed.body);
    assert_eq!(env.get(&format!("{app}/process-incidents")).await.body["items"], json!([]));
    let tasks = env.get("/api/v1/tasks").await.body["items"].clone();
    let titles: Vec<&str> = tasks.as_array().expect("items").iter().filter_map(|t| t["title"].as_str()).collect();
    assert!(titles.iter().any(|t| t.starts_with("规模 1")), "{titles:?}");
    assert_eq!(env.post(&retry, &json!({})).await.status, 404, "nothing left to retry");
    env.finish().await;
}
