//! Drill-downs as conditions of the record list: each row of an answer (and each row and
//! column of a pivot) gets the `where` that lists its records — what narrowed the report
//! (its condition, its parameters) and the row's own values, written in the expression
//! language with literals of each field's type. A row whose values cannot be written so
//! (a multi-select's combination) has none.

use engine_form::{FieldType, ResultType};
use engine_report::{Compare, Report};
use serde_json::Value;

use super::dataset::Base;
use crate::catalog::PublishedApp;

/// Adds `where` to each row of `answer` (and `row_where`, `column_where` to its pivot).
pub fn add_wheres(app: &PublishedApp, report: &Report, base: &Base, answer: &mut Value) {
    // A platform dataset's rows (tasks) open on their own, not in a record list.
    if report.dataset.platform.is_some() {
        return;
    }
    let Some((bundle, form)) = engine_app::reports::dataset(&app.bundle, report) else { return };
    let kind = |path: &str| engine_app::reports::resolve(bundle, &form, path).ok().map(|f| f.kind.clone());
    let mut common: Vec<String> = base.condition.iter().map(|c| format!("({c})")).collect();
    for (field, op, value) in &base.given {
        match kind(field).and_then(|k| compare(field, *op, value, &k)) {
            Some(part) => common.push(part),
            None => return,
        }
    }
    let write = |drill: &Value| -> Value {
        let mut parts = common.clone();
        for item in drill.as_array().into_iter().flatten() {
            let Some(path) = item["field"].as_str() else { return Value::Null };
            // A calculated column is compared as its expression, which the list computes too.
            let calculated = report.dataset.columns.iter().find(|c| c.key == path);
            let subject = calculated.map_or(path.to_owned(), |c| format!("({})", c.expression));
            let Some(part) = kind(path).and_then(|k| condition(&subject, item, &k)) else { return Value::Null };
            parts.push(part);
        }
        Value::String(parts.join(" and "))
    };
    if let Some(rows) = answer["rows"].as_array_mut() {
        for row in rows {
            row["where"] = if row["others"] == true { Value::Null } else { write(&row["drill"]) };
        }
    }
    if answer["pivot"].is_object() {
        for (from, to) in [("row_drill", "row_where"), ("column_drill", "column_where")] {
            let wheres: Vec<Value> = answer["pivot"][from].as_array().into_iter().flatten().map(write).collect();
            answer["pivot"][to] = Value::Array(wheres);
        }
    }
}

/// One dimension's filter (`equals`, `empty`, or a bucket's `from`…`before`) as a condition.
fn condition(path: &str, item: &Value, kind: &FieldType) -> Option<String> {
    if item["empty"] == true {
        return Some(format!("is_empty({path})"));
    }
    if let Some(value) = item["equals"].as_str() {
        return Some(format!("{path} == {}", literal(kind, value)?));
    }
    let (from, before) = (
        item["from_date"].as_str().or(item["from"].as_str())?,
        item["before_date"].as_str().or(item["before"].as_str())?,
    );
    Some(match item["zone"].as_str() {
        Some(zone) => {
            let zone = quoted(zone);
            format!(
                "{path} >= start_of_day(date({}), {zone}) and {path} < start_of_day(date({}), {zone})",
                quoted(from),
                quoted(before)
            )
        }
        None => format!("{path} >= date({}) and {path} < date({})", quoted(from), quoted(before)),
    })
}

/// A parameter's comparison as a condition.
pub(super) fn compare(field: &str, op: Compare, value: &str, kind: &FieldType) -> Option<String> {
    if op == Compare::In {
        let items: Option<Vec<String>> = value.split('|').map(|v| literal(kind, v)).collect();
        return Some(format!("{field} in [{}]", items?.join(", ")));
    }
    let sign = match op {
        Compare::Eq => "==",
        Compare::Ne => "!=",
        Compare::Lt => "<",
        Compare::Lte => "<=",
        Compare::Gt => ">",
        Compare::Gte => ">=",
        Compare::In => return None,
    };
    Some(format!("{field} {sign} {}", literal(kind, value)?))
}

/// `text` as a literal of a field of `kind`, if one can be written.
fn literal(kind: &FieldType, text: &str) -> Option<String> {
    let number = || text.parse::<rust_decimal::Decimal>().ok().map(|d| d.to_string());
    match kind {
        FieldType::Integer { .. } | FieldType::Decimal { .. } | FieldType::Relation { .. } => number(),
        FieldType::Boolean => matches!(text, "true" | "false").then(|| text.to_owned()),
        FieldType::Date { .. } => text.parse::<chrono::NaiveDate>().ok().map(|_| format!("date({})", quoted(text))),
        FieldType::Text { .. } | FieldType::SingleSelect { .. } => Some(quoted(text)),
        FieldType::Formula { result, .. } => match result {
            ResultType::Integer | ResultType::Decimal => number(),
            ResultType::Text => Some(quoted(text)),
            ResultType::Boolean => matches!(text, "true" | "false").then(|| text.to_owned()),
            ResultType::Date => text.parse::<chrono::NaiveDate>().ok().map(|_| format!("date({})", quoted(text))),
            ResultType::DateTime => None,
        },
        _ => None,
    }
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}
