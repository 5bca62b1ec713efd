//! Formula fields: computed from the record's other fields, exactly.

use engine_form::{FieldValue, compute_formula, formula_context, parse_bundle};
use rust_decimal::Decimal;
use serde_json::Value;

#[test]
fn formulas_compute_from_stored_values() {
    let case: Value =
        serde_json::from_str(include_str!("../data/bundles/formulas_read_their_form.json")).expect("case");
    let bundle = parse_bundle(&case["bundle"]).expect("valid");
    let form = bundle.form("a").expect("form");
    let values = vec![
        ("aum".to_owned(), FieldValue::Decimal(Decimal::new(1_280_000_000, 2))),
        ("outflow".to_owned(), FieldValue::Decimal(Decimal::new(420_000_000, 2))),
        ("tier".to_owned(), FieldValue::Text("hnw".into())),
    ];
    let now = formula_context(&bundle, chrono::Utc::now());
    let field = |key: &str| form.field(key).expect("field");
    assert_eq!(compute_formula(field("ratio"), &values, &now), FieldValue::Decimal(Decimal::new(3281, 4)));
    assert_eq!(compute_formula(field("alert"), &values, &now), FieldValue::Boolean(true));
    assert_eq!(compute_formula(field("label"), &values, &now), FieldValue::Text("hnw customer".into()));
    // 00:30 on 28 November in Shanghai, still the 27th in UTC.
    let opened =
        vec![("opened".to_owned(), FieldValue::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")))];
    let shanghai_midnight = formula_context(&bundle, "2026-11-27T16:30:00Z".parse().expect("instant"));
    assert_eq!(compute_formula(field("days_open"), &opened, &shanghai_midnight), FieldValue::Integer(27));
    let empty = vec![("aum".to_owned(), FieldValue::Decimal(Decimal::ZERO))];
    assert_eq!(compute_formula(field("ratio"), &empty, &now), FieldValue::Null, "division by zero gives no value");
}
