//! Several stateless server processes share one PostgreSQL: a publish through one is
//! served by the others on their next request.

use serde_json::json;

use crate::process::{PgDb, Server};

#[test]
fn a_publish_on_one_server_is_seen_by_another_at_once() {
    let db = PgDb::new();
    // Both start at once on an empty database: one migrates the platform tables, the other waits.
    let a = Server::spawn(&db.url, &[]);
    let b = Server::spawn(&db.url, &[]);
    a.wait_healthy();
    b.wait_healthy();
    let label = |t: &str| json!({ "zh-CN": t, "en": t });
    let bundle = json!({ "key": "shared", "name": label("Shared"), "forms": [{ "key": "note", "label": label("Note"),
        "fields": [{ "key": "text", "type": "text", "label": label("Text"), "required": true }] }] });
    assert_eq!(a.request("POST", "/api/v1/apps", Some(&bundle)).0, 201);
    assert_eq!(a.request("POST", "/api/v1/apps/shared/publish", Some(&json!({}))).0, 200);
    let (status, created) =
        b.request("POST", "/api/v1/apps/shared/forms/note/records", Some(&json!({ "text": "from b" })));
    assert_eq!(status, 201, "{created}");

    let form = json!({ "key": "note", "label": label("Note"), "fields": [
        { "key": "text", "type": "text", "label": label("Text"), "required": true },
        { "key": "stars", "type": "integer", "label": label("Stars"), "min": 1, "max": 5 } ] });
    assert_eq!(a.request("PUT", "/api/v1/apps/shared/drafts/forms/note", Some(&form)).0, 200);
    assert_eq!(a.request("POST", "/api/v1/apps/shared/publish", Some(&json!({}))).0, 200);

    let (status, body) =
        b.request("POST", "/api/v1/apps/shared/forms/note/records", Some(&json!({ "text": "new field", "stars": 9 })));
    assert_eq!(
        (status, body["errors"][0]["path"].as_str()),
        (422, Some("/stars")),
        "b checks against version 2: {body}"
    );
    let (status, body) =
        b.request("POST", "/api/v1/apps/shared/forms/note/records", Some(&json!({ "text": "new field", "stars": 4 })));
    assert_eq!((status, body["stars"].as_i64()), (201, Some(4)), "{body}");
    let (_, list) = a.request("GET", "/api/v1/apps/shared/forms/note/records?fields=text,stars", None);
    assert_eq!(
        list["items"],
        json!([
            { "id": 1, "_version": 1, "_created_at": list["items"][0]["_created_at"], "_updated_at": list["items"][0]["_updated_at"], "text": "from b", "stars": null },
            { "id": 2, "_version": 1, "_created_at": list["items"][1]["_created_at"], "_updated_at": list["items"][1]["_updated_at"], "text": "new field", "stars": 4 },
        ])
    );
}
