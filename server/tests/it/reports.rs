//! Reports and dashboards over the bank CRM, as its people read them: each aggregates only
//! the rows the viewer's roles admit, a report reading what the viewer sees masked or
//! hidden is refused whole, parameters are typed and named when wrong, related records'
//! fields are read through relations, and a dashboard computes its cards at once, a
//! failing one failing alone. The figures are the same on both backends.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::support::{Backend, Env, Resp, both_backends, start, start_tweaked};

both_backends!(
    a_report_aggregates_only_the_rows_its_viewer_reads,
    a_report_reading_what_the_viewer_sees_masked_is_refused,
    parameters_are_typed_and_a_wrong_one_is_named,
    a_dashboard_computes_its_cards_and_one_failing_fails_alone,
    a_kept_answer_serves_only_its_viewer_until_a_form_it_read_changes
);

const PASSWORD: &str = "a long enough secret";
pub(crate) const APP: &str = "/api/v1/apps/bank_crm";

/// The bank's people (from the example's directory), each with the password.
pub(crate) async fn people<S>(env: &Env<S>)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let mut directory: Value =
        serde_json::from_str(&std::fs::read_to_string(crate::support::bank_crm().join("people.json")).expect("people"))
            .expect("json");
    for user in directory["users"].as_array_mut().expect("users") {
        user["password"] = json!(PASSWORD);
    }
    assert_eq!(env.post("/api/v1/directory/import", &directory).await.status, 200);
}

/// A session token of `username` (one of the bank's people).
pub(crate) async fn token<S>(env: &Env<S>, username: &str) -> String {
    let (token, _) =
        server::auth::login(&env.state.db.conn, username, PASSWORD, server::auth::wall_now()).await.expect("in");
    token
}

pub(crate) async fn as_user<S>(env: &Env<S>, username: &str, method: &str, uri: &str, body: Option<&Value>) -> Resp
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let token = token(env, username).await;
    let body = body.map(Value::to_string);
    env.send(method, uri, body.as_deref(), &[("authorization", &format!("Bearer {token}"))]).await
}

fn decimal(v: &Value) -> Decimal {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("a decimal: {v}"))
}

/// The customers `username` reads through the list, and their AUM summed.
async fn book<S>(env: &Env<S>, username: &str) -> (usize, Decimal)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let list =
        as_user(env, username, "GET", &format!("{APP}/forms/customer/records?limit=1000&fields=aum"), None).await;
    let items = list.body["items"].as_array().cloned().unwrap_or_default();
    (items.len(), items.iter().filter(|c| !c["aum"].is_null()).map(|c| decimal(&c["aum"])).sum())
}

async fn a_report_aggregates_only_the_rows_its_viewer_reads(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    for username in ["zhang.min", "wang.lei", "li.hang", "hq.manager"] {
        let (customers, aum) = book(&env, username).await;
        let answer = as_user(&env, username, "GET", &format!("{APP}/reports/book"), None).await;
        assert_eq!(answer.status, 200, "{username}: {}", answer.body);
        let total = &answer.body["total"];
        assert_eq!(decimal(&total[0]), aum, "{username}'s AUM is the sum of the customers they read");
        assert_eq!(total[1], json!(customers.to_string()), "{username}: {}", answer.body);
        let by_tier = as_user(&env, username, "GET", &format!("{APP}/reports/aum_by_tier"), None).await;
        let counted: u64 = by_tier.body["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| decimal(&r["values"][1]).try_into().unwrap_or(0u64))
            .sum();
        assert_eq!(counted as usize, customers, "{username}'s tiers cover their customers: {}", by_tier.body);
    }
    // The RM reads no more than her branch manager, who reads fewer than head office.
    let (hers, _) = book(&env, "zhang.min").await;
    let (branch, _) = book(&env, "li.hang").await;
    let (all, _) = book(&env, "hq.manager").await;
    assert!(0 < hers && hers <= branch && branch < all, "{hers} <= {branch} < {all}");

    // Exact figures, the same on both backends: the whole bank as head office reads it.
    let whole = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/book"), None).await;
    assert_eq!(whole.body["total"], json!(["23914001.25", "6", "3985666.88"]), "{}", whole.body);
    assert_eq!(whole.body["columns"][0]["scale"], 2, "{}", whole.body);
    assert_eq!(whole.body["columns"][2]["rounding"], "half_even");
    assert_eq!(whole.body["report"]["chart"]["type"], "kpi");

    // Through relations: AUM by the manager's name, largest first, and holdings by the
    // product's category within the reader's holdings.
    let managers = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/aum_by_manager"), None).await;
    assert_eq!(managers.status, 200, "{}", managers.body);
    let rows = managers.body["rows"].as_array().expect("rows");
    assert!(rows.iter().any(|r| r["keys"][0] == "张敏"), "{}", managers.body);
    let sums: Vec<Decimal> = rows.iter().map(|r| decimal(&r["values"][1])).collect();
    assert!(sums.windows(2).all(|w| w[0] >= w[1]), "sorted by AUM, largest first: {sums:?}");
    let products = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/holdings_by_product"), None).await;
    assert_eq!(products.status, 200, "{}", products.body);
    let options = products.body["columns"][0]["options"].as_array().expect("the category's options");
    assert!(options.iter().any(|o| o["key"] == "fixed_income"), "{options:?}");
    let drill = &products.body["rows"][0]["drill"][0];
    assert_eq!(drill["field"], "product.category", "{}", products.body);
    assert_eq!(products.body["base"]["where"], "status == \"holding\"");
    assert_eq!(products.body["rows"][0]["where"], "(status == \"holding\") and product.category == 'fixed_income'");

    // Two columns named alike through relations are named by the relation too.
    let maturing = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/holding_maturities_30_days"), None).await;
    assert_eq!(maturing.status, 200, "{}", maturing.body);
    let names: Vec<&Value> =
        maturing.body["columns"].as_array().expect("columns").iter().map(|c| &c["label"]["en"]).collect();
    assert_eq!(names[..2], [&json!("Customer · Name"), &json!("Product · Name")], "{}", maturing.body);

    // Exported as CSV in her words, exact, and audited like a record export.
    let csv = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/aum_by_tier?format=csv"), None).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").is_some_and(|t| t.starts_with("text/csv")), "{:?}", csv.header("content-type"));
    let text = csv.body.as_str().unwrap_or_default().trim_start_matches('\u{feff}').to_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "客户层级,管理资产,客户数,户均资产,资产占比", "{text}");
    assert!(lines.contains(&"高净值,19000000.00,2,9500000.00,0.9816"), "{text}");
    assert_eq!(lines.last(), Some(&"合计,19356000.75,3,6452000.25,1.0000"), "{text}");
    let trail = env.get("/api/v1/audit?action=report.export").await;
    let entry = &trail.body["items"][0];
    assert_eq!(
        (entry["form"].as_str(), entry["detail"]["report"].as_str()),
        (Some("customer"), Some("aum_by_tier")),
        "{}",
        trail.body
    );
    let xlsx = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/aum_by_tier?format=xlsx"), None).await;
    assert_eq!(xlsx.status, 200);
    assert!(
        xlsx.header("content-type").is_some_and(|t| t.contains("spreadsheetml")),
        "{:?}",
        xlsx.header("content-type")
    );
    assert!(xlsx.body.as_str().is_some_and(|b| b.starts_with("PK")), "a zip: the workbook");
    let wrong = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/aum_by_tier?format=pdf"), None).await;
    assert_eq!(wrong.error_paths(), ["/format bad_query"]);
    env.finish().await;
}

async fn a_report_reading_what_the_viewer_sees_masked_is_refused(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    // A birthday is visible to the RM and masked for the branch manager: a report of
    // customers by birthday (or the youngest birthday) shows her, refuses him.
    let report = json!({ "key": "birthdays", "dataset": { "form": "customer" },
        "dimensions": [{ "field": "birthday", "bucket": "month" }],
        "measures": [{ "key": "n", "op": "count" }, { "key": "youngest", "op": "max", "field": "annual_income" }] });
    assert_eq!(env.put(&format!("{APP}/drafts/reports/birthdays"), &report).await.status, 200);
    let published = env.post(&format!("{APP}/publish"), &json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);
    let hers = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/birthdays"), None).await;
    assert_eq!(hers.status, 200, "{}", hers.body);
    let his = as_user(&env, "li.hang", "GET", &format!("{APP}/reports/birthdays"), None).await;
    assert_eq!((his.status, his.body["code"].as_str()), (403, Some("not_readable")), "{}", his.body);
    assert!(his.body["detail"].as_str().is_some_and(|d| d.contains("birthday")), "{}", his.body);

    // Through a relation too: the customer's ID number on a holding, masked for everyone
    // who does not hold the compliance role, administrators included.
    let preview = json!({ "report": { "key": "by_id", "dataset": { "form": "wealth_holding" },
        "dimensions": [{ "field": "customer.id_number" }], "measures": [{ "key": "n", "op": "count" }] } });
    let refused = env.post(&format!("{APP}/reports/preview"), &preview).await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (403, Some("not_readable")), "{}", refused.body);
    // …as is a fixed filter that reads it.
    let filtered = json!({ "report": { "key": "f", "dataset": { "form": "customer" }, "filter": "id_number == \"x\"",
        "measures": [{ "key": "n", "op": "count" }] } });
    assert_eq!(env.post(&format!("{APP}/reports/preview"), &filtered).await.status, 403);
    // A preview of a wrong definition names each problem at its path.
    let wrong = json!({ "report": { "key": "w", "dataset": { "form": "customer" },
        "dimensions": [{ "field": "customer.nothing" }], "measures": [{ "key": "s", "op": "sum", "field": "name" }] } });
    let invalid = env.post(&format!("{APP}/reports/preview"), &wrong).await;
    assert_eq!(invalid.status, 422, "{}", invalid.body);
    assert_eq!(
        invalid.error_paths(),
        ["/dimensions/0/field unknown_field", "/measures/0/field wrong_type"],
        "{}",
        invalid.body
    );
    // The RM may not preview at all: previews are the designers'.
    let rm = as_user(&env, "zhang.min", "POST", &format!("{APP}/reports/preview"), Some(&preview)).await;
    assert_eq!(rm.status, 403);
    env.finish().await;
}

async fn parameters_are_typed_and_a_wrong_one_is_named(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let all = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/book"), None).await;
    let vip = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/book?tier=hnw"), None).await;
    assert_eq!(vip.status, 200, "{}", vip.body);
    assert!(decimal(&vip.body["total"][1]) < decimal(&all.body["total"][1]), "{} vs {}", vip.body, all.body);
    assert_eq!(vip.body["base"]["filter"], "tier:eq:hnw");
    let parameter = &vip.body["report"]["parameters"][0];
    assert_eq!((parameter["value"].as_str(), parameter["type"].as_str()), (Some("hnw"), Some("single_select")));
    let wrong = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/book?tier=platinum"), None).await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert_eq!(wrong.error_paths(), ["/tier bad_query"], "{}", wrong.body);
    let unknown = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/book?branch=1"), None).await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert_eq!(unknown.error_paths(), ["/branch unknown_parameter"], "{}", unknown.body);
    let comma = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/book?tier=a%2Cb"), None).await;
    assert_eq!(comma.status, 400, "a comma stays inside its value: {}", comma.body);
    let none = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/nothing"), None).await;
    assert_eq!(none.status, 404);
    env.finish().await;
}

async fn a_dashboard_computes_its_cards_and_one_failing_fails_alone(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    // The RM's menu has her book, not the managers' dashboard; his has the managers'.
    let menu = |body: &Value| -> Vec<String> {
        let app = body["apps"].as_array().and_then(|a| a.iter().find(|a| a["key"] == "bank_crm")).cloned();
        app.and_then(|a| a["dashboards"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|d| d["key"].as_str().map(str::to_owned))
            .collect()
    };
    let hers = as_user(&env, "zhang.min", "GET", "/api/v1/workspace", None).await;
    assert_eq!(menu(&hers.body), ["my_day", "my_book"], "{}", hers.body);
    let his = as_user(&env, "li.hang", "GET", "/api/v1/workspace", None).await;
    assert_eq!(menu(&his.body), ["managers"]);
    let refused = as_user(&env, "zhang.min", "GET", &format!("{APP}/dashboards/managers"), None).await;
    assert_eq!(refused.status, 404, "a dashboard she does not see is none");
    // Someone signed in without a role in the app sees none of its dashboards.
    let stranger = json!({ "users": [{ "username": "no.role", "password": PASSWORD }] });
    assert_eq!(env.post("/api/v1/directory/import", &stranger).await.status, 200);
    let theirs = as_user(&env, "no.role", "GET", "/api/v1/workspace", None).await;
    assert!(menu(&theirs.body).is_empty(), "{}", theirs.body);
    let mine = as_user(&env, "no.role", "GET", &format!("{APP}/dashboards/my_book"), None).await;
    assert_eq!(mine.status, 404, "{}", mine.body);

    let board = as_user(&env, "zhang.min", "GET", &format!("{APP}/dashboards/my_book?tier=hnw"), None).await;
    assert_eq!(board.status, 200, "{}", board.body);
    let cards = board.body["cards"].as_array().expect("cards");
    assert_eq!(cards.len(), 8);
    assert!(cards.iter().all(|c| c["answer"].is_object()), "{}", board.body);
    assert_eq!(cards[0]["answer"]["report"]["parameters"][0]["value"], "hnw", "the shared filter reached the card");
    assert_eq!(board.body["parameters"][0]["type"], "single_select");
    let follow_ups = cards.iter().find(|c| c["report"] == "follow_ups_by_month").expect("card");
    assert!(
        follow_ups["answer"]["report"]["parameters"].as_array().is_some_and(Vec::is_empty),
        "a card without the parameter"
    );

    // A card whose report reads what its viewer sees masked fails alone, saying why.
    let mut managers: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::bank_crm().join("dashboards/01_managers.json")).expect("dashboard"),
    )
    .expect("json");
    let report = json!({ "key": "incomes", "dataset": { "form": "customer" }, "dimensions": [{ "field": "birthday", "bucket": "year" }],
        "measures": [{ "key": "n", "op": "count" }] });
    assert_eq!(env.put(&format!("{APP}/drafts/reports/incomes"), &report).await.status, 200);
    managers["cards"].as_array_mut().expect("cards").push(json!({ "report": "incomes", "x": 0, "y": 24 }));
    assert_eq!(env.put(&format!("{APP}/drafts/dashboards/managers"), &managers).await.status, 200);
    let published = env.post(&format!("{APP}/publish"), &json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);
    let board = as_user(&env, "li.hang", "GET", &format!("{APP}/dashboards/managers"), None).await;
    assert_eq!(board.status, 200, "{}", board.body);
    let cards = board.body["cards"].as_array().expect("cards");
    let failed: Vec<&Value> = cards.iter().filter(|c| c["problem"].is_object()).collect();
    assert_eq!(failed.len(), 1, "{}", board.body);
    assert_eq!(
        (failed[0]["report"].as_str(), failed[0]["problem"]["code"].as_str()),
        (Some("incomes"), Some("not_readable"))
    );
    assert_eq!(cards.iter().filter(|c| c["answer"].is_object()).count(), cards.len() - 1);
    env.finish().await;
}

both_backends!(
    a_runaway_report_and_one_over_too_many_rows_are_refused_with_a_problem,
    fifty_viewers_at_once_each_get_their_own_answer
);

async fn a_runaway_report_and_one_over_too_many_rows_are_refused_with_a_problem(backend: Backend) {
    // Grouped by the database, its groups are what is counted; read row by row, its rows.
    let env = start_tweaked(backend, |core| core.report_limits.rows = 2).await.with_bank_crm().await;
    people(&env).await;
    let many = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/aum_by_tier"), None).await;
    assert_eq!((many.status, many.body["code"].as_str()), (422, Some("too_many_rows")), "{}", many.body);
    let few = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/aum_by_tier?tier=mass"), None).await;
    assert_eq!(few.status, 200, "narrowed by its parameter, it is read: {}", few.body);
    let book = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/book"), None).await;
    assert_eq!((book.status, &book.body["read"]), (200, &json!({ "grouped": true, "count": 1 })), "{}", book.body);
    env.finish().await;
    let env = start_tweaked(backend, |core| {
        core.report_limits.rows = 2;
        core.report_limits.fold = false;
    })
    .await
    .with_bank_crm()
    .await;
    people(&env).await;
    let many = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/book"), None).await;
    assert_eq!((many.status, many.body["code"].as_str()), (422, Some("too_many_rows")), "{}", many.body);
    let few = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/book?tier=mass"), None).await;
    assert_eq!(few.status, 200, "narrowed by its parameter, it is read: {}", few.body);
    env.finish().await;

    let env = start_tweaked(backend, |core| core.report_limits.time = std::time::Duration::from_nanos(1))
        .await
        .with_bank_crm()
        .await;
    people(&env).await;
    let slow = as_user(&env, "hq.manager", "GET", &format!("{APP}/reports/flows_by_month"), None).await;
    assert_eq!((slow.status, slow.body["code"].as_str()), (503, Some("too_slow")), "{}", slow.body);
    let board = as_user(&env, "li.hang", "GET", &format!("{APP}/dashboards/managers"), None).await;
    assert_eq!(board.status, 200, "a dashboard of slow cards still answers: {}", board.body);
    let cards = board.body["cards"].as_array().expect("cards");
    assert!(cards.iter().all(|c| c["problem"]["code"] == "too_slow"), "{}", board.body);
    env.finish().await;
}

async fn fifty_viewers_at_once_each_get_their_own_answer(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let alone: Vec<Value> = {
        let mut out = Vec::new();
        for user in ["zhang.min", "wang.lei", "hq.manager"] {
            out.push(
                as_user(&env, user, "GET", &format!("{APP}/reports/aum_by_tier"), None).await.body["total"].clone(),
            );
        }
        out
    };
    assert_eq!(
        alone.iter().collect::<std::collections::HashSet<_>>().len(),
        3,
        "three readers, three books: {alone:?}"
    );
    let users = ["zhang.min", "wang.lei", "hq.manager"];
    let mut tokens = Vec::new();
    for user in users {
        let (token, _) =
            server::auth::login(&env.state.db.conn, user, PASSWORD, server::auth::wall_now()).await.expect("in");
        tokens.push(format!("Bearer {token}"));
    }
    let calls = (0..50).map(|i| {
        let (env, token) = (&env, &tokens[i % 3]);
        let uri = format!("{APP}/reports/aum_by_tier");
        async move { (i % 3, env.send("GET", &uri, None, &[("authorization", token)]).await) }
    });
    for (who, answer) in futures_util::future::join_all(calls).await {
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["total"], alone[who], "{}'s answer, never another's", users[who]);
    }
    env.finish().await;
}

both_backends!(tasks_are_a_dataset_read_as_each_inbox_reaches_them);

async fn tasks_are_a_dataset_read_as_each_inbox_reaches_them(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let report = json!({ "key": "tasks_by_assignee", "dataset": { "platform": "tasks" },
        "dimensions": [{ "field": "assignee" }, { "field": "status" }], "measures": [{ "key": "n", "op": "count" }],
        "parameters": [{ "key": "status", "field": "status" }] });
    assert_eq!(env.put(&format!("{APP}/drafts/reports/tasks_by_assignee"), &report).await.status, 200);
    let published = env.post(&format!("{APP}/publish"), &json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);
    let count = |body: &Value| -> Vec<(String, String)> {
        body["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| (r["keys"][0].as_str().unwrap_or("").to_owned(), r["values"][0].as_str().unwrap_or("").to_owned()))
            .collect()
    };
    // 李伟's whole AUM leaves today: the large-outflow rule raises an alert task for her.
    let customer = env.get(&format!("{APP}/forms/customer/records/1")).await.body;
    let sent = json!({ "customer": customer["id"], "direction": "out", "amount": customer["aum"],
        "occurred_at": env.now().to_rfc3339(), "channel": "mobile" });
    assert_eq!(env.post(&format!("{APP}/forms/transaction/records"), &sent).await.status, 201);
    // Her tasks as her inbox lists them; her branch manager's team's; another RM's none of hers.
    let inbox = as_user(&env, "zhang.min", "GET", "/api/v1/tasks?limit=500", None).await;
    let open = inbox.body["items"].as_array().map_or(0, Vec::len);
    assert!(open > 0, "{}", inbox.body);
    let hers = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/tasks_by_assignee?status=open"), None).await;
    assert_eq!(count(&hers.body), [("zhang.min".to_owned(), open.to_string())], "{}", hers.body);
    // Shown by the name people know her by.
    let options = &hers.body["columns"][0]["options"];
    assert_eq!(options, &json!([{ "key": "zhang.min", "label": { "zh-CN": "张敏", "en": "张敏" } }]), "{}", hers.body);
    let team = as_user(&env, "li.hang", "GET", &format!("{APP}/reports/tasks_by_assignee?status=open"), None).await;
    assert!(count(&team.body).contains(&("zhang.min".to_owned(), open.to_string())), "{}", team.body);
    let other = as_user(&env, "wang.lei", "GET", &format!("{APP}/reports/tasks_by_assignee"), None).await;
    assert!(!count(&other.body).iter().any(|(who, _)| who == "zhang.min"), "{}", other.body);
    let wrong = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/tasks_by_assignee?status=lost"), None).await;
    assert_eq!(wrong.error_paths(), ["/status bad_query"], "{}", wrong.body);

    // Her day: every card answers; a listed task is one of her inbox's, a listed account one of hers.
    let day = as_user(&env, "zhang.min", "GET", &format!("{APP}/dashboards/my_day"), None).await;
    assert_eq!(day.status, 200, "{}", day.body);
    let cards = day.body["cards"].as_array().expect("cards");
    assert!(cards.iter().all(|c| c["answer"].is_object()), "{}", day.body);
    let ids: Vec<&Value> = inbox.body["items"].as_array().into_iter().flatten().map(|t| &t["id"]).collect();
    for card in cards.iter().filter(|c| c["answer"]["report"]["platform"] == "tasks") {
        for row in card["answer"]["rows"].as_array().into_iter().flatten() {
            assert!(ids.contains(&&row["id"]), "{} lists a task not hers: {row}", card["report"]);
        }
    }
    let alerts = cards.iter().find(|c| c["report"] == "new_alerts").expect("alerts");
    assert_eq!(alerts["answer"]["rows"].as_array().map_or(0, Vec::len), 1, "the outflow alert: {alerts}");
    // Exported, its time is on her clocks (the app's zone), not UTC's.
    let csv = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/new_alerts?format=csv"), None).await;
    let shanghai = env.now().with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M").to_string();
    assert!(csv.body.as_str().is_some_and(|t| t.contains(&shanghai)), "{shanghai} in {}", csv.body);
    let maturities = cards.iter().find(|c| c["report"] == "maturities").expect("maturities");
    let rows = maturities["answer"]["rows"].as_array().expect("rows");
    assert!(
        rows.iter().all(|r| r["keys"][3].as_str().is_some_and(|b| b.contains('.'))),
        "balances at their scale: {rows:?}"
    );
    let his = as_user(&env, "wang.lei", "GET", &format!("{APP}/reports/maturities"), None).await;
    let theirs: Vec<&Value> = his.body["rows"].as_array().into_iter().flatten().map(|r| &r["id"]).collect();
    assert!(rows.iter().all(|r| !theirs.contains(&&r["id"])), "another RM's maturities are not hers");
    env.finish().await;
}

/// Whether the answer came from the server's kept answers (`Cache-Status`).
fn kept(answer: &Resp) -> bool {
    answer.header("cache-status").is_some_and(|s| s.contains("hit"))
}

/// An answer is kept for its viewer: asked again, it is served as it was; another viewer
/// (other access) never gets it; a write to a form it read (its dataset, a relation it
/// reads, a form the viewer's row rule reads) outdates it at once, while a write to any
/// other form leaves it standing.
async fn a_kept_answer_serves_only_its_viewer_until_a_form_it_read_changes(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let ask = |username: &'static str, report: &'static str| {
        let env = &env;
        async move {
            let answer = as_user(env, username, "GET", &format!("{APP}/reports/{report}"), None).await;
            assert_eq!(answer.status, 200, "{username} {report}: {}", answer.body);
            answer
        }
    };
    let first = ask("zhang.min", "book").await;
    assert!(!kept(&first), "computed the first time");
    let again = ask("zhang.min", "book").await;
    assert!(kept(&again), "kept the second time");
    assert_eq!(first.body, again.body);
    // Another RM, other rows: never her answer.
    let his = ask("wang.lei", "book").await;
    assert!(!kept(&his), "another viewer's answer is never served");
    assert_ne!(his.body["total"], first.body["total"], "his own figures");
    assert_eq!(decimal(&his.body["total"][0]), book(&env, "wang.lei").await.1);
    // The same parameters spelt otherwise are another question.
    let tiered = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/book?tier=hnw"), None).await;
    assert!(!kept(&tiered));

    // A write to a form no answer read: every answer stands.
    let products = env.get(&format!("{APP}/forms/product/records?limit=1")).await.body["items"][0].clone();
    let uri = format!("{APP}/forms/product/records/{}", products["id"]);
    let renamed =
        env.patch(&uri, products["_version"].as_i64().expect("version"), &json!({ "name": "稳享一年期固收 A" })).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert!(kept(&ask("zhang.min", "book").await), "a product's change does not touch her book");
    let managers = ask("hq.manager", "aum_by_manager").await;
    assert!(!kept(&managers) && kept(&ask("hq.manager", "aum_by_manager").await));

    // A write to the form her row rule reads (an RM's record): her book is read again.
    let rms = env.get(&format!("{APP}/forms/relationship_manager/records?limit=1")).await.body["items"][0].clone();
    let uri = format!("{APP}/forms/relationship_manager/records/{}", rms["id"]);
    let phoned =
        env.patch(&uri, rms["_version"].as_i64().expect("version"), &json!({ "email": "rm@example.cn" })).await;
    assert_eq!(phoned.status, 200, "{}", phoned.body);
    assert!(!kept(&ask("zhang.min", "book").await), "her rows are decided through the RM's record");
    assert!(!kept(&ask("hq.manager", "aum_by_manager").await), "it reads the manager's name");

    // A write to the dataset's form: the new figure at once.
    let customers =
        as_user(&env, "zhang.min", "GET", &format!("{APP}/forms/customer/records?limit=1&sort=id"), None).await;
    let mine = customers.body["items"][0].clone();
    let uri = format!("{APP}/forms/customer/records/{}", mine["id"]);
    let changed = env.patch(&uri, mine["_version"].as_i64().expect("version"), &json!({ "aum": "1.00" })).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let after = ask("zhang.min", "book").await;
    assert!(!kept(&after), "her book read again after her customer changed");
    assert_eq!(decimal(&after.body["total"][0]), book(&env, "zhang.min").await.1);
    assert_ne!(after.body["total"], first.body["total"]);
    env.finish().await;
}
