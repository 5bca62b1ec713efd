//! What one write costs in statements: a record's own row is read at most twice (before
//! the change, and once after the rules), however many steps the pipeline takes. A PATCH
//! once read the same customer five times.

use serde_json::json;

use crate::support::{Backend, Statements, both_backends, start_observed};

both_backends!(a_patch_read_its_own_row_five_times);

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
