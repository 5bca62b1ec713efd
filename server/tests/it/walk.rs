//! What a new user's walk through the bank CRM demo found on the server's side, each pinned
//! where it was fixed: alerts and messages on the records they are about, the SOP's timers
//! at their dates, only new purchases greeted, notifications in the app's language.

use chrono::Duration;
use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(
    a_login_after_silence_raised_an_alert_about_no_record,
    the_sops_care_sms_was_on_no_timeline_and_old_holdings_were_greeted,
    the_presentation_waited_for_the_preparation,
    a_user_who_chose_no_language_read_notifications_in_both,
    the_inbox_badge_counted_tasks_its_list_did_not_show,
    an_rm_could_change_what_the_banks_systems_own,
    a_next_contact_could_come_before_the_contact
);

const APP: &str = "/api/v1/apps/bank_crm";

/// The entries of `kind` on the timeline of `form` record `id`.
async fn timeline<S>(env: &crate::support::Env<S>, form: &str, id: i64, kind: &str) -> Vec<Value>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let answer = env.get(&format!("{APP}/forms/{form}/records/{id}/timeline")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["items"].as_array().expect("items").iter().filter(|e| e["kind"] == kind).cloned().collect()
}

async fn customer_named<S>(env: &crate::support::Env<S>, name: &str) -> i64
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let found = env.get(&format!("{APP}/forms/customer/records?search={}&fields=name", urlencoding(name))).await;
    found.body["items"][0]["id"].as_i64().unwrap_or_else(|| panic!("{name}: {}", found.body))
}

/// The bank's RM `zhang.min` in her branch, signed in: her bearer authorization.
async fn the_rm<S>(env: &crate::support::Env<S>) -> String
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let people = json!({ "org_units": [{ "key": "sh001", "name": "上海陆家嘴支行" }], "users": [
        { "username": "zhang.min", "password": "a long enough secret", "org_unit": "sh001", "app_roles": { "bank_crm": ["relationship_manager"] } }] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let conn = &env.state.db.conn;
    let (token, _) =
        server::auth::login(conn, "zhang.min", "a long enough secret", server::auth::wall_now()).await.expect("in");
    format!("Bearer {token}")
}

fn urlencoding(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// 陈静 (high net worth, silent since October) logs in to mobile banking: the alert her RM
/// gets is about her, on her timeline with the rule that raised it.
async fn a_login_after_silence_raised_an_alert_about_no_record(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let chen = customer_named(&env, "陈静").await;
    let login = json!({ "event_id": "walk-1", "data": { "customer": chen, "occurred_at": env.now().to_rfc3339() } });
    let sent = env.post(&format!("{APP}/events/mobile_login/occurrences"), &login).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let raised: Vec<Value> = timeline(&env, "customer", chen, "task")
        .await
        .into_iter()
        .filter(|t| t["title"].as_str().is_some_and(|t| t.contains("沉默 30 天后重新登录")))
        .collect();
    assert_eq!(raised.len(), 1, "the alert, on her timeline");
    assert_eq!(raised[0]["subject"], json!({ "form": "customer", "id": chen }), "about her: {}", raised[0]);
    let firings = timeline(&env, "customer", chen, "firing").await;
    assert!(firings.iter().any(|f| f["rule"] == "back_after_silence"), "and the rule that raised it: {firings:?}");
    env.finish().await;
}

/// A purchase today: the SOP's T+1 care SMS is on the holding's timeline and its customer's.
/// The seed's holdings, bought months and years ago, are not greeted as new purchases.
async fn the_sops_care_sms_was_on_no_timeline_and_old_holdings_were_greeted(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let li = customer_named(&env, "李伟").await;
    let today = env.now().date_naive().to_string();
    let purchase = json!({ "customer": li, "product": 1, "amount": "100000.00", "start_date": today,
        "maturity_date": "2030-01-01", "status": "holding" });
    let bought = env.post(&format!("{APP}/forms/wealth_holding/records"), &purchase).await;
    assert_eq!(bought.status, 201, "{}", bought.body);
    let holding = bought.body["id"].as_i64().expect("id");
    server::flows::run_due_timers(&env.state, env.now() + Duration::days(2)).await.expect("timers");
    server::outbox::deliver_due(&env.state, env.now() + Duration::days(2)).await.expect("outbox");
    let sms = |messages: &[Value]| {
        messages.iter().filter(|m| m["channel"] == "sms" && m["body"].to_string().contains("感谢您选择")).count()
    };
    assert_eq!(sms(&timeline(&env, "wealth_holding", holding, "message").await), 1, "on the holding's timeline");
    assert_eq!(sms(&timeline(&env, "customer", li, "message").await), 1, "and on its customer's");
    // The administrators' outbox by channel and record, and the customer's 360.
    let about = env.get(&format!("{APP}/outbox?channel=sms&form=wealth_holding&record={holding}")).await;
    assert_eq!(about.status, 200, "{}", about.body);
    let items = about.body["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["subject"], json!({ "form": "wealth_holding", "id": holding }));
    assert_eq!(items[0]["state"], "undeliverable", "no SMS gateway yet");
    assert_eq!(env.get(&format!("{APP}/outbox?channel=fax")).await.status, 400);
    assert_eq!(env.get(&format!("{APP}/outbox?record=1")).await.status, 400, "a record without its form");
    let page = env.get(&format!("{APP}/pages/customer_360/records/{li}")).await;
    let sections = page.body["sections"].as_array().expect("sections").clone();
    let messages = sections.iter().find(|s| s["kind"] == "messages").expect("a messages section");
    assert_eq!(sms(messages["items"].as_array().expect("items")), 1, "on the customer's 360: {messages}");
    let outbox = env.get(&format!("{APP}/outbox?limit=200")).await.body["items"].clone();
    let greeted =
        outbox.as_array().expect("items").iter().filter(|m| m["body"].to_string().contains("感谢您选择")).count();
    assert_eq!(greeted, 1, "only the new purchase is greeted: {outbox}");
    env.finish().await;
}

/// A holding maturing in 20 days: its presentation task comes 7 days before maturity though
/// the preparation 15 days before is not done, and is due before the maturity day.
async fn the_presentation_waited_for_the_preparation(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    let li = customer_named(&env, "李伟").await;
    let maturity = (env.now().date_naive() + Duration::days(20)).to_string();
    let purchase = json!({ "customer": li, "product": 1, "amount": "100000.00", "start_date": "2026-01-05",
        "maturity_date": maturity, "status": "holding" });
    assert_eq!(env.post(&format!("{APP}/forms/wealth_holding/records"), &purchase).await.status, 201);
    server::flows::run_due_timers(&env.state, env.now() + Duration::days(14)).await.expect("timers");
    let open = env.get("/api/v1/tasks?limit=200").await;
    assert_eq!(open.status, 200, "{}", open.body);
    let items = open.body["items"].as_array().expect("items").clone();
    let node = |n: &str| items.iter().find(|t| t["node"] == n).cloned();
    let (prepare, present) = (node("prepare"), node("present"));
    assert!(prepare.is_some(), "the preparation, still open: {items:?}");
    let present = present.unwrap_or_else(|| panic!("the presentation, at its date: {items:?}"));
    let due = present["due_at"].as_str().expect("due");
    assert!(due < maturity.as_str(), "due before the maturity day ({maturity}): {due}");
    assert!(items.iter().all(|t| t["node"] != "call"), "an old holding gets no new-customer call");
    env.finish().await;
}

/// A user who chose no language read `新任务 / New task: …`; they read the app's language.
async fn a_user_who_chose_no_language_read_notifications_in_both(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let rm = the_rm(&env).await;
    let li = customer_named(&env, "李伟").await;
    let sent = json!({ "customer": li, "direction": "out", "amount": "12800000.00",
        "occurred_at": env.now().to_rfc3339(), "channel": "mobile" });
    assert_eq!(env.post(&format!("{APP}/forms/transaction/records"), &sent).await.status, 201);
    let hers = env.send("GET", "/api/v1/notifications", None, &[("authorization", &rm)]).await;
    let messages: Vec<&str> =
        hers.body["items"].as_array().expect("items").iter().filter_map(|n| n["message"].as_str()).collect();
    assert!(!messages.is_empty(), "{}", hers.body);
    assert!(messages.iter().all(|m| !m.contains(" / ") && !m.contains("New task")), "in Chinese only: {messages:?}");
    assert!(messages.iter().any(|m| m.starts_with("新任务：")), "{messages:?}");
    env.finish().await;
}

/// The administrator's badge said 2 tasks (1 overdue) while the "mine" list showed none:
/// the badge counts the list it stands for, by the same selection.
async fn the_inbox_badge_counted_tasks_its_list_did_not_show(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let workspace = env.get("/api/v1/workspace").await;
    assert_eq!(workspace.status, 200, "{}", workspace.body);
    let mine = env.get("/api/v1/tasks?whose=mine&limit=500").await.body["items"].as_array().expect("items").clone();
    let overdue = mine.iter().filter(|t| t["overdue"] == true).count();
    assert_eq!(workspace.body["tasks"]["open"], json!(mine.len()), "{}", workspace.body["tasks"]);
    assert_eq!(workspace.body["tasks"]["overdue"], json!(overdue));
    env.finish().await;
}

/// RMs could edit a customer's AUM and last mobile-banking login, re-tiering the customer
/// and firing alerts: in the bank CRM's roles those are the bank's systems' to write.
async fn an_rm_could_change_what_the_banks_systems_own(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let rm = the_rm(&env).await;
    let li = customer_named(&env, "李伟").await;
    let uri = format!("{APP}/forms/customer/records/{li}");
    let version = env.get(&uri).await.body["_version"].as_i64().expect("version");
    for change in [json!({ "aum": "1.00" }), json!({ "last_mobile_login": "2026-11-30T08:00:00Z" })] {
        let tried = env
            .send(
                "PATCH",
                &uri,
                Some(&change.to_string()),
                &[("authorization", &rm), ("if-match", &format!("\"{version}\""))],
            )
            .await;
        assert!(tried.status == 403 || tried.status == 422, "{change}: {} {}", tried.status, tried.body);
    }
    assert_eq!(env.get(&uri).await.body["aum"], "12800000.00", "unchanged");
    env.finish().await;
}

/// A follow-up's next contact could be a month before the contact: the bank CRM's form
/// refuses it, at the field.
async fn a_next_contact_could_come_before_the_contact(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let li = customer_named(&env, "李伟").await;
    let mut note = json!({ "customer": li, "contacted_at": "2026-12-01T10:00:00+08:00", "method": "call",
        "summary": "电话沟通", "next_contact_on": "2026-11-01" });
    let refused = env.post(&format!("{APP}/forms/follow_up/records"), &note).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.error_paths(), ["/next_contact_on validation"]);
    assert_eq!(refused.body["errors"][0]["texts"]["zh-CN"], "下次联系日期不能早于本次联系时间");
    note["next_contact_on"] = json!("2026-12-01");
    assert_eq!(env.post(&format!("{APP}/forms/follow_up/records"), &note).await.status, 201, "the same day is fine");
    env.finish().await;
}
