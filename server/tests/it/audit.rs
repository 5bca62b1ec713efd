//! The audit trail: a scripted sequence of changes gives exactly the expected entries, a
//! change whose transaction fails leaves none, and the database refuses to alter one.

use serde_json::json;

use crate::rules::rows;
use crate::support::{Backend, both_backends, labels, start};

both_backends!(every_change_leaves_exactly_one_entry);

async fn every_change_leaves_exactly_one_entry(backend: Backend) {
    let env = start(backend).await;
    let field = |key: &str, kind: &str| json!({ "key": key, "type": kind, "label": labels(key), "scale": 2 });
    let bundle = json!({ "key": "lab", "name": labels("Lab"), "forms": [{ "key": "account", "label": labels("Account"), "fields": [
        { "key": "name", "type": "text", "label": labels("name"), "required": true },
        field("balance", "decimal"),
    ], "validations": [{ "key": "positive", "condition": "balance >= 0", "field": "balance", "message": labels("no overdraft") }] }],
        "rules": [{ "key": "flag_large", "trigger": { "on": "created", "form": "account" },
            "condition": "balance > 1000", "actions": [{ "type": "update_fields", "set": { "name": "name & ' (large)'" } }] }] });
    assert_eq!(env.post("/api/v1/apps", &bundle).await.status, 201);
    assert_eq!(env.post("/api/v1/apps/lab/publish", &json!({})).await.status, 200);
    let records = "/api/v1/apps/lab/forms/account/records";
    let made = env.post(records, &json!({ "name": "A", "balance": "5000.00" })).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let uri = format!("{records}/{}", made.body["id"]);
    assert_eq!(env.patch(&uri, 2, &json!({ "balance": "4000.00" })).await.status, 200);
    // Refused writes leave nothing: a failed validation, a stale version.
    assert_eq!(env.patch(&uri, 3, &json!({ "balance": "-1.00" })).await.status, 422);
    assert_eq!(env.patch(&uri, 1, &json!({ "balance": "1.00" })).await.status, 412);
    assert_eq!(env.send("DELETE", &uri, None, &[("if-match", "\"3\"")]).await.status, 204);
    let wrong = json!({ "username": "admin", "password": "nope" }).to_string();
    assert_eq!(env.send("POST", "/api/v1/auth/login", Some(&wrong), &[("authorization", "")]).await.status, 401);

    let trail = env.get("/api/v1/audit?limit=1000").await;
    assert_eq!(trail.status, 200, "{}", trail.body);
    let mut got: Vec<(String, String, Option<i64>)> = trail.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or("").to_owned(),
                e["via"].as_str().unwrap_or("").to_owned(),
                e["record_id"].as_i64(),
            )
        })
        .collect();
    got.reverse();
    let id = made.body["id"].as_i64();
    assert_eq!(
        got,
        [
            ("app.import".to_owned(), "session".to_owned(), None),
            ("app.publish".to_owned(), "session".to_owned(), None),
            ("record.create".to_owned(), "session".to_owned(), id),
            ("record.update".to_owned(), "rule".to_owned(), id),
            ("record.update".to_owned(), "session".to_owned(), id),
            ("record.delete".to_owned(), "session".to_owned(), id),
            ("auth.login_failed".to_owned(), "session".to_owned(), None),
        ]
    );
    let history = env.get(&format!("{uri}/history")).await;
    let update = &history.body["items"][1];
    assert_eq!(update["action"], "record.update");
    assert_eq!(update["actor"], "admin");
    assert_eq!(
        (update["detail"]["before"]["balance"].as_str(), update["detail"]["after"]["balance"].as_str()),
        (Some("5000.00"), Some("4000.00"))
    );
    assert_eq!(
        history.body["items"].as_array().map(Vec::len),
        Some(4),
        "create, the rule's update, the update, delete"
    );
    let failed = &trail.body["items"][0];
    assert_eq!(
        (failed["actor"].as_str(), failed["detail"]["problem"].as_str()),
        (Some("admin"), Some("wrong_credentials"))
    );

    // Append-only, by the database itself.
    let conn = &env.state.db.conn;
    for sql in ["UPDATE trellis_audit SET actor = 'someone else'", "DELETE FROM trellis_audit"] {
        let refused = sea_orm::ConnectionTrait::execute_unprepared(conn, sql).await;
        assert!(refused.is_err_and(|e| e.to_string().contains("append-only")), "{sql}");
    }
    assert_eq!(rows(&env, "SELECT COUNT(*) FROM trellis_audit").await, [["7".to_owned()]]);
    env.finish().await;
}
