//! Rules as app metadata: drafts checked against the forms, publishing refused while a rule
//! is wrong, and the test endpoint that evaluates a draft rule with no side effect.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(rules_are_metadata_checked_against_the_forms, a_draft_rule_is_tested_without_side_effects);

async fn rules_are_metadata_checked_against_the_forms(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let listed = env.get("/api/v1/apps/bank_crm/rules").await;
    let keys: Vec<&str> =
        listed.body["items"].as_array().expect("items").iter().filter_map(|r| r["key"].as_str()).collect();
    assert_eq!(keys, ["became_hnw", "aum_fell_30_percent"]);

    let wrong = json!({ "key": "vip_drop", "trigger": { "on": "updated", "form": "customer" },
        "condition": "tier == 'hnw' and aum < old.aum * 0.7 and risk_levell == 'low'",
        "actions": [{ "type": "create_task", "title": "name", "assignee": "relationship_manager", "priority": "urgent" }] });
    let saved = env.put("/api/v1/apps/bank_crm/rules/vip_drop", &wrong).await;
    assert_eq!(saved.status, 200, "a draft may be wrong while it is designed");
    let found: Vec<(&str, &str)> = saved.body["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| (d["path"].as_str().unwrap_or(""), d["code"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(found, [("/condition", "unknown_field"), ("/actions/0/priority", "bad_value")], "{}", saved.body);
    assert!(saved.body["diagnostics"][0]["message"].as_str().is_some_and(|m| m.contains("(at 42..53)")));

    let refused = env.post("/api/v1/apps/bank_crm/publish", &json!({})).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.error_paths(), ["/rules/2/condition unknown_field", "/rules/2/actions/0/priority bad_value"]);

    let zoneless = json!({ "key": "vip_drop", "trigger": { "on": "created", "form": "customer" },
        "condition": "birthday == today()" });
    let saved = env.put("/api/v1/apps/bank_crm/rules/vip_drop", &zoneless).await;
    assert_eq!(saved.body["diagnostics"][0]["code"], "type_mismatch", "{}", saved.body);
    assert_eq!(env.delete("/api/v1/apps/bank_crm/rules/vip_drop").await.status, 204);
    assert_eq!(env.post("/api/v1/apps/bank_crm/publish", &json!({})).await.status, 200);
    env.finish().await;
}

async fn a_draft_rule_is_tested_without_side_effects(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let customers =
        env.get("/api/v1/apps/bank_crm/forms/customer/records?where=name%20%3D%3D%20%27%E6%9D%8E%E4%BC%9F%27").await;
    let li = &customers.body["items"][0];
    let (id, rm) = (li["id"].as_i64().expect("id"), li["relationship_manager"].clone());
    assert_eq!(li["aum"], "12800000.00");

    let test = "/api/v1/apps/bank_crm/rules/aum_fell_30_percent/test";
    let now = "2026-11-28T01:30:00+08:00";
    let fell = env.post(test, &json!({ "id": id, "record": { "aum": "8959999.99" }, "now": now })).await;
    assert_eq!(fell.status, 200, "{}", fell.body);
    assert_eq!(fell.body["fired"], true);
    assert_eq!(
        fell.body["read"],
        json!({ "tier": "hnw", "aum": "8959999.99", "old.aum": "12800000.00" }),
        "the explanation shows every value the condition read"
    );
    let task = &fell.body["actions"][0];
    assert_eq!(task["type"], "create_task");
    assert_eq!(task["title"], "资产流失预警：李伟 的 AUM 下降超过 30%");
    assert_eq!((task["assignee"].clone(), task["priority"].as_str()), (rm_id(&rm), Some("high")));
    assert_eq!(task["due_at"], "2026-11-27T19:30:00.000000Z", "due two hours after `now`");

    // Exactly 70% is not a fall of more than 30%.
    let edge = env.post(test, &json!({ "id": id, "record": { "aum": "8960000.00" }, "now": now })).await;
    assert_eq!((edge.body["fired"].as_bool(), edge.body.get("actions")), (Some(false), None));

    let stored = env.get(&format!("/api/v1/apps/bank_crm/forms/customer/records/{id}")).await;
    assert_eq!((stored.body["aum"].as_str(), stored.body["_version"].as_i64()), (Some("12800000.00"), Some(1)));

    let given = env
        .post(
            "/api/v1/apps/bank_crm/rules/became_hnw/test",
            &json!({ "old": { "name": "赵刚", "tier": "affluent", "customer_no": "C9" }, "record": { "tier": "hnw" } }),
        )
        .await;
    assert_eq!(given.body["fired"], true, "{}", given.body);
    assert_eq!(given.body["actions"][1]["message"], "赵刚（C9）已升级为高净值客户");

    let bad = env.post(test, &json!({ "id": id, "record": { "aum": "lots" } })).await;
    assert_eq!(bad.error_paths(), ["/record/aum decimal"]);
    let needs_change = env.post(test, &json!({ "record": { "aum": "1.00" } })).await;
    assert_eq!(needs_change.status, 400);
    assert_eq!(env.post("/api/v1/apps/bank_crm/rules/nope/test", &json!({})).await.status, 404);
    assert_eq!(env.post(test, &json!({ "id": 999_999, "record": {} })).await.status, 404);
    env.finish().await;
}

/// A relation reads as the linked record's id, or as an object carrying it with lookups.
fn rm_id(relation: &Value) -> Value {
    relation.get("id").cloned().unwrap_or_else(|| relation.clone())
}
