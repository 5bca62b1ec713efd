//! A customer's AUM follows their deposits and wealth holdings (the bank CRM's rules
//! `aum_from_deposits` and `aum_from_holdings`): the seed's figures agree with the
//! accounts under them, and a withdrawal, a redemption or a closed account moves the AUM,
//! re-tiers the customer and raises the alerts that watch it. At each month's end every
//! customer's AUM and tier are kept (`month_end_snapshot`), with churn as the bank CRM
//! defines it.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{Backend, Env, both_backends, start};

both_backends!(
    the_seeded_aum_is_the_sum_of_accounts_and_holdings,
    a_customers_aum_follows_their_assets,
    each_month_end_keeps_every_customer_once_with_churn
);

const APP: &str = "/api/v1/apps/bank_crm/forms";

fn decimal(value: &Value) -> Decimal {
    value.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("a decimal: {value}"))
}

fn id_of(relation: &Value) -> i64 {
    relation["id"].as_i64().or_else(|| relation.as_i64()).unwrap_or_else(|| panic!("a relation: {relation}"))
}

async fn records<S>(env: &Env<S>, form: &str) -> Vec<Value>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let got = env.get(&format!("{APP}/{form}/records?limit=500&sort=id")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    got.body["items"].as_array().expect("items").clone()
}

/// Each customer's CNY deposits plus the wealth products they hold, by customer id.
async fn assets<S>(env: &Env<S>) -> HashMap<i64, Decimal>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let mut sums = HashMap::new();
    for account in records(env, "deposit_account").await.iter().filter(|a| a["currency"] == "CNY") {
        *sums.entry(id_of(&account["customer"])).or_default() += decimal(&account["balance"]);
    }
    for holding in records(env, "wealth_holding").await.iter().filter(|h| h["status"] == "holding") {
        *sums.entry(id_of(&holding["customer"])).or_default() += decimal(&holding["amount"]);
    }
    sums
}

async fn the_seeded_aum_is_the_sum_of_accounts_and_holdings(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let sums = assets(&env).await;
    let customers = records(&env, "customer").await;
    assert_eq!(customers.len(), 6);
    for customer in &customers {
        let id = customer["id"].as_i64().expect("id");
        let held = sums.get(&id).copied().unwrap_or_default();
        assert_eq!(decimal(&customer["aum"]), held, "{}: AUM and its accounts agree", customer["name"]);
    }
    let li = customers.iter().find(|c| c["customer_no"] == "C0001").expect("李伟");
    assert_eq!((li["aum"].as_str(), li["tier"].as_str()), (Some("12800000.00"), Some("hnw")));
    // Loaded with their AUM: no rule derived it again on the way (on his accounts), nor
    // raised an alert (on him).
    let li_id = li["id"].as_i64().expect("id");
    let account = records(&env, "deposit_account").await.into_iter().find(|a| id_of(&a["customer"]) == li_id);
    let account = account.expect("an account of his");
    for (form, id) in [("customer", li_id), ("deposit_account", account["id"].as_i64().expect("id"))] {
        let firings = env.get(&format!("{APP}/{form}/records/{id}/firings")).await;
        assert_eq!(firings.status, 200, "{}", firings.body);
        let fired: Vec<&str> =
            firings.body["items"].as_array().expect("items").iter().filter_map(|f| f["rule"].as_str()).collect();
        for quiet in ["aum_from_deposits", "became_hnw", "aum_fell_30_percent"] {
            assert!(!fired.contains(&quiet), "{quiet} fired on {form} {id} while the seed loaded: {fired:?}");
        }
    }
    env.finish().await;
}

async fn a_customers_aum_follows_their_assets(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    let customer = |env| async move {
        records(env, "customer").await.into_iter().find(|c| c["customer_no"] == "C0001").expect("李伟")
    };
    let li = customer(&env).await;
    let li_id = li["id"].as_i64().expect("id");
    let accounts: Vec<Value> =
        records(&env, "deposit_account").await.into_iter().filter(|a| id_of(&a["customer"]) == li_id).collect();
    let time = accounts.iter().find(|a| a["balance"] == "5000000.00").expect("the time deposit");

    // Five million withdrawn early: 12.8 → 7.8 million, more than 30% gone.
    let uri = format!("{APP}/deposit_account/records/{}", time["id"]);
    let changed = env.patch(&uri, time["_version"].as_i64().expect("version"), &json!({ "balance": "0.00" })).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let li = customer(&env).await;
    assert_eq!((li["aum"].as_str(), li["tier"].as_str()), (Some("7800000.00"), Some("hnw")));
    let firings = env.get(&format!("{APP}/customer/records/{li_id}/firings")).await;
    assert_eq!(firings.status, 200, "{}", firings.body);
    let fired: Vec<&str> =
        firings.body["items"].as_array().expect("items").iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(fired.contains(&"aum_fell_30_percent"), "the fall raises its alert: {fired:?}");

    // The fixed-income holding redeemed, then a US-dollar account opened: 4.8 million, affluent.
    let holding = records(&env, "wealth_holding").await.into_iter().find(|h| id_of(&h["customer"]) == li_id);
    let holding = holding.expect("a holding");
    let uri = format!("{APP}/wealth_holding/records/{}", holding["id"]);
    let redeemed =
        env.patch(&uri, holding["_version"].as_i64().expect("version"), &json!({ "status": "redeemed" })).await;
    assert_eq!(redeemed.status, 200, "{}", redeemed.body);
    let usd = json!({ "account_no": "6222029999999999", "customer": li_id, "kind": "current", "currency": "USD",
        "balance": "100000.00" });
    let opened = env.post(&format!("{APP}/deposit_account/records"), &usd).await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let li = customer(&env).await;
    assert_eq!((li["aum"].as_str(), li["tier"].as_str()), (Some("4800000.00"), Some("affluent")));

    // An account closed (deleted): its balance leaves the AUM.
    let second = accounts.iter().find(|a| a["balance"] == "2450000.00").expect("the second time deposit");
    let closed = env.delete(&format!("{APP}/deposit_account/records/{}", second["id"])).await;
    assert!(closed.status == 204 || closed.status == 200, "{}", closed.body);
    let li = customer(&env).await;
    assert_eq!(li["aum"].as_str(), Some("2350000.00"));
    let sums = assets(&env).await;
    assert_eq!(sums.get(&li_id).copied(), Some(decimal(&li["aum"])));
    env.finish().await;
}

async fn each_month_end_keeps_every_customer_once_with_churn(backend: Backend) {
    use chrono::{Datelike, TimeZone};
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    let seeded = records(&env, "customer_month").await;
    assert_eq!(seeded.len(), 6 * 12, "twelve months of history for each customer");
    // 李伟 moves 7.45 million out: 5.35 million, under half his highest month end before.
    let li = records(&env, "customer").await.into_iter().find(|c| c["customer_no"] == "C0001").expect("李伟");
    let li_id = li["id"].as_i64().expect("id");
    for account in records(&env, "deposit_account").await.iter().filter(|a| id_of(&a["customer"]) == li_id) {
        if account["kind"] == "time" {
            let uri = format!("{APP}/deposit_account/records/{}", account["id"]);
            let emptied =
                env.patch(&uri, account["_version"].as_i64().expect("version"), &json!({ "balance": "0" })).await;
            assert_eq!(emptied.status, 200, "{}", emptied.body);
        }
    }
    // 00:30 in Shanghai on the first of next month, and the day after.
    let zone = chrono_tz::Asia::Shanghai;
    let today = env.now().with_timezone(&zone).date_naive();
    let first = today.with_day(1).and_then(|d| d.checked_add_months(chrono::Months::new(1))).expect("a date");
    let at = |day: chrono::NaiveDate| {
        zone.from_local_datetime(&day.and_hms_opt(0, 30, 5).expect("a time")).single().expect("an instant").to_utc()
    };
    let ran = server::rules::run_due_schedules(&env.state, at(first)).await.expect("runs");
    let snapshot = ran.iter().find(|r| r.rule == "month_end_snapshot").expect("the snapshot ran");
    assert_eq!((snapshot.matched, snapshot.fired), (6, 6), "{ran:?}");
    let month = (first - chrono::Months::new(1)).to_string();
    let kept: Vec<Value> = records(&env, "customer_month").await.into_iter().filter(|s| s["month"] == month).collect();
    assert_eq!(kept.len(), 6, "one for each customer, for the month just ended");
    for snapshot in &kept {
        let customer = id_of(&snapshot["customer"]);
        let churned = snapshot["churned"].as_bool().expect("a flag");
        assert_eq!(churned, customer == li_id, "only 李伟 churned: {snapshot}");
        if customer == li_id {
            let expected = (Some("5350000.00"), Some("hnw"), Some("hnw"));
            let got = (snapshot["aum"].as_str(), snapshot["tier"].as_str(), snapshot["previous_tier"].as_str());
            assert_eq!(got, expected, "{snapshot}");
        }
    }
    let next = server::rules::run_due_schedules(&env.state, at(first + chrono::Duration::days(1))).await.expect("runs");
    let again = next.iter().find(|r| r.rule == "month_end_snapshot").map_or(0, |r| r.fired);
    assert_eq!(again, 0, "a month is kept once");
    env.finish().await;
}
