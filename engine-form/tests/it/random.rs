//! Random values of every JSON shape against every field type: checking must never panic,
//! and whatever it accepts must survive a round trip through its own JSON form.

use engine_form::{CheckMode, check_record, parse_bundle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

fn random_value(rng: &mut StdRng, depth: u32) -> Value {
    let numbers = [
        "0",
        "-1",
        "1.5",
        "1e400",
        "-0.0",
        "12345678901234567890",
        "0.30000000000000004",
        "1E-7",
        "99999999999999999.99",
    ];
    let strings = [
        "",
        "hnw",
        "a",
        "2026-02-29",
        "2024-02-29",
        "2026-01-31T09:30:00+08:00",
        "x@y.cn",
        "+86 138 0013 8000",
        "1.005",
        "NaN",
        "\u{0}",
        "长文本",
        "💰",
    ];
    match rng.random_range(0..8) {
        0 => Value::Null,
        1 => Value::Bool(rng.random()),
        2 => serde_json::from_str(numbers[rng.random_range(0..numbers.len())]).expect("number literal"),
        3 => Value::from(rng.random::<i64>()),
        4 => Value::from(strings[rng.random_range(0..strings.len())]),
        5 => Value::from("x".repeat(rng.random_range(0..2000))),
        6 if depth < 3 => Value::Array((0..rng.random_range(0..4)).map(|_| random_value(rng, depth + 1)).collect()),
        _ if depth < 3 => {
            let keys = ["n", "p", "q", "name", "amount", "zz"];
            Value::Object(
                (0..rng.random_range(0..4))
                    .map(|i| (keys[i % keys.len()].to_owned(), random_value(rng, depth + 1)))
                    .collect(),
            )
        }
        _ => Value::Null,
    }
}

#[test]
fn random_values_never_panic_and_accepted_values_round_trip() {
    let suite: Value = serde_json::from_str(include_str!("../data/records/typed_values.json")).expect("case file");
    let bundle = parse_bundle(&suite["bundle"]).expect("bundle");
    let form = bundle.form("r").expect("form");
    let mut rng = StdRng::seed_from_u64(20261128);
    let mut accepted = 0;
    for _ in 0..20_000 {
        let mut input = Map::new();
        for field in &form.fields {
            if rng.random_bool(0.5) {
                input.insert(field.key.clone(), random_value(&mut rng, 0));
            }
        }
        let mode = if rng.random_bool(0.5) { CheckMode::Create } else { CheckMode::Patch };
        if let Ok(values) = check_record(form, &input, mode) {
            accepted += 1;
            let again: Map<String, Value> = values.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
            let rechecked = check_record(form, &again, CheckMode::Patch)
                .unwrap_or_else(|e| panic!("{again:?} no longer checks: {e:?}"));
            assert_eq!(rechecked, values, "a checked record reads back the same");
        }
    }
    assert!(accepted > 0, "some random records must pass");
    assert!(
        check_record(form, &json!({ "name": "ok" }).as_object().cloned().unwrap_or_default(), CheckMode::Patch).is_ok()
    );
}
