//! Publishing new versions: tables follow their forms without losing data.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, labels, start};

both_backends!(
    fields_come_and_go_without_losing_data,
    type_changes_are_converted_or_refused,
    publish_waits_for_writes_in_flight
);

fn bundle(fields: Value) -> Value {
    json!({ "key": "lab", "name": labels("Lab"), "forms": [{ "key": "thing", "label": labels("Thing"), "fields": fields }] })
}

fn field(key: &str, kind: &str) -> Value {
    json!({ "key": key, "type": kind, "label": labels(key) })
}

const THINGS: &str = "/api/v1/apps/lab/forms/thing/records";

async fn fields_come_and_go_without_losing_data(backend: Backend) {
    let env = start(backend).await;
    env.post("/api/v1/apps", &bundle(json!([field("name", "text"), field("note", "text")]))).await;
    assert_eq!(env.post("/api/v1/apps/lab/publish", &json!({})).await.status, 200);
    let r = env.post(THINGS, &json!({ "name": "a", "note": "keep me" })).await;
    let uri = format!("{THINGS}/{}", r.body["id"]);

    let form = |fields: Value| json!({ "key": "thing", "label": labels("Thing"), "fields": fields });
    env.put("/api/v1/apps/lab/drafts/forms/thing", &form(json!([field("name", "text"), field("size", "integer")])))
        .await;
    let v2 = env.post("/api/v1/apps/lab/publish", &json!({})).await;
    assert_eq!(v2.status, 200, "{}", v2.body);
    let read = env.get(&uri).await;
    assert!(read.body.get("note").is_none(), "a removed field is hidden");
    assert_eq!(read.body["size"], Value::Null);
    assert_eq!(env.post(THINGS, &json!({ "note": "x" })).await.error_paths(), vec!["/note unknown_field"]);

    env.put(
        "/api/v1/apps/lab/drafts/forms/thing",
        &form(json!([field("name", "text"), field("size", "integer"), field("note", "text")])),
    )
    .await;
    let v3 = env.post("/api/v1/apps/lab/publish", &json!({})).await;
    assert_eq!(v3.body["version"], 3);
    assert_eq!(env.get(&uri).await.body["note"], "keep me", "re-adding the field brings its data back");
    env.finish().await;
}

async fn type_changes_are_converted_or_refused(backend: Backend) {
    let env = start(backend).await;
    env.post(
        "/api/v1/apps",
        &bundle(json!([field("qty", "integer"), field("contact", "text"), field("amount", "integer")])),
    )
    .await;
    env.post("/api/v1/apps/lab/publish", &json!({})).await;
    let r = env.post(THINGS, &json!({ "qty": 42, "contact": "not an email", "amount": 7 })).await;
    let uri = format!("{THINGS}/{}", r.body["id"]);
    let form = |fields: Value| json!({ "key": "thing", "label": labels("Thing"), "fields": fields });

    // integer → decimal is converted, value by value.
    let decimal = json!({ "key": "qty", "type": "decimal", "scale": 2, "label": labels("qty") });
    env.put(
        "/api/v1/apps/lab/drafts/forms/thing",
        &form(json!([decimal.clone(), field("contact", "text"), field("amount", "integer")])),
    )
    .await;
    let converted = env.post("/api/v1/apps/lab/publish", &json!({})).await;
    assert_eq!(converted.status, 200, "{}", converted.body);
    assert_eq!(env.get(&uri).await.body["qty"], "42.00");

    // Several refusals are reported together, and nothing changes.
    let narrow = json!({ "key": "qty", "type": "decimal", "scale": 1, "label": labels("qty") });
    let tiny = json!({ "key": "amount", "type": "decimal", "scale": 2, "precision": 2, "label": labels("amount") });
    env.put("/api/v1/apps/lab/drafts/forms/thing", &form(json!([narrow, field("contact", "email"), tiny]))).await;
    let refused = env.post("/api/v1/apps/lab/publish", &json!({})).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.error_paths(), vec!["/forms/0/fields/0/type type_change_refused"]);
    env.put("/api/v1/apps/lab/drafts/forms/thing", &form(json!([decimal, field("contact", "email"), tiny]))).await;
    let refused = env.post("/api/v1/apps/lab/publish", &json!({})).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.error_paths(),
        vec!["/forms/0/fields/1/type stored_values_do_not_fit", "/forms/0/fields/2/type stored_values_do_not_fit"],
        "the bad e-mail is found, and 7 does not fit a decimal with no integer digits"
    );
    let still = env.get(&uri).await;
    assert_eq!(
        (still.body["contact"].as_str(), still.body["amount"].as_i64()),
        (Some("not an email"), Some(7)),
        "the refused publish rolled back"
    );
    assert_eq!(env.get("/api/v1/apps/lab").await.body["published_version"], 2);
    env.finish().await;
}

/// A write that has read the published version holds it until its transaction ends; a
/// publish meanwhile waits, so no write lands in a column the publish is converting.
async fn publish_waits_for_writes_in_flight(backend: Backend) {
    use sea_orm::TransactionTrait;
    use std::time::Duration;

    let env = start(backend).await;
    env.post("/api/v1/apps", &bundle(json!([field("qty", "integer")]))).await;
    env.post("/api/v1/apps/lab/publish", &json!({})).await;
    let write = env.state.db.conn.begin().await.expect("begin");
    let seen = env.state.catalog.published_for_write(&write, "lab").await.expect("published");
    assert_eq!(seen.version, 1);
    let db = env.state.db.clone();
    let blocked = actix_web::rt::time::timeout(
        Duration::from_millis(500),
        server::publish::publish(&db, "lab", &server::audit::Actor::system(), env.now()),
    )
    .await;
    assert!(blocked.is_err(), "publish must wait for the write in flight");
    write.commit().await.expect("commit");
    let published = server::publish::publish(&db, "lab", &server::audit::Actor::system(), env.now())
        .await
        .expect("publish after the write");
    assert_eq!(published.version, 2);
    env.finish().await;
}
