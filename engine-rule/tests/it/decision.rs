//! Decision tables from tests/data/decision_tables.json: the bank's customer tiering under
//! each hit policy, with the explanation of every result, and a table full of mistakes.

use std::collections::BTreeMap;

use engine_rule::{Context, DecisionTable, Value, parse_table};
use serde_json::Value as Json;

use super::support::{Sample, context, expected};

fn suite() -> (Json, Context<'static>) {
    let suite: Json = serde_json::from_str(include_str!("../data/decision_tables.json")).expect("case file");
    let ctx = context(&suite);
    (suite, ctx)
}

#[test]
fn tiering_under_every_hit_policy_explains_itself() {
    let (suite, ctx) = suite();
    let schema = Sample::from_json(&suite["fields"], &Json::Null);
    let tables: BTreeMap<String, DecisionTable> = suite["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .map(|t| {
            let table = parse_table(t, &schema).unwrap_or_else(|d| panic!("{}: {d:?}", t["key"]));
            (table.key.clone(), table)
        })
        .collect();
    for case in suite["cases"].as_array().expect("cases") {
        let table = &tables[case["table"].as_str().expect("table")];
        let customer = Sample::from_json(&suite["fields"], &case["record"]);
        let label = format!("{} {}", table.key, case["record"]);
        match table.evaluate(&customer, &ctx) {
            Err(e) => assert_eq!(Some(e.kind.code()), case["error"].as_str(), "{label}: {e}"),
            Ok(result) => {
                assert!(case.get("error").is_none(), "{label}: expected an error");
                // As one expression (how the database runs it), the table gives the same.
                let policy = table.hit_policy;
                let expr = table.as_expression("tier");
                if matches!(policy, engine_rule::HitPolicy::First) {
                    assert!(expr.is_some(), "{label}: a first-hit table is one expression");
                }
                if let Some(expr) = expr {
                    let single = engine_rule::evaluate(&expr, &customer, &ctx).expect("evaluates");
                    assert_eq!(single, table.output_value(&result, "tier"), "{label}: as one expression");
                }
                let matched: Vec<&str> =
                    case["matched"].as_array().expect("matched").iter().filter_map(Json::as_str).collect();
                assert_eq!(result.matched, matched, "{label}");
                let selected: Vec<(String, BTreeMap<String, Value>)> = case["selected"]
                    .as_array()
                    .expect("selected")
                    .iter()
                    .map(|s| {
                        let outputs =
                            s[1].as_object().expect("outputs").iter().map(|(k, v)| (k.clone(), expected(v))).collect();
                        (s[0].as_str().unwrap_or("").to_owned(), outputs)
                    })
                    .collect();
                assert_eq!(result.selected, selected, "{label}");
                if let Some(inputs) = case.get("inputs").and_then(Json::as_object) {
                    let want: Vec<(String, Value)> = inputs.iter().map(|(k, v)| (k.clone(), expected(v))).collect();
                    assert_eq!(result.inputs, want, "{label}: the explanation lists the values read");
                }
            }
        }
    }
}

#[test]
fn a_bad_table_reports_every_mistake_where_it_is() {
    let (suite, _) = suite();
    let schema = Sample::from_json(&suite["fields"], &Json::Null);
    let diags = parse_table(&suite["bad"], &schema).expect_err("the table is full of mistakes");
    let got: Vec<(String, &str, Option<usize>, Option<usize>)> =
        diags.iter().map(|d| (d.path.clone(), d.code, d.span.map(|s| s.start), d.span.map(|s| s.end))).collect();
    let mut got = got;
    got.sort();
    let mut want: Vec<(String, &str, Option<usize>, Option<usize>)> = suite["bad_expected"]
        .as_array()
        .expect("expected")
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap_or("").to_owned(),
                d["code"].as_str().unwrap_or(""),
                d["start"].as_u64().map(|v| v as usize),
                d["end"].as_u64().map(|v| v as usize),
            )
        })
        .collect();
    want.sort();
    assert_eq!(got, want);
}
