//! Saved views: each user's own, checked as the list they stand for would be.

use serde_json::json;

use crate::support::{Backend, both_backends, start};

both_backends!(a_user_keeps_views_of_their_own_checked_as_their_lists);

const PASSWORD: &str = "a long enough secret";

async fn a_user_keeps_views_of_their_own_checked_as_their_lists(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let user = |name: &str| json!({ "username": name, "password": PASSWORD, "org_unit": "sh001", "app_roles": { "bank_crm": ["relationship_manager"] } });
    let directory = json!({ "org_units": [{ "key": "sh001", "name": "上海陆家嘴支行" }], "users": [user("zhang.min"), user("wang.lei")] });
    assert_eq!(env.post("/api/v1/directory/import", &directory).await.status, 200);
    let mut tokens = std::collections::BTreeMap::new();
    for name in ["zhang.min", "wang.lei"] {
        let (token, _) =
            server::auth::login(&env.state.db.conn, name, PASSWORD, server::auth::wall_now()).await.expect("in");
        tokens.insert(name, format!("Bearer {token}"));
    }
    let call = |who: &str, method: &'static str, uri: String, body: Option<serde_json::Value>| {
        let auth = tokens[who].clone();
        let env = &env;
        async move { env.send(method, &uri, body.map(|b| b.to_string()).as_deref(), &[("authorization", &auth)]).await }
    };
    let views = "/api/v1/apps/bank_crm/forms/customer/views".to_owned();
    let view = json!({ "name": " 高净值 · 资产降序 ", "where": "tier == 'hnw'", "sort": "-aum", "columns": ["name", "tier", "aum"] });
    let saved = call("zhang.min", "POST", views.clone(), Some(view)).await;
    assert_eq!(saved.status, 201, "{}", saved.body);
    assert_eq!(saved.body["name"], "高净值 · 资产降序");
    assert_eq!(saved.body["columns"], json!(["name", "tier", "aum"]));
    let id = saved.body["id"].as_i64().expect("id");
    let one = format!("{views}/{id}");

    // Refused as her list would refuse it, each at its place.
    let bad = call("zhang.min", "POST", views.clone(), Some(json!({ "name": "x", "where": "tier == " }))).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body["errors"][0]["span"].is_array(), "{}", bad.body);
    let masked =
        call("zhang.min", "POST", views.clone(), Some(json!({ "name": "x", "where": "id_number == '1'" }))).await;
    assert_eq!((masked.status, masked.body["code"].as_str()), (403, Some("not_readable")), "{}", masked.body);
    for (body, path) in [
        (json!({ "name": "x", "columns": ["nope"] }), "/fields"),
        (json!({ "name": "", "sort": "aum" }), "/name"),
        (json!({ "name": "x".repeat(101) }), "/name"),
    ] {
        let refused = call("zhang.min", "POST", views.clone(), Some(body)).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.error_paths().iter().any(|p| p.starts_with(path)), "{:?}", refused.error_paths());
    }
    let unknown = call("zhang.min", "POST", views.clone(), Some(json!({ "name": "x", "colour": "red" }))).await;
    assert_eq!(unknown.status, 400);

    // Hers alone: another RM neither sees nor changes it.
    assert_eq!(call("wang.lei", "GET", views.clone(), None).await.body["items"], json!([]));
    assert_eq!(call("wang.lei", "PUT", one.clone(), Some(json!({ "name": "mine" }))).await.status, 404);
    assert_eq!(call("wang.lei", "DELETE", one.clone(), None).await.status, 404);
    let renamed = call("zhang.min", "PUT", one.clone(), Some(json!({ "name": "全部", "sort": "name" }))).await;
    assert_eq!((renamed.status, renamed.body["sort"].as_str()), (200, Some("name")), "{}", renamed.body);
    assert_eq!(renamed.body["where"], serde_json::Value::Null, "a replaced view keeps nothing of the old");
    let listed = call("zhang.min", "GET", views.clone(), None).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(call("zhang.min", "DELETE", one.clone(), None).await.status, 204);
    assert_eq!(call("zhang.min", "GET", views.clone(), None).await.body["items"], json!([]));

    // At most MAX_VIEWS of one form, however many are saved at once: 95 kept, then 20 in
    // parallel, of which 5 are saved and 15 refused.
    for i in 0..95 {
        let saved = call("zhang.min", "POST", views.clone(), Some(json!({ "name": format!("v{i}") }))).await;
        assert_eq!(saved.status, 201, "{}", saved.body);
    }
    let racing = (0..20).map(|i| call("zhang.min", "POST", views.clone(), Some(json!({ "name": format!("p{i}") }))));
    let statuses: Vec<u16> = futures_util::future::join_all(racing).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 15, "{statuses:?}");
    let listed = call("zhang.min", "GET", views.clone(), None).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(server::views::MAX_VIEWS));
    env.finish().await;
}
