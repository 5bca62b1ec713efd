//! The bank CRM's app roles through the HTTP API: for each role, each operation on
//! customers inside and outside the user's records, with personal data masked.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(
    every_role_reaches_exactly_its_records_and_fields,
    rules_can_act_for_the_user,
    drafts_were_readable_by_every_signed_in_user
);

fn names(body: &Value) -> Vec<String> {
    body["items"].as_array().expect("items").iter().filter_map(|c| c["name"].as_str().map(str::to_owned)).collect()
}

async fn every_role_reaches_exactly_its_records_and_fields(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let password = "a long enough secret";
    let user = |name: &str, unit: &str, role: &str| json!({ "username": name, "password": password, "org_unit": unit, "app_roles": { "bank_crm": [role] } });
    let directory = json!({
        "org_units": [
            { "key": "hq", "name": "总行" },
            { "key": "sh001", "name": "上海陆家嘴支行", "parent": "hq" },
            { "key": "bj001", "name": "北京金融街支行", "parent": "hq" }
        ],
        "users": [
            user("zhang.min", "sh001", "relationship_manager"), user("wang.lei", "bj001", "relationship_manager"),
            user("sh.manager", "sh001", "branch_manager"), user("hq.manager", "hq", "branch_manager"),
            user("analyst", "hq", "analyst"), user("compliance", "hq", "compliance"),
            { "username": "nobody", "password": password, "org_unit": "hq", "app_roles": { "bank_crm": [] } },
            user("core.banking", "hq", "integration")
        ]
    });
    let imported = env.post("/api/v1/directory/import", &directory).await;
    assert_eq!(imported.status, 200, "{}", imported.body);
    let conn = &env.state.db.conn;
    let mut tokens = std::collections::HashMap::new();
    for name in ["zhang.min", "wang.lei", "sh.manager", "hq.manager", "analyst", "compliance", "nobody", "core.banking"]
    {
        let (token, _) = server::auth::login(conn, name, password, server::auth::wall_now()).await.expect("signed in");
        tokens.insert(name, format!("Bearer {token}"));
    }
    let customers = "/api/v1/apps/bank_crm/forms/customer/records";
    let all = env.get(&format!("{customers}?sort=id")).await;
    let id_of = |name: &str| {
        all.body["items"].as_array().expect("items").iter().find(|c| c["name"] == name).expect("customer")["id"]
            .as_i64()
            .expect("id")
    };
    let (li, zhao, sun) = (id_of("李伟"), id_of("赵刚"), id_of("孙丽"));
    let call = |who: &str, method: &'static str, uri: String, body: Option<Value>| {
        let auth = tokens[who].clone();
        let env = &env;
        async move {
            let body = body.map(|b| b.to_string());
            env.send(method, &uri, body.as_deref(), &[("authorization", &auth), ("if-match", "\"1\"")]).await
        }
    };

    // Lists: each sees exactly their records.
    let seen = |who: &'static str| call(who, "GET", format!("{customers}?sort=id&fields=name,id_number,mobile"), None);
    assert_eq!(names(&seen("zhang.min").await.body), ["李伟", "陈静", "周洋"]);
    assert_eq!(names(&seen("wang.lei").await.body), ["赵刚", "孙丽", "吴芳"]);
    assert_eq!(names(&seen("sh.manager").await.body), ["李伟", "陈静", "周洋"], "the branch's customers");
    assert_eq!(names(&seen("hq.manager").await.body).len(), 6, "the head office and every branch below it");
    assert_eq!(names(&seen("analyst").await.body).len(), 6);
    let none = seen("nobody").await;
    assert_eq!((none.status, none.body["code"].as_str()), (403, Some("forbidden")), "a role that grants nothing");

    // Personal data: masked unless a role shows it.
    let rm = seen("zhang.min").await.body["items"][0].clone();
    assert_eq!((rm["id_number"].as_str(), rm["mobile"].as_str()), (Some("110***********0001"), Some("13700000001")));
    let analyst = seen("analyst").await.body["items"][0].clone();
    assert_eq!(
        (analyst["id_number"].as_str(), analyst["mobile"].as_str()),
        (Some("110***********0001"), Some("*******0001"))
    );
    let compliance = seen("compliance").await.body["items"][0].clone();
    assert_eq!(compliance["id_number"], "110101198001010001");
    let single = call("analyst", "GET", format!("{customers}/{li}"), None).await;
    assert_eq!(single.body["mobile"], "*******0001", "a single read is masked too");

    // Single reads and writes, inside and outside each user's records.
    let aum = || Some(json!({ "annual_income": "100.00" }));
    let cases: Vec<(&str, &str, String, Option<Value>, u16)> = vec![
        ("zhang.min", "GET", format!("{customers}/{li}"), None, 200),
        ("zhang.min", "GET", format!("{customers}/{zhao}"), None, 404),
        ("zhang.min", "PATCH", format!("{customers}/{zhao}"), aum(), 404),
        ("zhang.min", "PATCH", format!("{customers}/{li}"), Some(json!({ "tier": "mass" })), 422),
        ("zhang.min", "DELETE", format!("{customers}/{li}"), None, 403),
        ("sh.manager", "PATCH", format!("{customers}/{sun}"), aum(), 404),
        ("sh.manager", "POST", customers.to_owned(), Some(json!({ "customer_no": "C0901", "name": "新客户" })), 403),
        ("analyst", "PATCH", format!("{customers}/{li}"), aum(), 403),
        ("compliance", "DELETE", format!("{customers}/{li}"), None, 403),
        ("wang.lei", "PATCH", format!("{customers}/{sun}"), aum(), 200),
    ];
    for (who, method, uri, body, want) in cases {
        let got = call(who, method, uri.clone(), body).await;
        assert_eq!(got.status, want, "{who} {method} {uri}: {}", got.body);
    }
    // A relationship manager creates customers only for themselves.
    let rm_of = |name: &str| {
        let rms = env.get("/api/v1/apps/bank_crm/forms/relationship_manager/records?fields=login");
        let name = name.to_owned();
        async move {
            rms.await.body["items"].as_array().expect("rms").iter().find(|r| r["login"] == name.as_str()).expect("rm")["id"]
                .clone()
        }
    };
    let (zhang, wang) = (rm_of("zhang.min").await, rm_of("wang.lei").await);
    let mine = json!({ "customer_no": "C0902", "name": "林晓", "relationship_manager": zhang });
    let theirs = json!({ "customer_no": "C0903", "name": "周舟", "relationship_manager": wang });
    assert_eq!(call("zhang.min", "POST", customers.to_owned(), Some(mine)).await.status, 201);
    let refused = call("zhang.min", "POST", customers.to_owned(), Some(theirs)).await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (403, Some("out_of_reach")));
    assert_eq!(names(&seen("zhang.min").await.body), ["李伟", "陈静", "周洋", "林晓"], "the refused one left nothing");

    // A record's firings and history follow the same reach; designer tools are refused.
    for uri in [format!("{customers}/{zhao}/firings"), format!("{customers}/{zhao}/history")] {
        assert_eq!(call("zhang.min", "GET", uri.clone(), None).await.status, 404, "{uri}");
    }
    assert_eq!(call("zhang.min", "GET", format!("{customers}/{li}/history"), None).await.status, 200);
    for (method, uri) in [
        ("POST", "/api/v1/apps/bank_crm/forms/customer/evaluate".to_owned()),
        ("GET", "/api/v1/apps/bank_crm/incidents".to_owned()),
        ("GET", "/api/v1/apps/bank_crm/outbox".to_owned()),
    ] {
        let body = (method == "POST").then(|| json!({ "expression": "aum" }));
        assert_eq!(call("zhang.min", method, uri.clone(), body).await.status, 403, "{uri}");
    }

    // Filters read the current user too.
    let mine: String = "relationship_manager.login == $user.username".bytes().map(|b| format!("%{b:02X}")).collect();
    let filtered = call("analyst", "GET", format!("{customers}?where={mine}"), None).await;
    assert_eq!((filtered.status, filtered.body["items"].clone()), (200, json!([])), "the analyst manages nobody");

    // Filters and sorts cannot find out what a role masks or hides.
    let refused = [
        (format!("{customers}?sort=mobile"), "analyst"),
        (format!("{customers}?filter=id_number:eq:110101198001010001"), "analyst"),
        (format!("{customers}?where=starts_with(mobile,%20'137')"), "analyst"),
        (format!("{customers}?where=starts_with(id_number,%20'110')"), "zhang.min"),
    ];
    for (uri, who) in refused {
        let got = call(who, "GET", uri.clone(), None).await;
        assert_eq!((got.status, got.body["code"].as_str()), (403, Some("not_readable")), "{who} {uri}: {}", got.body);
    }
    // An aggregate goes over the rows the caller reads: an RM sums their own customers'
    // transactions, and gets the same customers as an administrator among theirs.
    let encode = |text: &str| -> String { text.bytes().map(|b| format!("%{b:02X}")).collect() };
    let summed =
        format!("{customers}?where={}&fields=name&sort=id", encode("sum(transaction, amount, direction == 'out') > 0"));
    let got = call("zhang.min", "GET", summed.clone(), None).await;
    assert_eq!(got.status, 200, "{}", got.body);
    let theirs = names(&seen("zhang.min").await.body);
    let all = names(&env.get(&summed).await.body);
    let expected: Vec<String> = all.iter().filter(|n| theirs.contains(n)).cloned().collect();
    assert!(!expected.is_empty(), "the RM's customers have outflows: {all:?}");
    assert_eq!(names(&got.body), expected);
    // A form the RM may not read is not aggregated, and the refusal says which and why.
    let loans = call("zhang.min", "GET", format!("{customers}?where={}", encode("count(loan) > 0")), None).await;
    assert_eq!((loans.status, loans.body["code"].as_str()), (403, Some("not_readable")), "{}", loans.body);
    let said = loans.body["detail"].as_str().unwrap_or_default();
    assert!(said.contains("reads `loan` records, which your roles do not let you read"), "{said}");
    let clear =
        call("compliance", "GET", format!("{customers}?where=starts_with(mobile,%20'137')&fields=name"), None).await;
    assert_eq!(clear.status, 200, "compliance sees mobiles in clear: {}", clear.body);

    // Relation lookups show related records as the caller may see them.
    let follow_ups = "/api/v1/apps/bank_crm/forms/follow_up/records";
    let note = json!({ "customer": li, "relationship_manager": zhang, "contacted_at": "2026-11-20T10:00:00+08:00",
        "method": "call", "summary": "到期提醒" });
    let written = env.post(follow_ups, &note).await;
    assert_eq!(written.status, 201, "{}", written.body);
    let as_seen = |who: &'static str| call(who, "GET", format!("{follow_ups}/{}", written.body["id"]), None);
    let by_rm = as_seen("zhang.min").await.body;
    assert_eq!(by_rm["_lookup"]["customer"]["mobile"], "13700000001", "the manager sees the customer's mobile");
    let by_analyst = as_seen("analyst").await.body;
    assert_eq!(by_analyst["_lookup"]["customer"]["mobile"], "*******0001", "masked in a lookup too");
    assert_eq!(by_analyst["_lookup"]["relationship_manager"]["name"], by_rm["_lookup"]["relationship_manager"]["name"]);
    let transactions = call("analyst", "GET", "/api/v1/apps/bank_crm/forms/transaction/records".to_owned(), None).await;
    let first = &transactions.body["items"][0]["_lookup"];
    assert!(
        first.get("customer").is_some() && first.get("account").is_none(),
        "no deposit accounts for analysts: {first}"
    );
    // Events come in from the roles that list them.
    let logins = "/api/v1/apps/bank_crm/events/mobile_login/occurrences".to_owned();
    let login = |id: &str| {
        Some(json!({ "event_id": id, "data": { "customer": li, "occurred_at": "2026-11-28T21:00:00+08:00" } }))
    };
    assert_eq!(call("zhang.min", "POST", logins.clone(), login("e1")).await.status, 403);
    let sent = call("core.banking", "POST", logins, login("e1")).await;
    assert_eq!(sent.status, 201, "{}", sent.body);

    // Related forms follow the customer's manager.
    let transactions =
        call("zhang.min", "GET", "/api/v1/apps/bank_crm/forms/transaction/records".to_owned(), None).await;
    assert_eq!(transactions.body["items"].as_array().map(Vec::len), Some(1), "李伟's outflow, not 赵刚's inflow");
    // A customer of the Shanghai branch handed to a Beijing manager: the branch manager
    // still sees the customer, but not the other branch's manager through the lookup.
    let version = env.get(&format!("{customers}/{li}")).await.body["_version"].as_i64().expect("version");
    let handed = env.patch(&format!("{customers}/{li}"), version, &json!({ "relationship_manager": wang })).await;
    assert_eq!(handed.status, 200, "{}", handed.body);
    let by_branch = call("sh.manager", "GET", format!("{customers}/{li}"), None).await.body;
    assert_eq!(
        (by_branch["relationship_manager"].clone(), by_branch["_lookup"]["relationship_manager"].clone()),
        (wang.clone(), Value::Null)
    );

    // Admitted only their inflows, the RM's sum of outflows finds nothing: the rows they may
    // not read are not counted, so the aggregate reveals nothing of them.
    let role_uri = "/api/v1/apps/bank_crm/drafts/roles/relationship_manager";
    let mut role = env.get(role_uri).await.body;
    role["forms"]["transaction"]["rows"] =
        json!("customer.relationship_manager.login == $user.username and direction == 'in'");
    let saved = env.put(role_uri, &role).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(env.post("/api/v1/apps/bank_crm/publish", &json!({})).await.status, 200);
    let inflows_only = call("zhang.min", "GET", summed.clone(), None).await;
    assert_eq!((inflows_only.status, names(&inflows_only.body)), (200, Vec::<String>::new()), "{}", inflows_only.body);
    assert_eq!(names(&env.get(&summed).await.body), all, "the administrator's sum is the same as before");
    env.finish().await;
}

/// A rule with `"run_as": "user"` acts within the roles of whoever made the change: what
/// they may not do fails the firing (an incident), while their own change goes through.
async fn rules_can_act_for_the_user(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let password = "a long enough secret";
    let people = json!({ "org_units": [{ "key": "sh001", "name": "上海陆家嘴支行" }], "users": [
        { "username": "zhang.min", "password": password, "org_unit": "sh001", "app_roles": { "bank_crm": ["relationship_manager"] } }] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let rule = |key: &str, run_as: &str, set: Value| {
        json!({ "key": key, "run_as": run_as, "trigger": { "on": "created", "form": "follow_up" },
            "actions": [{ "type": "update_fields", "record": "customer", "set": set }] })
    };
    let rules = [
        rule("note_on_customer", "user", json!({ "notes": "'followed up'" })),
        rule("promote_as_user", "user", json!({ "tier": "'hnw'" })),
        rule("promote_as_platform", "system", json!({ "annual_income": "1000000" })),
    ];
    for r in &rules {
        let saved =
            env.put(&format!("/api/v1/apps/bank_crm/drafts/rules/{}", r["key"].as_str().expect("key")), r).await;
        assert_eq!(saved.status, 200, "{}", saved.body);
    }
    let scheduled = json!({ "key": "nightly", "run_as": "user", "trigger": { "on": "schedule", "form": "customer",
        "cron": "0 2 * * *", "zone": "Asia/Shanghai" } });
    let refused = env.put("/api/v1/apps/bank_crm/drafts/rules/nightly", &scheduled).await;
    assert_eq!(refused.body["diagnostics"][0]["path"], "/run_as", "{}", refused.body);
    assert_eq!(env.delete("/api/v1/apps/bank_crm/drafts/rules/nightly").await.status, 204);
    let published = env.post("/api/v1/apps/bank_crm/publish", &json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);

    let customers =
        env.get("/api/v1/apps/bank_crm/forms/customer/records?sort=id&fields=name,relationship_manager").await;
    let li = customers.body["items"][0].clone();
    assert_eq!(li["name"], "李伟");
    let (token, _) = server::auth::login(&env.state.db.conn, "zhang.min", password, server::auth::wall_now())
        .await
        .expect("signed in");
    let note = json!({ "customer": li["id"], "contacted_at": "2026-11-20T10:00:00+08:00", "method": "call", "summary": "到期提醒" });
    let made = env
        .send(
            "POST",
            "/api/v1/apps/bank_crm/forms/follow_up/records",
            Some(&note.to_string()),
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(made.status, 201, "the manager's own change goes through: {}", made.body);

    let customer = env.get(&format!("/api/v1/apps/bank_crm/forms/customer/records/{}", li["id"])).await.body;
    assert_eq!(customer["notes"], "followed up", "what the manager may write, the rule wrote for them");
    assert_eq!(
        customer["annual_income"], "1000000.00",
        "a rule acting for the platform is not limited by the manager's roles"
    );
    assert_ne!(customer["tier"], "mass");
    let firings = env.get(&format!("/api/v1/apps/bank_crm/forms/follow_up/records/{}/firings", made.body["id"])).await;
    let of = |rule: &str| {
        firings.body["items"].as_array().expect("items").iter().find(|f| f["rule"] == rule).cloned().expect("fired")
    };
    let promote = of("promote_as_user");
    assert_eq!(promote["status"], "retrying", "{promote}");
    assert!(promote["error"].as_str().is_some_and(|e| e.contains("tier")), "{promote}");
    assert_eq!(of("note_on_customer")["status"], "done");
    let history = env.get(&format!("/api/v1/apps/bank_crm/forms/customer/records/{}/history", li["id"])).await;
    let acted = history.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|e| e["detail"]["acting_for"].as_i64().is_some() && e["detail"]["after"]["notes"] == "followed up");
    assert!(acted, "the audit trail names whom the rule acted for: {}", history.body);
    env.finish().await;
}

/// A user with no app role, or any app token, read every draft rule (the thresholds of the
/// alerts) and the whole bundle (who sees what masked). Drafts are for designers.
async fn drafts_were_readable_by_every_signed_in_user(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let password = "a long enough secret";
    let people = json!({ "users": [
        { "username": "zhang.min", "password": password, "app_roles": { "bank_crm": ["relationship_manager"] } },
        { "username": "noone", "password": password },
        { "username": "designer", "password": password, "platform_role": "designer" }] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let mut callers = Vec::new();
    for name in ["zhang.min", "noone", "designer"] {
        callers.push(format!(
            "Bearer {}",
            server::auth::login(&env.state.db.conn, name, password, server::auth::wall_now()).await.expect("in").0
        ));
    }
    let mint = json!({ "name": "feed", "app": "bank_crm", "access": "read", "expires_in_days": 30 }).to_string();
    let token = env.send("POST", "/api/v1/tokens", Some(&mint), &[("authorization", &callers[0])]).await;
    callers.push(format!("Bearer {}", token.body["token"].as_str().expect("a token")));
    let drafts = [
        "/api/v1/apps",
        "/api/v1/apps/bank_crm",
        "/api/v1/apps/bank_crm/bundle",
        "/api/v1/apps/bank_crm/drafts/rules",
        "/api/v1/apps/bank_crm/drafts/rules/large_outflow",
        "/api/v1/apps/bank_crm/drafts/roles/relationship_manager",
    ];
    for uri in drafts {
        for (who, auth) in ["an RM", "no role", "a designer", "an RM's token"].iter().zip(&callers) {
            let got = env.send("GET", uri, None, &[("authorization", auth)]).await;
            let want = if *who == "a designer" { 200 } else { 403 };
            assert_eq!(got.status, want, "{who} GET {uri}: {}", got.body);
            assert!(want == 200 || !got.body.to_string().contains("1000000"), "no threshold in the refusal");
        }
    }
    // What the runtime needs stays: the RM's workspace, shaped by her role.
    let workspace = env.send("GET", "/api/v1/workspace", None, &[("authorization", &callers[0])]).await;
    assert_eq!(workspace.status, 200, "{}", workspace.body);
    env.finish().await;
}
