//! What the designers build on: drafts saved with optimistic concurrency, so two analysts
//! editing one document never overwrite each other silently.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(two_designers_saving_one_draft_overwrote_each_other);

const BRANCH: &str = "/api/v1/apps/bank_crm/forms/branch";

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
    let made =
        env.send("PUT", "/api/v1/apps/bank_crm/forms/region", Some(&new.to_string()), &[("if-match", "\"0\"")]).await;
    assert_eq!((made.status, made.body["revision"].as_i64()), (200, Some(1)), "{}", made.body);
    let blind = env.send("PUT", BRANCH, Some(&renamed(&draft, "网点")), &[]).await;
    assert_eq!((blind.status, blind.body["revision"].as_i64()), (200, Some(4)), "{}", blind.body);
    let bad = env.send("PUT", BRANCH, Some(&renamed(&draft, "网点")), &[("if-match", "yesterday")]).await;
    assert_eq!((bad.status, bad.body["code"].as_str()), (400, Some("bad_if_match")));

    // A delete over a stale revision is refused too; over the current one it goes.
    let region = "/api/v1/apps/bank_crm/forms/region";
    assert_eq!(env.send("PUT", region, Some(&new.to_string()), &[]).await.status, 200);
    assert_eq!(env.send("DELETE", region, None, &[("if-match", "\"1\"")]).await.status, 412);
    assert_eq!(env.send("DELETE", region, None, &[("if-match", "\"2\"")]).await.status, 204);
    let listed = env.get("/api/v1/apps/bank_crm/forms").await;
    let branch = listed.body["items"].as_array().expect("items").iter().find(|d| d["key"] == "branch").cloned();
    assert_eq!(branch.map(|b| b["revision"].clone()), Some(json!(4)), "the list gives each draft's revision");
    env.finish().await;
}
