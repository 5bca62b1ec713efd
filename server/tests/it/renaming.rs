//! What the designers' editors ask: a field renamed with every draft that reads it
//! rewritten (and its column, with the data, following it on publish), a document
//! checked as it is typed, unsaved, and an exported app imported with its diff shown first.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(
    renaming_a_field_read_by_a_rule_rewrites_the_rule_and_keeps_the_data,
    a_rename_that_cannot_be_done_is_refused_and_changes_nothing,
    a_document_is_checked_as_it_is_typed_without_being_saved,
    an_exported_app_is_imported_with_what_changes_said_first,
    a_designer_sees_a_form_as_a_relationship_manager_would_under_the_draft_roles
);

const APP: &str = "/api/v1/apps/bank_crm";

fn rule_condition(rule: &Value) -> String {
    rule["condition"].as_str().unwrap_or_default().to_owned()
}

async fn renaming_a_field_read_by_a_rule_rewrites_the_rule_and_keeps_the_data(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let customers = env.get(&format!("{APP}/forms/customer/records?limit=200")).await;
    let with_aum = customers.body["items"].as_array().expect("items").iter().find(|c| c["aum"].is_string()).cloned();
    let customer = with_aum.expect("a seeded customer with an AUM");
    let (id, aum) = (customer["id"].as_i64().expect("id"), customer["aum"].clone());
    let rule_before = env.get(&format!("{APP}/drafts/rules/aum_fell_30_percent")).await;
    assert!(rule_condition(&rule_before.body).contains("old.aum"), "{}", rule_before.body);

    // Saved views that read it: on customers, and on transactions through their customer.
    let view = json!({ "name": "大客户", "where": "aum > 1000000 and tier == 'hnw'", "sort": "-aum,name", "columns": ["name", "aum"] });
    assert_eq!(env.post(&format!("{APP}/forms/customer/views"), &view).await.status, 201);
    let through = json!({ "name": "大额流出", "where": "amount > customer.aum * 0.3" });
    assert_eq!(env.post(&format!("{APP}/forms/transaction/views"), &through).await.status, 201);

    // Fifty analysts rename it at once, each to another key: one rename lands.
    let bodies: Vec<Value> = (0..50).map(|i| json!({ "to": format!("assets_{i}") })).collect();
    let uri = format!("{APP}/forms/customer/fields/aum/rename");
    let answers = join_all(bodies.iter().map(|b| env.post(&uri, b))).await;
    let won: Vec<&crate::support::Resp> = answers.iter().filter(|a| a.status == 200).collect();
    assert_eq!(won.len(), 1, "{:?}", answers.iter().map(|a| (a.status, a.body.to_string())).collect::<Vec<_>>());
    assert!(answers.iter().all(|a| [200, 412, 422].contains(&a.status)));
    let to = won[0].body["to"].as_str().expect("to").to_owned();
    let rewritten = won[0].body["rewritten"].as_array().expect("rewritten").clone();
    assert!(rewritten.iter().any(|p| p["of"] == "rules" && p["key"] == "aum_fell_30_percent"), "{rewritten:?}");
    assert!(rewritten.iter().any(|p| p["of"] == "decisions"), "the tier table's input: {rewritten:?}");

    // The rule, the RMs' role and the 360 read the new key; the field remembers the old.
    let rule = rule_condition(&env.get(&format!("{APP}/drafts/rules/aum_fell_30_percent")).await.body);
    assert!(rule.contains(&format!("old.{to}")) && !rule.contains("aum"), "{rule}");
    let role = env.get(&format!("{APP}/drafts/roles/relationship_manager")).await.body;
    assert!(role["forms"]["customer"]["fields"].get(&to).is_some(), "{role}");
    assert!(role["forms"]["customer"]["fields"].get("aum").is_none(), "{role}");
    let form = env.get(&format!("{APP}/drafts/forms/customer")).await.body;
    let field = form["fields"].as_array().expect("fields").iter().find(|f| f["key"] == to.as_str()).cloned();
    assert_eq!(field.expect("renamed")["renamed_from"], "aum");
    let check = env.post(&format!("{APP}/publish/dry-run"), &json!({})).await;
    assert_eq!(check.body["publishable"], true, "{}", check.body);

    // Published: the column follows, with its data; nothing was converted or added for it.
    let published = env.post(&format!("{APP}/publish"), &json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);
    let read = env.get(&format!("{APP}/forms/customer/records/{id}")).await;
    assert_eq!(read.body[&to], aum, "{}", read.body);
    assert!(read.body.get("aum").is_none());
    // The saved views followed it.
    let views = env.get(&format!("{APP}/forms/customer/views")).await.body;
    let saved =
        views["items"].as_array().expect("views").iter().find(|v| v["name"] == "大客户").cloned().expect("view");
    assert_eq!(saved["where"], format!("{to} > 1000000 and tier == 'hnw'"), "{saved}");
    assert_eq!((saved["sort"].clone(), saved["columns"].clone()), (json!(format!("-{to},name")), json!(["name", to])));
    let outflows = env.get(&format!("{APP}/forms/transaction/views")).await.body;
    assert_eq!(outflows["items"][0]["where"], format!("amount > customer.{to} * 0.3"), "{outflows}");
    let columns = crate::rules::rows(
        &env,
        "SELECT COUNT(*) FROM trellis_columns WHERE field = 'aum' AND table_name NOT LIKE '%customer_month%'",
    )
    .await;
    assert_eq!(columns[0][0], "0", "the registry names the column by its new key");
}

async fn a_rename_that_cannot_be_done_is_refused_and_changes_nothing(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let before = env.get(&format!("{APP}/drafts/forms/customer")).await.header("etag");
    let cases = [
        ("aum", json!({ "to": "tier" }), "taken", "/to"),
        ("aum", json!({ "to": "Assets" }), "bad_key", "/to"),
        ("aun", json!({ "to": "assets" }), "not_found", "/field"),
    ];
    for (field, body, code, at) in cases {
        let answer = env.post(&format!("{APP}/forms/customer/fields/{field}/rename"), &body).await;
        assert_eq!(answer.status, 422, "{}", answer.body);
        assert_eq!(
            (answer.body["errors"][0]["code"].as_str(), answer.body["errors"][0]["path"].as_str()),
            (Some(code), Some(at))
        );
    }
    let missing = env.post(&format!("{APP}/forms/customer/fields/aum/rename"), &json!({ "too": "x" })).await;
    assert_eq!(missing.status, 400, "{}", missing.body);
    assert_eq!(env.get(&format!("{APP}/drafts/forms/customer")).await.header("etag"), before, "nothing saved");
}

async fn a_document_is_checked_as_it_is_typed_without_being_saved(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let read = env.get(&format!("{APP}/drafts/forms/customer")).await;
    let mut form = read.body.clone();
    let formula = json!({ "key": "double_aum", "type": "formula", "label": { "zh-CN": "双倍", "en": "Double" },
        "expression": "aun * 2", "result_type": "decimal" });
    form["fields"].as_array_mut().expect("fields").push(formula);
    let index = form["fields"].as_array().expect("fields").len() - 1;
    let body = json!({ "kind": "forms", "key": "customer", "document": form });
    let checked = env.post(&format!("{APP}/check"), &body).await;
    assert_eq!(checked.status, 200, "{}", checked.body);
    let wrong = checked.body["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["path"] == format!("/fields/{index}/expression"))
        .cloned()
        .expect("the formula's mistake");
    assert_eq!(wrong["span"], json!([0, 3]), "{wrong}");
    let names: Vec<&str> =
        checked.body["names"].as_array().expect("names").iter().filter_map(|n| n["name"].as_str()).collect();
    for name in ["aum", "relationship_manager.name", "customer_tier.tier", "round", "$user.org_unit", "transaction"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    // Fixed, with sample values: the preview computes the formula as a record's check would.
    form["fields"][index]["expression"] = json!("aum * 2");
    let body = json!({ "kind": "forms", "key": "customer", "document": form, "values": { "aum": "1250.50" } });
    let previewed = env.post(&format!("{APP}/check"), &body).await;
    assert!(
        previewed.body["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .all(|d| !d["path"].as_str().unwrap_or_default().starts_with(&format!("/fields/{index}"))),
        "{}",
        previewed.body
    );
    assert_eq!(previewed.body["preview"]["formulas"]["double_aum"], "2501", "{}", previewed.body["preview"]);
    assert_eq!(
        env.get(&format!("{APP}/drafts/forms/customer")).await.header("etag"),
        read.header("etag"),
        "nothing saved"
    );
    let unknown = env.post(&format!("{APP}/check"), &json!({ "kind": "widgets", "key": "x", "document": {} })).await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
}

async fn an_exported_app_is_imported_with_what_changes_said_first(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let mut bundle = env.get(&format!("{APP}/bundle")).await.body;
    let branch =
        bundle["forms"].as_array_mut().expect("forms").iter_mut().find(|f| f["key"] == "branch").expect("branch");
    branch["fields"]
        .as_array_mut()
        .expect("fields")
        .push(json!({ "key": "wechat", "type": "text", "label": { "zh-CN": "微信号", "en": "WeChat" } }));
    let before = env.get(&format!("{APP}/drafts/forms/branch")).await.header("etag");

    let dry = env.post(&format!("{APP}/import?dry_run=true"), &bundle).await;
    assert_eq!((dry.status, dry.body["applied"].clone()), (200, json!(false)), "{}", dry.body);
    let said: Vec<String> =
        dry.body["changes"].as_array().expect("changes").iter().map(|c| c["text"]["zh-CN"].to_string()).collect();
    assert!(said.iter().any(|t| t.contains("微信号")), "{said:?}");
    assert_eq!(env.get(&format!("{APP}/drafts/forms/branch")).await.header("etag"), before, "a dry run saves nothing");

    let done = env.post(&format!("{APP}/import"), &bundle).await;
    assert_eq!((done.status, done.body["applied"].clone()), (200, json!(true)), "{}", done.body);
    let branch = env.get(&format!("{APP}/drafts/forms/branch")).await.body;
    assert!(branch["fields"].as_array().expect("fields").iter().any(|f| f["key"] == "wechat"), "{branch}");
    assert_eq!(
        env.post(&format!("{APP}/import?dry_run=true"), &bundle).await.body["changes"],
        json!([]),
        "nothing left to change"
    );

    bundle["key"] = json!("other_app");
    let other = env.post(&format!("{APP}/import"), &bundle).await;
    assert_eq!((other.status, other.body["errors"][0]["code"].as_str()), (422, Some("key_mismatch")), "{}", other.body);
}

async fn a_designer_sees_a_form_as_a_relationship_manager_would_under_the_draft_roles(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let user = |name: &str, unit: &str, role: &str| json!({ "username": name, "password": "a long enough secret", "org_unit": unit, "app_roles": { "bank_crm": [role] } });
    let directory = json!({
        "org_units": [{ "key": "hq", "name": "总行" }, { "key": "sh001", "name": "上海陆家嘴支行", "parent": "hq" }],
        "users": [user("zhang.min", "sh001", "relationship_manager")]
    });
    assert_eq!(env.post("/api/v1/directory/import", &directory).await.status, 200);
    let (token, _) =
        server::auth::login(&env.state.db.conn, "zhang.min", "a long enough secret", server::auth::wall_now())
            .await
            .expect("in");
    let hers = env
        .send(
            "GET",
            &format!("{APP}/forms/customer/records?limit=200"),
            None,
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    let ids = |body: &Value| -> Vec<i64> {
        body["items"].as_array().expect("items").iter().filter_map(|r| r["id"].as_i64()).collect()
    };
    let seen = env.get(&format!("{APP}/forms/customer/seen-as/zhang.min?limit=200")).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(ids(&seen.body), ids(&hers.body), "her rows, as she reads them");
    assert_eq!(seen.body["fields"]["aum"], "read_only");
    // The administrator reads personal data masked: the mobile she sees in clear is masked to him.
    assert_eq!(seen.body["fields"]["mobile"], "masked", "never more than the one asking reads");
    assert!(
        seen.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|r| r["mobile"].as_str().is_none_or(|m| m.contains('*')))
    );

    // The draft role, unpublished, reads only high-net-worth customers: seen as her, it applies.
    let read = env.get(&format!("{APP}/drafts/roles/relationship_manager")).await;
    let mut role = read.body.clone();
    role["forms"]["customer"]["rows"] = json!("relationship_manager.login == $user.username and tier == 'hnw'");
    assert_eq!(env.put(&format!("{APP}/drafts/roles/relationship_manager"), &role).await.status, 200);
    let narrowed = env.get(&format!("{APP}/forms/customer/seen-as/zhang.min?limit=200&fields=tier")).await;
    assert!(narrowed.body["items"].as_array().expect("items").iter().all(|r| r["tier"] == "hnw"), "{}", narrowed.body);
    assert!(ids(&narrowed.body).len() < ids(&hers.body).len());
    let nobody = env.get(&format!("{APP}/forms/customer/seen-as/no.such.user")).await;
    assert_eq!(nobody.status, 404);
}
