//! The browser app's side of the server: the copy of the platform OpenAPI document its
//! typed API client is generated from (`web-designer/openapi/platform.json`) is the
//! document the server serves.

use std::path::PathBuf;

#[test]
fn the_web_apps_copy_of_the_platform_document_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web-designer/openapi/platform.json");
    let served = serde_json::to_string_pretty(server::api::platform_document()).expect("a document") + "\n";
    if std::env::var_os("TRELLIS_WRITE_OPENAPI").is_some() {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("the folder");
        std::fs::write(&path, &served).expect("written");
    }
    let copy = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        copy == served,
        "{} is not the document the server serves; write it anew with \
         TRELLIS_WRITE_OPENAPI=1 cargo nextest run -p server -E 'test(the_web_apps_copy)'",
        path.display()
    );
}

/// The client's functions are named by operationId: two operations under one name would
/// leave one of them out of the typed client.
#[test]
fn every_operation_has_its_own_id() {
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in server::api::platform_document()["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            if let Some(id) = operation["operationId"].as_str() {
                let before = seen.insert(id.to_owned(), format!("{method} {path}"));
                assert!(before.is_none(), "`{id}` names both {} and {method} {path}", before.unwrap_or_default());
            }
        }
    }
}

crate::support::both_backends!(the_web_app_is_served_at_the_root, a_workspace_holds_the_forms_a_user_reads);

/// The app's page at `/` and at any client-side route, never cached; its hashed assets
/// cached for a year; the API's paths stay the API's (a 404 problem, not the page).
async fn the_web_app_is_served_at_the_root(backend: crate::support::Backend) {
    let env = crate::support::start(backend).await;
    let anonymous = |uri: &'static str| env.send("GET", uri, None, &[("authorization", "")]);
    let root = anonymous("/").await;
    assert_eq!((root.status, root.header("cache-control").as_deref()), (200, Some("no-cache")));
    let page = root.body.as_str().unwrap_or_default().to_owned();
    assert!(page.contains("<div id=\"root\">"), "{page}");
    let deep = anonymous("/customers/42").await;
    assert_eq!(
        (deep.status, deep.body.as_str() == Some(page.as_str())),
        (200, true),
        "a client-side route loads the app"
    );
    let script = page.split("src=\"").nth(1).and_then(|s| s.split('"').next()).expect("the app's script");
    let asset = env.send("GET", script, None, &[]).await;
    assert_eq!(asset.status, 200);
    assert_eq!(asset.header("cache-control").as_deref(), Some("public, max-age=31536000, immutable"));
    assert_eq!(asset.header("content-type").as_deref(), Some("text/javascript; charset=utf-8"));
    assert_eq!(anonymous("/assets/none.js").await.status, 404, "a missing asset is not the page");
    let api = env.get("/api/v1/no/such/route").await;
    assert_eq!((api.status, api.body["code"].as_str()), (404, Some("not_found")));
    env.finish().await;
}

/// The shell's workspace: an RM's app with the forms their roles read (and not the others),
/// each field as the metadata declares it with the RM's mode, hidden fields left out; and
/// their tasks' counts. A user without a role in the app sees no app.
async fn a_workspace_holds_the_forms_a_user_reads(backend: crate::support::Backend) {
    let env = crate::support::start(backend).await.with_bank_crm().await;
    let password = "a long enough secret";
    let people = serde_json::json!({ "org_units": [{ "key": "sh001", "name": "上海陆家嘴支行", "manager": "temp" }], "users": [
        { "username": "zhang.min", "password": password, "org_unit": "sh001", "app_roles": { "bank_crm": ["relationship_manager"] } },
        { "username": "temp", "password": password, "org_unit": "sh001" }] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let as_user = |name: &'static str| {
        let conn = env.state.db.conn.clone();
        let env = &env;
        async move {
            let token =
                server::auth::login(&conn, name, password, server::auth::wall_now()).await.expect("signed in").0;
            env.send("GET", "/api/v1/workspace", None, &[("authorization", &format!("Bearer {token}"))]).await
        }
    };
    let rm = as_user("zhang.min").await;
    assert_eq!(rm.status, 200, "{}", rm.body);
    let app = &rm.body["apps"][0];
    assert_eq!((app["key"].as_str(), app["name"]["en"].as_str()), (Some("bank_crm"), Some("Bank CRM")));
    let forms: Vec<&str> = app["forms"].as_array().expect("forms").iter().filter_map(|f| f["key"].as_str()).collect();
    assert!(forms.contains(&"customer") && !forms.contains(&"loan"), "{forms:?}");
    let customer = app["forms"].as_array().expect("forms").iter().find(|f| f["key"] == "customer").expect("customers");
    assert_eq!(customer["operations"], serde_json::json!(["read", "create", "update"]));
    let mode = |key: &str| {
        let fields = customer["fields"].as_array().expect("fields");
        fields.iter().find(|f| f["key"] == key).map(|f| f["mode"].clone())
    };
    assert_eq!(mode("mobile"), Some(serde_json::json!("visible")), "the RM's role shows mobiles");
    assert_eq!(mode("id_number"), Some(serde_json::json!("masked")), "personal data, masked");
    assert_eq!(mode("tier"), Some(serde_json::json!("read_only")));
    assert!(customer["fields"][0]["label"]["zh-CN"].is_string(), "labels as the metadata gives them");
    assert!(rm.body["tasks"]["open"].is_i64() && rm.body["tasks"]["overdue"].is_i64(), "{}", rm.body);
    assert_eq!(rm.body["tasks"]["leads"], false, "an RM leads no team");
    // The counts are those of the inbox each one sees: the administrator sees every task.
    server::flows::run_due_timers(&env.state, env.now()).await.expect("the SOPs' due timers");
    let everyone = env.get("/api/v1/workspace").await.body["tasks"]["open"].clone();
    let inbox = env.get("/api/v1/tasks?whose=mine").await.body["items"].as_array().map(Vec::len).unwrap_or_default();
    let all = env.get("/api/v1/tasks").await.body["items"].as_array().map(Vec::len).unwrap_or_default();
    assert!(all > 0, "the seeded holdings' SOPs raised tasks");
    // Every field the app is given says how its reader sees it, a sub-table's columns too
    // (the document's FieldMeta requires it): the workspace's and a task's own.
    fn modes(fields: &serde_json::Value, missing: &mut Vec<String>) {
        for field in fields.as_array().into_iter().flatten() {
            if !field["mode"].is_string() {
                missing.push(field["key"].to_string());
            }
            modes(&field["fields"], missing);
        }
    }
    let mut missing = Vec::new();
    let workspace = env.get("/api/v1/workspace").await.body;
    for form in
        workspace["apps"].as_array().into_iter().flatten().flat_map(|a| a["forms"].as_array().into_iter().flatten())
    {
        modes(&form["fields"], &mut missing);
    }
    let first = env.get("/api/v1/tasks?limit=1").await.body["items"][0]["id"].clone();
    let task = env.get(&format!("/api/v1/tasks/{first}")).await;
    assert_eq!(task.status, 200, "{}", task.body);
    modes(&task.body["form"]["fields"], &mut missing);
    assert_eq!(missing, Vec::<String>::new(), "fields without their mode");
    assert_eq!(everyone, serde_json::json!(inbox), "the badge counts the list the inbox opens on (their own)");
    let nobody = as_user("temp").await;
    assert_eq!((nobody.status, nobody.body["apps"].clone()), (200, serde_json::json!([])));
    assert_eq!(nobody.body["tasks"]["leads"], true, "the branch's manager leads it");
    env.finish().await;
}

/// The web app's field type (`FieldMeta`) is the bundle schema's field: every property the
/// metadata may give and every type are in it, so no field reaches the app untyped.
#[test]
fn the_documents_field_is_the_bundles_field() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../engine-form/schema/bundle.schema.json");
    let bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the bundle schema")).expect("JSON");
    let field = &bundle["$defs"]["field"];
    let document = server::api::platform_document();
    let schemas = &document["components"]["schemas"];
    let meta = schemas["FieldMeta"]["properties"].as_object().expect("FieldMeta's properties");
    for key in field["properties"].as_object().expect("field properties").keys() {
        assert!(meta.contains_key(key), "FieldMeta lacks `{key}`");
    }
    assert_eq!(schemas["FieldType"]["enum"], field["properties"]["type"]["enum"], "the field types");
}
