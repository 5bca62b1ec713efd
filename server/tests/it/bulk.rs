//! One change to many records: through the write pipeline with the caller's roles, all or
//! nothing, every refusal named.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(a_bulk_change_is_all_or_nothing_and_names_each_refusal);

const PASSWORD: &str = "a long enough secret";
const CUSTOMERS: &str = "/api/v1/apps/bank_crm/forms/customer/records";
const BULK: &str = "/api/v1/apps/bank_crm/forms/customer/bulk";

async fn a_bulk_change_is_all_or_nothing_and_names_each_refusal(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let ids_where = |filter: &'static str| {
        let env = &env;
        async move {
            let r = env.get(&format!("{CUSTOMERS}?fields=name&sort=id&filter={filter}")).await;
            r.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["id"].as_i64().expect("id"))
                .collect::<Vec<i64>>()
        }
    };
    let risk = |id: i64| {
        let env = &env;
        async move { env.get(&format!("{CUSTOMERS}/{id}?fields=risk_level")).await.body["risk_level"].clone() }
    };
    let hers = ids_where("relationship_manager:eq:1").await;
    let others = ids_where("relationship_manager:eq:2").await;
    assert!(hers.len() >= 2 && !others.is_empty(), "{hers:?} {others:?}");
    let before: Vec<Value> = futures_all(hers.iter().map(|id| risk(*id))).await;

    // The RM: her customers change together; one of another RM's spoils the whole change.
    let user = json!({ "username": "zhang.min", "password": PASSWORD, "org_unit": "sh001", "app_roles": { "bank_crm": ["relationship_manager"] } });
    let directory = json!({ "org_units": [{ "key": "sh001", "name": "上海陆家嘴支行" }], "users": [user] });
    assert_eq!(env.post("/api/v1/directory/import", &directory).await.status, 200);
    let (token, _) =
        server::auth::login(&env.state.db.conn, "zhang.min", PASSWORD, server::auth::wall_now()).await.expect("in");
    let rm = format!("Bearer {token}");
    let as_rm = |body: Value| {
        let rm = rm.clone();
        let env = &env;
        async move { env.send("POST", BULK, Some(&body.to_string()), &[("authorization", &rm)]).await }
    };
    let mut mixed = hers.clone();
    mixed.push(others[0]);
    let spoiled = as_rm(json!({ "action": "update", "ids": mixed, "values": { "risk_level": "r1" } })).await;
    assert_eq!(spoiled.status, 422, "{}", spoiled.body);
    assert_eq!(spoiled.error_paths(), vec![format!("/ids/{} not_found", hers.len())], "only the one not hers");
    assert_eq!(futures_all(hers.iter().map(|id| risk(*id))).await, before, "nothing of the change remains");
    // A value her roles do not let her write, named for every record.
    let read_only = as_rm(json!({ "action": "update", "ids": hers, "values": { "tier": "mass" } })).await;
    assert_eq!(read_only.status, 422, "{}", read_only.body);
    assert_eq!(read_only.error_paths().len(), hers.len(), "each record named: {}", read_only.body);
    assert!(
        read_only.body["errors"][0]["message"].as_str().is_some_and(|m| m.starts_with(&format!("record {}:", hers[0])))
    );
    let done = as_rm(json!({ "action": "update", "ids": hers, "values": { "risk_level": "r1" } })).await;
    assert_eq!((done.status, done.body["changed"].as_u64()), (200, Some(hers.len() as u64)), "{}", done.body);
    for id in &hers {
        assert_eq!(risk(*id).await, "r1");
    }
    let trail = env.get(&format!("/api/v1/apps/bank_crm/forms/customer/records/{}/history", hers[0])).await;
    assert!(trail.body["items"].as_array().is_some_and(|h| h.len() >= 2), "audited as any update: {}", trail.body);
    let no_delete = as_rm(json!({ "action": "delete", "ids": [hers[0]] })).await;
    assert_eq!(no_delete.status, 422, "her roles do not delete customers: {}", no_delete.body);

    // Fifty at once: each all or nothing, the records consistent after.
    let same = json!({ "action": "update", "ids": hers, "values": { "risk_level": "r2" } });
    let answers = futures_all((0..50).map(|_| as_rm(same.clone()))).await;
    assert!(answers.iter().all(|a| a.status == 200), "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    for id in &hers {
        assert_eq!(risk(*id).await, "r2");
    }

    // Bad requests name what is wrong.
    for (body, path) in [
        (json!({ "action": "upsert", "ids": [1] }), "/action"),
        (json!({ "action": "update", "ids": [], "values": { "risk_level": "r1" } }), "/ids"),
        (json!({ "action": "update", "ids": [1, 1], "values": { "risk_level": "r1" } }), "/ids/1"),
        (
            json!({ "action": "update", "ids": (1..=1001).collect::<Vec<i64>>(), "values": { "risk_level": "r1" } }),
            "/ids",
        ),
        (json!({ "action": "update", "ids": [1] }), "/values"),
        (json!({ "action": "delete", "ids": [1], "values": { "risk_level": "r1" } }), "/values"),
    ] {
        let refused = env.post(BULK, &body).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert_eq!(refused.body["errors"][0]["path"], path, "{}", refused.body);
    }
    // The administrator deletes together; a customer other records still link to stays,
    // and so do the others named with it.
    let mut fresh = Vec::new();
    for n in 0..2 {
        let made = env.post(CUSTOMERS, &json!({ "customer_no": format!("B{n}"), "name": format!("新客户{n}") })).await;
        fresh.push(made.body["id"].as_i64().expect("created"));
    }
    let linked = env.post(BULK, &json!({ "action": "delete", "ids": [fresh[0], others[0], fresh[1]] })).await;
    assert_eq!(linked.error_paths(), vec!["/ids/1 still_linked"], "{}", linked.body);
    assert_eq!(env.get(&format!("{CUSTOMERS}/{}", fresh[0])).await.status, 200, "nothing deleted");
    let deleted = env.post(BULK, &json!({ "action": "delete", "ids": fresh })).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(env.get(&format!("{CUSTOMERS}/{}", fresh[1])).await.status, 404);
    env.finish().await;
}

async fn futures_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    futures_util::future::join_all(futures).await
}
