//! Imports through the API, as the import screen drives them: a file uploaded, a mapping
//! suggested, a dry run, the real run, the error file; each import its uploader's alone;
//! fifty runs of one import at once start it once; a running import cancelled and run
//! again going on where it stopped; one whose server fell silent taken over.

use std::time::Duration;

use serde_json::{Value, json};

use crate::reports::{APP, people, token};
use crate::rules::rows;
use crate::support::{Backend, Env, Resp, both_backends, start};

both_backends!(
    an_uploaded_file_is_mapped_tried_imported_and_its_errors_downloaded,
    an_import_is_cancelled_resumed_and_taken_over
);

const FILE: &str = "客户号,姓名,手机,证件号码,年收入,风险等级,客户经理工号,备用
C7101,钱进,13900007101,310101199001017101,\"1,234,567.89\",R3 平衡型,E1001,x
C7102,孙出,not-a-mobile,310101199001017102,100,r2,E1001,
C7103,李来,13900007103,310101199001017103,100.125,r9,E9999,
C7104,=周往,13900007104,000123456789017104,88,R1 conservative,E1002,
";

/// `body` uploaded with `token` to `form` under the file name `name`.
async fn upload<S>(env: &Env<S>, token: &str, form: &str, name: &str, body: &str) -> Resp
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let uri = format!("{APP}/forms/{form}/imports?name={}", urlencoding(name));
    env.send("POST", &uri, Some(body), &[("authorization", &format!("Bearer {token}")), ("content-type", "text/csv")])
        .await
}

/// A request with `token` (signed in once: a sign-in per request would be taken for an
/// attack).
async fn call<S>(env: &Env<S>, token: &str, method: &str, uri: &str, body: Option<&Value>) -> Resp
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let body = body.map(Value::to_string);
    env.send(method, uri, body.as_deref(), &[("authorization", &format!("Bearer {token}"))]).await
}

/// The one number `sql` answers.
async fn count<S>(env: &Env<S>, sql: &str) -> i64 {
    rows(env, sql).await[0][0].parse().expect("a count")
}

fn urlencoding(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Import `id` read with `token` until it is no longer running.
async fn finished<S>(env: &Env<S>, token: &str, id: i64) -> Value
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    for _ in 0..600 {
        let got = call(env, token, "GET", &format!("{APP}/imports/{id}"), None).await;
        assert_eq!(got.status, 200, "{}", got.body);
        if got.body["state"] != "running" {
            return got.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import {id} still running after a minute");
}

async fn an_uploaded_file_is_mapped_tried_imported_and_its_errors_downloaded(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let (banking, manager) = (token(&env, "core.banking").await, token(&env, "hq.manager").await);
    let customers = || count(&env, "SELECT COUNT(*) FROM t_bank_crm_customer");
    let before = customers().await;

    let up = upload(&env, &banking, "customer", "客户 2026-12.csv", FILE).await;
    assert_eq!(up.status, 201, "{}", up.body);
    assert_eq!(up.body["import"]["header"][0], "客户号");
    assert_eq!(up.body["sample"].as_array().map(Vec::len), Some(4));
    assert_eq!(up.body["sample"][0][4], "1,234,567.89", "cells as written");
    assert_eq!(up.body["import"]["state"], "uploaded");
    assert_eq!(up.body["import"]["total_rows"], 4);
    // Columns named by a field's label are suggested, with the unique one as the key.
    let suggested = &up.body["suggested"];
    assert_eq!(suggested["key"], "customer_no", "{suggested}");
    assert_eq!(suggested["columns"]["手机"], "mobile", "{suggested}");
    assert!(suggested["columns"].get("备用").is_none(), "{suggested}");
    let id = up.body["import"]["id"].as_i64().expect("id");
    let run = format!("{APP}/imports/{id}/run");

    // A mapping that does not fit is refused at once, each problem at its path.
    let bad = json!({ "mapping": { "key": "customer_no", "columns": { "无此列": "name", "姓名": "nothing" } } });
    let refused = call(&env, &banking, "POST", &run, Some(&bad)).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let paths: Vec<&str> =
        refused.body["errors"].as_array().into_iter().flatten().filter_map(|e| e["path"].as_str()).collect();
    assert_eq!(paths, ["/columns/无此列", "/columns/姓名"], "{}", refused.body);

    let mut mapping = suggested.clone();
    mapping["columns"]["客户经理工号"] = json!("relationship_manager.employee_no");
    let dry = call(&env, &banking, "POST", &run, Some(&json!({ "mapping": mapping, "dry_run": true }))).await;
    assert_eq!((dry.status, &dry.body["state"]), (202, &json!("running")), "{}", dry.body);
    let dry = finished(&env, &banking, id).await;
    assert_eq!((&dry["state"], &dry["dry_run"]), (&json!("done"), &json!(true)), "{dry}");
    assert_eq!(dry["counts"], json!({ "created": 2, "updated": 0, "unchanged": 0, "refused": 2 }), "{dry}");
    assert_eq!(customers().await, before, "a dry run writes nothing");
    let tried = call(&env, &banking, "GET", &format!("{APP}/imports/{id}/refusals"), None).await;
    let refused_rows: Vec<&Value> = tried.body["items"].as_array().into_iter().flatten().map(|r| &r["row"]).collect();
    assert_eq!(refused_rows, [&json!(3), &json!(4)], "{}", tried.body);
    assert!(tried.body["items"][0]["reasons"].as_str().is_some_and(|r| r.starts_with("mobile: ")), "{}", tried.body);
    // And each problem itself, at its field, for a screen to word.
    let first = &tried.body["items"][0]["errors"][0];
    assert_eq!((&first["path"], &first["code"]), (&json!("/mobile"), &json!("phone")), "{}", tried.body);

    let real = call(&env, &banking, "POST", &run, Some(&json!({ "mapping": mapping }))).await;
    assert_eq!(real.status, 202, "{}", real.body);
    let done = finished(&env, &banking, id).await;
    assert_eq!((&done["state"], &done["dry_run"], &done["rows_done"]), (&json!("done"), &json!(false), &json!(4)));
    assert_eq!(done["counts"], json!({ "created": 2, "updated": 0, "unchanged": 0, "refused": 2 }), "{done}");
    assert_eq!(customers().await, before + 2);
    let read = format!("{APP}/forms/customer/records?filter=customer_no:eq:C7101&fields=annual_income");
    let stored = call(&env, &banking, "GET", &read, None).await;
    assert_eq!(stored.body["items"][0]["annual_income"], "1234567.89", "money exact: {}", stored.body);

    // The error file: the refused rows as written, each with why; a cell a spreadsheet
    // would run as a formula is written as text.
    let errors = call(&env, &banking, "GET", &format!("{APP}/imports/{id}/errors"), None).await;
    assert_eq!(errors.status, 200);
    assert!(errors.header("content-disposition").is_some_and(|d| d.contains(".errors.csv")), "{:?}", errors.headers);
    let text = errors.body.as_str().expect("csv").to_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "\u{feff}row,客户号,姓名,手机,证件号码,年收入,风险等级,客户经理工号,备用,errors", "{text}");
    assert!(lines[1].starts_with("3,C7102,孙出,not-a-mobile,"), "{text}");
    assert!(lines[2].starts_with("4,C7103,"), "{text}");
    assert_eq!(lines.len(), 3, "{text}");

    // Done, its file is forgotten: running it again asks for the file again.
    let again = call(&env, &banking, "POST", &run, Some(&json!({ "mapping": mapping }))).await;
    assert_eq!((again.status, &again.body["code"]), (409, &json!("import_file_gone")), "{}", again.body);

    // No one else sees it, its rows or its errors; nor lists it.
    for uri in
        [format!("{APP}/imports/{id}"), format!("{APP}/imports/{id}/refusals"), format!("{APP}/imports/{id}/errors")]
    {
        assert_eq!(call(&env, &manager, "GET", &uri, None).await.status, 404, "{uri}");
    }
    let theirs = call(&env, &manager, "GET", &format!("{APP}/imports"), None).await;
    assert_eq!(theirs.body["items"], json!([]));
    let mine = call(&env, &banking, "GET", &format!("{APP}/imports?form=customer"), None).await;
    assert_eq!(mine.body["items"][0]["mapping"]["key"], "customer_no", "a mapping to reuse");

    // What the integration role may not write, it may not import into.
    let follow_ups = upload(&env, &banking, "follow_up", "f.csv", "note\nx\n").await;
    assert_eq!(follow_ups.status, 403, "{}", follow_ups.body);
    // A file that is no CSV is refused and not kept.
    let workbook = upload(&env, &banking, "customer", "not.xlsx", "plain text").await;
    assert_eq!((workbook.status, &workbook.body["code"]), (400, &json!("bad_csv")), "{}", workbook.body);
    let empty = upload(&env, &banking, "customer", "empty.csv", "").await;
    assert_eq!(empty.status, 400, "{}", empty.body);

    // Fifty runs of one import at once: one starts it, the others are told it runs. The
    // file is long enough that its run outlasts them (a run that has ended may be started
    // again: a four-row file's dry run ended within the fifty once, under load), and is
    // cancelled after.
    let mut long = "customer_no,name,risk_level\n".to_owned();
    for i in 0..4000 {
        long.push_str(&format!("B{i:06},客户{i},r3\n"));
    }
    let up = upload(&env, &banking, "customer", "again.csv", &long).await;
    let id = up.body["import"]["id"].as_i64().expect("id");
    let body = json!({ "mapping": { "key": "customer_no" }, "dry_run": true });
    let uri = format!("{APP}/imports/{id}/run");
    let answers =
        futures_util::future::join_all((0..50).map(|_| call(&env, &banking, "POST", &uri, Some(&body)))).await;
    let started = answers.iter().filter(|a| a.status == 202).count();
    let told = answers.iter().filter(|a| a.status == 409 && a.body["code"] == "import_running").count();
    let cancelled = call(&env, &banking, "POST", &format!("{APP}/imports/{id}/cancel"), None).await;
    assert_eq!(cancelled.status, 200, "still running when the fifty were answered: {}", cancelled.body);
    assert_eq!((started, told), (1, 49));
    finished(&env, &banking, id).await;
    env.finish().await;
}

async fn an_import_is_cancelled_resumed_and_taken_over(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let banking = token(&env, "core.banking").await;
    let total = 3000;
    let mut file = "customer_no,name,risk_level,relationship_manager\n".to_owned();
    for i in 0..total {
        file.push_str(&format!("Q{i:06},客户{i},r3,1\n"));
    }
    let mapping = json!({ "key": "customer_no" });
    let written = || count(&env, "SELECT COUNT(*) FROM t_bank_crm_customer WHERE f_customer_no LIKE 'Q%'");

    let up = upload(&env, &banking, "customer", "feed.csv", &file).await;
    let id = up.body["import"]["id"].as_i64().expect("id");
    let run = format!("{APP}/imports/{id}/run");
    let cancel = format!("{APP}/imports/{id}/cancel");
    assert_eq!(call(&env, &banking, "POST", &run, Some(&json!({ "mapping": mapping }))).await.status, 202);
    let cancelled = call(&env, &banking, "POST", &cancel, None).await;
    assert_eq!((cancelled.status, &cancelled.body["state"]), (200, &json!("cancelled")), "{}", cancelled.body);
    // It stops before its next batch (one under way ends first); what it wrote stays,
    // counted.
    let mut stopped = finished(&env, &banking, id).await;
    loop {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let now = finished(&env, &banking, id).await;
        if now["rows_done"] == stopped["rows_done"] {
            break;
        }
        stopped = now;
    }
    let done = stopped["rows_done"].as_i64().expect("rows");
    assert!(done < total, "{stopped}");
    assert_eq!(written().await, done);
    let twice = call(&env, &banking, "POST", &cancel, None).await;
    assert_eq!((twice.status, &twice.body["code"]), (409, &json!("import_running")));

    // Run again with the same mapping: it goes on after the rows it wrote.
    assert_eq!(call(&env, &banking, "POST", &run, Some(&json!({ "mapping": mapping }))).await.status, 202);
    let ended = finished(&env, &banking, id).await;
    assert_eq!((&ended["state"], &ended["rows_done"]), (&json!("done"), &json!(total)), "{ended}");
    assert_eq!(ended["counts"]["created"], json!(total), "every row once: {ended}");
    assert_eq!(written().await, total);

    // Cancelled and started again at once, while a batch of the first run may be under
    // way: that run writes nothing more, and every row is counted once.
    let file_r = file.replace("\nQ", "\nR");
    let up = upload(&env, &banking, "customer", "feed r.csv", &file_r).await;
    let id = up.body["import"]["id"].as_i64().expect("id");
    let (run, cancel) = (format!("{APP}/imports/{id}/run"), format!("{APP}/imports/{id}/cancel"));
    assert_eq!(call(&env, &banking, "POST", &run, Some(&json!({ "mapping": mapping }))).await.status, 202);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(call(&env, &banking, "POST", &cancel, None).await.status, 200);
    assert_eq!(call(&env, &banking, "POST", &run, Some(&json!({ "mapping": mapping }))).await.status, 202);
    let ended = finished(&env, &banking, id).await;
    let counts = &ended["counts"];
    assert_eq!((&ended["state"], &ended["rows_done"]), (&json!("done"), &json!(total)), "{ended}");
    assert_eq!(counts["created"].as_i64().unwrap_or(0) + counts["unchanged"].as_i64().unwrap_or(0), total, "{ended}");
    let r = count(&env, "SELECT COUNT(*) FROM t_bank_crm_customer WHERE f_customer_no LIKE 'R%'").await;
    assert_eq!(r, total);

    // A running import whose server fell silent is taken over by a server holding its file
    // (a part of the first file, imported already: every row unchanged).
    let part: String = file.lines().take(1201).map(|line| format!("{line}\n")).collect();
    let up = upload(&env, &banking, "customer", "feed again.csv", &part).await;
    let id = up.body["import"]["id"].as_i64().expect("id");
    let spec = serde_json::to_string(&mapping).expect("json").replace('\'', "''");
    let silent = format!(
        "UPDATE trellis_imports SET state = 'running', mapping = '{spec}', heard_at = '2020-01-01T00:00:00.000000Z' WHERE id = {id}"
    );
    sea_orm::ConnectionTrait::execute_unprepared(&env.state.db.conn, &silent).await.expect("silent");
    let taken = server::imports::job::look_after(&env.state.core, env.now()).await.expect("looked after");
    assert_eq!(taken, 1);
    let ended = finished(&env, &banking, id).await;
    assert_eq!((&ended["state"], &ended["counts"]["unchanged"]), (&json!("done"), &json!(1200)), "{ended}");
    env.finish().await;
}
