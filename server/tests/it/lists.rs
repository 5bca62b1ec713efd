//! Lists: filters, sort, fields, count, and cursors that stay stable under inserts.

use std::collections::BTreeSet;

use serde_json::json;

use crate::support::{Backend, both_backends, start};

both_backends!(
    filters_of_every_operator,
    cursor_pages_are_stable_under_inserts,
    bad_list_parameters_are_400,
    limit_minus_one_names_the_parameter,
    a_search_finds_by_title_numbers_and_lookups_seen_in_clear,
    the_inbox_pages_with_a_cursor,
    the_audit_trail_and_the_outbox_say_where_they_stopped
);

const CUSTOMERS: &str = "/api/v1/apps/bank_crm/forms/customer/records";

fn names(r: &crate::support::Resp) -> Vec<String> {
    let r = &r.body;
    r["items"].as_array().into_iter().flatten().map(|i| i["name"].as_str().unwrap_or("").to_owned()).collect()
}

async fn filters_of_every_operator(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.shows_personal_data().await;
    let q = |filter: &str| format!("{CUSTOMERS}?fields=name&sort=customer_no&filter={filter}");
    let cases: [(&str, &[&str]); 13] = [
        ("tier:eq:hnw", &["李伟", "陈静"]),
        ("tier:ne:hnw", &["赵刚", "孙丽", "周洋", "吴芳"]),
        ("aum:gte:3450000.50", &["李伟", "陈静", "赵刚"]),
        ("aum:lt:1020000", &["周洋", "吴芳"]),
        ("aum:lte:1020000,aum:gt:356000.75", &["孙丽"]),
        ("tier:in:mass|potential", &["周洋", "吴芳"]),
        ("name:contains:%E9%9D%99", &["陈静"]),
        ("customer_no:starts:C000", &["李伟", "陈静", "赵刚", "孙丽", "周洋", "吴芳"]),
        ("interests:has:travel", &["陈静", "孙丽"]),
        ("last_mobile_login:null", &["吴芳"]),
        ("interests:null", &["周洋"]),
        ("birthday:gte:1990-01-01,risk_level:notnull", &["孙丽", "周洋", "吴芳"]),
        ("relationship_manager:eq:2", &["赵刚", "孙丽", "吴芳"]),
    ];
    for (filter, expected) in cases {
        let r = env.get(&q(filter)).await;
        assert_eq!(r.status, 200, "{filter}: {}", r.body);
        assert_eq!(names(&r), expected.to_vec(), "{filter}");
    }
    let sorted = env.get(&format!("{CUSTOMERS}?fields=name&sort=-last_mobile_login&count=true&limit=3")).await;
    assert_eq!(names(&sorted), vec!["周洋", "李伟", "赵刚"], "newest login first");
    assert_eq!(sorted.body["total"], 6);
    let nulls_last = env.get(&format!("{CUSTOMERS}?fields=name&sort=last_mobile_login")).await;
    assert_eq!(names(&nulls_last).last().map(String::as_str), Some("吴芳"), "no value sorts last either way");
    let only = env.get(&format!("{CUSTOMERS}/1?fields=name")).await;
    assert!(only.body.get("aum").is_none() && only.body.get("name").is_some(), "a single read honours fields= too");
    let fields = env.get(&format!("{CUSTOMERS}?fields=name,tier&limit=1")).await;
    let keys: BTreeSet<&str> =
        fields.body["items"][0].as_object().expect("record").keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["id", "_version", "_created_at", "_updated_at", "name", "tier"]));
    env.finish().await;
}

async fn cursor_pages_are_stable_under_inserts(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    for i in 0..30 {
        let aum = format!("{}.00", 100 + (i * 7) % 13);
        let r = env
            .post(
                CUSTOMERS,
                &json!({ "customer_no": format!("P{i:03}"), "name": format!("p{i}"), "aum": aum, "tier": "mass" }),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let before: Vec<String> = names(
        &env.get(&format!(
            "{CUSTOMERS}?filter=tier:eq:mass,customer_no:starts:P&sort=-aum,name&limit=1000&fields=name"
        ))
        .await,
    );
    assert_eq!(before.len(), 30);
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut inserted = 0;
    loop {
        let mut uri =
            format!("{CUSTOMERS}?filter=tier:eq:mass,customer_no:starts:P&sort=-aum,name&limit=7&fields=name,aum");
        if let Some(cursor) = &after {
            uri.push_str(&format!("&after={cursor}"));
        }
        let page = env.get(&uri).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(names(&page));
        // Records inserted between pages, before and after the cursor, must not shift it.
        for aum in ["99.00", "200.00"] {
            env.post(CUSTOMERS, &json!({ "customer_no": format!("Q{inserted:03}"), "name": format!("q{inserted}"), "aum": aum, "tier": "potential" })).await;
            inserted += 1;
        }
        match page.body["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    let original: Vec<&String> = seen.iter().filter(|n| n.starts_with('p')).collect();
    assert_eq!(original, before.iter().collect::<Vec<_>>(), "every original record once, in order");
    env.finish().await;
}

async fn bad_list_parameters_are_400(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    for (query, path) in [
        ("filter=nope:eq:1", "/filter"),
        ("filter=aum:like:1", "/filter"),
        ("filter=aum:gte:abc", "/filter"),
        ("filter=tier:eq:vip", "/filter"),
        ("filter=tier:gt:hnw", "/filter"),
        ("filter=aum:eq", "/filter"),
        ("filter=interests:eq:golf", "/filter"),
        ("sort=notes,nope", "/sort"),
        ("sort=interests", "/sort"),
        ("fields=name,nope", "/fields"),
        ("after=not-a-cursor", "/after"),
        ("limit=5000", "/limit"),
    ] {
        let r = env.get(&format!("{CUSTOMERS}?{query}")).await;
        assert_eq!((r.status, r.body["code"].as_str()), (400, Some("bad_query")), "{query}: {}", r.body);
        assert_eq!(r.body["errors"][0]["path"], path, "{query}");
    }
    env.finish().await;
}

/// A query parameter of the wrong type (`limit=-1`) is named like any other bad input:
/// 400 `bad_query` with the parameter's path in `errors[]`, on every route that lists.
async fn limit_minus_one_names_the_parameter(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    for (url, path) in [
        (format!("{CUSTOMERS}?limit=-1"), "/limit"),
        (format!("{CUSTOMERS}?limit=ten"), "/limit"),
        (format!("{CUSTOMERS}?count=maybe"), "/count"),
        ("/api/v1/tasks?overdue=maybe".to_owned(), "/overdue"),
        ("/api/v1/tasks?due_before=tomorrow".to_owned(), "/due_before"),
        ("/api/v1/audit?limit=-1".to_owned(), "/limit"),
    ] {
        let r = env.get(&url).await;
        assert_eq!((r.status, r.body["code"].as_str()), (400, Some("bad_query")), "{url}: {}", r.body);
        assert_eq!(r.body["errors"][0]["path"], path, "{url}: {}", r.body);
        let detail = r.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(&format!("`{}`", &path[1..])), "{url}: {detail}");
    }
    env.finish().await;
}

async fn a_search_finds_by_title_numbers_and_lookups_seen_in_clear(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let search = |text: &str| format!("{CUSTOMERS}?fields=name&sort=customer_no&search={text}");
    // The title, a unique number in any case, and nothing for the masked mobile.
    assert_eq!(names(&env.get(&search("%E9%9D%99")).await), ["陈静"], "by name");
    assert_eq!(names(&env.get(&search("c0001")).await), ["李伟"], "by customer number, ignoring case");
    assert_eq!(names(&env.get(&search("13700000001")).await), Vec::<String>::new(), "a masked mobile is not searched");
    let long = env.get(&search(&"x".repeat(101))).await;
    assert_eq!(long.status, 400, "{}", long.body);
    let env = env.shows_personal_data().await;
    assert_eq!(names(&env.get(&search("13700000001")).await), ["李伟"], "by mobile, a lookup field, seen in clear");
    // Within the other filters and the caller's rows; an empty search is no search.
    assert_eq!(names(&env.get(&format!("{}&filter=tier:eq:hnw", search("C000"))).await), ["李伟", "陈静"]);
    assert_eq!(names(&env.get(&search("%20")).await).len(), 6);
    env.finish().await;
}

/// The inbox says where it stopped: a page at a time, each task once, in due order.
async fn the_inbox_pages_with_a_cursor(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let password = "a long enough secret";
    let people = json!({ "org_units": [{ "key": "sh001", "name": "上海陆家嘴支行" }], "users": [
        { "username": "zhang.min", "password": password, "org_unit": "sh001", "app_roles": { "bank_crm": ["relationship_manager"] } }] });
    assert_eq!(env.post("/api/v1/directory/import", &people).await.status, 200);
    let token =
        server::auth::login(&env.state.db.conn, "zhang.min", password, server::auth::wall_now()).await.expect("in").0;
    let auth = format!("Bearer {token}");
    let get = |uri: String| {
        let auth = auth.clone();
        let env = &env;
        async move { env.send("GET", &uri, None, &[("authorization", &auth)]).await }
    };
    // The seeded renewals' preparation tasks fall due.
    server::flows::run_due_timers(&env.state, env.now() + chrono::Duration::days(8)).await.expect("timers");
    let all = get("/api/v1/tasks?limit=500".into()).await;
    let every: Vec<i64> =
        all.body["items"].as_array().expect("items").iter().map(|t| t["id"].as_i64().expect("id")).collect();
    assert!(every.len() >= 2, "the seeded tasks: {}", all.body);
    assert_eq!(all.body["next"], serde_json::Value::Null, "all of them fit");
    let mut paged = Vec::new();
    let mut uri = "/api/v1/tasks?limit=1".to_owned();
    for _ in 0..every.len() + 1 {
        let page = get(uri.clone()).await;
        assert_eq!(page.status, 200, "{}", page.body);
        paged.extend(page.body["items"].as_array().expect("items").iter().map(|t| t["id"].as_i64().expect("id")));
        match page.body["next"].as_str() {
            Some(next) => uri = format!("/api/v1/tasks?limit=1&after={}", next.replace(':', "%3A").replace('/', "%2F")),
            None => break,
        }
    }
    assert_eq!(paged, every, "page by page, the same tasks in the same order");
    for bad in [
        "/api/v1/tasks?limit=0",
        "/api/v1/tasks?limit=501",
        "/api/v1/tasks?after=nonsense",
        "/api/v1/tasks?after=yesterday%2F1",
        "/api/v1/tasks?whose=everyone",
    ] {
        assert_eq!(get(bad.into()).await.status, 400, "{bad}");
    }
    env.finish().await;
}

/// The audit trail and the outbox give the cursor of what they left out; a record's
/// history says when it stopped.
async fn the_audit_trail_and_the_outbox_say_where_they_stopped(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let first = env.get("/api/v1/audit?limit=3").await;
    let ids = |r: &crate::support::Resp| -> Vec<i64> {
        r.body["items"].as_array().expect("items").iter().map(|i| i["id"].as_i64().expect("id")).collect()
    };
    let (one, before) = (ids(&first), first.body["next"].as_i64().expect("a next page"));
    assert_eq!((one.len(), one.last().copied()), (3, Some(before)), "{}", first.body);
    let second = env.get(&format!("/api/v1/audit?limit=3&before={before}")).await;
    assert!(ids(&second).iter().all(|id| *id < before) && !ids(&second).is_empty(), "{}", second.body);
    let all = env.get("/api/v1/audit?limit=1000").await;
    assert_eq!(all.body["next"], serde_json::Value::Null, "the seed's trail fits in one page");

    let outbox = env.get("/api/v1/apps/bank_crm/outbox").await;
    assert_eq!(outbox.status, 200, "{}", outbox.body);
    assert!(outbox.body.get("next").is_some(), "{}", outbox.body);
    let newest = ids(&outbox).first().copied().unwrap_or(1);
    let older = env.get(&format!("/api/v1/apps/bank_crm/outbox?before={newest}")).await;
    assert!(ids(&older).iter().all(|id| *id < newest), "{}", older.body);
    let history = env.get("/api/v1/apps/bank_crm/forms/customer/records/1/history").await;
    assert_eq!(history.body["more"], false, "{}", history.body);
    env.finish().await;
}
