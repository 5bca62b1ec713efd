//! What one write costs in statements: a record's own row is read at most twice (before
//! the change, and once after the rules), however many steps the pipeline takes. A PATCH
//! once read the same customer five times. Records created together (an upsert's new
//! records) cost statements by the batch, not by the record, the rules' updates included.

use serde_json::json;

use crate::support::{Backend, Statements, both_backends, start_observed};

both_backends!(a_patch_read_its_own_row_five_times, new_records_sent_together_cost_statements_by_the_batch);

/// The statements since `from` that read rows of `table` by id.
fn own_row_reads(statements: &Statements, from: usize, table: &str) -> Vec<String> {
    let quoted = format!("FROM \"{table}\"");
    statements.lock().expect("statements")[from..]
        .iter()
        .filter(|sql| sql.trim_start().starts_with("SELECT") && sql.contains(&quoted) && sql.contains("\"id\" ="))
        .cloned()
        .collect()
}

async fn a_patch_read_its_own_row_five_times(backend: Backend) {
    let (env, statements) = start_observed(backend).await;
    let env = env.with_bank_crm().await;
    let table = engine_form::main_table_name("bank_crm", "customer");
    let uri = "/api/v1/apps/bank_crm/forms/customer/records/1";
    let version = env.get(uri).await.body["_version"].as_i64().expect("version");

    // Rules watch customers' updates (this one fires none), so the record is read after them.
    let from = statements.lock().expect("statements").len();
    let patched = env.patch(uri, version, &json!({ "notes": "prefers calls after 6 pm" })).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let reads = own_row_reads(&statements, from, &table);
    assert!(reads.len() <= 2, "{} reads of the customer's row: {reads:#?}", reads.len());

    // A create returns its row; nothing reads it again unless rules ran.
    let from = statements.lock().expect("statements").len();
    let made = env
        .post("/api/v1/apps/bank_crm/forms/branch/records", &json!({ "code": "GZ001", "name": "广州天河支行" }))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let reads = own_row_reads(&statements, from, &engine_form::main_table_name("bank_crm", "branch"));
    assert!(reads.is_empty(), "{reads:#?}");
    env.finish().await;
}

async fn new_records_sent_together_cost_statements_by_the_batch(backend: Backend) {
    let (env, statements) = start_observed(backend).await;
    let env = env.with_bank_crm().await;
    let mut cost = Vec::new();
    for (from_no, n) in [(0, 5), (100, 50)] {
        let records: Vec<_> = (from_no..from_no + n)
            .map(|i| {
                json!({ "customer_no": format!("S{i:05}"), "name": format!("批量{i}"), "risk_level": "r2",
                    "relationship_manager": { "employee_no": "E1001" }, "branch": { "code": "SH001" } })
            })
            .collect();
        let from = statements.lock().expect("statements").len();
        let sent = env
            .post(
                "/api/v1/apps/bank_crm/forms/customer/records/bulk",
                &json!({ "key": "customer_no", "records": records }),
            )
            .await;
        assert_eq!(sent.body["created"].as_u64(), Some(n as u64), "{}", sent.body);
        cost.push(statements.lock().expect("statements")[from..].to_vec());
    }
    // Every new customer is tiered by the `retier` rule: a firing and an update each.
    let retiered = crate::rules::rows(&env, "SELECT COUNT(*) FROM trellis_firings WHERE rule = 'retier'").await;
    assert!(retiered[0][0].parse::<usize>().expect("count") >= 55, "{retiered:?}");
    assert!(cost[1].len() <= cost[0].len() + 2, "5 records: {} statements; 50: {:#?}", cost[0].len(), cost[1]);
    env.finish().await;
}
