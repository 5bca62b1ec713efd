//! Every stored value is bounded, checked as it was sent: saved views, drafts, uploads and
//! their names, a sub-table's rows, a task's outcome, the directory's names.

use serde_json::{Value, json};

use crate::rules::rows;
use crate::support::{Backend, both_backends, start};

both_backends!(saved_views_could_fill_the_disk, drafts_uploads_and_rows_had_no_stored_bound);

const APP: &str = "/api/v1/apps/bank_crm";

/// The check trimmed the search text but the raw text was stored: 25 views with a 3.9 MB
/// search added 104 MB; 500,000 columns were accepted.
async fn saved_views_could_fill_the_disk(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let views = format!("{APP}/forms/customer/views");
    let padded = format!("{}李", " ".repeat(3_900_000));
    let refused = [
        (json!({ "name": "wide", "search": padded }), "/search"),
        (json!({ "name": padded, "search": "李" }), "/name"),
        (json!({ "name": "long", "where": format!("{}tier == 'hnw'", " ".repeat(5_000)) }), "/where"),
        (json!({ "name": "sorted", "sort": "name,".repeat(300) }), "/sort"),
        (json!({ "name": "columns", "columns": vec!["name"; 500_000] }), "/columns"),
        (json!({ "name": "twice", "columns": ["name", "name"] }), "/columns"),
    ];
    for (view, at) in &refused {
        let answer = env.post(&views, view).await;
        assert!([400, 422].contains(&answer.status), "{at}: {}", answer.status);
        assert_eq!(answer.body["errors"][0]["path"], *at, "{}", answer.body["detail"]);
    }
    let saved = env.post(&views, &json!({ "name": "  高净值  ", "search": "李", "columns": ["name", "aum"] })).await;
    assert_eq!(saved.status, 201, "{}", saved.body);
    let stored = rows(&env, "SELECT name, definition FROM trellis_views").await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0][1].len() < 200, "what is stored is what was accepted: {stored:?}");
    env.finish().await;
}

/// A draft, an upload's name and type, a user's unattached uploads, a sub-table's rows, a
/// task's free outcome and the directory's names were stored whatever their size.
async fn drafts_uploads_and_rows_had_no_stored_bound(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let huge = json!({ "key": "big", "trigger": { "on": "created", "form": "customer" }, "label": { "en": "x".repeat(1_100_000) } });
    let draft = env.put(&format!("{APP}/drafts/rules/big"), &huge).await;
    assert_eq!(
        (draft.status, draft.body["code"].as_str()),
        (413, Some("payload_too_large")),
        "{}",
        draft.body["detail"]
    );
    assert!(rows(&env, "SELECT key FROM trellis_drafts WHERE key = 'big'").await.is_empty());

    let upload = |name: String, kind: String| {
        let env = &env;
        async move {
            let uri = format!("{APP}/files?name={name}");
            env.send("POST", &uri, Some("%PDF-1.4"), &[("content-type", kind.as_str())]).await
        }
    };
    let turned = upload("invoice%E2%80%AEfdp.exe".into(), "application/pdf".into()).await;
    assert_eq!(turned.error_paths(), ["/name bad_name"], "a right-to-left override in a name");
    let long_type = upload("a.pdf".into(), format!("application/{}", "x".repeat(300))).await;
    assert_eq!(long_type.status, 400, "{}", long_type.body);
    // A name in Chinese downloads as RFC 6266 says: UTF-8 in filename*, ASCII beside it.
    let named = upload("%E5%AF%B9%E8%B4%A6%E5%8D%95.pdf".into(), "application/pdf".into()).await;
    assert_eq!(named.status, 201, "{}", named.body);
    let got = env.get(&format!("{APP}/files/{}", named.body["id"])).await;
    let disposition = got.header("content-disposition").expect("a disposition");
    assert!(
        disposition.contains("filename=\"___.pdf\"")
            && disposition.contains("filename*=UTF-8''%E5%AF%B9%E8%B4%A6%E5%8D%95.pdf"),
        "{disposition}"
    );
    // At most 100 uploads wait to be attached.
    let mut last = Value::Null;
    for i in 1..=100 {
        let answer = upload(format!("f{i}.pdf"), "application/pdf".into()).await;
        last = json!([answer.status, answer.body["code"]]);
        if answer.status != 201 {
            break;
        }
    }
    assert_eq!(last, json!([409, "too_many_uploads"]), "the hundredth and first");
    server::files::forget_unattached(&env.state.db.conn, env.now() + chrono::Duration::days(2)).await.expect("forgot");
    assert_eq!(upload("again.pdf".into(), "application/pdf".into()).await.status, 201, "a day on, room again");

    let customer =
        env.get(&format!("{APP}/forms/customer/records?limit=1&fields=name")).await.body["items"][0]["id"].clone();
    let row = json!({ "product": Value::Null });
    let follow_up = json!({ "customer": customer, "contacted_at": env.now().to_rfc3339(), "method": "call",
        "summary": "x", "proposals": vec![row; engine_form::MAX_ROWS + 1] });
    let many = env.post(&format!("{APP}/forms/follow_up/records"), &follow_up).await;
    assert_eq!(many.error_paths(), ["/proposals max_rows"], "{}", many.body["detail"]);

    let unit = json!({ "key": "far", "name": "远".repeat(101) });
    assert_eq!(env.post("/api/v1/org-units", &unit).await.error_paths(), ["/org_units/0/name too_long"]);
    let named = env.put("/api/v1/users/li.na", &json!({ "display_name": "娜".repeat(101) })).await;
    assert_eq!(named.error_paths(), ["/users/0/display_name too_long"]);
    env.finish().await;
}
