//! A field renamed: every place of the bank CRM that reads it rewritten where the parser
//! found the name, nothing else touched, and what cannot be done refused.

use crate::cases::bank_crm;

#[test]
fn a_rename_rewrites_every_reader_and_only_the_names_of_that_field() {
    let bank = bank_crm();
    let (after, rewritten) = engine_app::rename(&bank, ("customer", "aum"), "assets").expect("renamed");
    assert!(!rewritten.is_empty());
    let left = engine_app::uses(&after, ("customer", "aum"));
    assert!(left.is_empty(), "nothing reads the old key: {left:?}");
    let again = engine_app::uses(&after, ("customer", "assets"));
    assert_eq!(again.len(), rewritten.len(), "each place now reads the new key");
    let rules = after["rules"].as_array().expect("rules");
    let fell = rules.iter().find(|r| r["key"] == "aum_fell_30_percent").expect("rule");
    let condition = fell["condition"].as_str().expect("condition");
    assert!(condition.contains("assets < old.assets"), "{condition}");
    // Another form's `aum` (a branch's, were there one) and texts that only look alike stay.
    let outflow = rules.iter().find(|r| r["key"] == "large_outflow").expect("rule");
    assert!(outflow.to_string().contains("customer.assets"), "{outflow}");
    let customer = after["forms"].as_array().expect("forms").iter().find(|f| f["key"] == "customer").expect("form");
    let field = customer["fields"].as_array().expect("fields").iter().find(|f| f["key"] == "assets").expect("field");
    assert_eq!(field["renamed_from"], "aum");
    assert!(engine_app::check_app(&after, 0).is_ok(), "the renamed app checks");
    // Renamed back before publishing: no rename is left to do.
    let (back, _) = engine_app::rename(&after, ("customer", "assets"), "aum").expect("back");
    assert_eq!(back, bank, "the same app");
}

#[test]
fn a_rename_to_a_taken_or_bad_key_or_of_no_field_is_refused() {
    let bank = bank_crm();
    for (field, to, code) in [("aum", "tier", "taken"), ("aum", "9x", "bad_key"), ("aun", "x", "not_found")] {
        let refused = engine_app::rename(&bank, ("customer", field), to).expect_err("refused");
        assert_eq!(refused[0].code, code);
    }
}
