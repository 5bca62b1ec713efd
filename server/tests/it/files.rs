//! Files: upload, attach within a field's limits, download.

use serde_json::json;

use crate::support::{Backend, both_backends, start};

both_backends!(attachments_respect_field_limits);

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
