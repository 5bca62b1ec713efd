//! Record pages (a customer 360): laid out in metadata, checked when published, assembled
//! for each reader within their roles: figures over what they may read, sections of the
//! forms they may read only, every section with its full count.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, labels, start};

both_backends!(
    a_customer_360_shows_a_reader_what_their_roles_allow,
    bad_pages_are_metadata_errors,
    one_overflowing_figure_failed_the_whole_page
);

const PASSWORD: &str = "a long enough secret";

fn keys(page: &Value) -> Vec<&str> {
    page["sections"].as_array().into_iter().flatten().filter_map(|s| s["key"].as_str()).collect()
}

async fn a_customer_360_shows_a_reader_what_their_roles_allow(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let user = json!({ "username": "zhang.min", "password": PASSWORD, "org_unit": "sh001", "app_roles": { "bank_crm": ["relationship_manager"] } });
    let directory = json!({ "org_units": [{ "key": "sh001", "name": "上海陆家嘴支行" }], "users": [user] });
    assert_eq!(env.post("/api/v1/directory/import", &directory).await.status, 200);
    let (token, _) =
        server::auth::login(&env.state.db.conn, "zhang.min", PASSWORD, server::auth::wall_now()).await.expect("in");
    let rm = format!("Bearer {token}");
    let as_rm = |uri: String| {
        let rm = rm.clone();
        let env = &env;
        async move { env.send("GET", &uri, None, &[("authorization", &rm)]).await }
    };
    let page = |id: i64| format!("/api/v1/apps/bank_crm/pages/customer_360/records/{id}");

    // 李伟 (customer 1) is hers: his figures, his holdings and deposits, no loans section.
    let hers = as_rm(page(1)).await;
    assert_eq!(hers.status, 200, "{}", hers.body);
    assert_eq!(hers.body["record"]["name"], "李伟");
    let figure = |body: &Value, key: &str| {
        body["summary"].as_array().expect("summary").iter().find(|f| f["key"] == key).cloned().expect(key)
    };
    assert_eq!(figure(&hers.body, "aum")["value"], "12800000.00");
    assert_eq!(figure(&hers.body, "holdings")["value"], "3000000.00");
    let loans = figure(&hers.body, "loans");
    assert_eq!((loans["readable"].clone(), loans["value"].clone()), (json!(false), Value::Null), "she reads no loans");
    assert!(!keys(&hers.body).contains(&"loans"), "nor their section: {:?}", keys(&hers.body));
    let section = |body: &Value, key: &str| {
        body["sections"].as_array().expect("sections").iter().find(|s| s["key"] == key).cloned().expect(key)
    };
    let holdings = section(&hers.body, "holdings");
    assert_eq!(holdings["total"], holdings["items"].as_array().map_or(0, Vec::len));
    assert_eq!(holdings["items"][0]["_lookup"]["product"]["name"], "稳享一年期固收");
    let tasks = section(&hers.body, "tasks");
    assert!(tasks["items"].as_array().is_some_and(|t| t.iter().all(|t| t["status"] == "open")), "{tasks}");
    // The processes of his holdings too (the wealth SOP), each by its flow's name.
    let processes = section(&hers.body, "processes");
    let items = processes["items"].as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty(), "the holdings' SOPs: {processes}");
    assert!(items.iter().all(|p| p["label"]["zh-CN"] == "新理财客户跟进"), "{processes}");

    // Another RM's customer is not there for her; the administrator sees loans too.
    let others = env
        .get("/api/v1/apps/bank_crm/forms/customer/records?filter=relationship_manager:eq:2&fields=name&limit=1")
        .await;
    let other = others.body["items"][0]["id"].as_i64().expect("a customer of wang.lei");
    assert_eq!(as_rm(page(other)).await.status, 404);
    let admin = env.get(&page(1)).await;
    assert!(keys(&admin.body).contains(&"loans"), "{:?}", keys(&admin.body));
    assert_eq!(figure(&admin.body, "loans")["readable"], true);
    assert_eq!(env.get("/api/v1/apps/bank_crm/pages/nope/records/1").await.status, 404);
    let workspace = as_rm("/api/v1/workspace".into()).await;
    let customer = workspace.body["apps"][0]["forms"]
        .as_array()
        .expect("forms")
        .iter()
        .find(|f| f["key"] == "customer")
        .cloned()
        .expect("customer");
    assert_eq!(customer["page"], "customer_360", "the workspace says which page a form has");
    env.finish().await;
}

async fn bad_pages_are_metadata_errors(backend: Backend) {
    let env = start(backend).await;
    let field = |key: &str, kind: &str| json!({ "key": key, "type": kind, "label": labels(key) });
    let child = json!({ "key": "child", "label": labels("Child"), "fields": [
        { "key": "parent", "type": "relation", "label": labels("parent"), "form": "parent" }, { "key": "amount", "type": "decimal", "label": labels("amount"), "scale": 2 } ]});
    let bundle = json!({ "key": "bad", "name": labels("Bad"), "forms": [
        { "key": "parent", "label": labels("Parent"), "fields": [field("name", "text")] }, child ],
        "pages": [{ "key": "p", "form": "parent", "label": labels("P"),
            "summary": [{ "key": "s", "label": labels("s"), "expression": "sum(child, nope)" }],
            "sections": [
                { "key": "a", "label": labels("a"), "form": "child", "columns": ["amount", "nope"], "sort": "-nope", "limit": 100 },
                { "key": "b", "label": labels("b"), "form": "ghost", "columns": ["x"] },
                { "key": "c", "label": labels("c"), "kind": "tasks" }
            ] },
            { "key": "q", "form": "ghost", "label": labels("Q") }] });
    let refused = env.post("/api/v1/apps", &bundle).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let mut got = refused.error_paths();
    got.sort();
    assert_eq!(
        got,
        [
            "/pages/0/sections/0/columns/1 unknown_field",
            "/pages/0/sections/0/sort bad_sort",
            "/pages/0/sections/1/form unknown_form",
            "/pages/0/summary/0/expression unknown_field",
            "/pages/1/form unknown_form",
        ]
    );
    env.finish().await;
}

/// On SQLite one figure past what the database computes exactly (ten holdings of
/// 9,999,999,999,999,999.99) failed the whole 360 page with 422 `overflow`: the figure
/// says so in its own card and the page is shown.
async fn one_overflowing_figure_failed_the_whole_page(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.without_seeded_processes().await;
    let customer =
        env.get("/api/v1/apps/bank_crm/forms/customer/records?sort=id&limit=1").await.body["items"][0].clone();
    let product = env.get("/api/v1/apps/bank_crm/forms/product/records?limit=1").await.body["items"][0]["id"].clone();
    // Without the rule that keeps the AUM, which would refuse an AUM past its range.
    assert_eq!(env.delete("/api/v1/apps/bank_crm/drafts/rules/aum_from_holdings").await.status, 204);
    assert_eq!(env.post("/api/v1/apps/bank_crm/publish", &json!({})).await.status, 200);
    for _ in 0..10 {
        let holding = json!({ "customer": customer["id"], "product": product, "amount": "9999999999999999.99",
            "start_date": "2026-01-01", "maturity_date": "2030-01-01", "status": "holding" });
        let made = env.post("/api/v1/apps/bank_crm/forms/wealth_holding/records", &holding).await;
        assert_eq!(made.status, 201, "{}", made.body);
    }
    let page = env.get(&format!("/api/v1/apps/bank_crm/pages/customer_360/records/{}", customer["id"])).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let figure = |key: &str| {
        page.body["summary"].as_array().expect("figures").iter().find(|f| f["key"] == key).cloned().expect("a figure")
    };
    assert_eq!(figure("aum")["value"], customer["aum"], "the other figures are there");
    let holdings = figure("holdings");
    match backend {
        Backend::Sqlite => {
            assert_eq!((&holdings["value"], holdings["error"].as_str()), (&Value::Null, Some("overflow")))
        }
        // Exact in NUMERIC: the seed's holding and the ten, to the cent.
        Backend::Postgres => assert_eq!(holdings["value"], "100000000002999999.90", "{holdings}"),
    }
    assert!(keys(&page.body).contains(&"holdings"), "its sections too: {:?}", keys(&page.body));
    env.finish().await;
}
