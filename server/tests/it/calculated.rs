//! Calculated columns: a dataset's column computed from each row in the expression
//! language, grouped and measured like a field, drilled to the records it counts, refused
//! for a viewer who sees what it reads masked, checked with each problem at its path.

use serde_json::{Value, json};

use crate::reports::{APP, as_user, people};
use crate::support::{Backend, both_backends, start};

both_backends!(a_calculated_column_is_grouped_drilled_and_held_to_what_its_viewer_reads);

fn encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

async fn a_calculated_column_is_grouped_drilled_and_held_to_what_its_viewer_reads(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    people(&env).await;
    let bands = as_user(&env, "zhang.min", "GET", &format!("{APP}/reports/customers_by_age_band"), None).await;
    assert_eq!(bands.status, 200, "{}", bands.body);
    assert_eq!(bands.body["read"]["grouped"], false, "computed on reading, not by the database");
    let rows = bands.body["rows"].as_array().expect("rows").clone();
    assert!(rows.len() >= 2, "several bands: {}", bands.body);
    let count = |v: &Value| v.as_str().and_then(|c| c.parse::<u64>().ok()).expect("a count");
    let customers =
        as_user(&env, "zhang.min", "GET", &format!("{APP}/forms/customer/records?limit=1&count=true"), None).await;
    let all = customers.body["total"].as_u64().expect("total");
    assert_eq!(rows.iter().map(|r| count(&r["values"][0])).sum::<u64>(), all, "every customer in one band");
    // Each band drills to its customers: the list computes the expression too.
    for row in &rows {
        let condition = row["where"].as_str().expect("a where");
        let uri = format!("{APP}/forms/customer/records?limit=1&count=true&where={}", encoded(condition));
        let listed = as_user(&env, "zhang.min", "GET", &uri, None).await;
        assert_eq!(listed.status, 200, "{condition}: {}", listed.body);
        assert_eq!(listed.body["total"].as_u64(), Some(count(&row["values"][0])), "{condition}");
    }
    // The analyst sees birthdays as their year only: a column computed from them is refused.
    let analyst = as_user(&env, "chen.analyst", "GET", &format!("{APP}/reports/customers_by_age_band"), None).await;
    assert_eq!((analyst.status, analyst.body["code"].as_str()), (403, Some("not_readable")), "{}", analyst.body);
    // So is one over a value masked for everyone but compliance.
    let column = |expression: &str, kind: &str| {
        json!({ "report": { "key": "c", "dataset": { "form": "customer", "columns": [{ "key": "x", "type": kind, "expression": expression }] },
            "dimensions": [{ "field": "x" }], "measures": [{ "key": "n", "op": "count" }] } })
    };
    let masked = env.post(&format!("{APP}/reports/preview"), &column("len(id_number)", "integer")).await;
    assert_eq!((masked.status, masked.body["code"].as_str()), (403, Some("not_readable")), "{}", masked.body);
    // Wrong ones are named at their paths.
    for (expression, kind, code) in [("nothing + 1", "integer", None), ("len(name)", "money", Some("unknown_type"))] {
        let wrong = env.post(&format!("{APP}/reports/preview"), &column(expression, kind)).await;
        assert_eq!(wrong.status, 422, "{}", wrong.body);
        let paths: Vec<&str> =
            wrong.body["errors"].as_array().expect("errors").iter().filter_map(|e| e["path"].as_str()).collect();
        assert!(paths.iter().any(|p| p.starts_with("/dataset/columns/0/")), "{}", wrong.body);
        if let Some(code) = code {
            assert!(
                wrong.body["errors"].as_array().expect("errors").iter().any(|e| e["code"] == code),
                "{}",
                wrong.body
            );
        }
    }
    env.finish().await;
}
