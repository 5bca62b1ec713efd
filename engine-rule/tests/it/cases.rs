//! Walks tests/data/expressions.json: each expression with the value it must give on the
//! sample record, or the problems (code and position) it must be reported with.

use engine_rule::{Context, check, evaluate, parse};
use serde_json::Value as Json;

use super::support::{Sample, context, expected};

pub fn load() -> (Json, Sample, Context<'static>) {
    let suite: Json = serde_json::from_str(include_str!("../data/expressions.json")).expect("case file");
    let mut sample = Sample::from_json(&suite["fields"], &suite["record"]);
    for (path, c) in suite["collections"].as_object().expect("collections") {
        sample = sample.with_rows(path, &c["fields"], &c["rows"]);
    }
    let ctx = context(&suite);
    (suite, sample, ctx)
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
