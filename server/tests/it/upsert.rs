//! Bulk upsert by a form's unique key (`POST …/forms/{form}/records/bulk`), as the bank's
//! core-banking feed sends it with the integration role: created, updated, unchanged
//! (nothing written at all), relations named by key, every refusal at its index and path,
//! all or nothing unless asked otherwise, and the same upsert sent fifty times at once.
//! The new records of an upsert are created together (`pipeline::many`): what they leave
//! is what each leaves created alone.

use serde_json::{Value, json};

use crate::reports::{APP, as_user, people, token};
use crate::rules::rows;
use crate::support::{Backend, Env, both_backends, start};

both_backends!(
    a_feed_sent_twice_writes_nothing_the_second_time,
    refused_records_are_named_by_index_and_path,
    the_integration_role_writes_what_core_banking_owns_and_nothing_else,
    the_same_new_key_sent_fifty_times_at_once_makes_one_record,
    records_created_together_leave_what_each_leaves_alone,
    a_batch_its_writer_may_not_keep_is_written_one_by_one,
    rule_actions_refused_in_a_batch_are_each_kept_as_an_incident,
    a_batch_larger_than_a_statement_is_written_in_chunks
);

const UPSERT: &str = "/api/v1/apps/bank_crm/forms/customer/records/bulk";

async fn upsert<S>(env: &Env<S>, body: &Value) -> crate::support::Resp
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    as_user(env, "core.banking", "POST", UPSERT, Some(body)).await
}

/// Counts of what a write leaves behind: audit entries, firings, processes, outbox
/// messages, and the forms' data versions.
async fn traces<S>(env: &Env<S>) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for table in ["trellis_audit", "trellis_firings", "trellis_flow_instances", "trellis_outbox"] {
        all.extend(rows(env, &format!("SELECT COUNT(*) FROM {table}")).await);
    }
    all.extend(rows(env, "SELECT form, CAST(version AS TEXT) FROM trellis_data_versions ORDER BY form").await);
    all
}

fn customer(no: &str, name: &str, mobile: &str, rm: &str) -> Value {
    json!({ "customer_no": no, "name": name, "mobile": mobile, "risk_level": "r3",
        "annual_income": "360000.50", "birthday": "1988-08-08",
        "relationship_manager": { "employee_no": rm }, "branch": { "code": "SH001" } })
}

async fn a_feed_sent_twice_writes_nothing_the_second_time(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let li = rows(&env, "SELECT CAST(id AS TEXT) FROM t_bank_crm_customer WHERE f_customer_no = 'C0001'").await;
    let feed = json!({ "key": "customer_no", "records": [
        customer("C9001", "钱多多", "13900000001", "E1001"),
        customer("C9002", "孙有余", "13900000002", "E1002"),
        // An existing customer: the feed changes her mobile number.
        { "customer_no": "C0001", "mobile": "13700009999", "name": "李伟" }
    ] });
    let first = upsert(&env, &feed).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!((first.body["created"].as_u64(), first.body["updated"].as_u64()), (Some(2), Some(1)), "{}", first.body);
    let results = first.body["results"].as_array().expect("results");
    assert_eq!(results[2]["id"].as_i64().map(|id| id.to_string()), Some(li[0][0].clone()));
    assert_eq!(
        results.iter().map(|r| r["outcome"].as_str().unwrap_or("")).collect::<Vec<_>>(),
        ["created", "created", "updated"]
    );

    // Relations named by key landed as ids; money exact; personal data as sent.
    let id = results[0]["id"].as_i64().expect("id");
    let made = as_user(&env, "core.banking", "GET", &format!("{APP}/forms/customer/records/{id}"), None).await;
    assert_eq!(made.body["annual_income"], "360000.50", "{}", made.body);
    assert_eq!(made.body["mobile"], "13900000001");
    let rm =
        rows(&env, "SELECT CAST(id AS TEXT) FROM t_bank_crm_relationship_manager WHERE f_employee_no = 'E1001'").await;
    assert_eq!(made.body["relationship_manager"].to_string().trim_matches('"'), rm[0][0], "{}", made.body);

    // The same feed again: nothing written, no version, no audit entry, no firing.
    let before = traces(&env).await;
    let versions =
        rows(&env, "SELECT CAST(id AS TEXT), CAST(_version AS TEXT) FROM t_bank_crm_customer ORDER BY id").await;
    let again = upsert(&env, &feed).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["unchanged"].as_u64(), Some(3), "{}", again.body);
    assert_eq!(traces(&env).await, before, "a feed repeated leaves no trace");
    let after =
        rows(&env, "SELECT CAST(id AS TEXT), CAST(_version AS TEXT) FROM t_bank_crm_customer ORDER BY id").await;
    assert_eq!(after, versions);

    // Equal values written otherwise (a decimal's trailing zero, a key's own record) are
    // still unchanged; one value different updates that record alone.
    let mut changed = feed.clone();
    changed["records"][0]["annual_income"] = json!("360000.5");
    changed["records"][1]["name"] = json!("孙有余二");
    let third = upsert(&env, &changed).await;
    assert_eq!(
        (third.body["updated"].as_u64(), third.body["unchanged"].as_u64()),
        (Some(1), Some(2)),
        "{}",
        third.body
    );
    assert_eq!(third.body["results"][1]["outcome"], "updated");
    env.finish().await;
}

async fn refused_records_are_named_by_index_and_path(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let count = || rows(&env, "SELECT COUNT(*) FROM t_bank_crm_customer");
    let before = count().await;
    let feed = json!({ "key": "customer_no", "records": [
        customer("C9101", "周全", "13900000011", "E1001"),
        customer("C9102", "吴用", "not a mobile", "E1001"),
        customer("C9103", "郑和", "13900000013", "E9999"),
        { "name": "无编号" },
        customer("C9101", "周全二", "13900000014", "E1001"),
        { "customer_no": "C9105", "name": "钱六", "annual_income": "1.234" }
    ] });
    let refused = upsert(&env, &feed).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let paths: Vec<&str> =
        refused.body["errors"].as_array().expect("errors").iter().filter_map(|e| e["path"].as_str()).collect();
    for path in [
        "/records/1/mobile",
        "/records/2/relationship_manager",
        "/records/3/customer_no",
        "/records/4/customer_no",
        "/records/5/annual_income",
    ] {
        assert!(paths.contains(&path), "{path} in {paths:?}");
    }
    assert!(!paths.iter().any(|p| p.starts_with("/records/0")), "{paths:?}");
    assert_eq!(count().await, before, "all or nothing: nothing written");

    // Not atomic: what fits is kept, each refusal reported with its record.
    let mut partial = feed.clone();
    partial["atomic"] = json!(false);
    let kept = upsert(&env, &partial).await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    assert_eq!((kept.body["created"].as_u64(), kept.body["refused"].as_u64()), (Some(1), Some(5)), "{}", kept.body);
    let second = &kept.body["results"][1];
    assert_eq!(second["outcome"], "refused");
    assert_eq!(second["errors"][0]["path"], "/records/1/mobile", "{second}");
    assert_eq!(rows(&env, "SELECT COUNT(*) FROM t_bank_crm_customer WHERE f_customer_no = 'C9101'").await, [["1"]]);

    // What cannot be read as an upsert at all.
    for (body, path) in [
        (json!({ "key": "name", "records": [{ "name": "x" }] }), "/key"),
        (json!({ "key": "customer_no", "records": [] }), "/records"),
        (json!({ "key": "customer_no", "records": [1] }), "/records/0"),
    ] {
        let bad = upsert(&env, &body).await;
        assert_eq!((bad.status, bad.body["errors"][0]["path"].as_str()), (400, Some(path)), "{}", bad.body);
    }
    let too_many: Vec<Value> = (0..10_001).map(|i| json!({ "customer_no": format!("X{i}") })).collect();
    let bad = upsert(&env, &json!({ "key": "customer_no", "records": too_many })).await;
    assert_eq!((bad.status, bad.body["code"].as_str()), (400, Some("bad_records")), "{}", bad.body);
    env.finish().await;
}

async fn the_integration_role_writes_what_core_banking_owns_and_nothing_else(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    // Accounts, holdings and transactions by their own keys, customers and products by theirs.
    let post = |form: &str, body: Value| {
        let env = &env;
        let uri = format!("{APP}/forms/{form}/records/bulk");
        async move { as_user(env, "core.banking", "POST", &uri, Some(&body)).await }
    };
    let account = post(
        "deposit_account",
        json!({ "key": "account_no", "records": [
        { "account_no": "D9001", "customer": { "customer_no": "C0001" }, "kind": "current", "balance": "1000.00" }] }),
    )
    .await;
    assert_eq!(account.status, 200, "{}", account.body);
    let holding = post(
        "wealth_holding",
        json!({ "key": "holding_no", "records": [
        { "holding_no": "H9001", "customer": { "customer_no": "C0001" }, "product": { "code": "WM-FI-365" },
          "amount": "50000.00", "start_date": "2026-11-01" }] }),
    )
    .await;
    assert_eq!(holding.status, 200, "{}", holding.body);
    let moved = post(
        "transaction",
        json!({ "key": "reference", "records": [
        { "reference": "T9001", "customer": { "customer_no": "C0001" }, "occurred_at": "2026-11-30T10:00:00+08:00",
          "direction": "in", "amount": "88.88" }] }),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);

    // Not what the RMs own: follow-ups, a customer's tier (derived by the rules), notes.
    let follow_up = post("follow_up", json!({ "key": "id", "records": [{}] })).await;
    assert_eq!(follow_up.status, 403, "{}", follow_up.body);
    let tier =
        upsert(&env, &json!({ "key": "customer_no", "records": [{ "customer_no": "C0001", "tier": "mass" }] })).await;
    assert_eq!((tier.status, tier.body["errors"][0]["path"].as_str()), (422, Some("/records/0/tier")), "{}", tier.body);
    let notes =
        upsert(&env, &json!({ "key": "customer_no", "records": [{ "customer_no": "C0001", "notes": "x" }] })).await;
    assert_eq!(notes.status, 422, "{}", notes.body);
    // A relation named by a key the caller sees only masked (an RM's mobile) is refused.
    let by_mobile = upsert(
        &env,
        &json!({ "key": "customer_no", "records": [
        { "customer_no": "C0001", "relationship_manager": { "mobile": "13800000001" } }] }),
    )
    .await;
    assert_eq!(by_mobile.status, 422, "{}", by_mobile.body);
    assert_eq!(by_mobile.body["errors"][0]["path"], "/records/0/relationship_manager", "{}", by_mobile.body);

    // An RM upserts within her rows: another RM's customer is not hers to update.
    let theirs = as_user(
        &env,
        "zhang.min",
        "POST",
        UPSERT,
        Some(&json!({ "key": "customer_no", "records": [
        { "customer_no": "C0004", "risk_level": "r1" }] })),
    )
    .await;
    assert_eq!(theirs.status, 422, "{}", theirs.body);
    assert_eq!(theirs.body["errors"][0]["code"], "not_found", "{}", theirs.body);
    let c0004 = rows(&env, "SELECT CAST(id AS TEXT) FROM t_bank_crm_customer WHERE f_customer_no = 'C0004'").await;
    let message = theirs.body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        !message.contains(&format!(" {} ", c0004[0][0])),
        "the id of a record outside her rows is not told: {message}"
    );
    let kept = as_user(
        &env,
        "zhang.min",
        "POST",
        UPSERT,
        Some(&json!({ "key": "customer_no", "atomic": false,
        "records": [{ "customer_no": "C0004", "risk_level": "r1" }] })),
    )
    .await;
    assert_eq!(
        (kept.body["results"][0]["outcome"].as_str(), kept.body["results"][0].get("id")),
        (Some("refused"), None),
        "{}",
        kept.body
    );
    env.finish().await;
}

async fn the_same_new_key_sent_fifty_times_at_once_makes_one_record(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let feed = json!({ "key": "customer_no", "records": [customer("C9500", "冯同", "13900000500", "E1001")] });
    let auth = format!("Bearer {}", token(&env, "core.banking").await);
    let body = feed.to_string();
    let headers = [("authorization", auth.as_str())];
    let send = || env.send("POST", UPSERT, Some(&body), &headers);
    let answers = futures_util::future::join_all((0..50).map(|_| send())).await;
    let mut outcomes: Vec<String> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, 200, "{}", a.body);
            a.body["results"][0]["outcome"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    outcomes.sort();
    outcomes.dedup_by(|a, b| a == b);
    assert_eq!(rows(&env, "SELECT COUNT(*) FROM t_bank_crm_customer WHERE f_customer_no = 'C9500'").await, [["1"]]);
    assert_eq!(
        rows(&env, "SELECT COUNT(*) FROM trellis_audit WHERE action = 'record.create' AND detail LIKE '%C9500%'").await,
        [["1"]]
    );
    assert_eq!(outcomes, ["created", "unchanged"]);
    env.finish().await;
}

/// What the write of customer `no` left: its audit entries (action, who), the rules it
/// fired, its tier and version.
async fn left_by<S>(env: &Env<S>, no: &str) -> Vec<Vec<String>>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let id = rows(env, &format!("SELECT CAST(id AS TEXT) FROM t_bank_crm_customer WHERE f_customer_no = '{no}'")).await;
    let id = &id[0][0];
    let mut left = rows(
        env,
        &format!(
            "SELECT action, CASE WHEN via = 'rule' THEN 'rule' ELSE actor END, via FROM trellis_audit \
             WHERE form = 'customer' AND record_id = {id} ORDER BY id"
        ),
    )
    .await;
    left.extend(rows(env, &format!("SELECT rule FROM trellis_firings WHERE record_id = {id} ORDER BY id")).await);
    left.extend(
        rows(env, &format!("SELECT f_tier, CAST(_version AS TEXT) FROM t_bank_crm_customer WHERE id = {id}")).await,
    );
    left
}

async fn records_created_together_leave_what_each_leaves_alone(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let version = || rows(&env, "SELECT CAST(version AS TEXT) FROM trellis_data_versions WHERE form = 'customer'");
    let id_of = |table: &str, column: &str, key: &str| {
        let sql = format!("SELECT CAST(id AS TEXT) FROM t_bank_crm_{table} WHERE f_{column} = '{key}'");
        let env = &env;
        async move { rows(env, &sql).await[0][0].parse::<i64>().expect("id") }
    };
    let (rm, branch) =
        (id_of("relationship_manager", "employee_no", "E1001").await, id_of("branch", "code", "SH001").await);
    let start_version: i64 = version().await[0][0].parse().expect("version");
    let feed: Vec<Value> =
        (0..3).map(|i| customer(&format!("C97{i:02}"), "合批", &format!("139000007{i:02}"), "E1001")).collect();
    let together = upsert(&env, &json!({ "key": "customer_no", "records": feed })).await;
    assert_eq!(together.body["created"].as_u64(), Some(3), "{}", together.body);
    let after_batch: i64 = version().await[0][0].parse().expect("version");
    for i in 0..3 {
        let mut one = customer(&format!("C98{i:02}"), "单笔", &format!("139000008{i:02}"), "E1001");
        one["relationship_manager"] = json!(rm);
        one["branch"] = json!(branch);
        let made = as_user(&env, "core.banking", "POST", &format!("{APP}/forms/customer/records"), Some(&one)).await;
        assert_eq!(made.status, 201, "{}", made.body);
    }
    let after_alone: i64 = version().await[0][0].parse().expect("version");
    assert_eq!(after_batch - start_version, after_alone - after_batch, "each write counted in the data version");
    for i in 0..3 {
        let (batched, alone) = (left_by(&env, &format!("C97{i:02}")).await, left_by(&env, &format!("C98{i:02}")).await);
        assert_eq!(batched, alone, "customer {i}");
        assert!(batched.iter().any(|r| r[0] == "retier"), "the rules ran: {batched:?}");
    }
    let audited = rows(
        &env,
        "SELECT detail FROM trellis_audit WHERE action = 'record.create' AND detail LIKE '%C9700%' ORDER BY id",
    )
    .await;
    let detail: Value = serde_json::from_str(&audited[0][0]).expect("json");
    assert_eq!(
        (detail["after"]["customer_no"].as_str(), detail["after"]["annual_income"].as_str()),
        (Some("C9700"), Some("360000.50"))
    );
    // The rule's update is audited alike: the same values sent, the same fields before and after.
    let updates = |no: &str| {
        let sql = format!(
            "SELECT a.detail FROM trellis_audit a JOIN t_bank_crm_customer c ON c.id = a.record_id \
             WHERE a.action = 'record.update' AND c.f_customer_no = '{no}'"
        );
        let env = &env;
        async move { serde_json::from_str::<Value>(&rows(env, &sql).await[0][0]).expect("json") }
    };
    let (batched, alone) = (updates("C9700").await, updates("C9800").await);
    assert_eq!(batched["sent"], alone["sent"]);
    for side in ["before", "after"] {
        let keys = |v: &Value| v[side].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
        assert_eq!(keys(&batched), keys(&alone), "{side}");
        assert_eq!(batched[side]["tier"], alone[side]["tier"], "{side}");
    }
    env.finish().await;
}

async fn a_batch_its_writer_may_not_keep_is_written_one_by_one(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    // Zhang Min (E1001) creates a customer of her own and one of Wang Lei's (E1002): the
    // second is outside her rows once written, so the batch goes back to its savepoint
    // and each is written alone; hers is kept, the other refused.
    let feed = json!({ "key": "customer_no", "atomic": false, "records": [
        customer("C9601", "自己的", "13900000601", "E1001"),
        customer("C9602", "别人的", "13900000602", "E1002"),
        customer("C9603", "也是自己的", "13900000603", "E1001")
    ] });
    let answer = as_user(&env, "zhang.min", "POST", UPSERT, Some(&feed)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let outcomes: Vec<&str> = answer.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(outcomes, ["created", "refused", "created"], "{}", answer.body);
    assert_eq!(
        answer.body["results"][1]["errors"][0]["path"].as_str().map(|p| p.starts_with("/records/1")),
        Some(true),
        "{}",
        answer.body
    );
    assert_eq!(
        rows(&env, "SELECT f_customer_no FROM t_bank_crm_customer WHERE f_customer_no LIKE 'C96%' ORDER BY 1").await,
        [["C9601"], ["C9603"]]
    );
    let audited =
        rows(&env, "SELECT COUNT(*) FROM trellis_audit WHERE action = 'record.create' AND detail LIKE '%C9602%'").await;
    assert_eq!(audited, [["0"]], "nothing of the refused record remains");
    // All or nothing: the same refusal refuses the whole upsert.
    let mut atomic = feed.clone();
    atomic["atomic"] = json!(true);
    for (i, record) in atomic["records"].as_array_mut().expect("records").iter_mut().enumerate() {
        record["customer_no"] = json!(format!("C961{i}"));
    }
    let refused = as_user(&env, "zhang.min", "POST", UPSERT, Some(&atomic)).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(rows(&env, "SELECT COUNT(*) FROM t_bank_crm_customer WHERE f_customer_no LIKE 'C961%'").await, [["0"]]);
    env.finish().await;
}

async fn rule_actions_refused_in_a_batch_are_each_kept_as_an_incident(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    // A rule whose update is refused (AUM is never negative), and one that updates the
    // record it watches until the cascade is stopped.
    crate::rules::refused_and_runaway_rules(&env, "created").await;
    let one = |no: &str, risk: &str| {
        json!({ "customer_no": no, "name": no, "risk_level": risk, "notes": "loop",
            "relationship_manager": { "employee_no": "E1001" }, "branch": { "code": "SH001" } })
    };
    let feed = json!({ "key": "customer_no", "records": [one("B1", "r5"), one("B2", "r3"), one("B3", "r5")] });
    let together = env.post(UPSERT, &feed).await;
    assert_eq!(together.body["created"].as_u64(), Some(3), "{}", together.body);
    // The same customer created alone, for comparison.
    let alone = env.post(UPSERT, &json!({ "key": "customer_no", "records": [one("A1", "r5")] })).await;
    assert_eq!(alone.body["created"].as_u64(), Some(1), "{}", alone.body);
    let states = rows(
        &env,
        "SELECT f_customer_no, f_tier, COALESCE(CAST(f_aum AS TEXT), ''), f_notes FROM t_bank_crm_customer \
            WHERE f_customer_no IN ('A1', 'B1', 'B2', 'B3') ORDER BY f_customer_no",
    )
    .await;
    let (a1, batched) = states.split_first().expect("rows");
    for b in batched {
        assert_eq!(b[1..], a1[1..], "{b:?} as {a1:?}: its rules acted as they act on a record alone");
    }
    assert!(a1[3].ends_with("!!!!!!!"), "the cascade ran until stopped: {a1:?}");
    let incidents = rows(
        &env,
        "SELECT f.rule, c.f_customer_no FROM trellis_firings f JOIN t_bank_crm_customer c ON c.id = f.record_id \
         WHERE f.status <> 'done' ORDER BY f.rule, c.f_customer_no",
    )
    .await;
    let expected: Vec<Vec<String>> = [
        ("refused_update", "A1"),
        ("refused_update", "B1"),
        ("refused_update", "B3"),
        ("runaway", "A1"),
        ("runaway", "B1"),
        ("runaway", "B2"),
        ("runaway", "B3"),
    ]
    .iter()
    .map(|(r, c)| vec![(*r).to_owned(), (*c).to_owned()])
    .collect();
    assert_eq!(incidents, expected, "each refused action is its firing's incident");
    env.finish().await;
}

async fn a_batch_larger_than_a_statement_is_written_in_chunks(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    // More rows than one INSERT, one tiering UPDATE, one audit or firing statement takes.
    let records: Vec<Value> = (0..2_500)
        .map(|i| {
            customer(&format!("K{i:05}"), "分批", &format!("137{i:08}"), if i % 2 == 0 { "E1001" } else { "E1002" })
        })
        .collect();
    let sent = upsert(&env, &json!({ "key": "customer_no", "records": records })).await;
    assert_eq!((sent.status, sent.body["created"].as_u64()), (200, Some(2_500)), "{}", sent.body["refused"]);
    let ids: Vec<i64> =
        sent.body["results"].as_array().expect("results").iter().filter_map(|r| r["id"].as_i64()).collect();
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 2_500, "each record its own id");
    // Each result's id is the record of its key.
    let first = rows(&env, &format!("SELECT f_customer_no FROM t_bank_crm_customer WHERE id = {}", ids[0])).await;
    let last = rows(&env, &format!("SELECT f_customer_no FROM t_bank_crm_customer WHERE id = {}", ids[2_499])).await;
    assert_eq!((first, last), (vec![vec!["K00000".to_owned()]], vec![vec!["K02499".to_owned()]]));
    let tiered = "SELECT COUNT(*) FROM t_bank_crm_customer WHERE f_customer_no LIKE 'K%' AND f_tier IS NOT NULL AND _version = 2";
    assert_eq!(rows(&env, tiered).await, [["2500"]], "every one tiered by the rule, once");
    let audited = "SELECT COUNT(*) FROM trellis_audit a JOIN t_bank_crm_customer c ON c.id = a.record_id \
        WHERE a.form = 'customer' AND c.f_customer_no LIKE 'K%'";
    assert_eq!(rows(&env, audited).await, [["5000"]], "created and tiered: two entries each");
    let fired = "SELECT COUNT(*) FROM trellis_firings f JOIN t_bank_crm_customer c ON c.id = f.record_id \
        WHERE f.rule = 'retier' AND c.f_customer_no LIKE 'K%'";
    assert_eq!(rows(&env, fired).await, [["2500"]]);
    env.finish().await;
}
