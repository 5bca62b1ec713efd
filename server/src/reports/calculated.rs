//! A dataset's calculated columns: each row's value of an expression over its fields and,
//! through relations, its related records' (read and joined as any column through them),
//! computed after the rows are read and before the engine groups them. A report reading one
//! reads the fields its expression reads (checked readable like its own columns: one the
//! viewer sees masked refuses the report) and is never grouped by the database.

use chrono::{DateTime, Utc};
use engine_form::{Bundle, FieldType, Form};
use engine_report::Report;
use engine_rule::{ExprKind, Record, Value as ExprValue};
use serde_json::{Map, Value};

use super::dataset::{cell, kind};

/// The field paths the calculated columns' expressions read.
pub(super) fn inputs(report: &Report) -> Vec<Vec<String>> {
    fn walk(expr: &engine_rule::Expr, out: &mut Vec<Vec<String>>) {
        if let ExprKind::Path(path) = &expr.kind
            && !path.first().is_some_and(|p| p.starts_with('$'))
            && !out.contains(path)
        {
            out.push(path.clone());
        }
        for child in expr.children() {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    for column in &report.dataset.columns {
        if let Ok(expr) = engine_rule::parse(&column.expression) {
            walk(&expr, &mut out);
        }
    }
    out
}

/// Whether `key` names one of the report's calculated columns.
pub(super) fn is_calculated(report: &Report, key: &str) -> bool {
    report.dataset.columns.iter().any(|c| c.key == key)
}

/// Each record with its calculated columns' values (null where one cannot be computed).
pub(super) fn fill(
    report: &Report,
    (bundle, form): (&Bundle, &Form),
    records: &mut [Map<String, Value>],
    now: DateTime<Utc>,
) {
    let context = engine_form::formula_context(bundle, now);
    for column in &report.dataset.columns {
        let Some(FieldType::Formula { expr, .. }) = form.field(&column.key).map(|f| &f.kind) else { continue };
        for record in records.iter_mut() {
            let value = engine_rule::evaluate(expr, &Joined { bundle, form, row: record }, &context);
            record.insert(column.key.clone(), value.map_or(Value::Null, |v| v.to_json()));
        }
    }
}

/// A record with its related records joined in, as the expression language reads it (a
/// platform dataset's row too, of its bundle's form).
pub(super) struct Joined<'a> {
    pub bundle: &'a Bundle,
    pub form: &'a Form,
    pub row: &'a Map<String, Value>,
}

impl Record for Joined<'_> {
    fn value(&self, path: &[String]) -> ExprValue {
        let Ok(field) = engine_app::reports::resolve(self.bundle, self.form, &path.join(".")) else {
            return ExprValue::Null;
        };
        let (first, rest) = path.split_first().map_or(("", &[][..]), |(f, r)| (f.as_str(), r));
        let start = self.row.get(first).unwrap_or(&Value::Null);
        let value = rest.iter().fold(start, |at, key| at.get(key).unwrap_or(&Value::Null));
        // A relation not gone through holds the related record joined, or its id.
        let value = match (&field.kind, value) {
            (FieldType::Relation { .. }, Value::Object(related)) => related.get("id").unwrap_or(&Value::Null),
            (_, value) => value,
        };
        engine_form::expr_value(&cell(kind(&field.kind), value))
    }
}
