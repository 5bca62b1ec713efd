//! Files: upload, attach within a field's limits, download.

use serde_json::json;

use crate::support::{Backend, both_backends, start};

both_backends!(attachments_respect_field_limits, files_follow_their_record);

async fn attachments_respect_field_limits(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let upload = |name: &'static str, content_type: &'static str, bytes: &'static str| {
        let env = &env;
        async move {
            env.send(
                "POST",
                &format!("/api/v1/apps/bank_crm/files?name={name}"),
                Some(bytes),
                &[("content-type", content_type)],
            )
            .await
        }
    };
    let pdf = upload("terms.pdf", "application/pdf", "%PDF-1.4 fake but bytes").await;
    assert_eq!(pdf.status, 201, "{}", pdf.body);
    let text = upload("notes.txt", "text/plain", "hello").await;
    let products = "/api/v1/apps/bank_crm/forms/product/records";
    let bad = env.post(products, &json!({ "code": "X1", "name": "X", "prospectus": [text.body["id"], 424242] })).await;
    assert_eq!(bad.error_paths(), vec!["/prospectus/0 file", "/prospectus/1 file"]);
    let ok = env.post(products, &json!({ "code": "X2", "name": "X", "prospectus": [pdf.body["id"]] })).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.body["prospectus"], json!([pdf.body["id"]]));
    let got = env.get(&format!("/api/v1/apps/bank_crm/files/{}", pdf.body["id"])).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type").as_deref(), Some("application/pdf"));
    assert_eq!(got.body, json!("%PDF-1.4 fake but bytes"));
    assert_eq!(env.get("/api/v1/apps/other/files/1").await.status, 404);
    env.finish().await;
}

/// Who may upload, attach and download: a file is its uploader's until it is attached,
/// then whoever may read that field of that record may read it, and it stays with it.
async fn files_follow_their_record(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let password = "a long enough secret";
    let user = |name: &str, roles: &[&str]| json!({ "username": name, "password": password, "app_roles": { "bank_crm": roles } });
    let people = json!({ "users": [user("pm1", &["product_manager"]), user("pm2", &["product_manager"]),
        user("rm", &["relationship_manager"]), user("outsider", &[])] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let mut tokens = std::collections::HashMap::new();
    for name in ["pm1", "pm2", "rm", "outsider"] {
        let (token, _) =
            server::auth::login(&env.state.db.conn, name, password, server::auth::wall_now()).await.expect("signed in");
        tokens.insert(name, format!("Bearer {token}"));
    }
    let as_user = |who: &str, method: &'static str, uri: String, body: Option<String>| {
        let auth = tokens[who].clone();
        let env = &env;
        async move {
            let mut headers = vec![("authorization", auth.as_str()), ("if-match", "\"1\"")];
            if method == "POST" && uri.contains("/files") {
                headers.push(("content-type", "application/pdf"));
            }
            env.send(method, &uri, body.as_deref(), &headers).await
        }
    };
    let upload = "/api/v1/apps/bank_crm/files?name=terms.pdf".to_owned();
    let file = |id: i64| format!("/api/v1/apps/bank_crm/files/{id}");
    let refused = as_user("outsider", "POST", upload.clone(), Some("%PDF".into())).await;
    assert_eq!(refused.status, 403, "no role that writes attachments: {}", refused.body);
    let f1 = as_user("pm1", "POST", upload.clone(), Some("%PDF one".into())).await.body["id"].as_i64().expect("f1");
    assert_eq!(as_user("pm2", "GET", file(f1), None).await.status, 404, "not yet attached: its uploader's only");
    assert_eq!(as_user("pm1", "GET", file(f1), None).await.status, 200);

    let products = "/api/v1/apps/bank_crm/forms/product/records".to_owned();
    let product =
        |code: &str, files: Vec<i64>| Some(json!({ "code": code, "name": code, "prospectus": files }).to_string());
    let taken = as_user("pm2", "POST", products.clone(), product("P-A", vec![f1])).await;
    assert_eq!(taken.body["errors"][0]["message"], format!("file {f1} was uploaded by someone else"));
    let created = as_user("pm1", "POST", products.clone(), product("P-B", vec![f1])).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(as_user("rm", "GET", file(f1), None).await.status, 200, "whoever reads the product reads its file");
    assert_eq!(as_user("outsider", "GET", file(f1), None).await.status, 403);

    let f2 = as_user("pm2", "POST", upload.clone(), Some("%PDF two".into())).await.body["id"].as_i64().expect("f2");
    let other = as_user("pm2", "POST", products.clone(), product("P-C", vec![f2])).await;
    assert_eq!(other.status, 201, "{}", other.body);
    let uri = format!("{products}/{}", created.body["id"]);
    let moved = as_user("pm1", "PATCH", uri.clone(), Some(json!({ "prospectus": [f1, f2] }).to_string())).await;
    assert_eq!(moved.body["errors"][0]["message"], format!("file {f2} belongs to another record"));
    let kept = as_user("pm1", "PATCH", uri, Some(json!({ "prospectus": [f1], "name": "P-B2" }).to_string())).await;
    assert_eq!(kept.status, 200, "a record keeps its own files: {}", kept.body);
    env.finish().await;
}
