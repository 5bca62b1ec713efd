//! A task is done once, by someone who may: it is handed only to people who may work on
//! it, completed only by its holder (a queued one claimed first, an administrator acting in
//! no one's name), and of many completions or claims at once exactly one wins.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(
    a_task_could_be_handed_to_anyone,
    an_administrator_or_a_manager_completed_a_task_not_theirs,
    a_task_was_completed_and_claimed_more_than_once,
    a_branch_manager_was_told_a_team_task_did_not_exist_and_handing_on_was_a_guess
);

const APP: &str = "/api/v1/apps/bank_crm";
const PASSWORD: &str = "a long enough secret";

/// The bank's people for these tests: two branches, an RM in each, the Shanghai branch's
/// manager, the head office's manager (a branch manager too, over every branch), someone
/// without a role, and `extra` more branch managers of Shanghai.
fn people(extra: usize) -> Value {
    let rm = json!({ "bank_crm": ["relationship_manager"] });
    let bm = json!({ "bank_crm": ["branch_manager"] });
    let mut users = vec![
        json!({ "username": "zhang.min", "password": PASSWORD, "org_unit": "sh001", "app_roles": rm }),
        json!({ "username": "wang.lei", "password": PASSWORD, "org_unit": "bj001", "app_roles": rm }),
        json!({ "username": "li.hang", "password": PASSWORD, "org_unit": "sh001", "app_roles": bm }),
        json!({ "username": "hq.manager", "password": PASSWORD, "org_unit": "hq", "app_roles": bm }),
        json!({ "username": "noone", "password": PASSWORD, "org_unit": "sh001" }),
    ];
    users.extend((0..extra).map(
        |i| json!({ "username": format!("bm.{i:02}"), "password": PASSWORD, "org_unit": "sh001", "app_roles": bm }),
    ));
    json!({ "org_units": [{ "key": "hq", "name": "总行", "manager": "hq.manager" },
        { "key": "sh001", "name": "上海陆家嘴支行", "parent": "hq", "manager": "li.hang" },
        { "key": "bj001", "name": "北京金融街支行", "parent": "hq" }], "users": users })
}

/// Sends a customer's whole AUM out today: the large-outflow rule raises a task for their
/// RM (or, for an RM without a login, in their branch's queue). The task's id.
macro_rules! outflow_task {
    ($env:expr, $customer:expr) => {{
        let customer = $env.get(&format!("{APP}/forms/customer/records/{}", $customer)).await.body;
        let sent = json!({ "customer": customer["id"], "direction": "out", "amount": customer["aum"],
            "occurred_at": $env.now().to_rfc3339(), "channel": "mobile" });
        let made = $env.post(&format!("{APP}/forms/transaction/records"), &sent).await;
        assert_eq!(made.status, 201, "{}", made.body);
        let firings = made.body["id"].clone();
        let tasks = $env.get("/api/v1/tasks?limit=500").await.body["items"].clone();
        let task = tasks.as_array().expect("tasks").iter().rev().find(|t| t["subject"]["id"] == firings).cloned();
        task.unwrap_or_else(|| panic!("a task about transaction {firings}: {tasks}"))["id"].as_i64().expect("id")
    }};
}

/// A customer of Shanghai whose RM has no login, and their outflow alert, which waits in the
/// branch's queue for its managers. The task's id.
macro_rules! queued_task {
    ($env:expr) => {{
        let branches = $env.get(&format!("{APP}/forms/branch/records?filter=code:eq:SH001")).await;
        let branch = branches.body["items"][0]["id"].clone();
        let rm = json!({ "employee_no": "E1009", "name": "离职经理", "branch": branch });
        let gone = $env.post(&format!("{APP}/forms/relationship_manager/records"), &rm).await;
        let orphan = json!({ "customer_no": "C0950", "name": "孙悦", "relationship_manager": gone.body["id"],
            "branch": branch, "aum": "2000000.00", "tier": "affluent" });
        let orphan = $env.post(&format!("{APP}/forms/customer/records"), &orphan).await.body["id"].as_i64();
        outflow_task!($env, orphan.expect("a customer"))
    }};
}

macro_rules! signed_in {
    ($env:expr, $name:expr) => {{
        let token = server::auth::login(&$env.state.db.conn, $name, PASSWORD, server::auth::wall_now())
            .await
            .expect("signed in")
            .0;
        format!("Bearer {token}")
    }};
}

macro_rules! as_user {
    ($env:expr, $auth:expr, $method:expr, $uri:expr, $body:expr) => {
        $env.send($method, &$uri, Some(&$body.to_string()), &[("authorization", $auth.as_str())]).await
    };
}

/// The first customer of `zhang.min` (the seed's RM `rm_zhang`, who signs in as zhang.min).
async fn zhangs_customer(env: &crate::support::Env<impl TestService>) -> i64 {
    let customers = env.get(&format!("{APP}/forms/customer/records?sort=id&limit=1&fields=name")).await;
    customers.body["items"][0]["id"].as_i64().expect("a customer")
}

trait TestService:
    actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse, Error = actix_web::Error>
{
}
impl<S> TestService for S where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >
{
}

/// An RM delegated a task to a user with no role (who then read it, was told of it and
/// completed it, though the customer was closed to them), and to an RM of another branch.
async fn a_task_could_be_handed_to_anyone(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    assert_eq!(env.post("/api/v1/directory/import", &people(0)).await.status, 200);
    let task = outflow_task!(env, zhangs_customer(&env).await);
    let (zhang, noone, wang) = (signed_in!(env, "zhang.min"), signed_in!(env, "noone"), signed_in!(env, "wang.lei"));
    let delegate = format!("/api/v1/tasks/{task}/delegate");
    for to in ["noone", "wang.lei"] {
        let refused = as_user!(env, zhang, "POST", delegate, json!({ "to": to }));
        assert_eq!((refused.status, refused.error_paths()), (422, vec!["/to not_eligible".to_owned()]), "{to}");
        assert!(
            refused.body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("may not read")),
            "the true reason"
        );
    }
    let nobody = as_user!(env, zhang, "POST", delegate, json!({ "to": "nobody.at.all" }));
    assert_eq!(nobody.error_paths(), ["/to unknown_user"]);
    for (who, auth) in [("noone", &noone), ("wang.lei", &wang)] {
        assert_eq!(
            env.send("GET", &format!("/api/v1/tasks/{task}"), None, &[("authorization", auth)]).await.status,
            404,
            "{who}"
        );
        let done = as_user!(
            env,
            auth,
            "POST",
            format!("/api/v1/tasks/{task}/complete"),
            json!({ "outcome": "reached", "values": { "notes": "x" } })
        );
        assert_eq!(done.status, 404, "{who}");
    }
    // The branch's manager reads the customer: the task may go to them.
    let handed = as_user!(env, zhang, "POST", delegate, json!({ "to": "li.hang" }));
    assert_eq!((handed.status, handed.body["assignee"].as_str()), (200, Some("li.hang")), "{}", handed.body);
    env.finish().await;
}

/// An administrator with no app role completed and delegated a business task, and a
/// head-office manager completed a queued task without claiming it.
async fn an_administrator_or_a_manager_completed_a_task_not_theirs(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    assert_eq!(env.post("/api/v1/directory/import", &people(0)).await.status, 200);
    let task = outflow_task!(env, zhangs_customer(&env).await);
    let notes = json!({ "outcome": "reached", "values": { "notes": "已联系客户" } });
    let by_admin = env.post(&format!("/api/v1/tasks/{task}/complete"), &notes).await;
    assert_eq!((by_admin.status, by_admin.body["code"].as_str()), (409, Some("task_held")), "{}", by_admin.body);
    assert!(by_admin.body["detail"].as_str().is_some_and(|d| d.contains("zhang.min")), "who holds it");
    let handed = env.post(&format!("/api/v1/tasks/{task}/delegate"), &json!({ "to": "li.hang" })).await;
    assert_eq!((handed.status, handed.body["code"].as_str()), (409, Some("not_yours")), "{}", handed.body);
    // The manager of zhang.min's branch sees the task with the team's, and hands it on.
    let li = signed_in!(env, "li.hang");
    let by_manager = as_user!(env, li, "POST", format!("/api/v1/tasks/{task}/delegate"), json!({ "to": "li.hang" }));
    assert_eq!(by_manager.status, 200, "a manager of the holder's unit: {}", by_manager.body);

    // An RM without a login: the outflow alert waits in the branch's queue.
    let queued = queued_task!(env);
    let hq = signed_in!(env, "hq.manager");
    let complete = format!("/api/v1/tasks/{queued}/complete");
    let unclaimed = as_user!(env, hq, "POST", complete, notes);
    assert_eq!((unclaimed.status, unclaimed.body["code"].as_str()), (409, Some("not_claimed")), "{}", unclaimed.body);
    let by_admin = env.post(&format!("/api/v1/tasks/{queued}/claim"), &json!({})).await;
    assert_eq!(
        (by_admin.status, by_admin.body["code"].as_str()),
        (403, Some("not_a_candidate")),
        "not the admin's queue"
    );
    assert_eq!(as_user!(env, hq, "POST", format!("/api/v1/tasks/{queued}/claim"), json!({})).status, 200);
    let done = as_user!(env, hq, "POST", complete, notes);
    assert_eq!((done.status, done.body["completed_by"].as_str()), (200, Some("hq.manager")), "{}", done.body);
    env.finish().await;
}

/// 50 completions of one task at once: 30 answered 200 on PostgreSQL, leaving 30 audit
/// entries; 20 managers claiming one queued task: up to 12 were told it was theirs.
async fn a_task_was_completed_and_claimed_more_than_once(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    assert_eq!(env.post("/api/v1/directory/import", &people(20)).await.status, 200);
    let task = outflow_task!(env, zhangs_customer(&env).await);
    let zhang = signed_in!(env, "zhang.min");
    let complete = format!("/api/v1/tasks/{task}/complete");
    let bodies: Vec<String> = (0..50)
        .map(|i| json!({ "outcome": "reached", "values": { "notes": format!("第 {i} 次") } }).to_string())
        .collect();
    let headers = [("authorization", zhang.as_str())];
    let answers =
        futures_util::future::join_all(bodies.iter().map(|b| env.send("POST", &complete, Some(b), &headers))).await;
    let won: Vec<&Value> = answers.iter().filter(|a| a.status == 200).map(|a| &a.body).collect();
    assert_eq!(won.len(), 1, "exactly one completion: {:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    assert!(
        answers.iter().all(|a| a.status == 200 || (a.status, a.body["code"].as_str()) == (409, Some("task_closed")))
    );
    let entries = env.get("/api/v1/audit?action=task.complete&limit=1000").await.body["items"].clone();
    let entries: Vec<&Value> =
        entries.as_array().expect("items").iter().filter(|e| e["detail"]["task"] == task).collect();
    assert_eq!(entries.len(), 1, "one audit entry");
    assert_eq!(entries[0]["detail"]["values"]["notes"], won[0]["data"]["notes"], "the trail says what the task keeps");

    // A queued task, twenty managers at once.
    let queued = queued_task!(env);
    let mut managers = Vec::new();
    for i in 0..20 {
        managers.push(signed_in!(env, &format!("bm.{i:02}")));
    }
    let claim = format!("/api/v1/tasks/{queued}/claim");
    let headers: Vec<[(&str, &str); 1]> = managers.iter().map(|m| [("authorization", m.as_str())]).collect();
    let answers = futures_util::future::join_all(headers.iter().map(|h| env.send("POST", &claim, Some("{}"), h))).await;
    let winners: Vec<&Value> = answers.iter().filter(|a| a.status == 200).map(|a| &a.body).collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        answers.iter().map(|a| (a.status, a.body["code"].clone())).collect::<Vec<_>>()
    );
    assert!(answers.iter().all(|a| a.status == 200 || (a.status, a.body["code"].as_str()) == (409, Some("task_held"))));
    let held = env.get(&format!("/api/v1/tasks/{queued}")).await.body["assignee"].clone();
    assert_eq!(&held, &winners[0]["assignee"], "the one told it is theirs holds it");
    let claims = env.get("/api/v1/audit?action=task.claim&limit=1000").await.body["items"].clone();
    assert_eq!(claims.as_array().expect("items").iter().filter(|e| e["detail"]["task"] == queued).count(), 1);
    env.finish().await;
}

/// A branch manager opened a team member's task and both completing and handing it on were
/// refused as if it did not exist; handing on took a typed user name. Now the manager is told
/// who holds it, and both the holder and their manager pick from the people who may take it.
async fn a_branch_manager_was_told_a_team_task_did_not_exist_and_handing_on_was_a_guess(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    assert_eq!(env.post("/api/v1/directory/import", &people(1)).await.status, 200);
    let task = outflow_task!(env, zhangs_customer(&env).await);
    let (zhang, li) = (signed_in!(env, "zhang.min"), signed_in!(env, "li.hang"));
    // The team's tasks, grouped by holder with their counts.
    let team = env.send("GET", "/api/v1/tasks?whose=team", None, &[("authorization", &li)]).await;
    assert_eq!(team.status, 200, "{}", team.body);
    let listed = team.body["items"].as_array().map_or(0, Vec::len) as i64;
    let holders = team.body["holders"].as_array().expect("holders").clone();
    assert_eq!(holders.iter().map(|h| h["open"].as_i64().unwrap_or(0)).sum::<i64>(), listed, "{holders:?}");
    assert!(holders.iter().any(|h| h["username"] == "zhang.min" && h["open"].as_i64() >= Some(1)), "{holders:?}");
    let seen = env.send("GET", &format!("/api/v1/tasks/{task}"), None, &[("authorization", &li)]).await;
    assert_eq!(seen.status, 200, "the manager reads the team's task: {}", seen.body);
    let notes = json!({ "outcome": "reached", "values": { "notes": "x" } });
    let done = as_user!(env, li, "POST", format!("/api/v1/tasks/{task}/complete"), notes);
    assert_eq!((done.status, done.body["code"].as_str()), (409, Some("task_held")), "the true reason: {}", done.body);
    // Who may take it: people of the branch with a role who read the customer; not the
    // holder, not someone without a role, not an RM of another branch.
    let takers = |auth: &str| {
        let env = &env;
        let auth = auth.to_owned();
        async move {
            let answer =
                env.send("GET", &format!("/api/v1/tasks/{task}/takers"), None, &[("authorization", &auth)]).await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            let items = answer.body["items"].as_array().expect("items").clone();
            items.iter().map(|p| p["username"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(takers(&zhang).await, ["bm.00", "li.hang"], "the holder's picker");
    assert_eq!(takers(&li).await, ["bm.00", "li.hang"], "the manager's picker");
    let wang = signed_in!(env, "wang.lei");
    let theirs = env.send("GET", &format!("/api/v1/tasks/{task}/takers"), None, &[("authorization", &wang)]).await;
    assert_eq!(theirs.status, 404, "not a task of theirs: {}", theirs.body);
    let handed = as_user!(env, li, "POST", format!("/api/v1/tasks/{task}/delegate"), json!({ "to": "bm.00" }));
    assert_eq!((handed.status, handed.body["assignee"].as_str()), (200, Some("bm.00")), "{}", handed.body);
    env.finish().await;
}
