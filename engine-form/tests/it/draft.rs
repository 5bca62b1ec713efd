//! A record being typed: its shown fields and formulas, from the same engine that saves it.

use engine_form::{FieldValue, check_draft, formula_context, parse_bundle};
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn bundle() -> engine_form::Bundle {
    let l = |s: &str| json!({ "zh-CN": s, "en": s });
    parse_bundle(&json!({ "key": "t", "name": l("T"), "forms": [{ "key": "visit", "label": l("visit"), "fields": [
        { "key": "method", "type": "single_select", "label": l("method"),
          "options": [{ "value": "call", "label": l("call") }, { "value": "visit", "label": l("visit") }] },
        { "key": "address", "type": "text", "label": l("address"), "required": true, "visible_when": "method == 'visit'" },
        { "key": "amount", "type": "decimal", "label": l("amount"), "scale": 2 },
        { "key": "fee", "type": "formula", "label": l("fee"), "expression": "amount * 0.003", "result_type": "decimal" }
    ]}]}))
    .expect("valid")
}

fn typed(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().expect("object")
}

#[test]
fn a_draft_shows_what_its_values_call_for() {
    let bundle = bundle();
    let form = bundle.form("visit").expect("form");
    let ctx = formula_context(&bundle, chrono::Utc::now());
    let call = check_draft(form, &[], &typed(json!({ "method": "call", "amount": "1000000.10" })), &ctx);
    assert_eq!(call.hidden, ["address"]);
    assert!(call.errors.is_empty(), "{:?}", call.errors);
    assert_eq!(call.formulas, [("fee".to_owned(), FieldValue::Decimal(Decimal::new(3_000_000_300, 6)))]);
    let visit = check_draft(form, &[], &typed(json!({ "method": "visit" })), &ctx);
    assert!(visit.hidden.is_empty(), "the address is asked for a visit");
    assert_eq!(visit.formulas, [("fee".to_owned(), FieldValue::Null)], "no amount, no fee");
}

#[test]
fn a_draft_over_a_stored_record_and_a_wrong_value() {
    let bundle = bundle();
    let form = bundle.form("visit").expect("form");
    let ctx = formula_context(&bundle, chrono::Utc::now());
    let stored = vec![("method".to_owned(), FieldValue::Text("visit".into()))];
    let draft = check_draft(form, &stored, &typed(json!({ "amount": "12x", "nope": 1, "fee": "9" })), &ctx);
    assert!(draft.hidden.is_empty(), "the stored method still asks for the address");
    let codes: Vec<(&str, &str)> = draft.errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
    assert_eq!(codes, [("/amount", "decimal"), ("/nope", "unknown_field")], "a typed formula is ignored");
    assert_eq!(draft.formulas, [("fee".to_owned(), FieldValue::Null)]);
}
