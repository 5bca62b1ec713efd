//! Scheduled rules on a virtual clock: the bank's birthday and no-login alerts, fired at
//! the right local time in Shanghai, once per occurrence, with the scan run by the database.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::rules::rows;
use crate::support::{Backend, both_backends, start, start_at};

both_backends!(
    birthdays_and_silent_customers_are_found_on_schedule,
    a_holding_maturing_soon_is_prepared_before_it_matures
);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
}

/// Written for one calendar (a 29 February birthday in a year without one), so it starts
/// on the instant its seed was written for, whatever `TRELLIS_TEST_NOW` says.
async fn birthdays_and_silent_customers_are_found_on_schedule(backend: Backend) {
    let env = start_at(backend, at("2026-12-01T00:00:00Z")).await.with_bank_crm().await.shows_personal_data().await;
    let customers = env.get("/api/v1/apps/bank_crm/forms/customer/records?sort=id").await;
    let ids: Vec<i64> =
        customers.body["items"].as_array().expect("items").iter().filter_map(|c| c["id"].as_i64()).collect();
    let uri = |id: i64| format!("/api/v1/apps/bank_crm/forms/customer/records/{id}");
    // 李伟 (hnw) was born on 29 February, 赵刚 (affluent) on 28 February, 周洋 (mass) on
    // 1 March; the seed has 孙丽 (affluent) born on 28 February too.
    let set = |birthday: &str, login: &str| json!({ "birthday": birthday, "last_mobile_login": login });
    let mut li = set("1980-02-29", "2027-01-20T02:00:00Z");
    li["language"] = json!("en"); // 李伟 is written to in English
    assert_eq!(env.patch(&uri(ids[0]), 1, &li).await.status, 200);
    assert_eq!(env.patch(&uri(ids[1]), 1, &set("1975-06-01", "2027-02-20T02:00:00Z")).await.status, 200);
    assert_eq!(env.patch(&uri(ids[2]), 1, &set("1979-02-28", "2027-01-01T02:00:00Z")).await.status, 200);
    assert_eq!(env.patch(&uri(ids[4]), 1, &set("1990-03-01", "2026-01-01T02:00:00Z")).await.status, 200);

    // A tier written into the table outside Trellis (a bulk load) is not what the tiering
    // table gives (吴芳 has the AUM of a mass customer): the database finds her with the
    // table compiled into the query.
    let table = engine_form::main_table_name("bank_crm", "customer");
    let conn = &env.state.db.conn;
    let sql = format!("UPDATE {table} SET f_tier = 'potential' WHERE f_name = '吴芳'");
    sea_orm::ConnectionTrait::execute_unprepared(conn, &sql).await.expect("drifted");
    let drifted: String = "customer_tier.tier != coalesce(tier, '')".bytes().map(|b| format!("%{b:02X}")).collect();
    let drifted_uri = format!("/api/v1/apps/bank_crm/forms/customer/records?where={drifted}&fields=name");
    let before = env.get(&drifted_uri).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.body["items"].as_array().map(Vec::len), Some(1), "{}", before.body);
    assert_eq!(before.body["items"][0]["name"], "吴芳");

    // 23:59 on 27 February in Shanghai: each rule runs its latest occurrence, the 27th's. No
    // birthday on the 27th; three high-tier customers silent since before 28 January; the
    // daily re-tiering (00:15) corrects the drifted tier.
    let reports = server::rules::run_due_schedules(&env.state, at("2027-02-27T15:59:00Z")).await.expect("runs");
    // (The month-end snapshot, which keeps each month once whenever it runs, is tested in
    // `aum.rs`.)
    let found: Vec<(&str, u64)> =
        reports.iter().filter(|r| r.rule != "month_end_snapshot").map(|r| (r.rule.as_str(), r.fired)).collect();
    assert_eq!(
        found,
        [
            ("retier_daily", 1),
            ("birthday_email", 0),
            ("birthday_greeting", 0),
            ("birthday_reminder", 0),
            ("no_mobile_login_30_days", 3)
        ]
    );
    assert_eq!(env.get(&drifted_uri).await.body["items"], json!([]), "every tier now agrees with the table");

    // 00:30 on 28 February 2027 in Shanghai, still the 27th in UTC: greetings go out at night.
    // 2027 has no 29 February, so 李伟's birthday is kept on the 28th.
    let night = server::rules::run_due_schedules(&env.state, at("2027-02-27T16:30:05Z")).await.expect("runs");
    let greeting = night.iter().find(|r| r.rule == "birthday_greeting").expect("the greeting ran");
    assert_eq!((greeting.occurrence, greeting.matched, greeting.fired), (at("2027-02-27T16:30:00Z"), 3, 3));
    let sms = rows(&env, "SELECT channel, recipient, body FROM trellis_outbox ORDER BY id").await;
    let greetings: Vec<&str> = sms
        .iter()
        .filter(|r| r[2].contains("生日快乐") || r[2].contains("happy birthday"))
        .map(|r| r[1].as_str())
        .collect();
    assert_eq!(greetings, [r#""13700000001""#, r#""13700000003""#, r#""13700000004""#]);
    let english: Vec<&str> = sms.iter().filter(|r| r[2].contains("happy birthday")).map(|r| r[1].as_str()).collect();
    assert_eq!(english, [r#""13700000001""#], "in the customer's language");
    assert!(sms.iter().all(|r| r[0] == "sms"));

    // Run again at the same moment, as a second server would: nothing runs twice.
    let again = server::rules::run_due_schedules(&env.state, at("2027-02-27T16:30:30Z")).await.expect("runs");
    assert!(again.iter().all(|r| r.rule != "birthday_greeting"), "{again:?}");

    // 08:00 in Shanghai: reminders for the relationship managers, high tiers only.
    let morning = server::rules::run_due_schedules(&env.state, at("2027-02-28T00:00:10Z")).await.expect("runs");
    let reminder = morning.iter().find(|r| r.rule == "birthday_reminder").expect("the reminder ran");
    assert_eq!((reminder.matched, reminder.fired), (3, 3));
    let tasks: Vec<String> =
        rows(&env, "SELECT title FROM trellis_tasks WHERE firing_id IS NOT NULL AND priority = 'normal' ORDER BY id")
            .await
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
    assert_eq!(
        tasks,
        [
            "今天是 李伟 的生日，请致电问候并送上生日礼品",
            "今天是 赵刚 的生日，请致电问候并送上生日礼品",
            "今天是 孙丽 的生日，请致电问候并送上生日礼品"
        ]
    );

    // 09:00: hnw/affluent customers silent for more than 30 days: 李伟, 赵刚 and 孙丽 (周洋 is
    // mass, 陈静 logged in eight days ago). The scan of the 27th told them already, and they
    // have not logged in since: one SMS and one task per spell of silence, not one a day.
    let nine = server::rules::run_due_schedules(&env.state, at("2027-02-28T01:00:00Z")).await.expect("runs");
    let silent = nine.iter().find(|r| r.rule == "no_mobile_login_30_days").expect("the scan ran");
    assert_eq!((silent.matched, silent.fired), (3, 0));
    let firings = env.get(&format!("{}/firings", uri(ids[0]))).await;
    let items = firings.body["items"].as_array().expect("items");
    let latest = items.iter().find(|f| f["rule"] == "no_mobile_login_30_days").expect("the 27th's firing");
    assert_eq!(latest["trigger"], "schedule");
    assert_eq!(latest["read"]["last_mobile_login"], "2027-01-20T02:00:00.000000Z");
    assert_eq!(latest["read"]["once_per"], "2027-01-20T02:00:00.000000Z", "the spell is the login it began after");
    assert_eq!(latest["actions"][1]["priority"], "low");
    env.finish().await;
}

/// The maturity follow-up comes from one place, the SOP a purchase starts: a holding that
/// matures in 40 days gets its "prepare" task 15 days before, due seven days on; one that
/// matures in 5 days gets it at once, due at 18:00 (Shanghai) the day before it matures.
async fn a_holding_maturing_soon_is_prepared_before_it_matures(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    let zhao = env.get("/api/v1/apps/bank_crm/forms/customer/records?where=name%20%3D%3D%20'%E8%B5%B5%E5%88%9A'").await;
    let zhao = &zhao.body["items"][0];
    let product = env.get("/api/v1/apps/bank_crm/forms/product/records?limit=1").await.body["items"][0].clone();
    let holdings = "/api/v1/apps/bank_crm/forms/wealth_holding/records";
    let now = env.now();
    let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let mut ids = Vec::new();
    for days in [5, 40] {
        let maturity = (today + chrono::Duration::days(days)).to_string();
        let holding = json!({ "customer": zhao["id"], "product": product["id"], "amount": "500000.00",
            "start_date": today.to_string(), "maturity_date": maturity, "status": "holding" });
        let created = env.post(holdings, &holding).await;
        assert_eq!(created.status, 201, "{}", created.body);
        ids.push(created.body["id"].as_i64().expect("id"));
    }
    server::flows::run_due_timers(&env.state, now + chrono::Duration::minutes(1)).await.expect("runs");
    let tasks = env.get("/api/v1/tasks").await.body["items"].clone();
    let prepare: Vec<(i64, String)> = tasks
        .as_array()
        .expect("items")
        .iter()
        .filter(|t| t["node"] == "prepare")
        .map(|t| (t["subject"]["id"].as_i64().unwrap_or(0), t["due_at"].as_str().unwrap_or("").to_owned()))
        .collect();
    let eve = format!("{}T10:00:00.000000Z", today + chrono::Duration::days(4));
    assert_eq!(prepare, [(ids[0], eve)], "{tasks}");
    let rules = env.get("/api/v1/apps/bank_crm/drafts/rules").await.body["items"].clone();
    assert!(
        rules.as_array().expect("items").iter().all(|r| r["trigger"]["form"] != "wealth_holding"),
        "no second source"
    );
    env.finish().await;
}
