//! What the designers build on: drafts saved with optimistic concurrency, so two analysts
//! editing one document never overwrite each other silently.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(
    two_designers_saving_one_draft_overwrote_each_other,
    versions_are_listed_read_back_and_compared_in_words,
    a_publish_dry_run_says_what_would_convert_and_what_would_be_refused_and_changes_nothing,
    an_apps_texts_are_listed_for_translation_with_the_missing_ones_flagged,
    deleting_a_field_showed_nothing_of_what_reads_it,
    a_checker_weighs_a_publish_request_by_its_dry_run
);

const BRANCH: &str = "/api/v1/apps/bank_crm/drafts/forms/branch";

/// The branch form's draft with its label changed to `name`.
fn renamed(draft: &Value, name: &str) -> String {
    let mut doc = draft.clone();
    doc["label"]["zh-CN"] = json!(name);
    doc.to_string()
}

async fn two_designers_saving_one_draft_overwrote_each_other(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let read = env.get(BRANCH).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let etag = read.header("etag").expect("the draft's revision as its ETag");
    assert_eq!(etag, "\"1\"");
    let draft = read.body.clone();

    // The first analyst saves over what she read; the second, over the same, is refused
    // with what happened, and saves after reading again.
    let first = env.send("PUT", BRANCH, Some(&renamed(&draft, "营业网点")), &[("if-match", &etag)]).await;
    assert_eq!((first.status, first.body["revision"].as_i64()), (200, Some(2)), "{}", first.body);
    assert_eq!(first.header("etag").as_deref(), Some("\"2\""));
    let second = env.send("PUT", BRANCH, Some(&renamed(&draft, "网点（二）")), &[("if-match", &etag)]).await;
    assert_eq!((second.status, second.body["code"].as_str()), (412, Some("draft_changed")), "{}", second.body);
    assert!(second.body["detail"].as_str().is_some_and(|d| d.contains("revision 2")), "{}", second.body);
    assert_eq!(env.get(BRANCH).await.body["label"]["zh-CN"], "营业网点", "the first save stands");

    // Fifty saves over revision 2 at once: one lands.
    let bodies: Vec<String> = (0..50).map(|i| renamed(&draft, &format!("网点 {i}"))).collect();
    let answers = join_all(bodies.iter().map(|b| env.send("PUT", BRANCH, Some(b), &[("if-match", "\"2\"")]))).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| [200, 412].contains(s)), "{statuses:?}");
    assert_eq!(env.get(BRANCH).await.header("etag").as_deref(), Some("\"3\""));

    // "0": only a new one. A script that names no revision saves over whatever is there.
    let again = env.send("PUT", BRANCH, Some(&renamed(&draft, "x")), &[("if-match", "\"0\"")]).await;
    assert_eq!(again.status, 412, "{}", again.body);
    let new = json!({ "key": "region", "label": { "zh-CN": "区域", "en": "Region" },
        "fields": [{ "key": "name", "type": "text", "label": { "zh-CN": "名称", "en": "Name" } }] });
    let made = env
        .send("PUT", "/api/v1/apps/bank_crm/drafts/forms/region", Some(&new.to_string()), &[("if-match", "\"0\"")])
        .await;
    assert_eq!((made.status, made.body["revision"].as_i64()), (200, Some(1)), "{}", made.body);
    let blind = env.send("PUT", BRANCH, Some(&renamed(&draft, "网点")), &[]).await;
    assert_eq!((blind.status, blind.body["revision"].as_i64()), (200, Some(4)), "{}", blind.body);
    let bad = env.send("PUT", BRANCH, Some(&renamed(&draft, "网点")), &[("if-match", "yesterday")]).await;
    assert_eq!((bad.status, bad.body["code"].as_str()), (400, Some("bad_if_match")));

    // A delete over a stale revision is refused too; over the current one it goes.
    let region = "/api/v1/apps/bank_crm/drafts/forms/region";
    assert_eq!(env.send("PUT", region, Some(&new.to_string()), &[]).await.status, 200);
    assert_eq!(env.send("DELETE", region, None, &[("if-match", "\"1\"")]).await.status, 412);
    assert_eq!(env.send("DELETE", region, None, &[("if-match", "\"2\"")]).await.status, 204);
    let listed = env.get("/api/v1/apps/bank_crm/drafts/forms").await;
    let branch = listed.body["items"].as_array().expect("items").iter().find(|d| d["key"] == "branch").cloned();
    assert_eq!(branch.map(|b| b["revision"].clone()), Some(json!(4)), "the list gives each draft's revision");
    env.finish().await;
}

/// Version history: each published version listed with who made it, read back whole, and
/// any two (or one and the drafts) compared in business words.
async fn versions_are_listed_read_back_and_compared_in_words(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let app = "/api/v1/apps/bank_crm";
    let listed = env.get(&format!("{app}/versions")).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["items"][0]["version"], 1);
    assert_eq!(listed.body["items"][0]["current"], true);
    assert_eq!(env.get(&format!("{app}/diff")).await.body["changes"], json!([]), "the drafts are what is published");

    // An option added and a label changed in the drafts, then published.
    let read = env.get(&format!("{app}/drafts/forms/customer")).await;
    let mut customer = read.body.clone();
    let fields = customer["fields"].as_array_mut().expect("fields");
    let risk = fields.iter_mut().find(|f| f["key"] == "risk_level").expect("risk level");
    risk["options"]
        .as_array_mut()
        .expect("options")
        .push(json!({ "value": "r6", "label": { "zh-CN": "R6 激进型", "en": "R6 Aggressive" } }));
    let notes = fields.iter_mut().find(|f| f["key"] == "notes").expect("notes");
    notes["label"] = json!({ "zh-CN": "客户备注", "en": "Customer notes" });
    let etag = read.header("etag").expect("etag");
    let saved = env
        .send("PUT", &format!("{app}/drafts/forms/customer"), Some(&customer.to_string()), &[("if-match", &etag)])
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let pending = env.get(&format!("{app}/diff")).await;
    let words = |body: &Value, language: &str| -> Vec<String> {
        body["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .filter_map(|c| c["text"][language].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        words(&pending.body, "zh-CN"),
        ["客户：风险等级 的选项新增 R6 激进型", "客户：字段 备注 改名为 客户备注"]
    );
    assert_eq!(env.post(&format!("{app}/publish"), &json!({})).await.status, 200);
    let listed = env.get(&format!("{app}/versions")).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        (listed.body["items"][0]["version"].clone(), listed.body["items"][0]["made_by"].clone()),
        (json!(2), json!("admin"))
    );
    let between = env.get(&format!("{app}/diff?from=1&to=2")).await;
    assert_eq!(
        words(&between.body, "en"),
        ["Customer: Risk level: option R6 Aggressive added", "Customer: field Notes renamed Customer notes"]
    );
    let first = env.get(&format!("{app}/versions/1")).await;
    assert_eq!(first.status, 200);
    assert!(first.body["forms"].as_array().is_some_and(|f| f.len() == 10), "the bundle as published");
    assert_eq!(env.get(&format!("{app}/versions/9")).await.status, 404);
    assert_eq!(env.get(&format!("{app}/diff?from=yesterday")).await.status, 400);
    env.finish().await;
}

/// A field's type changed: the dry run says which records convert (with examples) and which
/// would be refused and why, and leaves everything as it was; fixed, it is publishable.
async fn a_publish_dry_run_says_what_would_convert_and_what_would_be_refused_and_changes_nothing(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let app = "/api/v1/apps/bank_crm";
    let products = format!("{app}/forms/product/records");
    let product =
        |code: &str, days: i64| json!({ "code": code, "name": code, "min_amount": "1000.00", "term_days": days });
    let short = env.post(&products, &product("T7", 7)).await.body["id"].as_i64().expect("id");
    let long = env.post(&products, &product("T365", 365)).await.body["id"].as_i64().expect("id");
    let columns = "SELECT COUNT(*) FROM trellis_columns";
    let before = crate::rules::rows(&env, columns).await;

    // The term in days becomes a decimal of at most 100.
    let read = env.get(&format!("{app}/drafts/forms/product")).await;
    let mut form = read.body.clone();
    let term =
        form["fields"].as_array_mut().expect("fields").iter_mut().find(|f| f["key"] == "term_days").expect("term");
    *term = json!({ "key": "term_days", "type": "decimal", "scale": 1, "max": "100", "label": term["label"].clone() });
    let etag = read.header("etag").expect("etag");
    assert_eq!(
        env.send("PUT", &format!("{app}/drafts/forms/product"), Some(&form.to_string()), &[("if-match", &etag)])
            .await
            .status,
        200
    );
    let dry = env.post(&format!("{app}/publish/dry-run"), &json!({})).await;
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!(
        (dry.body["publishable"].clone(), dry.body["version"].clone()),
        (json!(false), json!(2)),
        "{}",
        dry.body
    );
    assert_eq!(dry.body["diagnostics"][0]["code"], "stored_values_do_not_fit");
    let table = dry.body["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["form"] == "product")
        .cloned()
        .expect("product");
    let conversion = table["conversions"][0].clone();
    assert_eq!(
        (conversion["field"].clone(), conversion["converts"].clone()),
        (json!("term_days"), json!(true)),
        "{table}"
    );
    let refused: Vec<i64> =
        conversion["refused_records"].as_array().expect("refused").iter().filter_map(|r| r["id"].as_i64()).collect();
    assert!(refused.contains(&long) && !refused.contains(&short), "{conversion}");
    assert!(conversion["fit"].as_u64() >= Some(1), "{conversion}");
    // A designer whose roles do not read products sees counts, ids and codes, no values.
    let designer = json!({ "password": "a long enough secret", "platform_role": "designer" });
    assert_eq!(env.put("/api/v1/users/no.roles", &designer).await.status, 200);
    let conn = &env.state.db.conn;
    let (token, _) =
        server::auth::login(conn, "no.roles", "a long enough secret", server::auth::wall_now()).await.expect("in");
    let theirs = env
        .send("POST", &format!("{app}/publish/dry-run"), Some("{}"), &[("authorization", &format!("Bearer {token}"))])
        .await;
    assert_eq!(theirs.status, 200, "{}", theirs.body);
    let withheld = theirs.body["tables"].as_array().expect("tables").iter().find(|t| t["form"] == "product").cloned();
    let withheld = withheld.expect("product")["conversions"][0].clone();
    assert_eq!(withheld["examples"], json!([]), "no stored values for one who may not read them");
    assert_eq!(withheld["refused_records"][0]["why"], withheld["refused_records"][0]["code"]);
    assert_eq!(withheld["refused"], conversion["refused"], "the same counts");
    assert!(conversion["refused_records"][0]["why"].as_str().is_some_and(|w| w.contains("100")), "{conversion}");
    let example = conversion["examples"].as_array().expect("examples").iter().find(|e| e["id"] == short).cloned();
    assert_eq!(example.map(|e| (e["from"].clone(), e["to"].clone())), Some((json!(7), json!("7.0"))), "{conversion}");
    assert!(
        dry.body["changes"].as_array().is_some_and(|c| c.iter().any(|c| c["kind"] == "field_type")),
        "in words too"
    );

    // Nothing stayed: no version, no column, the values as they were.
    assert_eq!(crate::rules::rows(&env, columns).await, before, "no column added");
    assert_eq!(env.get(&format!("{app}/versions")).await.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(env.get(&format!("{products}/{long}")).await.body["term_days"], 365, "still a number");

    // Up to 1000: publishable, and published as the dry run said.
    let read = env.get(&format!("{app}/drafts/forms/product")).await;
    let mut form = read.body.clone();
    let term =
        form["fields"].as_array_mut().expect("fields").iter_mut().find(|f| f["key"] == "term_days").expect("term");
    term["max"] = json!("1000");
    let etag = read.header("etag").expect("etag");
    assert_eq!(
        env.send("PUT", &format!("{app}/drafts/forms/product"), Some(&form.to_string()), &[("if-match", &etag)])
            .await
            .status,
        200
    );
    let dry = env.post(&format!("{app}/publish/dry-run"), &json!({})).await;
    assert_eq!(
        (dry.body["publishable"].clone(), dry.body["diagnostics"].clone()),
        (json!(true), json!([])),
        "{}",
        dry.body
    );
    assert_eq!(env.post(&format!("{app}/publish"), &json!({})).await.status, 200);
    assert_eq!(env.get(&format!("{products}/{long}")).await.body["term_days"], "365.0", "converted as said");
    env.finish().await;
}

/// The translation view's list: every text of the app in zh-CN and English, where it is,
/// and the languages it lacks.
async fn an_apps_texts_are_listed_for_translation_with_the_missing_ones_flagged(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let app = "/api/v1/apps/bank_crm";
    let texts = env.get(&format!("{app}/texts")).await;
    assert_eq!(texts.status, 200, "{}", texts.body);
    assert_eq!(texts.body["missing"], 0, "the bank CRM speaks both languages throughout");
    let items = texts.body["items"].as_array().expect("items").clone();
    assert!(items.len() > 200, "every label, help, message and title: {}", items.len());
    assert!(items.iter().any(|t| t["of"] == "rules" && t["expression"] == true), "rule titles are expressions");
    let read = env.get(&format!("{app}/drafts/forms/branch")).await;
    let mut branch = read.body.clone();
    branch["fields"][0]["label"] = json!({ "zh-CN": "网点代码" });
    let etag = read.header("etag").expect("etag");
    assert_eq!(
        env.send("PUT", &format!("{app}/drafts/forms/branch"), Some(&branch.to_string()), &[("if-match", &etag)])
            .await
            .status,
        200
    );
    let texts = env.get(&format!("{app}/texts")).await;
    assert_eq!(texts.body["missing"], 1);
    let lacking: Vec<Value> =
        texts.body["items"].as_array().expect("items").iter().filter(|t| t["missing"] != json!([])).cloned().collect();
    assert_eq!(lacking[0]["missing"], json!(["en"]));
    assert_eq!((lacking[0]["of"].clone(), lacking[0]["texts"]["zh-CN"].clone()), (json!("forms"), json!("网点代码")));
    assert!(lacking[0]["path"].as_str().is_some_and(|p| p.ends_with("/fields/0/label")), "{}", lacking[0]);
    env.finish().await;
}

/// Before a field is deleted or renamed, every place that reads it: rules (through
/// relations and `old.`), the decision table, the role, the 360, the layout, and a user's
/// saved view.
async fn deleting_a_field_showed_nothing_of_what_reads_it(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let app = "/api/v1/apps/bank_crm";
    let view = json!({ "name": "大客户", "where": "aum > 1000000", "columns": ["name", "tier"] });
    assert_eq!(env.post(&format!("{app}/forms/customer/views"), &view).await.status, 201);
    let found = env.get(&format!("{app}/forms/customer/fields/aum/uses")).await;
    assert_eq!(found.status, 200, "{}", found.body);
    let items = found.body["items"].as_array().expect("items").clone();
    let of = |kind: &str, key: &str| items.iter().any(|u| u["of"] == kind && u["key"] == key);
    for (kind, key) in [
        ("rules", "aum_fell_30_percent"),
        ("rules", "large_outflow"),
        ("decisions", "customer_tier"),
        ("roles", "relationship_manager"),
        ("pages", "customer_360"),
        ("forms", "customer"),
        ("views", "大客户"),
    ] {
        assert!(of(kind, key), "{kind} {key}: {items:?}");
    }
    assert_eq!(found.body["count"], json!(items.len()));
    assert_eq!(env.get(&format!("{app}/forms/customer/fields/nothing/uses")).await.status, 404);
    assert_eq!(env.get(&format!("{app}/forms/nowhere/fields/aum/uses")).await.status, 404);
    env.finish().await;
}

/// Maker-checker: the checker sees what approving a request would do (the dry run of the
/// exact bundle it holds, the changes in words) before deciding; looking changes nothing.
async fn a_checker_weighs_a_publish_request_by_its_dry_run(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let app = "/api/v1/apps/bank_crm";
    assert_eq!(env.put(&format!("{app}/settings"), &json!({ "publish_approval": true })).await.status, 200);
    let read = env.get(&format!("{app}/drafts/forms/branch")).await;
    let mut branch = read.body.clone();
    branch["label"] = json!({ "zh-CN": "营业网点", "en": "Outlet" });
    let etag = read.header("etag").expect("etag");
    assert_eq!(
        env.send("PUT", &format!("{app}/drafts/forms/branch"), Some(&branch.to_string()), &[("if-match", &etag)])
            .await
            .status,
        200
    );
    let asked = env.post(&format!("{app}/publish"), &json!({})).await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    let id = asked.body["request"].as_i64().expect("a request");
    let dry = env.post(&format!("{app}/publish-requests/{id}/dry-run"), &json!({})).await;
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!((dry.body["publishable"].clone(), dry.body["version"].clone()), (json!(true), json!(2)));
    let changes = dry.body["changes"].as_array().expect("changes").clone();
    assert!(
        changes.iter().any(|c| c["kind"] == "document_changed" || c["kind"] == "setting" || c["key"] == "branch"),
        "{changes:?}"
    );
    let requests = env.get(&format!("{app}/publish-requests")).await;
    assert_eq!(requests.body["items"][0]["state"], "pending", "looking decides nothing");
    assert_eq!(env.post(&format!("{app}/publish-requests/999/dry-run"), &json!({})).await.status, 404);
    env.finish().await;
}
