//! Decision tables from tests/data/decision_tables.json: the bank's customer tiering under
//! each hit policy, with the explanation of every result, and a table full of mistakes.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use engine_rule::{Context, DecisionTable, Record, Schema, Type, Value, parse_table};
use rust_decimal::Decimal;
use serde_json::Value as Json;

struct Customer {
    types: BTreeMap<String, Type>,
    values: BTreeMap<String, Value>,
}

impl Schema for Customer {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        self.types.get(&path.join(".")).cloned()
    }
}

impl Record for Customer {
    fn value(&self, path: &[String]) -> Value {
        self.values.get(&path.join(".")).cloned().unwrap_or(Value::Null)
    }
}

fn typed(t: &Type, json: &Json) -> Value {
    match (t, json) {
        (_, Json::Null) => Value::Null,
        (Type::Decimal, Json::String(s)) => Value::Decimal(Decimal::from_str(s).expect("decimal")),
        (Type::Date, Json::String(s)) => Value::Date(NaiveDate::from_str(s).expect("date")),
        other => panic!("cannot read {other:?}"),
    }
}

fn expected(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::String(s) => Value::Text(s.clone()),
        Json::Number(n) => Value::Integer(n.as_i64().expect("integer")),
        Json::Object(o) => Value::Decimal(Decimal::from_str(o["decimal"].as_str().unwrap_or("")).expect("decimal")),
        other => panic!("unexpected {other}"),
    }
}

fn suite() -> (Json, BTreeMap<String, Type>, Context) {
    let suite: Json = serde_json::from_str(include_str!("../data/decision_tables.json")).expect("case file");
    let types = suite["fields"]
        .as_object()
        .expect("fields")
        .iter()
        .map(|(k, v)| (k.clone(), if v == "date" { Type::Date } else { Type::Decimal }))
        .collect();
    let ctx = Context {
        now: DateTime::<Utc>::from_str(suite["now"].as_str().unwrap_or("")).expect("now"),
        today: NaiveDate::from_str(suite["today"].as_str().unwrap_or("")).expect("today"),
    };
    (suite, types, ctx)
}

#[test]
fn tiering_under_every_hit_policy_explains_itself() {
    let (suite, types, ctx) = suite();
    let schema = Customer { types: types.clone(), values: BTreeMap::new() };
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
        let values =
            case["record"].as_object().expect("record").iter().map(|(k, v)| (k.clone(), typed(&types[k], v))).collect();
        let customer = Customer { types: types.clone(), values };
        let label = format!("{} {}", table.key, case["record"]);
        match table.evaluate(&customer, &ctx) {
            Err(e) => assert_eq!(Some(e.kind.code()), case["error"].as_str(), "{label}: {e}"),
            Ok(result) => {
                assert!(case.get("error").is_none(), "{label}: expected an error");
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
    let (suite, types, _) = suite();
    let schema = Customer { types, values: BTreeMap::new() };
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
