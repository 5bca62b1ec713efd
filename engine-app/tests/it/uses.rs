//! Where a field is read, before it is deleted or renamed: every expression, column,
//! lookup, layout and role of the bank CRM that names the customer's AUM.

use crate::cases::bank_crm;

#[test]
fn every_place_that_reads_a_field_is_found_through_relations_and_aggregates() {
    let bank = bank_crm();
    let found = engine_app::uses(&bank, ("customer", "aum"));
    let places: Vec<(String, String)> = found.iter().map(|u| (u.of.clone(), u.key.clone())).collect();
    let has = |of: &str, key: &str| places.iter().any(|(o, k)| o == of && k == key);
    // On the form itself: its layout; a decision table's input; a rule on the customer
    // (`old.aum` too); a rule on a transaction, through its customer; the RMs' role; the 360.
    assert!(has("forms", "customer"), "the layout: {places:?}");
    assert!(has("decisions", "customer_tier"), "{places:?}");
    assert!(has("rules", "aum_fell_30_percent"), "{places:?}");
    assert!(has("rules", "large_outflow"), "customer.aum from a transaction: {places:?}");
    assert!(has("roles", "relationship_manager"), "the RMs read it read-only: {places:?}");
    assert!(has("pages", "customer_360"), "the 360's figure: {places:?}");
    let role = found.iter().find(|u| u.of == "roles" && u.key == "relationship_manager").expect("the role");
    assert!(role.path.ends_with("/forms/customer/fields/aum"), "{}", role.path);
    // A field nobody reads is read nowhere; another form's field of the same name is not this one.
    let notes = engine_app::uses(&bank, ("customer", "notes"));
    assert!(
        notes.iter().all(|u| u.of == "forms" || (u.of == "roles" && u.key == "integration")),
        "only its layout and the role that hides it: {notes:?}"
    );
    let holdings = engine_app::uses(&bank, ("wealth_holding", "amount"));
    assert!(
        holdings.iter().any(|u| u.of == "pages" && u.text.contains("sum(wealth_holding, amount")),
        "inside an aggregate: {holdings:?}"
    );
    assert!(engine_app::uses(&bank, ("branch", "aum")).is_empty());
}
