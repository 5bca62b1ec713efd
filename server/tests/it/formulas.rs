//! Formula fields through the API: computed on every read, never written.

use serde_json::json;

use crate::support::{Backend, both_backends, labels, start};

both_backends!(formulas_are_computed_on_every_read);

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
    assert_eq!(env.get(&format!("{records}?sort=ratio")).await.status, 400);
    assert_eq!(env.get(&format!("{records}?filter=alert:eq:true")).await.status, 400);
    let empty = env.post(records, &json!({ "aum": "0.00", "outflow": "5.00" })).await;
    assert_eq!(empty.body["ratio"], serde_json::Value::Null, "division by zero gives no value");
    let openapi = env.get("/api/v1/apps/risk/openapi.json").await;
    assert_eq!(openapi.body["components"]["schemas"]["Day"]["properties"]["alert"]["anyOf"][0]["type"], "boolean");
    env.finish().await;
}
