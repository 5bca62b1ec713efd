//! Each field type's mask shows what it is meant to, and what is derived from a masked
//! value (when a birthday rule fired, the task it raised, the greeting it sent) is withheld
//! from whoever sees the value masked.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, day, day_at, start};

both_backends!(masking_a_date_gave_it_away);

const APP: &str = "/api/v1/apps/bank_crm";
const PASSWORD: &str = "a long enough secret";

/// A birthday `1975-03-14` showed as `197***3-14` (month and day in clear), and an analyst
/// who saw it masked read it from the greeting's firing time and from the SMS it sent.
async fn masking_a_date_gave_it_away(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.shows_personal_data().await;
    let people = json!({ "org_units": [{ "key": "hq", "name": "总行" }, { "key": "sh001", "name": "上海陆家嘴支行", "parent": "hq", "manager": "li.hang" }],
        "users": [
        { "username": "zhang.min", "password": PASSWORD, "org_unit": "sh001", "app_roles": { "bank_crm": ["relationship_manager"] } },
        { "username": "li.hang", "password": PASSWORD, "org_unit": "sh001", "app_roles": { "bank_crm": ["branch_manager"] } },
        { "username": "analyst", "password": PASSWORD, "org_unit": "hq", "platform_role": "designer", "app_roles": { "bank_crm": ["analyst"] } }] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let mut auth = std::collections::HashMap::new();
    for name in ["zhang.min", "li.hang", "analyst"] {
        let token =
            server::auth::login(&env.state.db.conn, name, PASSWORD, server::auth::wall_now()).await.expect("in").0;
        auth.insert(name, format!("Bearer {token}"));
    }
    let get = |who: &str, uri: String| {
        let (env, auth) = (&env, auth[who].clone());
        async move { env.send("GET", &uri, None, &[("authorization", &auth)]).await.body }
    };
    // 李伟 (zhang.min's) has his birthday tomorrow.
    let li = env.get(&format!("{APP}/forms/customer/records?sort=id&limit=1&fields=name")).await.body["items"][0]["id"]
        .clone();
    let customer = format!("{APP}/forms/customer/records/{li}");
    let birthday = format!("1976-{}", day(1).format("%m-%d"));
    let version = env.get(&customer).await.body["_version"].as_i64().expect("version");
    assert_eq!(env.patch(&customer, version, &json!({ "birthday": birthday })).await.status, 200);

    // Each type's mask: a date shows nothing (or its year, for a role that says so), a
    // mobile its last four digits, an ID number its first three and last four.
    let analysts = get("analyst", customer.clone()).await;
    assert_eq!(analysts["birthday"], "1976-**-**", "the analyst's role keeps the year");
    assert_eq!(analysts["mobile"], "*******0001");
    assert_eq!(analysts["id_number"], "110***********0001");
    assert_eq!(get("li.hang", customer.clone()).await["birthday"], "****-**-**", "the branch manager's: nothing");
    assert_eq!(get("zhang.min", customer.clone()).await["birthday"], json!(birthday), "his RM's: in clear");

    // Tomorrow: the greeting at 00:30, the reminder for his RM at 08:00.
    server::rules::run_due_schedules(&env.state, day_at(1, 0, 31)).await.expect("greetings");
    server::rules::run_due_schedules(&env.state, day_at(1, 8, 1)).await.expect("reminders");
    let rules = |firings: &Value| -> Vec<String> {
        firings["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|f| f["rule"].as_str().map(str::to_owned))
            .collect()
    };
    let rm = get("zhang.min", format!("{customer}/firings")).await;
    assert!(rules(&rm).contains(&"birthday_greeting".to_owned()) && rm["withheld"] == 0, "{rm}");
    for who in ["analyst", "li.hang"] {
        let firings = get(who, format!("{customer}/firings")).await;
        assert!(!rules(&firings).iter().any(|r| r.starts_with("birthday")), "{who}: {firings}");
        assert_eq!(firings["withheld"], 2, "{who}: counted, not shown");
        let timeline = get(who, format!("{customer}/timeline?limit=500")).await.to_string();
        assert!(!timeline.contains("生日") && !timeline.contains("birthday_"), "{who}'s timeline: {timeline}");
        let page = get(who, format!("{APP}/pages/customer_360/records/{li}")).await.to_string();
        assert!(!page.contains("生日") && !page.contains("birthday_"), "{who}'s 360: {page}");
    }
    // The RM's reminder is hers; her manager's view of the team's tasks leaves it out.
    let hers = get("zhang.min", "/api/v1/tasks".into()).await.to_string();
    assert!(hers.contains("今天是 李伟 的生日"), "{hers}");
    let team = get("li.hang", "/api/v1/tasks?whose=team".into()).await;
    assert!(!team.to_string().contains("生日"), "{team}");
    // The greeting in the outbox: withheld from the designer who sees the birthday masked.
    let outbox = get("analyst", format!("{APP}/outbox")).await;
    assert!(!outbox["items"].to_string().contains("生日"), "{outbox}");
    assert!(outbox["withheld"].as_u64().is_some_and(|n| n >= 1), "{outbox}");
    env.finish().await;
}
