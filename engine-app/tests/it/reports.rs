//! Reports and dashboards checked with the app: the bank CRM's, and mistakes against
//! their dataset's form, reports and roles, each at its path.

use serde_json::json;

use crate::cases::bank_crm;

#[test]
fn the_bank_crms_reports_check_and_a_reports_mistakes_are_found_at_their_paths() {
    let mut bank = bank_crm();
    let app = engine_app::check_app(&bank, 0).expect("the bank CRM checks");
    let keys: Vec<&str> = app.reports.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "aum_by_tier",
            "flows_by_month",
            "aum_by_manager",
            "holdings_by_product",
            "book",
            "tier_mix_by_branch",
            "follow_ups_by_month",
            "overdue_tasks",
            "due_today",
            "new_alerts",
            "maturities",
            "birthdays_this_week",
            "task_load",
            "overdue_by_assignee",
            "holding_maturities",
            "aum_by_branch_month",
            "tier_migration",
            "churn_by_month",
            "alerts_within_sla",
            "maturities_30_days",
            "holding_maturities_30_days",
            "open_tasks",
            "messages_by_channel",
            "firings_by_rule",
            "processes_by_flow",
            "customers_by_age_band"
        ]
    );
    let boards: Vec<&str> = app.dashboards.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(boards, ["managers", "my_day", "my_book"]);
    bank["reports"].as_array_mut().expect("reports").push(json!({ "key": "bad", "dataset": { "form": "customer" },
        "dimensions": [{ "field": "tier", "bucket": "month" }, { "field": "nope" }],
        "measures": [{ "key": "s", "op": "sum", "field": "name" }, { "key": "n", "op": "count" }] }));
    bank["reports"]
        .as_array_mut()
        .expect("reports")
        .push(json!({ "key": "none", "dataset": { "form": "nothing" }, "measures": [{ "key": "n", "op": "count" }] }));
    bank["dashboards"][0]["cards"][0]["report"] = json!("gone");
    bank["dashboards"][0]["roles"] = json!(["nobody"]);
    let found = engine_app::check_app(&bank, 0).expect_err("refused");
    let at: Vec<(&str, &str)> = found.iter().map(|d| (d.path.as_str(), d.code)).collect();
    for want in [
        ("/reports/26/dimensions/0/field", "wrong_type"),
        ("/reports/26/dimensions/1/field", "unknown_field"),
        ("/reports/26/measures/0/field", "wrong_type"),
        ("/reports/27/dataset/form", "unknown_form"),
        ("/dashboards/0/cards/0/report", "unknown_report"),
        ("/dashboards/0/roles/0", "unknown_role"),
    ] {
        assert!(at.contains(&want), "{want:?} in {at:?}");
    }
    // A field a report reads is found before it is deleted or renamed.
    let uses = engine_app::uses(&bank_crm(), ("customer", "aum"));
    assert!(uses.iter().any(|u| u.of == "reports" && u.key == "aum_by_tier"), "{uses:?}");
}
