//! Apps and metadata: import, diagnostics, drafts of every kind, publish, OpenAPI documents.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, labels, start};

both_backends!(
    import_publish_and_read,
    invalid_bundle_returns_every_diagnostic,
    drafts_follow_one_pattern,
    openapi_documents,
    bad_requests_are_problems
);

fn small_bundle() -> Value {
    json!({
        "key": "shop", "name": labels("Shop"),
        "forms": [{ "key": "item", "label": labels("Item"), "fields": [
            { "key": "name", "type": "text", "label": labels("Name"), "required": true },
            { "key": "price", "type": "decimal", "scale": 2, "label": labels("Price") }
        ]}]
    })
}

async fn import_publish_and_read(backend: Backend) {
    let env = start(backend).await;
    let created = env.post("/api/v1/apps", &small_bundle()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["published_version"], 0);
    assert_eq!(env.post("/api/v1/apps", &small_bundle()).await.status, 409, "same key twice");
    assert_eq!(env.get("/api/v1/apps/shop/forms/item/records").await.status, 404, "no records before publishing");
    let published = env.post("/api/v1/apps/shop/publish", &json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);
    assert_eq!(published.body["version"], 1);
    let app = env.get("/api/v1/apps/shop").await;
    assert_eq!(app.body["published_version"], 1);
    assert_eq!(app.body["drafts"]["forms"], json!(["item"]));
    assert_eq!(env.get("/api/v1/apps").await.body["items"][0]["key"], "shop");
    let exported = env.get("/api/v1/apps/shop/bundle").await;
    assert_eq!(exported.body, small_bundle(), "export gives back what was imported");
    env.finish().await;
}

async fn invalid_bundle_returns_every_diagnostic(backend: Backend) {
    let env = start(backend).await;
    let mut bundle = small_bundle();
    bundle["forms"][0]["fields"][1]["scale"] = json!(null);
    bundle["forms"][0]["fields"]
        .as_array_mut()
        .expect("fields")
        .push(json!({ "key": "link", "type": "relation", "form": "nowhere", "label": labels("L") }));
    bundle["forms"][0]["fields"]
        .as_array_mut()
        .expect("fields")
        .push(json!({ "key": "name", "type": "text", "label": labels("dup") }));
    let r = env.post("/api/v1/apps", &bundle).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.header("content-type").as_deref(), Some("application/problem+json"));
    assert_eq!(r.body["code"], "invalid_metadata");
    let mut paths = r.error_paths();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "/forms/0/fields/1/scale schema",
            "/forms/0/fields/2/form unknown_form",
            "/forms/0/fields/3/key duplicate_key"
        ]
    );
    assert_eq!(env.get("/api/v1/apps/shop").await.status, 404, "nothing was stored");

    // Roles: every problem, each at its path.
    let mut bundle = small_bundle();
    let role = |key: &str, forms: Value, events: Value| json!({ "key": key, "forms": forms, "events": events });
    bundle["roles"] = json!([
        role(
            "clerk",
            json!({ "item": { "operations": ["read", "approve"], "rows": "price +", "fields": { "cost": "visible", "name": "blurred" } },
            "ghost": { "operations": ["read"] } }),
            json!(["nothing_happened"])
        ),
        role("clerk", json!({ "item": { "rows": "name" } }), json!([]))
    ]);
    let r = env.post("/api/v1/apps", &bundle).await;
    let mut paths = r.error_paths();
    paths.sort();
    paths.dedup();
    assert_eq!(
        paths,
        vec![
            "/roles/0/events/0 unknown_event",
            "/roles/0/forms/ghost unknown_form",
            "/roles/0/forms/item/fields/cost unknown_field",
            "/roles/0/forms/item/fields/name bad_mode",
            "/roles/0/forms/item/operations/1 bad_operation",
            "/roles/0/forms/item/rows syntax",
            "/roles/1/forms/item/rows type_mismatch",
            "/roles/1/key duplicate",
        ]
    );
    env.finish().await;
}

async fn drafts_follow_one_pattern(backend: Backend) {
    let env = start(backend).await;
    env.post("/api/v1/apps", &small_bundle()).await;
    let draft = json!({ "label": labels("Order"), "fields": [{ "key": "item", "type": "relation", "form": "item", "label": labels("Item") }, { "key": "qty", "type": "integr", "label": labels("Qty") }] });
    let saved = env.put("/api/v1/apps/shop/drafts/forms/order", &draft).await;
    assert_eq!(saved.status, 200, "an incomplete draft is saved");
    assert_eq!(saved.body["diagnostics"][0]["path"], "/fields/1/type", "paths are relative to the document");
    assert_eq!(
        env.post("/api/v1/apps/shop/publish", &json!({})).await.status,
        422,
        "publish refuses while drafts are invalid"
    );
    let mut fixed = draft.clone();
    fixed["fields"][1]["type"] = json!("integer");
    assert_eq!(env.put("/api/v1/apps/shop/drafts/forms/order", &fixed).await.body["diagnostics"], json!([]));
    let listed = env.get("/api/v1/apps/shop/drafts/forms").await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        env.get("/api/v1/apps/shop/drafts/forms/order").await.body["key"],
        "order",
        "the key is taken from the path"
    );
    let mismatch = env
        .put("/api/v1/apps/shop/drafts/forms/order", &json!({ "key": "other", "label": labels("x"), "fields": [] }))
        .await;
    assert_eq!((mismatch.status, mismatch.error_paths()), (422, vec!["/key key_mismatch".to_owned()]));
    assert_eq!(env.get("/api/v1/apps/shop/dashboards").await.status, 404, "kinds that do not exist yet");
    assert_eq!(env.get("/api/v1/apps/shop/drafts/reports").await.status, 200, "reports are drafts like the rest");
    // Flows are drafts like the rest, checked by the process engine: a timer that leads nowhere.
    let flow = json!({ "nodes": [{ "id": "start", "type": "start" }, { "id": "wait", "type": "timer", "after": { "days": 1 } }],
        "flows": [{ "from": "start", "to": "wait" }] });
    let saved = env.put("/api/v1/apps/shop/drafts/flows/follow_up", &flow).await;
    let found: Vec<(String, String)> = saved.body["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| (d["path"].as_str().unwrap_or("").to_owned(), d["code"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert!(found.contains(&("/nodes/1".to_owned(), "no_way_to_end".to_owned())), "{}", saved.body);
    assert_eq!(env.send("DELETE", "/api/v1/apps/shop/drafts/flows/follow_up", None, &[]).await.status, 204);
    assert_eq!(env.send("DELETE", "/api/v1/apps/shop/drafts/forms/order", None, &[]).await.status, 204);
    assert_eq!(env.get("/api/v1/apps/shop/drafts/forms/order").await.status, 404);
    env.finish().await;
}

async fn openapi_documents(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let platform = env.get("/api/v1/openapi.json").await;
    assert_eq!(platform.body["openapi"], "3.1.0");
    assert!(platform.body["paths"]["/api/v1/apps/{app}/forms/{form}/records/{id}"]["patch"].is_object());
    // A parameter said to be in the path is one of the path's; query parameters are in the query.
    for (path, item) in platform.body["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("an item") {
            for p in operation["parameters"].as_array().into_iter().flatten() {
                let in_path = p["in"] == "path";
                let named = path.contains(&format!("{{{}}}", p["name"].as_str().unwrap_or_default()));
                assert!(!in_path || named, "{method} {path}: `{}` is no parameter of the path", p["name"]);
            }
        }
    }
    let audit = &platform.body["paths"]["/api/v1/audit"]["get"]["parameters"];
    let limit = audit.as_array().expect("parameters").iter().find(|p| p["name"] == "limit").expect("limit");
    assert_eq!((limit["in"].as_str(), limit["schema"]["maximum"].as_i64()), (Some("query"), Some(1000)));
    let app = env.get("/api/v1/apps/bank_crm/openapi.json").await;
    assert_eq!(app.body["openapi"], "3.1.0");
    let customer = &app.body["components"]["schemas"]["Customer"];
    assert_eq!(customer["properties"]["aum"]["anyOf"][0]["format"], "decimal");
    assert_eq!(customer["properties"]["tier"]["anyOf"][0]["enum"], json!(["hnw", "affluent", "mass", "potential"]));
    assert_eq!(app.body["components"]["schemas"]["CustomerInput"]["required"], json!(["customer_no", "name"]));
    assert!(app.body["paths"]["/api/v1/apps/bank_crm/forms/wealth_holding/records"]["post"].is_object());
    let schema = env.get("/api/v1/schemas/form").await;
    assert_eq!(schema.body["$ref"], "#/$defs/form");
    env.finish().await;
}

async fn bad_requests_are_problems(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let cases: [(&str, &str, Option<&str>, u16, &str); 9] = [
        ("GET", "/api/v1/apps/nope/forms/customer/records", None, 404, "not_found"),
        ("GET", "/api/v1/apps/bank_crm/forms/nope/records", None, 404, "not_found"),
        ("GET", "/api/v1/apps/bank_crm/forms/customer/records/999999", None, 404, "not_found"),
        ("GET", "/api/v1/apps/bank_crm/forms/customer/records/abc", None, 400, "bad_path"),
        ("POST", "/api/v1/apps/bank_crm/forms/customer/records", Some("{\"name\": "), 400, "malformed_json"),
        ("POST", "/api/v1/apps/bank_crm/forms/customer/records", Some("[1]"), 400, "malformed_json"),
        ("GET", "/api/v1/apps/bank_crm/forms/customer/records?limit=0", None, 400, "bad_query"),
        ("GET", "/api/v1/apps/bank_crm/forms/customer/records?limit=ten", None, 400, "bad_query"),
        ("GET", "/api/v1/no/such/route", None, 404, "not_found"),
    ];
    for (method, uri, body, status, code) in cases {
        let r = env.send(method, uri, body, &[]).await;
        assert_eq!((r.status, r.body["code"].as_str()), (status, Some(code)), "{method} {uri}: {}", r.body);
        assert_eq!(r.header("content-type").as_deref(), Some("application/problem+json"), "{method} {uri}");
        assert_eq!(r.body["status"], status);
    }
    env.finish().await;
}
