//! Every state transition is one conditional write: the same request fifty times at once
//! changes the state once, and the others are told why not. (Tasks: `tasks.rs`.)

use futures_util::future::join_all;
use serde_json::json;

use crate::rules::rows;
use crate::support::{Backend, Resp, both_backends, start};

both_backends!(
    an_incident_retried_at_once_ran_its_actions_more_than_once,
    a_publish_request_approved_at_once_published_more_than_once,
    a_process_cancelled_or_a_message_resent_at_once_changed_more_than_once
);

const APP: &str = "/api/v1/apps/bank_crm";

/// The statuses of `answers`, counted: how many of each.
fn tally(answers: &[Resp]) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for a in answers {
        *counts.entry(a.status).or_default() += 1;
    }
    counts
}

/// Fifty retries of an incident whose data was corrected: its actions ran for each.
async fn an_incident_retried_at_once_ran_its_actions_more_than_once(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    assert_eq!(env.put(&format!("{APP}/drafts/rules/renumber"), &crate::rules::renumber_rule()).await.status, 200);
    assert_eq!(env.post(&format!("{APP}/publish"), &json!({})).await.status, 200);
    let customers = format!("{APP}/forms/customer/records");
    let id_of = |name: &str| {
        let name: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
        let uri = format!("{customers}?filter=name:eq:{name}&fields=name");
        let env = &env;
        async move { env.get(&uri).await.body["items"][0]["id"].as_i64().expect("a customer") }
    };
    let (chen, li) = (id_of("陈静").await, id_of("李伟").await);
    assert_eq!(env.patch(&format!("{customers}/{chen}"), 1, &json!({ "risk_level": "r5" })).await.status, 200);
    assert_eq!(env.patch(&format!("{customers}/{li}"), 1, &json!({ "customer_no": "C9999" })).await.status, 200);
    let incident = env.get(&format!("{APP}/incidents")).await.body["items"][0]["id"].clone();
    let retry = format!("{APP}/incidents/{incident}/retry");
    let answers = join_all((0..50).map(|_| env.send("POST", &retry, Some("{}"), &[]))).await;
    assert_eq!(tally(&answers), [(200, 1), (409, 49)].into(), "one retry ran");
    assert!(answers.iter().filter(|a| a.status == 409).all(|a| a.body["code"] == "not_an_incident"));
    let tasks = rows(&env, "SELECT title FROM trellis_tasks WHERE firing_id IS NOT NULL").await;
    assert_eq!(tasks, [["Renumbered 陈静".to_owned()]], "its actions ran once");
    env.finish().await;
}

/// Fifty approvals of one publish request at once.
async fn a_publish_request_approved_at_once_published_more_than_once(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let people = json!({ "users": [
        { "username": "maker", "password": "the maker's secret", "platform_role": "designer" },
        { "username": "checker", "password": "the checker's secret", "platform_role": "designer" }] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let login = |name: &str, password: &str| {
        let conn = env.state.db.conn.clone();
        let (name, password, now) = (name.to_owned(), password.to_owned(), server::auth::wall_now());
        async move { format!("Bearer {}", server::auth::login(&conn, &name, &password, now).await.expect("in").0) }
    };
    let (maker, checker) = (login("maker", "the maker's secret").await, login("checker", "the checker's secret").await);
    assert_eq!(env.put(&format!("{APP}/settings"), &json!({ "publish_approval": true })).await.status, 200);
    let rule = json!({ "key": "noop", "trigger": { "on": "created", "form": "customer" } }).to_string();
    assert_eq!(
        env.send("PUT", &format!("{APP}/drafts/rules/noop"), Some(&rule), &[("authorization", &maker)]).await.status,
        200
    );
    let asked = env.send("POST", &format!("{APP}/publish"), Some("{}"), &[("authorization", &maker)]).await;
    let approve = format!("{APP}/publish-requests/{}/approve", asked.body["request"]);
    let headers = [("authorization", checker.as_str())];
    let answers = join_all((0..50).map(|_| env.send("POST", &approve, Some("{}"), &headers))).await;
    let published = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(published, 1, "{:?}", tally(&answers));
    assert!(answers.iter().all(|a| [200, 404, 409].contains(&a.status)), "{:?}", tally(&answers));
    let versions =
        rows(&env, "SELECT version FROM trellis_app_versions WHERE app = 'bank_crm' AND approved_by IS NOT NULL").await;
    assert_eq!(versions.len(), 1, "one version published: {versions:?}");
    env.finish().await;
}

/// Fifty cancellations of one process, and fifty resends of one undeliverable message.
async fn a_process_cancelled_or_a_message_resent_at_once_changed_more_than_once(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let running = rows(&env, "SELECT id FROM trellis_flow_instances WHERE status = 'running' ORDER BY id").await;
    let cancel = format!("{APP}/instances/{}/cancel", running[0][0]);
    let answers = join_all((0..50).map(|_| env.send("POST", &cancel, Some("{}"), &[]))).await;
    assert_eq!(answers.iter().filter(|a| a.status == 200).count(), 1, "{:?}", tally(&answers));
    assert!(answers.iter().all(|a| [200, 409].contains(&a.status)), "{:?}", tally(&answers));
    let history = rows(
        &env,
        &format!(
            "SELECT event FROM trellis_flow_history WHERE instance_id = {} AND event = 'cancelled'",
            running[0][0]
        ),
    )
    .await;
    assert_eq!(history.len(), 1, "cancelled once");

    // A purchase today: the SOP's T+1 SMS is undeliverable (no gateway yet), and fifty
    // resends queue it once.
    let today = env.now().date_naive().to_string();
    let purchase = json!({ "customer": 1, "product": 1, "amount": "100000.00", "start_date": today,
        "maturity_date": "2030-01-01", "status": "holding" });
    assert_eq!(env.post(&format!("{APP}/forms/wealth_holding/records"), &purchase).await.status, 201);
    server::flows::run_due_timers(&env.state, env.now() + chrono::Duration::days(30)).await.expect("timers");
    server::outbox::deliver_due(&env.state, env.now() + chrono::Duration::days(30)).await.expect("outbox");
    let sms = rows(&env, "SELECT id FROM trellis_outbox WHERE state = 'undeliverable' ORDER BY id").await;
    let resend = format!("{APP}/outbox/{}/resend", sms[0][0]);
    let answers = join_all((0..50).map(|_| env.send("POST", &resend, Some("{}"), &[]))).await;
    assert_eq!(answers.iter().filter(|a| a.status < 300).count(), 1, "{:?}", tally(&answers));
    env.finish().await;
}
