//! Parsing and checking a decision table: its JSON read into raw serde types, then each
//! part checked against the schema its expressions read, every problem reported at its
//! path.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value as Json;

use super::cell::condition;
use super::table::{DecisionTable, HitPolicy, Output, Rule, WithInput};
use crate::diagnostic::Diagnostic;
use crate::expr::ast::Expr;
use crate::expr::check::{Schema, check};
use crate::expr::types::Type;
use crate::expr::value::Value;
use crate::expr::{ExprError, parser};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    key: String,
    hit_policy: String,
    inputs: Vec<RawInput>,
    outputs: Vec<RawOutput>,
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    key: String,
    expression: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    key: String,
    #[serde(default)]
    priorities: Vec<Json>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    when: Vec<String>,
    then: Vec<String>,
}

/// The problems found so far.
#[derive(Default)]
struct Problems(Vec<Diagnostic>);

impl Problems {
    fn push(&mut self, path: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.0.push(Diagnostic::new(path.into(), code, message.into()));
    }

    fn expression(&mut self, path: &str, errors: Vec<ExprError>) {
        for e in errors {
            self.0.push(Diagnostic { span: Some(e.span), ..Diagnostic::new(path, e.kind.code(), e.message) });
        }
    }
}

fn json_value(json: &Json) -> Option<Value> {
    Some(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::String(s) => Value::Text(s.clone()),
        Json::Number(n) if n.is_i64() => Value::Integer(n.as_i64()?),
        Json::Number(n) => Value::Decimal(rust_decimal::Decimal::from_str_exact(&n.to_string()).ok()?),
        _ => return None,
    })
}

/// Parses and checks one expression text, with every problem in it.
fn checked(text: &str, schema: &dyn Schema) -> Result<(Expr, Type), Vec<ExprError>> {
    let expr = parser::parse(text).map_err(|e| vec![e])?;
    let t = check(&expr, schema)?;
    Ok((expr, t))
}

/// Parses and checks a table against `schema` (the fields its input and output
/// expressions read). Returns every problem found.
pub fn parse_table(doc: &Json, schema: &dyn Schema) -> Result<DecisionTable, Vec<Diagnostic>> {
    let raw: RawTable =
        serde_json::from_value(doc.clone()).map_err(|e| vec![Diagnostic::new("", "shape", e.to_string())])?;
    let mut problems = Problems::default();
    let hit_policy = hit_policy(&raw.hit_policy, &mut problems);
    if raw.inputs.is_empty() {
        problems.push("/inputs", "missing", "a table needs at least one input");
    }
    if raw.outputs.is_empty() {
        problems.push("/outputs", "missing", "a table needs at least one output");
    }
    let (inputs, input_types) = inputs(&raw.inputs, schema, &mut problems);
    let outputs = outputs(&raw.outputs, &mut problems);
    if hit_policy == HitPolicy::Priority && outputs.first().is_none_or(|o| o.priorities.is_empty()) {
        problems.push(
            "/outputs/0/priorities",
            "missing",
            "the priority hit policy ranks rows by the first output's `priorities`",
        );
    }
    let mut seen = HashSet::new();
    let mut output_types: Vec<Type> = vec![Type::Null; outputs.len()];
    let mut rules = Vec::new();
    for (r, rule) in raw.rules.iter().enumerate() {
        if !seen.insert(rule.id.as_str()) {
            problems.push(
                format!("/rules/{r}/id"),
                "duplicate_key",
                format!("another rule is already called `{}`", rule.id),
            );
        }
        if rule.when.len() != raw.inputs.len() {
            let n = raw.inputs.len();
            problems.push(format!("/rules/{r}/when"), "cell_count", format!("{n} inputs need {n} conditions"));
        }
        if rule.then.len() != outputs.len() {
            let n = outputs.len();
            problems.push(format!("/rules/{r}/then"), "cell_count", format!("{n} outputs need {n} values"));
        }
        let when = conditions(r, &rule.when, &input_types, schema, &mut problems);
        let then = values(r, &rule.then, &mut output_types, schema, &mut problems);
        rules.push(Rule { id: rule.id.clone(), when, then });
    }
    if problems.0.is_empty() {
        Ok(DecisionTable { key: raw.key, hit_policy, inputs, outputs, output_types, rules })
    } else {
        Err(problems.0)
    }
}

fn hit_policy(text: &str, problems: &mut Problems) -> HitPolicy {
    match text {
        "first" => HitPolicy::First,
        "unique" => HitPolicy::Unique,
        "collect" => HitPolicy::Collect,
        "priority" => HitPolicy::Priority,
        other => {
            let message = format!("`{other}` is not first, unique, collect or priority");
            problems.push("/hit_policy", "unknown_hit_policy", message);
            HitPolicy::First
        }
    }
}

/// Each input's key and checked expression, and the type of each (`Any` where it failed).
fn inputs(raw: &[RawInput], schema: &dyn Schema, problems: &mut Problems) -> (Vec<(String, Expr)>, Vec<Type>) {
    let mut inputs = Vec::new();
    let mut types = Vec::new();
    for (i, input) in raw.iter().enumerate() {
        match checked(&input.expression, schema) {
            Ok((expr, t)) => {
                inputs.push((input.key.clone(), expr));
                types.push(t);
            }
            Err(errors) => {
                problems.expression(&format!("/inputs/{i}/expression"), errors);
                types.push(Type::Any);
            }
        }
    }
    (inputs, types)
}

fn outputs(raw: &[RawOutput], problems: &mut Problems) -> Vec<Output> {
    let mut outputs = Vec::with_capacity(raw.len());
    for (i, output) in raw.iter().enumerate() {
        let mut priorities = Vec::with_capacity(output.priorities.len());
        for (j, p) in output.priorities.iter().enumerate() {
            match json_value(p) {
                Some(v) => priorities.push(v),
                None => problems.push(
                    format!("/outputs/{i}/priorities/{j}"),
                    "bad_value",
                    "a priority is a text, number or boolean",
                ),
            }
        }
        outputs.push(Output { key: output.key.clone(), priorities });
    }
    outputs
}

/// Row `r`'s condition cells, each checked with `?` typed as its input.
fn conditions(
    r: usize,
    cells: &[String],
    input_types: &[Type],
    schema: &dyn Schema,
    problems: &mut Problems,
) -> Vec<Option<Expr>> {
    let mut when = Vec::new();
    for (c, cell) in cells.iter().enumerate() {
        let input_type = input_types.get(c).cloned().unwrap_or(Type::Any);
        let scoped = WithInput { inner: schema, input: &Value::Null, input_type: &input_type };
        let test = condition(cell).map_err(|e| vec![e]).and_then(|test| match &test {
            Some(expr) => check(expr, &scoped).map(|_| test.clone()),
            None => Ok(None),
        });
        match test {
            Ok(test) => when.push(test),
            Err(errors) => problems.expression(&format!("/rules/{r}/when/{c}"), errors),
        }
    }
    when
}

/// Row `r`'s output cells, each output's type unified with the earlier rows'.
fn values(
    r: usize,
    cells: &[String],
    output_types: &mut [Type],
    schema: &dyn Schema,
    problems: &mut Problems,
) -> Vec<Expr> {
    let mut then = Vec::new();
    for (c, cell) in cells.iter().enumerate() {
        let path = format!("/rules/{r}/then/{c}");
        match checked(cell, schema) {
            Ok((expr, t)) => {
                if let Some(slot) = output_types.get_mut(c) {
                    match slot.unify(&t) {
                        Some(u) => *slot = u,
                        None => problems.push(
                            path,
                            "type_mismatch",
                            format!("this output is {t}; earlier rows give {slot}"),
                        ),
                    }
                }
                then.push(expr);
            }
            Err(errors) => problems.expression(&path, errors),
        }
    }
    then
}
