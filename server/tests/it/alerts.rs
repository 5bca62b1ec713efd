//! Alerts reach their relationship manager: a task a rule raises is a task like a
//! process's, in the RM's inbox (the RM's record names their login), with its record,
//! priority, due time and the firing that explains it; the RM completes it with notes,
//! audited; overdue, it escalates to the manager of the RM's unit.

use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::support::{Backend, TestDb, both_backends, start};

both_backends!(
    a_raised_task_is_in_the_rms_inbox_and_is_completed_with_notes,
    rule_and_process_tasks_move_into_one_table,
    an_rm_who_leaves_hands_customers_and_open_tasks_over,
    an_alert_for_an_rm_without_a_login_goes_to_the_units_queue
);

async fn a_raised_task_is_in_the_rms_inbox_and_is_completed_with_notes(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    let password = "a long enough secret";
    let people = json!({ "org_units": [{ "key": "sh001", "name": "上海陆家嘴支行", "manager": "li.hang" }],
        "users": [
            { "username": "zhang.min", "password": password, "org_unit": "sh001", "app_roles": { "bank_crm": ["relationship_manager"] } },
            { "username": "li.hang", "password": password, "org_unit": "sh001", "app_roles": { "bank_crm": ["branch_manager"] } },
            { "username": "wang.lei", "password": password, "app_roles": { "bank_crm": ["relationship_manager"] } }] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let now = server::auth::wall_now();
    let bearer = |name: &str| {
        let conn = env.state.db.conn.clone();
        let name = name.to_owned();
        async move { format!("Bearer {}", server::auth::login(&conn, &name, password, now).await.expect("signed in").0) }
    };
    let (zhang, wang) = (bearer("zhang.min").await, bearer("wang.lei").await);
    let as_user = |auth: &str, method: &'static str, uri: String, body: Option<Value>| {
        let auth = auth.to_owned();
        let env = &env;
        async move {
            let body = body.map(|b| b.to_string());
            env.send(method, &uri, body.as_deref(), &[("authorization", &auth)]).await
        }
    };

    // A customer of zhang.min's sends out more than 30% of their AUM today.
    let app = "/api/v1/apps/bank_crm";
    let customers = env.get(&format!("{app}/forms/customer/records?sort=id&limit=100")).await.body["items"].clone();
    let mine = customers
        .as_array()
        .expect("customers")
        .iter()
        .find(|c| {
            (c["relationship_manager"]["id"] == 1 || c["relationship_manager"] == 1)
                && c["aum"].as_str().is_some_and(|a| a != "0.00")
        })
        .expect("a customer of the first RM, with assets")
        .clone();
    // All of it at once: more than 30% of the AUM, the first time today.
    let sent = json!({ "customer": mine["id"], "direction": "out", "amount": mine["aum"],
        "occurred_at": env.now().to_rfc3339(), "channel": "mobile" });
    let made = env.post(&format!("{app}/forms/transaction/records"), &sent).await;
    assert_eq!(made.status, 201, "{}", made.body);

    let inbox = as_user(&zhang, "GET", "/api/v1/tasks".into(), None).await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    let raised: Vec<&Value> =
        inbox.body["items"].as_array().expect("items").iter().filter(|t| t["firing"].is_i64()).collect();
    assert_eq!(raised.len(), 1, "one alert in the RM's inbox: {}", inbox.body);
    let task = raised[0];
    assert_eq!((task["assignee"].as_str(), task["priority"].as_str()), (Some("zhang.min"), Some("high")));
    assert_eq!(task["subject"], json!({ "form": "transaction", "id": made.body["id"] }));
    assert!(task["instance"].is_null() && task["node"].is_null(), "no process behind it: {task}");
    let due = chrono::DateTime::parse_from_rfc3339(task["due_at"].as_str().expect("due")).expect("instant");
    let two_hours = env.now() + Duration::hours(2) - due.with_timezone(&Utc);
    assert!(two_hours.num_seconds().abs() < 120, "due two hours after the transaction: {task}");
    let others = as_user(&wang, "GET", "/api/v1/tasks".into(), None).await.body["items"].clone();
    assert!(others.as_array().expect("items").iter().all(|t| t["id"] != task["id"]), "not another RM's");

    let uri = format!("/api/v1/tasks/{}/complete", task["id"]);
    let notes = json!({ "outcome": "reached", "values": { "notes": "客户确认是购房首付，无流失风险" } });
    let refused = as_user(&wang, "POST", uri.clone(), Some(notes.clone())).await;
    assert_eq!(refused.status, 404, "another RM cannot complete it: {}", refused.body);
    let bad = as_user(&zhang, "POST", uri.clone(), Some(json!({ "values": { "nope": 1 } }))).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let done = as_user(&zhang, "POST", uri, Some(notes)).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!((done.body["status"].as_str(), done.body["outcome"].as_str()), (Some("completed"), Some("reached")));
    assert_eq!(done.body["data"]["notes"], "客户确认是购房首付，无流失风险");
    let audit = env.get("/api/v1/audit?action=task.complete").await.body["items"].clone();
    assert_eq!(audit.as_array().map(Vec::len), Some(1), "{audit}");

    // The RM was told: of the task at once, and by the rule's in-app message once the
    // outbox delivered it.
    server::outbox::deliver_due(&env.state, env.now()).await.expect("delivered");
    let told = as_user(&zhang, "GET", "/api/v1/notifications".into(), None).await;
    assert_eq!(told.status, 200, "{}", told.body);
    let items = told.body["items"].as_array().expect("items").clone();
    assert_eq!(told.body["unread"], 2, "{}", told.body);
    assert!(
        items
            .iter()
            .any(|n| n["task"] == task["id"] && n["message"].as_str().is_some_and(|m| m.starts_with("新任务：")))
    );
    let message = items.iter().find(|n| n["task"].is_null()).expect("the rule's message");
    assert!(message["message"].as_str().is_some_and(|m| m.contains("两小时内")), "{message}");
    assert_eq!(message["subject"], json!({ "form": "transaction", "id": made.body["id"] }), "linked to the record");
    let outbox = env.get("/api/v1/apps/bank_crm/outbox?state=delivered").await.body["items"].clone();
    assert!(outbox.as_array().expect("items").iter().any(|m| m["channel"] == "in_app"), "{outbox}");
    // Once they choose English, the same task and messages read in English.
    let me = "/api/v1/auth/me".to_owned();
    let french = as_user(&zhang, "PATCH", me.clone(), Some(json!({ "language": "fr" }))).await;
    assert_eq!((french.status, french.error_paths()), (422, vec!["/language bad_language".to_owned()]));
    let english = as_user(&zhang, "PATCH", me.clone(), Some(json!({ "language": "en" }))).await;
    assert_eq!((english.status, english.body["language"].as_str()), (200, Some("en")), "{}", english.body);
    assert_eq!(as_user(&zhang, "GET", me.clone(), None).await.body["language"], "en");
    // Her own time zone: set, kept when only the language changes, refused when not one.
    let tokyo = as_user(&zhang, "PATCH", me.clone(), Some(json!({ "time_zone": "Asia/Tokyo" }))).await;
    assert_eq!(
        (tokyo.status, tokyo.body["time_zone"].as_str(), tokyo.body["language"].as_str()),
        (200, Some("Asia/Tokyo"), Some("en"))
    );
    let nowhere = as_user(&zhang, "PATCH", me.clone(), Some(json!({ "time_zone": "Mars/Olympus" }))).await;
    assert_eq!((nowhere.status, nowhere.error_paths()), (422, vec!["/time_zone bad_time_zone".to_owned()]));
    let again = as_user(&zhang, "PATCH", me.clone(), Some(json!({ "language": "en" }))).await;
    assert_eq!(again.body["time_zone"], "Asia/Tokyo", "a change of language keeps the zone");
    let app_zone = as_user(&zhang, "PATCH", me.clone(), Some(json!({ "time_zone": null }))).await;
    assert_eq!(app_zone.body["time_zone"], Value::Null, "back to the app's");
    let workspace = as_user(&zhang, "GET", "/api/v1/workspace".into(), None).await;
    assert_eq!(workspace.body["apps"][0]["time_zone"], "Asia/Shanghai", "the app's zone, from its metadata");
    assert_eq!(as_user(&zhang, "GET", me, None).await.body["language"], "en");
    let shown = as_user(&zhang, "GET", format!("/api/v1/tasks/{}", task["id"]), None).await;
    assert!(shown.body["title"].as_str().is_some_and(|t| t.starts_with("Large outflow: ")), "{}", shown.body);
    let told = as_user(&zhang, "GET", "/api/v1/notifications".into(), None).await.body["items"].clone();
    let texts: Vec<&str> = told.as_array().expect("items").iter().filter_map(|n| n["message"].as_str()).collect();
    assert!(texts.iter().any(|m| m.starts_with("New task: Large outflow: ")), "{texts:?}");
    assert!(texts.iter().any(|m| m.ends_with("contact them within two hours")), "{texts:?}");
    let read = format!("/api/v1/notifications/{}/read", message["id"]);
    assert_eq!(as_user(&wang, "POST", read.clone(), None).await.status, 404, "not another user's to read");
    assert_eq!(as_user(&zhang, "POST", read, None).await.status, 204);
    let unread = as_user(&zhang, "GET", "/api/v1/notifications?unread=true".into(), None).await.body.clone();
    assert_eq!((unread["unread"].as_i64(), unread["items"].as_array().map(Vec::len)), (Some(1), Some(1)));
    let all = as_user(&zhang, "POST", "/api/v1/notifications/read".into(), None).await;
    assert_eq!(all.body["marked"], 1, "{}", all.body);
    // The customer's timeline shows the alert raised on their transaction, with its notes,
    // and what changed; to the RM who reads the customer, and to no other RM.
    let timeline = format!("{app}/forms/customer/records/{}/timeline", mine["id"]);
    let seen = as_user(&zhang, "GET", timeline.clone(), None).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    let entries = seen.body["items"].as_array().expect("items").clone();
    let alert = entries.iter().find(|e| e["kind"] == "task").expect("the alert on the timeline");
    assert_eq!(
        (alert["status"].as_str(), alert["data"]["notes"].as_str()),
        (Some("completed"), Some("客户确认是购房首付，无流失风险"))
    );
    assert!(entries.iter().any(|e| e["kind"] == "change"), "the customer's changes too: {}", seen.body);
    // The transaction's own timeline names the rule that fired on it by the rule's label.
    let about = format!("{app}/forms/transaction/records/{}/timeline", alert["subject"]["id"]);
    let fired = as_user(&zhang, "GET", about, None).await.body["items"].clone();
    let firing = fired.as_array().expect("items").iter().find(|e| e["kind"] == "firing").cloned();
    assert_eq!(firing.map(|f| f["label"]["zh-CN"].clone()), Some(json!("大额资金流出")), "{fired}");
    let times: Vec<&str> = entries.iter().filter_map(|e| e["at"].as_str()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
    assert_eq!(seen.body["more"], false);
    assert_eq!(as_user(&wang, "GET", timeline, None).await.status, 404, "another RM's customer");
    let bad = as_user(&zhang, "GET", "/api/v1/notifications?limit=0".into(), None).await;
    assert_eq!((bad.status, bad.body["errors"][0]["path"].as_str()), (400, Some("/limit")));
    env.finish().await;
}

/// A database made before the one task model: a rule's task (for a user name, and one
/// for an RM record's id) and a process's task with its escalation move into one table,
/// the process task keeping its id and escalation.
async fn rule_and_process_tasks_move_into_one_table(backend: Backend) {
    let db = TestDb::new(backend).await;
    let old = server::Db::connect_at_migration(&db.url, 16).await.expect("the tables as they were");
    let conn = &old.conn;
    let run = |sql: &str| {
        let sql = sql.to_owned();
        async move {
            let backend = conn.get_database_backend();
            conn.execute_raw(sea_orm::Statement::from_string(backend, sql.clone())).await.expect(&sql);
        }
    };
    run("INSERT INTO trellis_flow_instances (id, app, flow, version, status, state, started_at, updated_at) \
         VALUES (7, 'bank_crm', 'sop', 1, 'running', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
    .await;
    run("INSERT INTO trellis_flow_tasks (id, app, instance_id, token, node, title, assignee, priority, status, created_at) \
         VALUES (40, 'bank_crm', 7, 2, 'call', 'T+7 回访', 'zhang.min', 'normal', 'open', CURRENT_TIMESTAMP)")
    .await;
    run("INSERT INTO trellis_flow_escalations (task_id, due_at, action) VALUES (40, CURRENT_TIMESTAMP, 'remind')")
        .await;
    for (title, assignee) in [("大额资金流出预警", "\"zhang.min\""), ("资产流失预警", "1")] {
        run(&format!(
            "INSERT INTO trellis_tasks (app, form, record_id, title, assignee, priority, due_at, state, created_at) \
             VALUES ('bank_crm', 'customer', 3, '{title}', '{assignee}', 'high', CURRENT_TIMESTAMP, 'open', CURRENT_TIMESTAMP)"
        ))
        .await;
    }
    old.conn.close().await.expect("closed");

    let db_now = server::Db::connect(&db.url).await.expect("migrated");
    let backend = db_now.conn.get_database_backend();
    let sql = "SELECT id, instance_id, title, assignee, subject_form, subject_id, data FROM trellis_tasks ORDER BY id";
    let rows = db_now.conn.query_all_raw(sea_orm::Statement::from_string(backend, sql)).await.expect("tasks");
    let tasks: Vec<Moved> = rows
        .iter()
        .map(|r| Moved {
            id: r.try_get_by_index(0).expect("id"),
            instance: r.try_get_by_index(1).expect("instance"),
            assignee: r.try_get_by_index(3).expect("assignee"),
            form: r.try_get_by_index(4).expect("form"),
            record: r.try_get_by_index(5).expect("record"),
            data: r.try_get_by_index(6).expect("data"),
        })
        .collect();
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    assert_eq!(
        (tasks[0].id, tasks[0].instance, tasks[0].assignee.as_deref()),
        (40, Some(7), Some("zhang.min")),
        "the process task"
    );
    assert!(tasks[1].id > 40 && tasks[2].id > 40, "new ids after the copied ones: {tasks:?}");
    assert_eq!(
        (tasks[1].assignee.as_deref(), tasks[1].form.as_deref(), tasks[1].record),
        (Some("zhang.min"), Some("customer"), Some(3)),
        "a rule task for a user name is theirs, on its record"
    );
    assert_eq!(tasks[2].assignee, None, "an RM record's id names no user");
    assert!(tasks[2].data.as_deref().is_some_and(|d| d.contains("unresolved_assignee")), "{tasks:?}");
    let sql = "SELECT task_id FROM trellis_task_escalations";
    let escalations = db_now.conn.query_all_raw(sea_orm::Statement::from_string(backend, sql)).await.expect("rows");
    assert_eq!(escalations.len(), 1);
    assert_eq!(escalations[0].try_get_by_index::<i64>(0).expect("task"), 40);
    // The sequence goes on after the copied ids.
    let insert =
        "INSERT INTO trellis_task_escalations (task_id, due_at, action) VALUES (40, CURRENT_TIMESTAMP, 'escalate')";
    db_now.conn.execute_raw(sea_orm::Statement::from_string(backend, insert)).await.expect("a new escalation");
}

/// When an RM leaves, their branch manager hands their customers and open tasks to another
/// RM in one audited action; the successor is told; an RM cannot do it for themselves.
async fn an_rm_who_leaves_hands_customers_and_open_tasks_over(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    let password = "a long enough secret";
    let user = |name: &str, role: &str| json!({ "username": name, "password": password, "org_unit": "sh001", "app_roles": { "bank_crm": [role] } });
    let people = json!({ "org_units": [{ "key": "sh001", "name": "上海陆家嘴支行", "manager": "li.hang" }],
        "users": [user("zhang.min", "relationship_manager"), user("zhao.new", "relationship_manager"), user("li.hang", "branch_manager")] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let app = "/api/v1/apps/bank_crm";
    let zhang_rm = 1;
    let branch = env.get(&format!("{app}/forms/relationship_manager/records/{zhang_rm}")).await.body["branch"].clone();
    let branch = branch.get("id").cloned().unwrap_or(branch);
    let successor = json!({ "employee_no": "E1003", "name": "赵新", "branch": branch, "login": "zhao.new" });
    let made = env.post(&format!("{app}/forms/relationship_manager/records"), &successor).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let new_rm = made.body["id"].as_i64().expect("id");
    let customers =
        env.get(&format!("{app}/forms/customer/records?filter=relationship_manager:eq:{zhang_rm}&limit=100")).await;
    let theirs: Vec<Value> = customers.body["items"].as_array().expect("items").clone();
    assert!(!theirs.is_empty());
    // An alert for one of them, in zhang.min's inbox.
    let rich = theirs.iter().find(|c| c["aum"].as_str().is_some_and(|a| a != "0.00")).expect("assets");
    let sent = json!({ "customer": rich["id"], "direction": "out", "amount": rich["aum"],
        "occurred_at": env.now().to_rfc3339(), "channel": "mobile" });
    assert_eq!(env.post(&format!("{app}/forms/transaction/records"), &sent).await.status, 201);

    let now = server::auth::wall_now();
    let sign_in = |name: &str| {
        let conn = env.state.db.conn.clone();
        let name = name.to_owned();
        async move { format!("Bearer {}", server::auth::login(&conn, &name, password, now).await.expect("in").0) }
    };
    let (zhang, manager, zhao) = (sign_in("zhang.min").await, sign_in("li.hang").await, sign_in("zhao.new").await);
    let handover = format!("{app}/forms/relationship_manager/records/{zhang_rm}/handover");
    let body = json!({ "to": new_rm, "forms": ["customer"] }).to_string();
    let own = env.send("POST", &handover, Some(&body), &[("authorization", &zhang)]).await;
    assert_eq!(own.status, 403, "an RM cannot hand their own customers away: {}", own.body);
    let bad = json!({ "to": new_rm, "forms": ["branch"] }).to_string();
    let refused = env.send("POST", &handover, Some(&bad), &[("authorization", &manager)]).await;
    assert_eq!(
        (refused.status, refused.body["errors"][0]["path"].as_str()),
        (400, Some("/forms/0")),
        "{}",
        refused.body
    );
    let done = env.send("POST", &handover, Some(&body), &[("authorization", &manager)]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["records"]["customer"], theirs.len(), "{}", done.body);
    assert_eq!(done.body["tasks"], 1, "{}", done.body);

    let left = env.get(&format!("{app}/forms/customer/records?filter=relationship_manager:eq:{zhang_rm}")).await;
    assert!(left.body["items"].as_array().expect("items").is_empty(), "{}", left.body);
    let inbox = env.send("GET", "/api/v1/tasks", None, &[("authorization", &zhao)]).await.body["items"].clone();
    assert_eq!(inbox.as_array().map(|t| t.iter().filter(|t| t["firing"].is_i64()).count()), Some(1), "{inbox}");
    let told = env.send("GET", "/api/v1/notifications", None, &[("authorization", &zhao)]).await.body.clone();
    assert!(
        told["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|n| n["message"].as_str().is_some_and(|m| m.starts_with("转交给你：")))
    );
    let audit = env.get("/api/v1/audit?action=person.handover").await.body["items"].clone();
    assert_eq!(audit[0]["detail"]["tasks"], 1, "{audit}");
    env.finish().await;
}

/// An RM with no login (left, or never given one) loses no alert: the task waits in the
/// queue of the customer's branch, for its branch managers (and those above them), and
/// says why; a branch manager elsewhere does not see it.
async fn an_alert_for_an_rm_without_a_login_goes_to_the_units_queue(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    let password = "a long enough secret";
    let manager = |name: &str, unit: &str| {
        json!({ "username": name, "password": password, "org_unit": unit,
        "app_roles": { "bank_crm": ["branch_manager"] } })
    };
    let people = json!({ "org_units": [{ "key": "hq", "name": "总行" },
            { "key": "sh001", "name": "上海陆家嘴支行", "parent": "hq" }, { "key": "bj001", "name": "北京金融街支行", "parent": "hq" }],
        "users": [manager("li.hang", "sh001"), manager("bj.manager", "bj001"), manager("hq.manager", "hq")] });
    let imported = env.post("/api/v1/directory/import", &people).await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    let app = "/api/v1/apps/bank_crm";
    let branch = env.get(&format!("{app}/forms/relationship_manager/records/1")).await.body["branch"].clone();
    let branch = branch.get("id").cloned().unwrap_or(branch);
    let nobody = json!({ "employee_no": "E1009", "name": "离职经理", "branch": branch });
    let rm = env.post(&format!("{app}/forms/relationship_manager/records"), &nobody).await.body["id"].clone();
    let customer = json!({ "customer_no": "C0950", "name": "孙悦", "relationship_manager": rm, "branch": branch,
        "aum": "2000000.00", "tier": "affluent" });
    let made = env.post(&format!("{app}/forms/customer/records"), &customer).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let sent = json!({ "customer": made.body["id"], "direction": "out", "amount": "1000000.00",
        "occurred_at": env.now().to_rfc3339(), "channel": "mobile" });
    assert_eq!(env.post(&format!("{app}/forms/transaction/records"), &sent).await.status, 201);
    let now = server::auth::wall_now();
    let bearer = |name: &'static str| {
        let conn = env.state.db.conn.clone();
        async move { format!("Bearer {}", server::auth::login(&conn, name, password, now).await.expect("in").0) }
    };
    let offered = |auth: String| {
        let env = &env;
        async move {
            let inbox = env.send("GET", "/api/v1/tasks", None, &[("authorization", &auth)]).await.body["items"].clone();
            inbox.as_array().expect("items").iter().filter(|t| t["firing"].is_i64()).cloned().collect::<Vec<Value>>()
        }
    };
    let (li, bj, hq) = (bearer("li.hang").await, bearer("bj.manager").await, bearer("hq.manager").await);
    let queued = offered(li.clone()).await;
    assert_eq!(queued.len(), 1, "the branch's manager sees it");
    let task = &queued[0];
    assert_eq!(
        (task["assignee"].as_str(), task["candidate_role"].as_str(), task["candidate_unit"].as_str()),
        (None, Some("branch_manager"), Some("sh001")),
        "{task}"
    );
    let why = task["data"]["routed"].as_str().unwrap_or_default();
    assert!(why.contains("names no user") && why.contains("sh001"), "{task}");
    assert_eq!(offered(bj.clone()).await, Vec::<Value>::new(), "not another branch's manager");
    assert_eq!(offered(hq.clone()).await.len(), 1, "the head office above it sees it too");
    let uri = format!("/api/v1/tasks/{}", task["id"]);
    let peek = env.send("GET", &uri, None, &[("authorization", &bj)]).await;
    assert_eq!(peek.status, 404, "nor reads it by its id");
    let claimed = env.send("POST", &format!("{uri}/claim"), Some("{}"), &[("authorization", &li)]).await;
    assert_eq!(claimed.status, 200, "{}", claimed.body);
    let back = env.send("POST", &format!("{uri}/unclaim"), Some("{}"), &[("authorization", &li)]).await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(offered(hq).await.len(), 1, "back in the queue");
    env.finish().await;
}

/// A task row after the migration, as the test reads it.
#[derive(Debug)]
struct Moved {
    id: i64,
    instance: Option<i64>,
    assignee: Option<String>,
    form: Option<String>,
    record: Option<i64>,
    data: Option<String>,
}
