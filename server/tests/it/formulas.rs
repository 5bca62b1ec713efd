//! Formula fields through the API: computed on every read, never written.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, labels, start};

both_backends!(
    formulas_are_computed_on_every_read,
    where_conditions_run_in_the_database,
    formulas_aggregate_sub_table_rows,
    business_days_follow_the_apps_calendar,
    formulas_read_decision_tables,
    dates_past_the_year_9999_differed_by_backend
);

async fn formulas_read_decision_tables(backend: Backend) {
    let env = start(backend).await;
    let field = |key: &str, kind: &str| json!({ "key": key, "type": kind, "label": labels(key), "scale": 2 });
    let bundle = json!({ "key": "tiers", "name": labels("Tiers"), "forms": [{ "key": "client", "label": labels("Client"), "fields": [
        field("aum", "decimal"),
        { "key": "tier", "type": "formula", "label": labels("Tier"), "expression": "coalesce(tiering.tier, 'none')", "result_type": "text" },
        { "key": "fee", "type": "formula", "label": labels("Fee"), "expression": "aum * tiering.rate", "result_type": "decimal" },
    ]}], "decisions": [{ "key": "tiering", "form": "client", "hit_policy": "first",
        "inputs": [{ "key": "aum", "expression": "aum" }],
        "outputs": [{ "key": "tier" }, { "key": "rate" }],
        "rules": [
            { "id": "hnw", "when": ["> 5000000"], "then": ["'hnw'", "0.001"] },
            { "id": "affluent", "when": ["[1000000..5000000]"], "then": ["'affluent'", "0.002"] },
            { "id": "mass", "when": ["< 1000000"], "then": ["'mass'", "0.003"] }
        ] }] });
    let saved = env.post("/api/v1/apps", &bundle).await;
    assert_eq!(saved.status, 201, "{}", saved.body);
    assert_eq!(env.post("/api/v1/apps/tiers/publish", &json!({})).await.status, 200);
    let records = "/api/v1/apps/tiers/forms/client/records";
    for aum in ["6000000.00", "1000000.00", "999999.99"] {
        assert_eq!(env.post(records, &json!({ "aum": aum })).await.status, 201);
    }
    let empty = env.post(records, &json!({})).await;
    assert_eq!((empty.body["tier"].as_str(), &empty.body["fee"]), (Some("none"), &serde_json::Value::Null));
    let listed = env.get(&format!("{records}?fields=tier,fee&sort=-fee")).await;
    let got: Vec<(String, serde_json::Value)> = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| (r["tier"].as_str().unwrap_or("").to_owned(), r["fee"].clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("hnw".to_owned(), json!("6000")),
            ("mass".to_owned(), json!("2999.99997")),
            ("affluent".to_owned(), json!("2000")),
            ("none".to_owned(), serde_json::Value::Null)
        ],
        "computed on read and sorted by the database alike"
    );
    let condition: String = "tier == 'mass'".bytes().map(|b| format!("%{b:02X}")).collect();
    let found = env.get(&format!("{records}?where={condition}&fields=aum")).await;
    assert_eq!(found.body["items"][0]["aum"], "999999.99");
    env.finish().await;
}

async fn business_days_follow_the_apps_calendar(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let evaluate = "/api/v1/apps/bank_crm/forms/customer/evaluate";
    // The bank's calendar: the National Day week off, Saturday 10 October worked.
    let answer = env
        .post(evaluate, &json!({ "expression": "add_business_days(date('2026-09-30'), 1, 'cn_bank')", "limit": 1 }))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["items"][0]["value"], "2026-10-08");
    let filtered = env
        .post(
            evaluate,
            &json!({ "expression": "opened_on < add_business_days(date('2026-10-09'), 1, 'cn_bank')", "limit": 1 }),
        )
        .await;
    assert_eq!(filtered.status, 200, "parts without fields are computed before the query: {}", filtered.body);
    let per_record = env.post(evaluate, &json!({ "expression": "is_business_day(opened_on, 'cn_bank')" })).await;
    assert_eq!((per_record.status, per_record.body["errors"][0]["code"].as_str()), (422, Some("not_in_database")));
    let unknown = env.post(evaluate, &json!({ "expression": "is_business_day(opened_on, 'hk_bank')" })).await;
    assert_eq!((unknown.status, unknown.body["errors"][0]["code"].as_str()), (422, Some("unknown_calendar")));

    // A formula naming a calendar the app lacks is refused at save.
    let field = |key: &str, kind: &str| json!({ "key": key, "type": kind, "label": labels(key) });
    let bundle = json!({ "key": "loans", "name": labels("Loans"), "forms": [{ "key": "loan", "label": labels("Loan"), "fields": [
        field("start", "date"),
        { "key": "due", "type": "formula", "label": labels("Due"), "expression": "add_business_days(start, 10, 'cn')", "result_type": "date" },
    ]}], "calendars": [{ "key": "cn_bank", "holidays": ["2026-10-01"] }] });
    let refused = env.post("/api/v1/apps", &bundle).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("no calendar `cn`")),
        "{}",
        refused.body
    );
    let mut fixed = bundle.clone();
    fixed["forms"][0]["fields"][1]["expression"] = json!("add_business_days(start, 1, 'cn_bank')");
    assert_eq!(env.post("/api/v1/apps", &fixed).await.status, 201);
    assert_eq!(env.post("/api/v1/apps/loans/publish", &json!({})).await.status, 200);
    let loan = env.post("/api/v1/apps/loans/forms/loan/records", &json!({ "start": "2026-09-30" })).await;
    assert_eq!(loan.body["due"], "2026-10-02", "1 October is a holiday in this calendar, the weekend is not worked");
    env.finish().await;
}

async fn formulas_aggregate_sub_table_rows(backend: Backend) {
    let env = start(backend).await;
    let field = |key: &str, kind: &str| json!({ "key": key, "type": kind, "label": labels(key), "scale": 2 });
    let formula = |key: &str, expression: &str, result: &str| json!({ "key": key, "type": "formula", "label": labels(key), "expression": expression, "result_type": result });
    let bundle = json!({ "key": "orders", "name": labels("Orders"), "forms": [{ "key": "order", "label": labels("Order"), "fields": [
        field("discount", "decimal"),
        { "key": "lines", "type": "sub_table", "label": labels("Lines"), "fields": [
            field("price", "decimal"),
            { "key": "quantity", "type": "integer", "label": labels("quantity") },
            { "key": "kind", "type": "text", "label": labels("kind") },
        ]},
        formula("total", "sum(lines, price * quantity) - coalesce(discount, 0)", "decimal"),
        formula("services", "count(lines, kind == 'service')", "integer"),
        formula("dearest", "max(lines, price)", "decimal"),
    ]}]});
    let saved = env.post("/api/v1/apps", &bundle).await;
    assert_eq!(saved.status, 201, "{}", saved.body);
    let published = env.post("/api/v1/apps/orders/publish", &json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);
    let records = "/api/v1/apps/orders/forms/order/records";
    let lines = json!([
        { "price": "0.10", "quantity": 3, "kind": "good" },
        { "price": "19.99", "quantity": 2, "kind": "service" },
        { "price": "5.00", "kind": "service" },
    ]);
    let created = env.post(records, &json!({ "discount": "0.30", "lines": lines })).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!((created.body["total"].as_str(), created.body["services"].as_i64()), (Some("39.98"), Some(2)));
    assert_eq!(created.body["dearest"], "19.99");
    let empty = env.post(records, &json!({})).await;
    assert_eq!((empty.body["total"].as_str(), empty.body["services"].as_i64()), (Some("0"), Some(0)));
    assert_eq!(empty.body["dearest"], serde_json::Value::Null, "the greatest of no rows is null");

    // Asked for alone, the formula still sees the rows, which are not returned.
    let listed = env.get(&format!("{records}?fields=total")).await;
    let totals: Vec<&serde_json::Value> =
        listed.body["items"].as_array().expect("items").iter().map(|r| &r["total"]).collect();
    assert_eq!(totals, [&json!("39.98"), &json!("0")]);
    assert_eq!(listed.body["items"][0].get("lines"), None);
    // The database computes the same aggregates in a filter.
    let condition: String =
        "total > 39.97 and services == 2 and sum(lines, quantity) == 5".bytes().map(|b| format!("%{b:02X}")).collect();
    let found = env.get(&format!("{records}?where={condition}&fields=total")).await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["items"].as_array().map(Vec::len), Some(1));
    env.finish().await;
}

async fn formulas_are_computed_on_every_read(backend: Backend) {
    let env = start(backend).await;
    let field = |key: &str, kind: &str| json!({ "key": key, "type": kind, "label": labels(key), "scale": 2 });
    let bundle = json!({ "key": "risk", "name": labels("Risk"), "forms": [{ "key": "day", "label": labels("Day"), "fields": [
        field("aum", "decimal"),
        field("outflow", "decimal"),
        { "key": "ratio", "type": "formula", "label": labels("Ratio"), "expression": "round(outflow / aum, 4)", "result_type": "decimal" },
        { "key": "alert", "type": "formula", "label": labels("Alert"), "expression": "outflow > aum * 0.3", "result_type": "boolean" },
    ]}]});
    assert_eq!(env.post("/api/v1/apps", &bundle).await.status, 201);
    let published = env.post("/api/v1/apps/risk/publish", &json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);
    let records = "/api/v1/apps/risk/forms/day/records";
    let created = env.post(records, &json!({ "aum": "12800000.00", "outflow": "4200000.00" })).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!((created.body["ratio"].as_str(), created.body["alert"].as_bool()), (Some("0.3281"), Some(true)));
    let keys: Vec<&String> = created.body.as_object().expect("record").keys().collect();
    assert_eq!(
        keys,
        ["id", "_version", "_created_at", "_updated_at", "aum", "outflow", "ratio", "alert"],
        "formulas keep their place"
    );

    let uri = format!("{records}/{}", created.body["id"]);
    let updated = env.patch(&uri, 1, &json!({ "outflow": "1.00" })).await;
    assert_eq!((updated.body["ratio"].as_str(), updated.body["alert"].as_bool()), (Some("0"), Some(false)));
    let listed = env.get(&format!("{records}?fields=alert")).await;
    assert_eq!(listed.body["items"][0].get("aum"), None, "inputs are read but not returned");
    assert_eq!(listed.body["items"][0]["alert"], false);

    let written = env.patch(&uri, 2, &json!({ "ratio": "1" })).await;
    assert_eq!(written.error_paths(), vec!["/ratio read_only"]);
    let empty = env.post(records, &json!({ "aum": "0.00", "outflow": "5.00" })).await;
    assert_eq!(empty.body["ratio"], serde_json::Value::Null, "division by zero gives no value");

    // Sorted on the formula by the database, page by page through the cursor; the
    // record without a value comes last.
    for (aum, outflow) in [("100.00", "50.00"), ("300.00", "100.00"), ("100.00", "33.33"), ("80.00", "40.00")] {
        assert_eq!(env.post(records, &json!({ "aum": aum, "outflow": outflow })).await.status, 201);
    }
    let mut seen = Vec::new();
    let mut uri = format!("{records}?sort=-ratio&fields=ratio&limit=2");
    loop {
        let page = env.get(&uri).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(page.body["items"].as_array().expect("items").iter().map(|r| r["ratio"].clone()));
        let Some(next) = page.body["next"].as_str() else { break };
        uri = format!("{records}?sort=-ratio&fields=ratio&limit=2&after={next}");
    }
    assert_eq!(
        seen,
        [json!("0.5"), json!("0.5"), json!("0.3333"), json!("0.3333"), json!("0"), serde_json::Value::Null],
        "ties broken by id, nulls last"
    );
    let openapi = env.get("/api/v1/apps/risk/openapi.json").await;
    assert_eq!(openapi.body["components"]["schemas"]["Day"]["properties"]["alert"]["anyOf"][0]["type"], "boolean");
    env.finish().await;
}

async fn where_conditions_run_in_the_database(backend: Backend) {
    let env = start(backend).await;
    let money = |key: &str| json!({ "key": key, "type": "decimal", "label": labels(key), "precision": 18, "scale": 2 });
    let bundle = json!({ "key": "risk", "name": labels("Risk"), "forms": [{ "key": "day", "label": labels("Day"), "fields": [
        money("aum"), money("outflow"),
        { "key": "tier", "type": "text", "label": labels("Tier") },
        { "key": "alert", "type": "formula", "label": labels("Alert"), "expression": "outflow > aum * 0.3", "result_type": "boolean" },
    ]}]});
    assert_eq!(env.post("/api/v1/apps", &bundle).await.status, 201);
    assert_eq!(env.post("/api/v1/apps/risk/publish", &json!({})).await.status, 200);
    let records = "/api/v1/apps/risk/forms/day/records";
    for (aum, outflow, tier) in [("100.00", "31.00", "hnw"), ("100.00", "30.00", "hnw"), ("100.00", "90.00", "mass")] {
        let created = env.post(records, &json!({ "aum": aum, "outflow": outflow, "tier": tier })).await;
        assert_eq!(created.status, 201, "{}", created.body);
    }
    let ids = |body: &serde_json::Value| -> Vec<i64> {
        body["items"].as_array().expect("items").iter().filter_map(|r| r["id"].as_i64()).collect()
    };
    let query = |condition: &str| format!("{records}?count=true&where={}", urlencode(condition));
    let hnw_alerts = env.get(&query("alert and tier in ['hnw', 'affluent']")).await;
    assert_eq!(hnw_alerts.status, 200, "{}", hnw_alerts.body);
    assert_eq!((ids(&hnw_alerts.body), hnw_alerts.body["total"].as_i64()), (vec![1], Some(1)));
    // 30 is not more than 30% of 100: exact, where a float would say 30.000000000000004.
    assert_eq!(ids(&env.get(&query("outflow / aum > 0.3")).await.body), vec![1, 3]);
    assert_eq!(ids(&env.get(&query("outflow == aum * 0.3")).await.body), vec![2]);

    let wrong = env.get(&query("outflow > aum * 0.3 and tierr == 'hnw'")).await;
    assert_eq!((wrong.status, wrong.body["code"].as_str()), (422, Some("invalid_expression")));
    assert_eq!(wrong.body["errors"][0]["span"], json!([24, 29]), "the designer underlines `tierr`");
    let not_a_condition = env.get(&query("aum * 2")).await;
    assert_eq!(not_a_condition.status, 422);
    let zoneless = env.get(&query("today() > date('2026-01-01')")).await;
    assert_eq!(zoneless.body["errors"][0]["code"], "type_mismatch", "{}", zoneless.body);

    // 9,000,000,000,000,000.00 has 18 digits: SQLite holds it, but not a thousand times it.
    let big = env.post(records, &json!({ "aum": "9000000000000000.00", "outflow": "0.00", "tier": "hnw" })).await;
    assert_eq!(big.status, 201, "{}", big.body);
    let huge = env.get(&query("aum * 1000 > 0")).await;
    match backend {
        Backend::Sqlite => assert_eq!((huge.status, huge.body["code"].as_str()), (422, Some("overflow"))),
        Backend::Postgres => assert_eq!(ids(&huge.body), vec![1, 2, 3, 4]),
    }
    env.finish().await;
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `add_days` past 9999-12-31 was null on SQLite and `+10000-01-01` on PostgreSQL, and
/// negative years came back: one range of dates (0001 to 9999), one answer, null past it,
/// in the database and in the evaluator alike.
async fn dates_past_the_year_9999_differed_by_backend(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let evaluate = "/api/v1/apps/bank_crm/forms/customer/evaluate";
    let first = env.get("/api/v1/apps/bank_crm/forms/customer/records?sort=id&limit=1").await.body["items"][0].clone();
    let opened: chrono::NaiveDate = first["opened_on"].as_str().and_then(|d| d.parse().ok()).expect("a date");
    let next_day = (opened + chrono::Duration::days(1)).to_string();
    let cases = [
        ("add_days(opened_on, 3000000)", Value::Null),
        ("add_days(opened_on, -800000)", Value::Null),
        ("add_days(opened_on, 9000000000)", Value::Null),
        ("add_months(opened_on, 100000)", Value::Null),
        ("add_months(opened_on, -30000)", Value::Null),
        ("add_days(opened_on, 1)", json!(next_day)),
    ];
    for (expression, want) in cases {
        let got = env.post(evaluate, &json!({ "expression": expression, "limit": 1 })).await;
        assert_eq!(got.status, 200, "{expression}: {}", got.body);
        assert_eq!(got.body["items"][0]["value"], want, "{expression} in the database");
    }
    // The evaluator gives the same: a rule tested on given values.
    for (expression, want) in
        [("add_days(date('9999-12-31'), 1)", Value::Null), ("add_months(date('0001-01-31'), -1)", Value::Null)]
    {
        let got = env.post(evaluate, &json!({ "expression": expression, "limit": 1 })).await;
        assert_eq!(got.body["items"][0]["value"], want, "{expression} in the evaluator");
    }
    env.finish().await;
}
