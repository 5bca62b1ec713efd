//! The work itself reported: process instances, rule firings and outbox messages are
//! datasets, read as their own routes reach them — all of the app's for a designer, for an
//! RM those about records she reads.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::reports::{APP, as_user, people};
use crate::support::{Backend, both_backends, start};

both_backends!(processes_firings_and_messages_are_reported_as_their_routes_reach_them);

/// The first answer's total count, or 0 for none.
fn total(answer: &Value) -> i64 {
    answer["total"][0].as_str().and_then(|t| t.parse().ok()).unwrap_or(0)
}

async fn processes_firings_and_messages_are_reported_as_their_routes_reach_them(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let customers =
        env.get(&format!("{APP}/forms/customer/records?sort=id&limit=100&fields=name,relationship_manager")).await;
    let items = customers.body["items"].as_array().expect("customers").clone();
    let li = items[0]["id"].as_i64().expect("李伟");
    let rm = |c: &Value| c["relationship_manager"].as_i64().or_else(|| c["relationship_manager"]["id"].as_i64());
    let other =
        items.iter().find(|c| rm(c) != rm(&items[0])).expect("another RM's customer")["id"].as_i64().expect("id");
    // A large outflow for each (an alert with an in-app note), a holding bought for 李伟 (a process).
    let today = env.now().to_rfc3339();
    for customer in [li, other] {
        let outflow = json!({ "customer": customer, "occurred_at": today, "direction": "out",
            "amount": "90000000.00", "channel": "mobile" });
        let made = env.post(&format!("{APP}/forms/transaction/records"), &outflow).await;
        assert_eq!(made.status, 201, "{}", made.body);
    }
    let holding = json!({ "customer": li, "product": 1, "amount": "500000.00", "start_date": "2026-12-01",
        "maturity_date": "2027-06-01", "status": "holding" });
    assert_eq!(env.post(&format!("{APP}/forms/wealth_holding/records"), &holding).await.status, 201);

    let raw = |table: &'static str| {
        let conn = &env.state.db.conn;
        async move {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE app = 'bank_crm'");
            let row = conn
                .query_one_raw(sea_orm::Statement::from_string(conn.get_database_backend(), sql))
                .await
                .expect("counted")
                .expect("a row");
            row.try_get_by_index::<i64>(0).expect("count")
        }
    };
    let reports = [
        ("firings_by_rule", "trellis_firings"),
        ("messages_by_channel", "trellis_outbox"),
        ("processes_by_flow", "trellis_flow_instances"),
    ];
    for (report, table) in reports {
        let all = env.get(&format!("{APP}/reports/{report}")).await;
        assert_eq!(all.status, 200, "{}", all.body);
        let stored = raw(table).await;
        assert!(stored > 0, "{table} has rows");
        assert_eq!(total(&all.body), stored, "a designer reads all of {table}: {}", all.body);
    }
    // An RM reads what is about her records: her customer's alert, not the other's.
    let hers = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/firings_by_rule"), None).await;
    assert_eq!(hers.status, 200, "{}", hers.body);
    let outflows = |answer: &Value| -> i64 {
        let rows = answer["rows"].as_array().cloned().unwrap_or_default();
        rows.iter()
            .filter(|r| r["keys"][0] == "large_outflow")
            .filter_map(|r| r["values"][0].as_str().and_then(|v| v.parse::<i64>().ok()))
            .sum()
    };
    let all = env.get(&format!("{APP}/reports/firings_by_rule")).await;
    assert_eq!((outflows(&all.body), outflows(&hers.body)), (2, 1), "{}", hers.body);
    let his = as_user(&env, "wang.lei", "GET", &format!("{APP}/reports/firings_by_rule"), None).await;
    assert_eq!(outflows(&his.body), 1, "{}", his.body);
    for report in ["messages_by_channel", "processes_by_flow"] {
        let all = env.get(&format!("{APP}/reports/{report}")).await;
        let hers = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/{report}"), None).await;
        assert_eq!(hers.status, 200, "{}", hers.body);
        assert!(total(&hers.body) >= 1 && total(&hers.body) <= total(&all.body), "{report}: {}", hers.body);
    }
    // Each RM's processes are those of the holdings he reads.
    for user in ["zhang.min", "wang.lei"] {
        let holdings =
            as_user(&env, user, "GET", &format!("{APP}/forms/wealth_holding/records?limit=1000"), None).await;
        let ids: Vec<String> = holdings.body["items"]
            .as_array()
            .expect("holdings")
            .iter()
            .filter_map(|h| h["id"].as_i64().map(|i| i.to_string()))
            .collect();
        let conn = &env.state.db.conn;
        let sql = format!(
            "SELECT COUNT(*) FROM trellis_flow_instances WHERE app = 'bank_crm' AND subject_form = 'wealth_holding' \
             AND subject_id IN ({})",
            if ids.is_empty() { "0".to_owned() } else { ids.join(",") }
        );
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(conn.get_database_backend(), sql))
            .await
            .expect("counted")
            .expect("a row");
        let theirs = row.try_get_by_index::<i64>(0).expect("count");
        let answer = as_user(&env, user, "GET", &format!("{APP}/reports/processes_by_flow"), None).await;
        assert_eq!(total(&answer.body), theirs, "{user}: {}", answer.body);
    }
    env.finish().await;
}
