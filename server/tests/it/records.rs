//! Records: create, read, update with If-Match, delete; exact money; relations, lookups
//! and sub-tables; uniqueness.

use serde_json::json;

use crate::support::{Backend, both_backends, start};

both_backends!(
    delete_racing_a_linking_create_is_refused,
    crud_with_optimistic_concurrency,
    money_is_exact_end_to_end,
    relations_lookups_and_sub_tables,
    uniqueness_is_enforced,
    datetimes_are_stored_in_utc,
    fields_on_a_single_get_are_honoured
);

const CUSTOMERS: &str = "/api/v1/apps/bank_crm/forms/customer/records";

async fn crud_with_optimistic_concurrency(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let created = env.post(CUSTOMERS, &json!({ "customer_no": "T1", "name": "Test", "tier": "potential" })).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_i64().expect("id");
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(created.header("location"), Some(format!("{CUSTOMERS}/{id}")));
    assert_eq!(created.body["aum"], "0.00", "the default applies");
    let uri = format!("{CUSTOMERS}/{id}");

    let missing = env.send("PATCH", &uri, Some("{\"tier\":\"hnw\"}"), &[]).await;
    assert_eq!((missing.status, missing.body["code"].as_str()), (428, Some("version_required")));
    let updated = env.patch(&uri, 1, &json!({ "tier": "hnw", "aum": "5000000.01" })).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!((updated.body["_version"].as_i64(), updated.body["tier"].as_str()), (Some(2), Some("hnw")));
    let stale = env.patch(&uri, 1, &json!({ "tier": "mass" })).await;
    assert_eq!((stale.status, stale.body["code"].as_str()), (412, Some("version_mismatch")));
    assert_eq!(env.get(&uri).await.body["tier"], "hnw", "the stale write changed nothing");

    let invalid = env.patch(&uri, 2, &json!({ "name": null, "aum": "-1" })).await;
    assert_eq!(invalid.status, 422);
    assert_eq!(invalid.error_paths(), vec!["/name required", "/aum min"]);

    assert_eq!(env.send("DELETE", &uri, None, &[("if-match", "\"1\"")]).await.status, 412);
    assert_eq!(env.delete(&uri).await.status, 204);
    assert_eq!(env.get(&uri).await.status, 404);
    assert_eq!(env.delete(&uri).await.status, 404);
    env.finish().await;
}

async fn money_is_exact_end_to_end(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    // 16 digits before the point and 2 after: a float would lose the cents.
    let body = r#"{"customer_no": "M1", "name": "Money", "aum": 1234567890123456.78, "annual_income": "0.10"}"#;
    let created = env.send("POST", CUSTOMERS, Some(body), &[]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["aum"], "1234567890123456.78");
    let id = created.body["id"].as_i64().expect("id");
    let found = env.get(&format!("{CUSTOMERS}?filter=aum:eq:1234567890123456.78&fields=aum")).await;
    assert_eq!(found.body["items"][0]["id"], id, "exact comparison in SQL");
    let point_three =
        env.get(&format!("{CUSTOMERS}?filter=annual_income:gt:0.09,annual_income:lt:0.11&fields=annual_income")).await;
    assert_eq!(point_three.body["items"][0]["annual_income"], "0.10");
    let too_precise = env.post(CUSTOMERS, &json!({ "customer_no": "M2", "name": "x", "aum": "1.005" })).await;
    assert_eq!(too_precise.error_paths(), vec!["/aum decimal"], "never rounded silently");
    env.finish().await;
}

async fn relations_lookups_and_sub_tables(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.shows_personal_data().await;
    let notes = "/api/v1/apps/bank_crm/forms/follow_up/records";
    let bad = env
        .post(notes, &json!({ "customer": 999, "contacted_at": "2026-11-28T10:00:00+08:00", "summary": "x", "proposals": [{ "product": 998 }, { "amount": "1" }] }))
        .await;
    assert_eq!(bad.status, 422);
    let mut paths = bad.error_paths();
    paths.sort();
    assert_eq!(paths, vec!["/proposals/1/product required"], "shape errors come first, before database checks");
    let bad = env.post(notes, &json!({ "customer": 999, "contacted_at": "2026-11-28T10:00:00+08:00", "summary": "x", "proposals": [{ "product": 998 }] })).await;
    let mut paths = bad.error_paths();
    paths.sort();
    assert_eq!(paths, vec!["/customer not_found", "/proposals/0/product not_found"]);

    let created = env
        .post(notes, &json!({ "customer": 1, "contacted_at": "2026-11-28T10:00:00+08:00", "summary": "Call", "proposals": [{ "product": 2, "amount": "10.5" }, { "product": 1 }] }))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["_lookup"]["customer"], json!({ "name": "李伟", "tier": "hnw", "mobile": "13700000001" }));
    assert_eq!(
        created.body["proposals"],
        json!([{ "product": 2, "amount": "10.50", "outcome": null }, { "product": 1, "amount": null, "outcome": null }])
    );
    let uri = format!("{notes}/{}", created.body["id"]);
    let replaced = env.patch(&uri, 1, &json!({ "proposals": [{ "product": 3, "outcome": "accepted" }] })).await;
    assert_eq!(replaced.body["proposals"], json!([{ "product": 3, "amount": null, "outcome": "accepted" }]));

    let linked = env.delete("/api/v1/apps/bank_crm/forms/product/records/3").await;
    assert_eq!(
        (linked.status, linked.body["code"].as_str()),
        (409, Some("still_linked")),
        "a product in a proposal row"
    );
    assert_eq!(env.delete(&uri).await.status, 204);
    let listed = env.get("/api/v1/apps/bank_crm/forms/follow_up/records?fields=summary,proposals").await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1), "only the seeded note is left");
    assert_eq!(listed.body["items"][0]["proposals"].as_array().map(Vec::len), Some(2));
    env.finish().await;
}

async fn uniqueness_is_enforced(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let dup = env.post(CUSTOMERS, &json!({ "customer_no": "C0001", "name": "Twin" })).await;
    assert_eq!((dup.status, dup.error_paths()), (422, vec!["/customer_no unique".to_owned()]));
    let other = env.post(CUSTOMERS, &json!({ "customer_no": "C9999", "name": "Other", "tier": "potential" })).await;
    let uri = format!("{CUSTOMERS}/{}", other.body["id"]);
    assert_eq!(env.patch(&uri, 1, &json!({ "customer_no": "C0002" })).await.status, 422);
    assert_eq!(
        env.patch(&uri, 1, &json!({ "customer_no": "C9999", "name": "Same number" })).await.status,
        200,
        "keeping its own value is fine"
    );
    env.finish().await;
}

async fn datetimes_are_stored_in_utc(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.shows_personal_data().await;
    let r = env.post(CUSTOMERS, &json!({ "customer_no": "D1", "name": "Zone", "last_mobile_login": "2026-03-01T07:30:00+08:00", "birthday": "1988-02-29" })).await;
    assert_eq!(r.body["last_mobile_login"], "2026-02-28T23:30:00.000000Z");
    assert_eq!(r.body["birthday"], "1988-02-29");
    let naive = env
        .post(CUSTOMERS, &json!({ "customer_no": "D2", "name": "Naive", "last_mobile_login": "2026-03-01T07:30:00" }))
        .await;
    assert_eq!(naive.error_paths(), vec!["/last_mobile_login datetime"], "a date-time without a zone is refused");
    // Filters compare instants, whatever zone they are written in.
    let zone = |filter: &str| format!("{CUSTOMERS}?fields=name&filter=customer_no:eq:D1,{filter}");
    assert_eq!(
        env.get(&zone("last_mobile_login:lt:2026-03-01T07:31:00%2B08:00")).await.body["items"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        env.get(&zone("last_mobile_login:lt:2026-02-28T23:30:00Z")).await.body["items"].as_array().map(Vec::len),
        Some(0)
    );
    assert_eq!(
        env.get(&zone("last_mobile_login:eq:2026-02-28T15:30:00-08:00")).await.body["items"].as_array().map(Vec::len),
        Some(1)
    );
    env.finish().await;
}

/// Regression: on PostgreSQL a delete could check "nothing links here" while a create that
/// links to the same record was still uncommitted, and leave a dangling link. The create
/// holds its target FOR SHARE and the delete locks its record before checking links.
async fn delete_racing_a_linking_create_is_refused(backend: Backend) {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockType, Query};
    use sea_orm::{ConnectionTrait, TransactionTrait};
    use std::time::Duration;

    let env = start(backend).await.with_bank_crm().await;
    let created = env.post(CUSTOMERS, &json!({ "customer_no": "RACE", "name": "Race" })).await;
    let id = created.body["id"].as_i64().expect("id");
    // What creating a follow-up for this customer does, held open.
    let create = env.state.db.conn.begin().await.expect("begin");
    let lock = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("t_bank_crm_customer"))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .lock(LockType::Share)
        .to_owned();
    assert!(create.query_one(&lock).await.expect("lock").is_some());
    let now = env.now();
    let insert = Query::insert()
        .into_table(Alias::new("t_bank_crm_follow_up"))
        .columns(["_version", "_created_at", "_updated_at", "f_customer", "f_summary"].map(Alias::new))
        .values_panic([1i64.into(), now.into(), now.into(), id.into(), "call".into()])
        .to_owned();
    create.execute(&insert).await.expect("insert the linking record");

    let uri = format!("{CUSTOMERS}/{id}");
    let delete = env.delete(&uri);
    let commit = async {
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        create.commit().await.expect("commit");
    };
    let (deleted, ()) = futures_util::future::join(delete, commit).await;
    assert_eq!((deleted.status, deleted.body["code"].as_str()), (409, Some("still_linked")), "{}", deleted.body);
    env.finish().await;
}

/// `fields=` on a single-record GET returns those fields and the system columns, as a
/// list does; a field the form lacks is a 400 at `/fields`.
async fn fields_on_a_single_get_are_honoured(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let created = env.post(CUSTOMERS, &json!({ "customer_no": "F1", "name": "Fields", "tier": "potential" })).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let uri = format!("{CUSTOMERS}/{}", created.body["id"]);
    let some = env.get(&format!("{uri}?fields=name,tier")).await;
    assert_eq!(some.status, 200, "{}", some.body);
    assert_eq!(some.header("etag").as_deref(), Some("\"1\""));
    let mut keys: Vec<&str> = some.body.as_object().expect("a record").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["_created_at", "_updated_at", "_version", "id", "name", "tier"], "{}", some.body);
    let unknown = env.get(&format!("{uri}?fields=name,nope")).await;
    assert_eq!((unknown.status, unknown.body["code"].as_str()), (400, Some("bad_query")), "{}", unknown.body);
    assert_eq!(unknown.body["errors"][0]["path"], "/fields");
    env.finish().await;
}
