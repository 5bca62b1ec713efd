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

crate::support::both_backends!(the_web_app_is_served_at_the_root);

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
