//! Hostile input never yields a 500 and never changes data: every case is a 4xx problem.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(hostile_input_is_refused_cleanly);

const CUSTOMERS: &str = "/api/v1/apps/bank_crm/forms/customer/records";

async fn hostile_input_is_refused_cleanly(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let before = env.get(&format!("{CUSTOMERS}?count=true&limit=1")).await.body["total"].clone();
    let long = "x".repeat(200_000);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<String> = vec![
        json!({ "customer_no": "N1", "name": "nul\u{0}byte" }).to_string(),
        json!({ "customer_no": "N2", "name": long }).to_string(),
        r#"{"customer_no": "N3", "name": "n", "aum": 1e400}"#.into(),
        r#"{"customer_no": "N4", "name": "n", "aum": "NaN"}"#.into(),
        r#"{"customer_no": "N5", "name": "n", "aum": "99999999999999999999999999999999"}"#.into(),
        r#"{"customer_no": "N6", "name": "n", "relationship_manager": 99999999999999999999}"#.into(),
        r#"{"customer_no": "N7", "name": "n", "relationship_manager": -1}"#.into(),
        r#"{"customer_no": "N8", "name": "n", "birthday": "0000-00-00"}"#.into(),
        r#"{"customer_no": "N9", "name": "n", "last_mobile_login": "9999-99-99T99:99:99Z"}"#.into(),
        r#"{"customer_no": "N10", "name": {"$ref": "x"}}"#.into(),
        r#"{"customer_no": "N11", "name": "n", "interests": "golf"}"#.into(),
        r#"{"customer_no": "N12", "name": "n", "interests": [null, 1, {}]}"#.into(),
        r#"{"customer_no": "N13", "name": "n", "_version": 99, "id": 1}"#.into(),
        deep,
        "\u{0}".into(),
        String::new(),
        "null".into(),
    ];
    for body in &bodies {
        let r = env.send("POST", CUSTOMERS, Some(body), &[]).await;
        assert!((400..500).contains(&r.status), "{} → {}: {}", &body[..body.len().min(80)], r.status, r.body);
        assert_eq!(r.header("content-type").as_deref(), Some("application/problem+json"));
    }
    // A request's fields in an array, in order, are not the request: serde reads structs
    // from arrays, so every body must be an object first.
    for (method, uri, body) in [
        ("PATCH", "/api/v1/auth/me", "[null, null]"),
        ("POST", "/api/v1/apps/bank_crm/forms/customer/views", r#"["x", "tier == 'hnw'"]"#),
        ("POST", "/api/v1/apps/bank_crm/forms/customer/bulk", r#"["delete", [1]]"#),
        ("POST", "/api/v1/apps/bank_crm/forms/customer/check", "[{}]"),
        ("POST", "/api/v1/auth/login", r#"["admin", "x"]"#),
    ] {
        let r = env.send(method, uri, Some(body), &[]).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (400, Some("malformed_json")),
            "{method} {uri} {body}: {}",
            r.body
        );
    }
    assert_eq!(env.get(&format!("{CUSTOMERS}/1")).await.status, 200, "nothing was deleted");
    for query in [
        "filter=name:eq:a%00b",
        "filter=name:contains:%00",
        "filter=customer_no:starts:%00",
        "filter=aum:gt:1e400",
        "filter=id:eq:99999999999999999999",
        "filter=_created_at:gt:yesterday",
        "sort=-",
        "filter=,,,",
        "after=W10",
    ] {
        let r = env.get(&format!("{CUSTOMERS}?{query}")).await;
        assert!((400..500).contains(&r.status), "{query} → {}: {}", r.status, r.body);
    }
    assert_eq!(env.get("/api/v1/apps/bank%00crm").await.status, 404);
    assert_eq!(env.get("/api/v1/apps/bank_crm/drafts/forms/cus%00tomer").await.status, 404);
    assert_eq!(env.get("/api/v1/apps/bank_crm/forms/cus%00tomer/records").await.status, 404);
    let bad_key = env
        .put(
            "/api/v1/apps/bank_crm/drafts/forms/Bad%00Key",
            &json!({ "label": { "zh-CN": "x", "en": "x" }, "fields": [] }),
        )
        .await;
    assert_eq!(bad_key.error_paths(), vec!["/key bad_key"]);
    let upload =
        env.send("POST", "/api/v1/apps/bank_crm/files?name=a%00b", Some("x"), &[("content-type", "text/plain")]).await;
    assert_eq!(upload.status, 400);
    let huge = format!("{{\"customer_no\": \"BIG\", \"name\": \"{}\"}}", "x".repeat(5 * 1024 * 1024));
    let too_large = env.send("POST", CUSTOMERS, Some(&huge), &[]).await;
    assert_eq!((too_large.status, too_large.body["code"].as_str()), (413, Some("payload_too_large")));
    let after = env.get(&format!("{CUSTOMERS}?count=true&limit=1")).await.body["total"].clone();
    assert_eq!(before, after, "nothing was written");
    assert_ne!(before, Value::Null);
    env.finish().await;
}
