//! Reports the database groups answer as their rows do: every bank CRM report, as each of
//! the bank's people reads it, is the same whether the database grouped its rows or the
//! engine read them one by one; and the reports that can be grouped are.

use serde_json::Value;

use crate::reports::{APP, as_user, people};
use crate::support::{Backend, both_backends, start, start_tweaked};

both_backends!(grouped_in_the_database_or_read_row_by_row_every_report_answers_alike);

/// What an answer says, without how it was read.
fn figures(answer: &Value) -> Value {
    serde_json::json!({ "columns": answer["columns"], "rows": answer["rows"], "total": answer["total"], "pivot": answer["pivot"] })
}

async fn grouped_in_the_database_or_read_row_by_row_every_report_answers_alike(backend: Backend) {
    let grouping = start(backend).await.with_bank_crm().await;
    let reading = start_tweaked(backend, |core| core.report_limits.fold = false).await.with_bank_crm().await;
    people(&grouping).await;
    people(&reading).await;
    let reports = std::fs::read_dir(crate::support::bank_crm().join("reports")).expect("reports");
    let mut keys: Vec<String> = reports
        .map(|entry| {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("report");
            serde_json::from_str::<Value>(&text).expect("json")["key"].as_str().expect("key").to_owned()
        })
        .collect();
    keys.sort();
    let mut grouped = Vec::new();
    for user in ["zhang.min", "li.hang", "hq.manager", "chen.analyst"] {
        for key in &keys {
            let uri = format!("{APP}/reports/{key}");
            let by_groups = as_user(&grouping, user, "GET", &uri, None).await;
            let by_rows = as_user(&reading, user, "GET", &uri, None).await;
            assert_eq!(by_groups.status, by_rows.status, "{user} {key}: {}", by_groups.body);
            if by_groups.status != 200 {
                continue;
            }
            assert_eq!(figures(&by_groups.body), figures(&by_rows.body), "{user} {key}");
            assert_eq!(by_rows.body["read"]["grouped"], false, "{key}");
            if by_groups.body["read"]["grouped"] == true && user == "hq.manager" {
                grouped.push(key.as_str());
                let (groups, rows) = (&by_groups.body["read"]["count"], &by_rows.body["read"]["count"]);
                assert!(groups.as_u64() <= rows.as_u64(), "{key}: {groups} groups of {rows} rows");
            }
        }
    }
    // The reports of a form's own fields, or through a relation to another form's, are grouped.
    for key in [
        "aum_by_tier",
        "aum_by_manager",
        "tier_mix_by_branch",
        "aum_by_branch_month",
        "tier_migration",
        "churn_by_month",
    ] {
        assert!(grouped.contains(&key), "{key} is grouped by the database: {grouped:?}");
    }
    grouping.finish().await;
    reading.finish().await;
}
