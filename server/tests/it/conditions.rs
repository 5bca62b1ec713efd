//! Form conditions enforced by the server: fields shown only under a condition
//! (`visible_when`) and validations, on every write, with nothing left behind when refused.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, labels, start};

both_backends!(
    hidden_fields_and_validations_are_enforced_on_every_write,
    a_draft_is_checked_by_the_engine_that_saves_it,
    bad_conditions_are_metadata_errors
);

async fn hidden_fields_and_validations_are_enforced_on_every_write(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let customers = env.get("/api/v1/apps/bank_crm/forms/customer/records?fields=name&limit=1").await;
    let customer = customers.body["items"][0]["id"].clone();
    let follow_ups = "/api/v1/apps/bank_crm/forms/follow_up/records";
    let follow_up = |method: &str, address: Option<&str>| {
        let mut body = json!({ "customer": customer, "contacted_at": "2026-11-28T10:00:00+08:00",
            "method": method, "summary": "回访" });
        if let Some(address) = address {
            body["visit_address"] = json!(address);
        }
        body
    };
    let count = |body: &Value| body["total"].as_u64();
    let before = count(&env.get(&format!("{follow_ups}?count=true")).await.body);

    // The address is asked for only on a visit: required then, refused otherwise.
    let call_with_address = env.post(follow_ups, &follow_up("call", Some("上海市浦东新区"))).await;
    assert_eq!(call_with_address.error_paths(), vec!["/visit_address hidden"]);
    let visit_without = env.post(follow_ups, &follow_up("visit", None)).await;
    assert_eq!(visit_without.error_paths(), vec!["/visit_address required"]);
    assert_eq!(count(&env.get(&format!("{follow_ups}?count=true")).await.body), before, "refused writes leave nothing");
    let call = env.post(follow_ups, &follow_up("call", None)).await;
    assert_eq!(call.status, 201, "{}", call.body);
    let visit = env.post(follow_ups, &follow_up("visit", Some("上海市浦东新区"))).await;
    assert_eq!(visit.status, 201, "{}", visit.body);
    let uri = format!("{follow_ups}/{}", call.body["id"]);
    let sneaked = env.patch(&uri, 1, &json!({ "visit_address": "北京市" })).await;
    assert_eq!(sneaked.error_paths(), vec!["/visit_address hidden"]);
    let now_a_visit = env.patch(&uri, 1, &json!({ "method": "visit", "visit_address": "北京市" })).await;
    assert_eq!(now_a_visit.status, 200, "{}", now_a_visit.body);

    // Validations: the outstanding balance within the principal, dates in order.
    let loans = "/api/v1/apps/bank_crm/forms/loan/records";
    let loan = |outstanding: &str, end: &str| {
        json!({ "loan_no": format!("L-{outstanding}-{end}"), "customer": customer, "principal": "100000.00",
            "outstanding": outstanding, "start_date": "2026-01-01", "end_date": end })
    };
    let over = env.post(loans, &loan("100000.01", "2027-01-01")).await;
    assert_eq!(over.error_paths(), vec!["/outstanding validation"]);
    assert!(over.body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("cannot exceed the principal")));
    assert_eq!(over.body["errors"][0]["texts"]["zh-CN"], "未偿余额不能超过本金", "in each of the app's languages");
    let both = env.post(loans, &loan("100000.01", "2025-01-01")).await;
    assert_eq!(both.error_paths(), vec!["/outstanding validation", "/end_date validation"], "every problem at once");
    let fine = env.post(loans, &loan("100000.00", "2027-01-01")).await;
    assert_eq!(fine.status, 201, "{}", fine.body);
    let broken = env.patch(&format!("{loans}/{}", fine.body["id"]), 1, &json!({ "principal": "99999.99" })).await;
    assert_eq!(broken.error_paths(), vec!["/outstanding validation"], "a change elsewhere breaks the condition too");
    env.finish().await;
}

async fn a_draft_is_checked_by_the_engine_that_saves_it(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let check = "/api/v1/apps/bank_crm/forms/follow_up/check";
    let call = env.post(check, &json!({ "values": { "method": "call" } })).await;
    assert_eq!(call.status, 200, "{}", call.body);
    assert_eq!(call.body["hidden"], json!(["visit_address"]));
    let visit = env.post(check, &json!({ "values": { "method": "visit", "contacted_at": "yesterday" } })).await;
    assert_eq!(visit.body["hidden"], json!([]), "a visit asks for the address");
    assert_eq!(visit.body["errors"][0]["path"], "/contacted_at", "{}", visit.body);

    // Editing: the stored record stands where nothing was typed; its formulas follow.
    let customer =
        env.get("/api/v1/apps/bank_crm/forms/customer/records?fields=name&limit=1").await.body["items"][0]["id"]
            .clone();
    let loans = "/api/v1/apps/bank_crm/forms/loan/records";
    let loan = json!({ "loan_no": "L-draft", "customer": customer, "principal": "100000.00",
        "outstanding": "40000.00", "start_date": "2026-01-01", "end_date": "2027-01-01" });
    let id = env.post(loans, &loan).await.body["id"].clone();
    let loan_check = "/api/v1/apps/bank_crm/forms/loan/check";
    let stored = env.post(loan_check, &json!({ "id": id, "values": {} })).await;
    let read = env.get(&format!("{loans}/{id}")).await;
    assert_eq!(stored.body["formulas"]["repaid"], read.body["repaid"], "as a read computes it: {}", stored.body);
    let typed = env.post(loan_check, &json!({ "id": id, "values": { "outstanding": "12345.67" } })).await;
    assert_eq!(typed.body["formulas"]["repaid"], "87654.33", "exact, from the typed value");
    assert_eq!(env.get(&format!("{loans}/{id}")).await.body, read.body, "a check writes nothing");

    let missing = env.post(loan_check, &json!({ "id": 999_999, "values": {} })).await;
    assert_eq!(missing.status, 404);
    let malformed = env.post(loan_check, &json!({ "values": [] })).await;
    assert_eq!(malformed.status, 400);
    env.finish().await;
}

async fn bad_conditions_are_metadata_errors(backend: Backend) {
    let env = start(backend).await;
    let field = |key: &str, kind: &str| json!({ "key": key, "type": kind, "label": labels(key) });
    let bundle = json!({ "key": "bad", "name": labels("Bad"), "forms": [{ "key": "a", "label": labels("A"), "fields": [
        field("kind", "text"),
        { "key": "x", "type": "text", "label": labels("x"), "visible_when": "nope == 1" },
        { "key": "y", "type": "text", "label": labels("y"), "visible_when": "y == 'a'" },
        { "key": "z", "type": "text", "label": labels("z"), "visible_when": "len(kind)" },
    ], "validations": [
        { "key": "v", "condition": "kind", "message": labels("v") },
        { "key": "v", "condition": "true", "message": labels("v"), "field": "nope" },
    ]}]});
    let refused = env.post("/api/v1/apps", &bundle).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let mut got = refused.error_paths();
    got.sort();
    assert_eq!(
        got,
        [
            "/forms/0/fields/1/visible_when unknown_field",
            "/forms/0/fields/2/visible_when circular",
            "/forms/0/fields/3/visible_when type_mismatch",
            "/forms/0/validations/0/condition type_mismatch",
            "/forms/0/validations/1/field unknown_field",
            "/forms/0/validations/1/key duplicate_key",
        ]
    );
    env.finish().await;
}
