//! CSV and XLSX export: the caller's records and field modes, formula-injection guard, an audit
//! entry per export, and exports longer than one page.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(exports_follow_the_callers_roles, exports_stream_every_page);

/// The CSV's rows (after the byte-order mark), each split into cells (no quoted commas in
/// these tests).
fn rows(body: &Value) -> Vec<Vec<String>> {
    let text = body.as_str().expect("CSV text");
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
    text.split_terminator("\r\n").map(|line| line.split(',').map(str::to_owned).collect()).collect()
}

async fn exports_follow_the_callers_roles(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let password = "a long enough secret";
    let user = |name: &str, role: &str| json!({ "username": name, "password": password, "org_unit": "hq", "app_roles": { "bank_crm": [role] } });
    let directory = json!({ "org_units": [{ "key": "hq", "name": "总行" }],
        "users": [user("analyst", "analyst"), user("compliance", "compliance"), user("zhang.min", "relationship_manager")] });
    assert_eq!(env.post("/api/v1/directory/import", &directory).await.status, 200);
    let customers = "/api/v1/apps/bank_crm/forms/customer/records";
    let sneaky = env
        .post(customers, &json!({ "customer_no": "C0999", "name": "=HYPERLINK(\"http://x\")", "aum": "1.50" }))
        .await;
    assert_eq!(sneaky.status, 201, "{}", sneaky.body);
    let conn = &env.state.db.conn;
    let now = server::auth::wall_now();
    let auth = |name: &str| {
        let name = name.to_owned();
        async move {
            let (token, _) = server::auth::login(conn, &name, password, now).await.expect("signed in");
            format!("Bearer {token}")
        }
    };
    let export = "/api/v1/apps/bank_crm/forms/customer/export?sort=id&fields=customer_no,name,mobile,id_number,aum";
    let analyst = env.send("GET", export, None, &[("authorization", &auth("analyst").await)]).await;
    assert_eq!(analyst.status, 200, "{}", analyst.body);
    assert_eq!(analyst.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
    let table = rows(&analyst.body);
    // Headers as the list shows them, in the exporter's language (the app's: none chosen).
    assert_eq!(table[0], ["id", "客户号", "姓名", "证件号码", "手机", "管理资产(AUM)"]);
    assert_eq!(table.len(), 1 + 7, "a header and every customer");
    assert_eq!(table[1][2..], ["李伟", "110***********0001", "*******0001", "12800000.00"]);
    let last = table.last().expect("the new customer");
    assert_eq!(
        last[1..4],
        ["C0999", "\"'=HYPERLINK(\"\"http://x\"\")\"", ""],
        "formula-like text is defused, quotes doubled"
    );

    // The exports used field keys as headers and option keys as values; an integrator asks
    // for keys.
    let analyst = auth("analyst").await;
    let worded = "/api/v1/apps/bank_crm/forms/customer/export?sort=id&fields=name,tier,last_mobile_login";
    let table = rows(&env.send("GET", worded, None, &[("authorization", &analyst)]).await.body);
    assert_eq!(table[0], ["id", "姓名", "客户层级", "最近手机银行登录 (Asia/Shanghai)"]);
    assert_eq!(table[1][1..3], ["李伟", "高净值"], "options by their labels");
    assert!(table[1][3].len() == 19 && !table[1][3].contains('T'), "an instant on the reader's clocks: {:?}", table[1]);
    let keyed = env.send("GET", &format!("{worded}&keys=true"), None, &[("authorization", &analyst)]).await;
    let table = rows(&keyed.body);
    assert_eq!(table[0], ["id", "name", "tier", "last_mobile_login"]);
    assert_eq!(table[1][2], "hnw");
    let me = env.send("PATCH", "/api/v1/auth/me", Some(r#"{"language":"en"}"#), &[("authorization", &analyst)]).await;
    assert_eq!(me.status, 200, "{}", me.body);
    let english = env.send("GET", worded, None, &[("authorization", &auth("analyst").await)]).await;
    assert_eq!(rows(&english.body)[0], ["id", "Name", "Tier", "Last mobile-banking login (Asia/Shanghai)"]);

    let compliance = env.send("GET", export, None, &[("authorization", &auth("compliance").await)]).await;
    assert_eq!(rows(&compliance.body)[1][3..5], ["110101198001010001", "13700000001"]);
    let rm = env.send("GET", export, None, &[("authorization", &auth("zhang.min").await)]).await;
    assert_eq!((rm.status, rm.body["code"].as_str()), (403, Some("forbidden")), "relationship managers do not export");
    let guess = format!("{export}&where=mobile%20==%20'13700000001'");
    let refused = env.send("GET", &guess, None, &[("authorization", &auth("analyst").await)]).await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (403, Some("not_readable")));

    // The same as a workbook: masked as the CSV, the defused formula a text.
    let workbook = |name: &'static str| {
        let env = &env;
        let auth = auth(name);
        async move {
            let auth = auth.await;
            let mut bytes = Vec::new();
            let uri = format!("{export}&format=xlsx");
            let status =
                env.get_streamed(&uri, &[("authorization", &auth)], |chunk| bytes.extend_from_slice(chunk)).await;
            assert_eq!(status, 200);
            use calamine::Reader;
            let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
            let sheet = book.sheet_names()[0].clone();
            let range = book.worksheet_range(&sheet).expect("its sheet");
            range.rows().map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>()).collect::<Vec<_>>()
        }
    };
    let analysts = workbook("analyst").await;
    // She reads English now (above).
    assert_eq!(analysts[0], ["id", "Customer number", "Name", "ID number", "Mobile", "Assets under management"]);
    assert_eq!(analysts.len(), 1 + 7);
    assert_eq!(analysts[1][2..], ["李伟", "110***********0001", "*******0001", "12800000.00"]);
    assert_eq!(analysts[7][2], "'=HYPERLINK(\"http://x\")");
    assert_eq!(workbook("compliance").await[1][3..5], ["110101198001010001", "13700000001"]);
    let odd = env.get(&format!("{export}&format=pdf")).await;
    assert_eq!((odd.status, odd.body["code"].as_str()), (400, Some("bad_query")));

    let audit = env.get("/api/v1/audit?action=record.export").await;
    let entries = audit.body["items"].as_array().expect("items");
    let who: Vec<&str> = entries.iter().filter_map(|e| e["actor"].as_str()).collect();
    assert_eq!(who.len(), 7, "one entry per export that ran: {who:?}");
    assert_eq!(entries.iter().filter(|e| e["detail"]["format"] == "xlsx").count(), 2);
    assert!(who.contains(&"analyst") && who.contains(&"compliance"));
    assert!(entries.iter().all(|e| e["form"] == "customer" && e["detail"]["rows"] == 7), "{entries:?}");
    assert!(
        entries.iter().any(|e| e["detail"]["fields"] == json!(["id", "name", "tier", "last_mobile_login"])),
        "keys audited"
    );
    env.finish().await;
}

async fn exports_stream_every_page(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let before =
        env.get("/api/v1/apps/bank_crm/forms/product/records?count=true").await.body["total"].as_u64().expect("total");
    let added = 2345;
    let records: Vec<Value> = (0..added)
        .map(|i| json!({ "form": "product", "values": { "code": format!("P{i:05}"), "name": format!("产品 {i}"), "min_amount": "50000.00", "expected_return": "-1.5" } }))
        .collect();
    server::demo::seed_records(&env.state, "bank_crm", json!({ "records": records }), chrono_tz::UTC)
        .await
        .expect("seeded");
    let export =
        env.get("/api/v1/apps/bank_crm/forms/product/export?sort=-id&fields=code,min_amount,expected_return").await;
    assert_eq!(export.status, 200);
    let table = rows(&export.body);
    assert_eq!(table.len() as u64, 1 + before + added, "every record, across three pages");
    let ids: Vec<i64> = table[1..].iter().map(|r| r[0].parse().expect("id")).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "in the asked order, none twice");
    assert_eq!(table[1][1..], ["P02344", "-1.5000", "50000.00"], "numbers are not defused");
    env.finish().await;
}
