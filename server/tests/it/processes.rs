//! Processes on the server: the bank's new-wealth-customer SOP started by a purchase,
//! driven by the timer runner on a virtual clock, its tasks in the relationship manager's
//! inbox, its timers moved when the maturity date is edited, and cancelled.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::support::{Backend, both_backends, day, day_at, start};

both_backends!(
    the_wealth_sop_runs_through_the_inbox,
    two_runners_fire_each_timer_once,
    instances_stay_on_their_version_until_moved,
    the_whole_sop_runs_sixty_days,
    a_task_form_relation_must_name_a_record_the_completer_reads
);

async fn the_wealth_sop_runs_through_the_inbox(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    let password = "a long enough secret";
    let people = json!({ "org_units": [{ "key": "sh001", "name": "上海陆家嘴支行", "manager": "li.hang" }, { "key": "bj001", "name": "北京金融街支行" }],
        "users": [
            { "username": "zhang.min", "password": password, "org_unit": "sh001", "app_roles": { "bank_crm": ["relationship_manager"] } },
            { "username": "chen.temp", "password": password, "org_unit": "sh001" },
            { "username": "li.hang", "password": password, "org_unit": "sh001", "app_roles": { "bank_crm": ["branch_manager"] } },
            { "username": "wang.lei", "password": password, "org_unit": "bj001", "app_roles": { "bank_crm": ["relationship_manager"] } }] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let now = server::auth::wall_now();
    let bearer = |name: &str| {
        let conn = env.state.db.conn.clone();
        let name = name.to_owned();
        async move { format!("Bearer {}", server::auth::login(&conn, &name, password, now).await.expect("signed in").0) }
    };
    let (zhang, wang, chen) = (bearer("zhang.min").await, bearer("wang.lei").await, bearer("chen.temp").await);
    let as_user = |auth: &str, method: &'static str, uri: String, body: Option<Value>| {
        let auth = auth.to_owned();
        let env = &env;
        async move {
            let body = body.map(|b| b.to_string());
            env.send(method, &uri, body.as_deref(), &[("authorization", &auth)]).await
        }
    };

    let first =
        env.get("/api/v1/apps/bank_crm/forms/customer/records?sort=id&limit=1&fields=name,relationship_manager").await;
    let li = first.body["items"][0]["id"].clone();
    let li_rm = first.body["items"][0]["relationship_manager"].clone();
    let product =
        env.get("/api/v1/apps/bank_crm/forms/product/records?limit=1&fields=name").await.body["items"][0].clone();
    let holdings = "/api/v1/apps/bank_crm/forms/wealth_holding/records";
    let purchase = json!({ "customer": li, "product": product["id"], "amount": "500000.00", "start_date": day(0),
        "maturity_date": day(50), "status": "holding" });
    let bought = env.post(holdings, &purchase).await;
    assert_eq!(bought.status, 201, "{}", bought.body);
    let holding = bought.body["id"].as_i64().expect("id");
    let started = env.now();

    let processes = env.get(&format!("{holdings}/{holding}/processes")).await;
    let instance = processes.body["items"][0].clone();
    assert_eq!(instance["status"], "running", "{}", processes.body);
    let mut current: Vec<String> =
        instance["current"].as_array().expect("current").iter().filter_map(|n| n.as_str().map(str::to_owned)).collect();
    current.sort();
    // Care for a new customer, and the renewal 15 and 7 days before maturity, each on its own.
    assert_eq!(current, ["day_1", "maturity_minus_15", "maturity_minus_7"]);
    let id = instance["id"].as_i64().expect("instance");
    let run = |at: DateTime<Utc>| server::flows::run_due_timers(&env.state, at);

    // T+1: the care SMS goes to the outbox.
    assert_eq!(run(started + Duration::hours(23)).await.expect("runs"), 0, "nothing is due yet");
    let ran = run(started + Duration::days(1) + Duration::minutes(1)).await.expect("runs");
    assert_eq!(ran, 2, "the timer, then the SMS step");
    let outbox = env.get("/api/v1/apps/bank_crm/outbox").await.body["items"].clone();
    let sms = outbox.as_array().expect("items").iter().find(|m| m["channel"] == "sms").expect("an SMS").clone();
    let names = ["李伟", product["name"].as_str().unwrap_or("?"), "张敏"];
    assert!(
        sms["body"]["message"].as_str().is_some_and(|m| names.iter().all(|n| m.contains(n))),
        "the customer, the product and their RM: {sms}"
    );

    // T+7: the call lands in the relationship manager's inbox, and nobody else's.
    assert_eq!(run(started + Duration::days(7) + Duration::minutes(2)).await.expect("runs"), 1);
    let inbox = as_user(&zhang, "GET", "/api/v1/tasks".into(), None).await;
    let call = inbox.body["items"][0].clone();
    assert_eq!((call["node"].as_str(), call["assignee"].as_str()), (Some("call"), Some("zhang.min")), "{}", inbox.body);
    assert!(call["title"].as_str().is_some_and(|t| t.contains("李伟")));
    assert_eq!(as_user(&wang, "GET", "/api/v1/tasks".into(), None).await.body["items"], json!([]));
    let high = as_user(&zhang, "GET", "/api/v1/tasks?priority=high".into(), None).await;
    assert_eq!(high.body["items"], json!([]), "the call is of normal priority");
    let soon = as_user(&zhang, "GET", "/api/v1/tasks?due_before=2099-01-01T00:00:00Z".into(), None).await;
    assert_eq!(soon.body["items"].as_array().map(Vec::len), Some(1));
    let task = format!("/api/v1/tasks/{}", call["id"]);
    assert_eq!(as_user(&wang, "GET", task.clone(), None).await.status, 404);
    let detail = as_user(&zhang, "GET", task.clone(), None).await.body;
    // Each with its label per language (the Chinese screen reads 已联系上, not `reached`).
    assert_eq!(
        detail["outcomes"],
        json!([{ "key": "reached", "label": { "zh-CN": "已联系上", "en": "Reached" } },
            { "key": "unreachable", "label": { "zh-CN": "未能联系上", "en": "Unreachable" } }])
    );
    assert_eq!(detail["record"]["maturity_date"], json!(day(50)), "the record the task is about");

    // Left open, the call is reminded when due, then escalated to the branch's manager.
    let escalations = detail["escalations"].as_array().expect("escalations").clone();
    // Shown to the second; a second later it is surely due.
    let when = |i: usize| {
        escalations[i]["at"].as_str().expect("at").parse::<DateTime<Utc>>().expect("instant") + Duration::seconds(1)
    };
    assert_eq!(
        (escalations[0]["action"].as_str(), escalations[1]["action"].as_str()),
        (Some("remind"), Some("escalate"))
    );
    assert!(when(0) > started + Duration::days(7), "two business days after the task: {escalations:?}");
    let escalate = |at: DateTime<Utc>| server::flows::run_due_escalations(&env.state, at);
    assert_eq!(escalate(when(0) - Duration::minutes(2)).await.expect("runs"), 0);
    assert_eq!(escalate(when(0)).await.expect("runs"), 1);
    assert_eq!(escalate(when(1)).await.expect("runs"), 1);
    assert_eq!(escalate(when(1)).await.expect("runs"), 0, "each once");
    let in_app: Vec<String> = env.get("/api/v1/apps/bank_crm/outbox").await.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|m| m["channel"] == "in_app")
        .filter_map(|m| m["recipient"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(in_app.len(), 2, "{in_app:?}");
    assert!(
        in_app.iter().any(|r| r.contains("zhang.min")) && in_app.iter().any(|r| r.contains("li.hang")),
        "{in_app:?}"
    );

    // Completing checks the outcome and the task form.
    let bad =
        as_user(&zhang, "POST", format!("{task}/complete"), Some(json!({ "outcome": "maybe", "values": {} }))).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.error_paths(), ["/outcome option", "/values/notes required"]);
    // The call recording goes with the task: one's own upload only, read by who sees the task.
    // A temporary colleague without roles may neither upload nor be handed the call (it is
    // about a holding their roles do not let them read); given the branch's role, they may.
    let upload_as = |auth: &str, name: &str| {
        let (auth, uri) = (auth.to_owned(), format!("/api/v1/apps/bank_crm/files?name={name}"));
        let env = &env;
        async move {
            env.send("POST", &uri, Some("ID3 audio bytes"), &[("authorization", &auth), ("content-type", "audio/mpeg")])
                .await
        }
    };
    let upload = |auth: &str, name: &str| {
        let sent = upload_as(auth, name);
        async move {
            let sent = sent.await;
            assert_eq!(sent.status, 201, "{}", sent.body);
            sent.body["id"].as_i64().expect("file id")
        }
    };
    assert_eq!(upload_as(&chen, "call.mp3").await.status, 403, "no role, no task: no uploads");
    let to_chen = json!({ "to": "chen.temp" });
    let refused = as_user(&zhang, "POST", format!("{task}/delegate"), Some(to_chen.clone())).await;
    assert_eq!(refused.error_paths(), ["/to not_eligible"], "{}", refused.body);
    let role = json!({ "app_roles": { "bank_crm": ["branch_manager"] } });
    assert_eq!(env.put("/api/v1/users/chen.temp", &role).await.status, 200);
    let handed = as_user(&zhang, "POST", format!("{task}/delegate"), Some(to_chen)).await;
    assert_eq!(handed.status, 200, "{}", handed.body);
    let (mine, theirs) = (upload(&chen, "call.mp3").await, upload(&wang, "other.mp3").await);
    let with = |file: i64| json!({ "outcome": "reached", "values": { "notes": "客户对收益满意", "satisfied": true, "recording": [file] } });
    let refused = as_user(&chen, "POST", format!("{task}/complete"), Some(with(theirs))).await;
    assert_eq!(
        (refused.status, refused.error_paths()),
        (422, vec!["/values/recording/0 file".to_owned()]),
        "{}",
        refused.body
    );
    let completed = as_user(&chen, "POST", format!("{task}/complete"), Some(with(mine))).await;
    assert_eq!(completed.status, 200, "{}", completed.body);
    let file = format!("/api/v1/apps/bank_crm/files/{mine}");
    assert_eq!(as_user(&chen, "GET", file.clone(), None).await.status, 200);
    let manager = bearer("li.hang").await;
    assert_eq!(as_user(&manager, "GET", file.clone(), None).await.status, 200, "a task of the team they lead");
    assert_eq!(as_user(&zhang, "GET", file.clone(), None).await.status, 404, "handed over to a colleague: not hers");
    assert_eq!(as_user(&wang, "GET", file.clone(), None).await.status, 404, "not their task");
    let elsewhere = json!({ "customer": li, "contacted_at": day_at(7, 10, 0), "method": "call", "summary": "x", "attachments": [mine] });
    let taken = env.post("/api/v1/apps/bank_crm/forms/follow_up/records", &elsewhere).await;
    assert_eq!(taken.status, 422, "the task's file stays the task's: {}", taken.body);
    assert_eq!(as_user(&zhang, "GET", "/api/v1/tasks".into(), None).await.body["items"], json!([]));

    // The relationship manager sees the record's process: where it stands and which steps
    // ran, not what they sent (the customer's mobile) nor what was recorded.
    let seen = as_user(&zhang, "GET", format!("{holdings}/{holding}/processes"), None).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    let mine = seen.body["items"][0].clone();
    assert!(mine.get("outputs").is_none() && mine["current"].is_array(), "{mine}");
    let sms = mine["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|h| h["event"] == "service_done")
        .expect("the SMS step");
    assert_eq!(sms["detail"], json!({ "node": "care_sms", "type": "notify" }));
    let full = env.get(&format!("{holdings}/{holding}/processes")).await.body["items"][0].clone();
    assert!(full["outputs"]["call"]["notes"].is_object(), "designers see what was recorded: {}", full["outputs"]);

    // The maturity moves ten days later: so does the timer 15 days before it.
    let version = env.get(&format!("{holdings}/{holding}")).await.body["_version"].as_i64().expect("version");
    let moved = env.patch(&format!("{holdings}/{holding}"), version, &json!({ "maturity_date": day(60) })).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let state = env.get(&format!("/api/v1/apps/bank_crm/instances/{id}")).await.body;
    let timer = state["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .find(|t| t["node"] == "maturity_minus_15")
        .expect("timer")
        .clone();
    let (old_due, new_due) = (day_at(35, 9, 0), day_at(45, 9, 0));
    let due: DateTime<Utc> = timer["state"]["due"].as_str().and_then(|t| t.parse().ok()).expect("an instant");
    assert_eq!(due, new_due, "{state}");
    run(old_due + Duration::minutes(1)).await.expect("runs");
    // The call's notes are kept on the customer: a follow-up by their RM.
    let notes = env.get(&format!("/api/v1/apps/bank_crm/forms/follow_up/records?filter=customer:eq:{li}&fields=summary,method,relationship_manager")).await;
    let kept =
        notes.body["items"].as_array().expect("items").iter().find(|n| n["summary"] == "客户对收益满意").cloned();
    let kept = kept.unwrap_or_else(|| panic!("the call's notes: {}", notes.body));
    assert_eq!(kept["method"], "call");
    assert_eq!(kept["relationship_manager"], li_rm, "the customer's RM");
    let open = as_user(&zhang, "GET", "/api/v1/tasks".into(), None).await.body["items"].clone();
    assert!(open.as_array().expect("items").iter().all(|t| t["node"] != "prepare"), "not at the old date: {open}");
    run(new_due + Duration::minutes(1)).await.expect("runs");
    let open = as_user(&zhang, "GET", "/api/v1/tasks".into(), None).await.body["items"].clone();
    assert!(open.as_array().expect("items").iter().any(|t| t["node"] == "prepare"), "at the new date: {open}");

    // Cancelled: its open tasks are withdrawn, its timers stop.
    let cancelled = env.post(&format!("/api/v1/apps/bank_crm/instances/{id}/cancel"), &json!({})).await;
    assert_eq!((cancelled.status, cancelled.body["status"].as_str()), (200, Some("cancelled")), "{}", cancelled.body);
    assert_eq!(as_user(&zhang, "GET", "/api/v1/tasks".into(), None).await.body["items"], json!([]));
    assert_eq!(run(started + Duration::days(400)).await.expect("runs"), 0, "no timer is left");
    let events: Vec<String> = cancelled.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["event"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(events.first().map(String::as_str), Some("started"));
    assert_eq!(events.last().map(String::as_str), Some("cancelled"));
    env.finish().await;
}

/// Two servers' runners on one PostgreSQL take the same due timers at once: each fires
/// exactly once in total (they skip the rows the other holds). On SQLite, two runs at once
/// on the one server.
async fn two_runners_fire_each_timer_once(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    let flow = json!({ "key": "ping", "nodes": [
        { "id": "start", "type": "start" }, { "id": "wait", "type": "timer", "after": { "minutes": 30 } }, { "id": "end", "type": "end" }],
        "flows": [{ "from": "start", "to": "wait" }, { "from": "wait", "to": "end" }] });
    assert_eq!(env.put("/api/v1/apps/bank_crm/drafts/flows/ping", &flow).await.status, 200);
    let published = env.post("/api/v1/apps/bank_crm/publish", &json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);
    let count = 300;
    for _ in 0..count {
        let started = env.post("/api/v1/apps/bank_crm/flows/ping/instances", &json!({})).await;
        assert_eq!(started.status, 201, "{}", started.body);
    }
    // SQLite has one writer: there a second runner is a second call on the same server.
    let other = match backend {
        Backend::Postgres => server::AppState::new(server::Db::connect(&env.db.url).await.expect("a second server")),
        Backend::Sqlite => env.state.clone(),
    };
    let at = env.now() + Duration::hours(1);
    let (a, b) = tokio::join!(server::flows::run_due_timers(&env.state, at), server::flows::run_due_timers(&other, at));
    let (a, b) = (a.expect("first runner"), b.expect("second runner"));
    assert_eq!(a + b, count, "fired {a} + {b}");
    use sea_orm::ConnectionTrait;
    let fired = env
        .state
        .db
        .conn
        .query_one_raw(sea_orm::Statement::from_string(
            env.state.db.conn.get_database_backend(),
            "SELECT COUNT(*) FROM trellis_flow_history WHERE event = 'timer_due'",
        ))
        .await
        .expect("count")
        .expect("row")
        .try_get_by_index::<i64>(0)
        .expect("number");
    assert_eq!(fired, count as i64, "each timer fired once");
    let running = env.state.db.conn.query_one_raw(sea_orm::Statement::from_string(
        env.state.db.conn.get_database_backend(),
        "SELECT COUNT(*) FROM trellis_flow_instances WHERE flow = 'ping' AND status <> 'completed'",
    ));
    assert_eq!(running.await.expect("count").expect("row").try_get_by_index::<i64>(0).expect("number"), 0);
    if backend == Backend::Postgres {
        other.db.conn.clone().close().await.ok();
    }
    env.finish().await;
}

/// A running instance stays on the version it started with; a designer moves it to the new
/// one with a node mapping, and unsafe moves are refused with every reason.
async fn instances_stay_on_their_version_until_moved(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let task = |id: &str| json!({ "id": id, "type": "user_task", "title": "'Review'", "assignee": "'admin'" });
    let v1 = json!({ "key": "review", "nodes": [{ "id": "start", "type": "start" }, task("check"), { "id": "end", "type": "end" }],
        "flows": [{ "from": "start", "to": "check" }, { "from": "check", "to": "end" }] });
    assert_eq!(env.put("/api/v1/apps/bank_crm/drafts/flows/review", &v1).await.status, 200);
    assert_eq!(env.post("/api/v1/apps/bank_crm/publish", &json!({})).await.status, 200);
    let started = env.post("/api/v1/apps/bank_crm/flows/review/instances", &json!({})).await;
    let (id, first_version) = (started.body["id"].as_i64().expect("id"), started.body["version"].clone());

    // Version 2 renames the task and adds a timer after it.
    let v2 = json!({ "key": "review", "nodes": [{ "id": "start", "type": "start" }, task("review"),
            { "id": "cool_off", "type": "timer", "after": { "days": 1 } }, { "id": "end", "type": "end" }],
        "flows": [{ "from": "start", "to": "review" }, { "from": "review", "to": "cool_off" }, { "from": "cool_off", "to": "end" }] });
    assert_eq!(env.put("/api/v1/apps/bank_crm/drafts/flows/review", &v2).await.status, 200);
    assert_eq!(env.post("/api/v1/apps/bank_crm/publish", &json!({})).await.status, 200);
    let instance = format!("/api/v1/apps/bank_crm/instances/{id}");
    assert_eq!(env.get(&instance).await.body["version"], first_version, "publishing does not move running instances");

    let refused = env.post(&format!("{instance}/migrate"), &json!({})).await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (409, Some("unsafe_migration")), "{}", refused.body);
    let wrong = env.post(&format!("{instance}/migrate"), &json!({ "mapping": { "check": "cool_off" } })).await;
    assert!(
        wrong.body["detail"].as_str().is_some_and(|d| d.contains("user_task") && d.contains("timer")),
        "{}",
        wrong.body
    );
    let moved = env.post(&format!("{instance}/migrate"), &json!({ "mapping": { "check": "review" } })).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["current"], json!(["review"]));
    assert_ne!(moved.body["version"], first_version);

    // Completing the task now goes on as version 2 says: to the new timer.
    let tasks = env.get("/api/v1/tasks").await.body["items"].clone();
    let open = tasks.as_array().expect("items").iter().find(|t| t["instance"] == id).expect("the task").clone();
    assert_eq!(open["node"], "review");
    let done = env.post(&format!("/api/v1/tasks/{}/complete", open["id"]), &json!({})).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(env.get(&instance).await.body["current"], json!(["cool_off"]));
    env.finish().await;
}

/// The whole SOP on the server, 60 days on a virtual clock moved an hour at a time: the
/// runner fires what is due, the relationship manager completes each task through the
/// inbox as it appears, and the maturity date is moved mid-flight. Exactly these tasks
/// and messages come, on these days (Shanghai).
async fn the_whole_sop_runs_sixty_days(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.shows_personal_data().await.without_seeded_processes().await;
    let password = "a long enough secret";
    let people = json!({ "org_units": [{ "key": "sh001", "name": "上海陆家嘴支行", "manager": "li.hang" }],
        "users": [{ "username": "zhang.min", "password": password, "org_unit": "sh001", "app_roles": { "bank_crm": ["relationship_manager"] } }] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let token = server::auth::login(&env.state.db.conn, "zhang.min", password, server::auth::wall_now())
        .await
        .expect("signed in")
        .0;
    let auth = format!("Bearer {token}");
    let zhang = |method: &'static str, uri: String, body: Option<Value>| {
        let (env, auth) = (&env, auth.clone());
        async move { env.send(method, &uri, body.map(|b| b.to_string()).as_deref(), &[("authorization", &auth)]).await }
    };
    let app = "/api/v1/apps/bank_crm";
    let li = env.get(&format!("{app}/forms/customer/records?sort=id&limit=1&fields=name,tier")).await.body["items"][0]
        .clone();
    let li_id = li["id"].as_i64().expect("id");
    let product =
        env.get(&format!("{app}/forms/product/records?limit=1&fields=name")).await.body["items"][0]["id"].clone();
    let holdings = format!("{app}/forms/wealth_holding/records");
    let purchase = json!({ "customer": li_id, "product": product, "amount": "500000.00", "start_date": day(0),
        "maturity_date": day(50), "status": "holding" });
    let bought = env.post(&holdings, &purchase).await;
    assert_eq!(bought.status, 201, "{}", bought.body);
    let holding = bought.body["id"].as_i64().expect("id");
    let instance =
        env.get(&format!("{holdings}/{holding}/processes")).await.body["items"][0]["id"].as_i64().expect("id");
    let begun = env.now();
    let shanghai = |t: DateTime<Utc>| t.with_timezone(&chrono_tz::Asia::Shanghai).format("%m-%d").to_string();

    let mut seen: Vec<(String, String)> = Vec::new();
    let mut messages = 0;
    let mut clock = begun;
    while clock < begun + Duration::days(60) {
        clock += Duration::hours(1);
        if shanghai(clock) == shanghai(day_at(9, 0, 0)) && !seen.iter().any(|(_, what)| what == "maturity moved") {
            let version = env.get(&format!("{holdings}/{holding}")).await.body["_version"].as_i64().expect("version");
            let moved =
                env.patch(&format!("{holdings}/{holding}"), version, &json!({ "maturity_date": day(60) })).await;
            assert_eq!(moved.status, 200, "{}", moved.body);
            seen.push((shanghai(clock), "maturity moved".into()));
        }
        let fired = server::flows::run_due_timers(&env.state, clock).await.expect("timers");
        assert_eq!(server::flows::run_due_escalations(&env.state, clock).await.expect("escalations"), 0);
        if fired == 0 {
            continue;
        }
        let outbox = env.get(&format!("{app}/outbox")).await.body["items"].clone();
        for message in outbox.as_array().expect("items").iter().skip(messages) {
            seen.push((shanghai(clock), format!("{} message", message["channel"].as_str().unwrap_or_default())));
        }
        messages = outbox.as_array().map_or(0, Vec::len);
        // Each task is done as soon as it appears.
        loop {
            let inbox = zhang("GET", "/api/v1/tasks".into(), None).await.body["items"].clone();
            let Some(task) = inbox.as_array().and_then(|items| items.first()).cloned() else { break };
            let node = task["node"].as_str().expect("node").to_owned();
            let done = match node.as_str() {
                "call" => json!({ "outcome": "reached", "values": { "notes": "客户满意" } }),
                "prepare" => json!({ "values": { "proposal_1": product } }),
                "present" => json!({ "outcome": "accepted" }),
                _ => json!({}),
            };
            let completed = zhang("POST", format!("/api/v1/tasks/{}/complete", task["id"]), Some(done)).await;
            assert_eq!(completed.status, 200, "{node}: {}", completed.body);
            seen.push((shanghai(clock), node));
        }
        let status = env.get(&format!("{app}/instances/{instance}")).await.body["status"].clone();
        if status == "completed" && !seen.iter().any(|(_, what)| what == "completed") {
            seen.push((shanghai(clock), "completed".into()));
        }
    }
    // Moved to day 60 on day 9: prepared 15 days before it, presented 7 days before.
    let on = |offset: i64| shanghai(begun + Duration::days(offset));
    let expected: Vec<(String, String)> = [
        (on(1), "sms message"),
        (on(7), "call"),
        (on(9), "maturity moved"),
        (shanghai(day_at(45, 9, 0)), "prepare"),
        (shanghai(day_at(53, 9, 0)), "present"),
        (shanghai(day_at(53, 9, 0)), "completed"),
    ]
    .into_iter()
    .map(|(d, w)| (d, w.to_owned()))
    .collect();
    assert_eq!(seen, expected, "tier {}", li["tier"]);
    env.finish().await;
}

/// Completing a task whose form links to a record (`proposal_1: 999`) is refused at that
/// value unless the record exists and the completer may read it.
async fn a_task_form_relation_must_name_a_record_the_completer_reads(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    let app = "/api/v1/apps/bank_crm";
    let label = json!({ "zh-CN": "方案", "en": "Proposal" });
    let flow = json!({ "key": "pick", "nodes": [{ "id": "start", "type": "start" },
        { "id": "choose", "type": "user_task", "title": "'选择方案'", "assignee": "'admin'",
          "fields": [{ "key": "proposal_1", "type": "relation", "form": "product", "label": label, "required": true }] },
        { "id": "end", "type": "end" }],
        "flows": [{ "from": "start", "to": "choose" }, { "from": "choose", "to": "end" }] });
    assert_eq!(env.put(&format!("{app}/drafts/flows/pick"), &flow).await.status, 200);
    assert_eq!(env.post(&format!("{app}/publish"), &json!({})).await.status, 200);
    let started = env.post(&format!("{app}/flows/pick/instances"), &json!({})).await;
    assert_eq!(started.status, 201, "{}", started.body);
    let inbox = env.get("/api/v1/tasks").await.body["items"].clone();
    let task = inbox.as_array().expect("items").iter().find(|t| t["node"] == "choose").expect("the task").clone();
    let complete = format!("/api/v1/tasks/{}/complete", task["id"]);
    let missing = env.post(&complete, &json!({ "values": { "proposal_1": 999_999 } })).await;
    assert_eq!(missing.status, 422, "{}", missing.body);
    assert_eq!(missing.error_paths(), ["/values/proposal_1 relation"]);
    let product =
        env.get(&format!("{app}/forms/product/records?limit=1&fields=name")).await.body["items"][0]["id"].clone();
    let done = env.post(&complete, &json!({ "values": { "proposal_1": product } })).await;
    assert_eq!((done.status, done.body["status"].as_str()), (200, Some("completed")), "{}", done.body);
    env.finish().await;
}
