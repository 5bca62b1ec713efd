//! Walks tests/data/expressions.json: each expression with the value it must give on the
//! sample record, or the problems (code and position) it must be reported with.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use engine_rule::{Context, Record, Schema, Type, Value, check, evaluate, parse};
use rust_decimal::Decimal;
use serde_json::Value as Json;

pub struct Sample {
    types: BTreeMap<String, Type>,
    values: BTreeMap<String, Value>,
}

fn type_named(name: &str) -> Type {
    match name {
        "decimal" => Type::Decimal,
        "integer" => Type::Integer,
        "text" => Type::Text,
        "date" => Type::Date,
        "datetime" => Type::DateTime,
        other => panic!("unknown type {other}"),
    }
}

fn typed(t: &Type, json: &Json) -> Value {
    match (t, json) {
        (_, Json::Null) => Value::Null,
        (Type::Decimal, Json::String(s)) => Value::Decimal(Decimal::from_str(s).expect("decimal")),
        (Type::Integer, Json::Number(n)) => Value::Integer(n.as_i64().expect("integer")),
        (Type::Text, Json::String(s)) => Value::Text(s.clone()),
        (Type::Date, Json::String(s)) => Value::Date(NaiveDate::from_str(s).expect("date")),
        (Type::DateTime, Json::String(s)) => Value::DateTime(DateTime::from_str(s).expect("datetime")),
        other => panic!("cannot read {other:?}"),
    }
}

/// The expected value as written in the case file: numbers for integers, strings for
/// text, `{"decimal": "…"}` and `{"date": "…"}` for the others.
fn expected(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Integer(n.as_i64().expect("integer")),
        Json::String(s) => Value::Text(s.clone()),
        Json::Object(o) if o.contains_key("decimal") => {
            Value::Decimal(Decimal::from_str(o["decimal"].as_str().unwrap_or("")).expect("decimal"))
        }
        Json::Object(o) if o.contains_key("date") => {
            Value::Date(NaiveDate::from_str(o["date"].as_str().unwrap_or("")).expect("date"))
        }
        other => panic!("unexpected {other}"),
    }
}

impl Schema for Sample {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        self.types.get(&path.join(".")).cloned()
    }
}

impl Record for Sample {
    fn value(&self, path: &[String]) -> Value {
        self.values.get(&path.join(".")).cloned().unwrap_or(Value::Null)
    }
}

pub fn load() -> (Json, Sample, Context) {
    let suite: Json = serde_json::from_str(include_str!("../data/expressions.json")).expect("case file");
    let types: BTreeMap<String, Type> = suite["fields"]
        .as_object()
        .expect("fields")
        .iter()
        .map(|(k, v)| (k.clone(), type_named(v.as_str().unwrap_or(""))))
        .collect();
    let values =
        suite["record"].as_object().expect("record").iter().map(|(k, v)| (k.clone(), typed(&types[k], v))).collect();
    let ctx = Context {
        now: DateTime::<Utc>::from_str(suite["now"].as_str().unwrap_or("")).expect("now"),
        today: NaiveDate::from_str(suite["today"].as_str().unwrap_or("")).expect("today"),
    };
    (suite, Sample { types, values }, ctx)
}

#[test]
fn expressions_give_exact_values() {
    let (suite, sample, ctx) = load();
    for case in suite["values"].as_array().expect("values") {
        let text = case["expr"].as_str().expect("expr");
        let expr = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        check(&expr, &sample).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        let got = evaluate(&expr, &sample, &ctx).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(got, expected(&case["value"]), "{text}");
    }
}

#[test]
fn problems_are_located_in_the_text() {
    let (suite, sample, _) = load();
    for case in suite["errors"].as_array().expect("errors") {
        let text = case["expr"].as_str().expect("expr");
        let errors = match parse(text) {
            Err(e) => vec![e],
            Ok(expr) => check(&expr, &sample).err().unwrap_or_default(),
        };
        let got: Vec<(&str, usize, usize)> = errors.iter().map(|e| (e.kind.code(), e.span.start, e.span.end)).collect();
        let want: Vec<(&str, usize, usize)> = case["errors"]
            .as_array()
            .expect("expected errors")
            .iter()
            .map(|e| {
                (
                    e["code"].as_str().unwrap_or(""),
                    e["start"].as_u64().unwrap_or(0) as usize,
                    e["end"].as_u64().unwrap_or(0) as usize,
                )
            })
            .collect();
        assert_eq!(got, want, "{}", &text[..text.len().min(60)]);
    }
}

#[test]
fn runtime_errors_are_reported_not_panicked() {
    let (suite, sample, ctx) = load();
    for case in suite["runtime_errors"].as_array().expect("runtime errors") {
        let text = case["expr"].as_str().expect("expr");
        let expr = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let err = evaluate(&expr, &sample, &ctx).expect_err("must fail");
        assert_eq!(err.kind.code(), case["code"].as_str().unwrap_or(""), "{text}");
    }
}
