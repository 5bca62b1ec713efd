//! The 500s and loose limits an attacker's review found, each now a 4xx problem (or the
//! documented answer), on both backends.

use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(
    a_nul_character_reached_the_database,
    a_thousand_filter_clauses_overflowed_sqlite,
    a_date_time_past_the_year_9999_could_not_be_read_back,
    a_file_name_with_a_line_break_could_never_be_downloaded,
    loose_limits_and_bodiless_errors,
    every_method_a_path_lacks_is_a_405
);

const CUSTOMERS: &str = "/api/v1/apps/bank_crm/forms/customer/records";

fn is_problem(r: &crate::support::Resp, status: u16) -> bool {
    r.status == status && r.header("content-type").as_deref() == Some("application/problem+json")
}

async fn a_nul_character_reached_the_database(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let login = json!({ "username": "ad\u{0}min", "password": "x" }).to_string();
    let r = env.send("POST", "/api/v1/auth/login", Some(&login), &[("authorization", "")]).await;
    assert!(is_problem(&r, 400), "{r:?}");
    assert_eq!(r.error_paths(), ["/username nul_character"]);
    let token = json!({ "name": "feed\u{0}", "app": "bank_crm", "access": "read", "expires_in_days": 30 });
    assert_eq!(env.post("/api/v1/tokens", &token).await.error_paths(), ["/name nul_character"]);
    let literal = env.get(&format!("{CUSTOMERS}?where=name%20%3D%3D%20%27a%00b%27")).await;
    assert!(is_problem(&literal, 400), "{literal:?}");
    assert_eq!(literal.error_paths(), ["/where nul_character"]);
    assert!(is_problem(&env.get("/api/v1/audit?actor=ad%00min").await, 400));
    let event = json!({ "event_id": "e1", "data": { "customer": 1, "device": "a\u{0}b" } });
    assert_eq!(
        env.post("/api/v1/apps/bank_crm/events/mobile_login/occurrences", &event).await.error_paths(),
        ["/data/device nul_character"]
    );
    env.finish().await;
}

async fn a_thousand_filter_clauses_overflowed_sqlite(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let clauses = |n: usize| std::iter::repeat_n("aum:gt:1", n).collect::<Vec<_>>().join(",");
    assert_eq!(env.get(&format!("{CUSTOMERS}?filter={}", clauses(100))).await.status, 200);
    let many = env.get(&format!("{CUSTOMERS}?filter={}", clauses(1000))).await;
    assert!(is_problem(&many, 400), "{many:?}");
    assert_eq!(many.error_paths(), ["/filter bad_query"]);
    let values = (0..1001).map(|i| format!("C{i}")).collect::<Vec<_>>().join("|");
    assert!(is_problem(&env.get(&format!("{CUSTOMERS}?filter=customer_no:in:{values}")).await, 400));
    env.finish().await;
}

async fn a_date_time_past_the_year_9999_could_not_be_read_back(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.shows_personal_data().await;
    for (instant, stored) in [
        ("9999-12-31T23:59:59-23:59", None),
        ("2026-12-31T23:59:60Z", None),
        ("0001-01-01T00:00:00+00:01", None),
        ("9999-12-31T23:59:59Z", Some("9999-12-31T23:59:59.000000Z")),
        ("0001-01-01T00:00:00Z", Some("0001-01-01T00:00:00.000000Z")),
    ] {
        let r = env
            .post(
                CUSTOMERS,
                &json!({ "customer_no": format!("T{}", instant.len()), "name": "时间", "last_mobile_login": instant }),
            )
            .await;
        match stored {
            None => assert_eq!(r.error_paths(), ["/last_mobile_login datetime"], "{instant}"),
            Some(text) => {
                assert_eq!(r.status, 201, "{instant}: {}", r.body);
                let id = r.body["id"].as_i64().expect("id");
                let read = env.get(&format!("{CUSTOMERS}/{id}")).await;
                assert_eq!(read.body["last_mobile_login"], text, "read back alike on both backends");
                assert_eq!(env.delete(&format!("{CUSTOMERS}/{id}")).await.status, 204);
            }
        }
    }
    let birthday = env.post(CUSTOMERS, &json!({ "customer_no": "T0", "name": "零年", "birthday": "0000-01-01" })).await;
    assert_eq!(birthday.error_paths(), ["/birthday date"]);
    let filter = env.get(&format!("{CUSTOMERS}?filter=_created_at:gt:9999-12-31T23:59:59-23:59")).await;
    assert!(is_problem(&filter, 400));
    env.finish().await;
}

async fn a_file_name_with_a_line_break_could_never_be_downloaded(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    for name in ["a%0D%0Ab.pdf", "a%0Ab.pdf", "tab%09.pdf"] {
        let r = env
            .send(
                "POST",
                &format!("/api/v1/apps/bank_crm/files?name={name}"),
                Some("%PDF"),
                &[("content-type", "application/pdf")],
            )
            .await;
        assert!(is_problem(&r, 400), "{name}: {r:?}");
        assert_eq!(r.error_paths(), ["/name bad_name"]);
    }
    let ok = env
        .send(
            "POST",
            "/api/v1/apps/bank_crm/files?name=%E6%94%B6%E6%8D%AE.pdf",
            Some("%PDF"),
            &[("content-type", "application/pdf")],
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    // A name stored before the rule (written here directly) still downloads.
    let id = ok.body["id"].as_i64().expect("id");
    let conn = &env.state.db.conn;
    let update = format!("UPDATE trellis_files SET name = 'old' || char(13) || char(10) || 'name.pdf' WHERE id = {id}");
    let update = if backend == Backend::Postgres { update.replace("char(", "chr(") } else { update };
    sea_orm::ConnectionTrait::execute_unprepared(conn, &update).await.expect("updated");
    let got = env.get(&format!("/api/v1/apps/bank_crm/files/{id}")).await;
    assert_eq!(got.status, 200);
    assert!(got.header("content-disposition").is_some_and(|d| d.contains("old__name.pdf")), "{:?}", got.headers);
    env.finish().await;
}

async fn loose_limits_and_bodiless_errors(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    // A method a route lacks, and a URI too long for any list query.
    let put = env.send("PUT", CUSTOMERS, Some("{}"), &[]).await;
    assert!(is_problem(&put, 405), "{put:?}");
    assert_eq!(put.body["code"], "method_not_allowed");
    let long = env.get(&format!("{CUSTOMERS}?where={}", "a".repeat(20_000))).await;
    assert!(is_problem(&long, 414), "{long:?}");
    // Documented 1 to 1000.
    let audit = env.get("/api/v1/audit?limit=100000").await;
    assert_eq!(audit.error_paths(), ["/limit bad_query"]);
    assert_eq!(env.get("/api/v1/audit?limit=1000").await.status, 200);
    // A cursor is for the sort it was made with.
    let page = env.get(&format!("{CUSTOMERS}?sort=-aum&limit=2")).await;
    let next = page.body["next"].as_str().expect("a next page").to_owned();
    assert_eq!(env.get(&format!("{CUSTOMERS}?sort=-aum&limit=2&after={next}")).await.status, 200);
    let other = env.get(&format!("{CUSTOMERS}?sort=-annual_income&limit=2&after={next}")).await;
    assert_eq!(other.error_paths(), ["/after bad_query"]);
    // Division by zero is null on both backends, even where the dividend is large.
    let evaluated = env
        .post(
            "/api/v1/apps/bank_crm/forms/customer/evaluate",
            &json!({ "expression": "aum / (aum - aum)", "limit": 10 }),
        )
        .await;
    assert_eq!(evaluated.status, 200, "{}", evaluated.body);
    let values: Vec<&Value> = evaluated.body["items"].as_array().expect("items").iter().map(|i| &i["value"]).collect();
    assert!(values.iter().all(|v| v.is_null()), "{values:?}");
    env.finish().await;
}

/// Every path of both documents, asked with each method it does not list, answers 405:
/// never a route of a neighbouring path (`PATCH …/records/bulk` once reached
/// `…/records/{id}` with `bulk` as the id, a 400).
async fn every_method_a_path_lacks_is_a_405(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let mut wrong = Vec::new();
    for doc in ["/api/v1/openapi.json", "/api/v1/apps/bank_crm/openapi.json"] {
        let paths = env.get(doc).await.body["paths"].as_object().expect("paths").clone();
        for (template, item) in paths {
            let uri = template
                .replace("{app}", "bank_crm")
                .replace("{form}", "customer")
                .replace("{kind}", "form")
                .split('/')
                .map(|part| if part.starts_with('{') { "1" } else { part })
                .collect::<Vec<_>>()
                .join("/");
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
                if item.get(method.to_lowercase()).is_some() {
                    continue;
                }
                let body = (method != "GET" && method != "DELETE").then_some("{}");
                let r = env.send(method, &uri, body, &[]).await;
                if !is_problem(&r, 405) || r.body["code"] != "method_not_allowed" {
                    wrong.push(format!("{method} {uri}: {} {}", r.status, r.body));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    env.finish().await;
}
