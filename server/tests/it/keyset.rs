//! A page deep in a list costs what the first page costs: the reads walk the sort key's
//! index from the cursor (held to the database's own plan on both backends), and pages
//! through values and NULLs, in either direction and with ties, give every record once in
//! the list's order.

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::support::{Backend, both_backends, start};

both_backends!(pages_across_values_and_nulls_give_every_record_once, a_deep_page_walks_the_keys_index);

const CUSTOMERS: &str = "/api/v1/apps/bank_crm/forms/customer/records";

/// Every page of `query` at `limit` a page, the `customer_no`s in order.
async fn paged<S>(env: &crate::support::Env<S>, query: &str, limit: u32) -> Vec<String>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
            Error = actix_web::Error,
        >,
{
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut uri = format!("{CUSTOMERS}?{query}&fields=customer_no&limit={limit}");
        if let Some(cursor) = &after {
            uri.push_str(&format!("&after={cursor}"));
        }
        let page = env.get(&uri).await;
        assert_eq!(page.status, 200, "{uri}: {}", page.body);
        seen.extend(
            page.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|r| r["customer_no"].as_str().unwrap_or("").to_owned()),
        );
        match page.body["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return seen,
        }
        assert!(seen.len() < 1000, "the pages never end");
    }
}

async fn pages_across_values_and_nulls_give_every_record_once(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    // Values with ties, and records with no value at all.
    for i in 0..23 {
        let aum = (i % 4 != 3).then(|| format!("{}.00", 1000 + (i * 5) % 7));
        let income = (i % 3 != 0).then(|| format!("{}.00", (i * 11) % 5));
        let record = json!({ "customer_no": format!("K{i:03}"), "name": format!("k{i}"), "tier": "mass",
            "aum": aum, "annual_income": income });
        assert_eq!(env.post(CUSTOMERS, &record).await.status, 201);
    }
    for sort in ["aum", "-aum", "aum,-annual_income", "-annual_income,aum", "annual_income,name"] {
        let query = format!("filter=customer_no:starts:K&sort={sort}");
        let whole = paged(&env, &query, 500).await;
        assert_eq!(whole.len(), 23, "{sort}: every record on one page");
        for limit in [1, 2, 5, 7] {
            assert_eq!(paged(&env, &query, limit).await, whole, "{sort} at {limit} a page: each record once, in order");
        }
        // No value sorts last, whichever the direction.
        let key = sort.split(',').next().unwrap_or_default().trim_start_matches('-');
        let first_null = whole.iter().position(|no| {
            let i: usize = no[1..].parse().unwrap_or(0);
            match key {
                "aum" => i % 4 == 3,
                _ => i.is_multiple_of(3),
            }
        });
        let nulls = whole.len() - first_null.expect("records without a value");
        assert_eq!(nulls, if key == "aum" { 5 } else { 8 }, "{sort}: the records without a value last");
    }
    env.finish().await;
}

async fn a_deep_page_walks_the_keys_index(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    // Enough customers that PostgreSQL's planner would rather scan than walk the index if
    // the condition did not let it seek (one in ten without a value).
    let rows = 20_000;
    let conn = &env.state.db.conn;
    let (aum, made) = match backend {
        Backend::Sqlite => ("CASE WHEN i % 10 = 0 THEN NULL ELSE i * 100 END", "'2026-12-01T00:00:00.000000Z'"),
        Backend::Postgres => ("CASE WHEN i % 10 = 0 THEN NULL ELSE i END", "TIMESTAMPTZ '2026-12-01 00:00:00+00'"),
    };
    let series = match backend {
        Backend::Sqlite => {
            format!("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {rows}) SELECT i FROM s")
        }
        Backend::Postgres => format!("SELECT i FROM generate_series(1, {rows}) i"),
    };
    conn.execute_unprepared(&format!(
        "INSERT INTO t_bank_crm_customer (_version, _created_at, _updated_at, f_customer_no, f_name, f_tier, f_aum) \
         SELECT 1, {made}, {made}, 'D' || i, 'd' || i, 'mass', {aum} FROM ({series}) n"
    ))
    .await
    .expect("customers inserted");
    conn.execute_unprepared("ANALYZE").await.expect("analysed");
    let admin = server::auth::user(conn, server::auth::Who::Name("admin")).await.expect("read").expect("admin");
    for sort in ["aum", "-aum", "-name", "id", "-id"] {
        // A cursor deep in the list: the page after the 15,000th record.
        let mut after = String::new();
        for _ in 0..15 {
            let cursor = if after.is_empty() { String::new() } else { format!("&after={after}") };
            let page = env.get(&format!("{CUSTOMERS}?sort={sort}&fields=customer_no&limit=1000{cursor}")).await;
            assert_eq!(page.status, 200, "{}", page.body);
            after = page.body["next"].as_str().expect("a next page").to_owned();
        }
        let params: server::records::query::ListParams = serde_json::from_value(json!({
            "sort": sort, "limit": 50, "after": after,
        }))
        .expect("params");
        let plans =
            server::access::reach::list_plans(&env.state.core, &admin, ("bank_crm", "customer"), &params, env.now())
                .await
                .expect("plans");
        for (i, plan) in plans.iter().enumerate() {
            let whole_table = match backend {
                Backend::Sqlite => {
                    plan.lines().any(|l| l.starts_with("SCAN t_bank_crm_customer") && !l.contains("INDEX"))
                        || plan.contains("USE TEMP B-TREE FOR ORDER BY")
                }
                // Nor a sort of all the rows after the cursor (an incremental one of ties in
                // the index's order is no cost). The rows with no value (the second read)
                // are found by the index and sorted by id: PostgreSQL's index holds equal
                // keys in no order of id.
                Backend::Postgres => {
                    plan.contains("Seq Scan on t_bank_crm_customer")
                        || (i == 0
                            && plan.lines().any(|l| l.trim_start().trim_start_matches("->  ").starts_with("Sort  (")))
                }
            };
            assert!(!whole_table, "{sort}: a deep page reads the whole table:\n{plan}");
        }
    }
    env.finish().await;
}
