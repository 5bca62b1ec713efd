//! A record's values as the expression language reads them: taken from the record as the
//! API shows it, with formulas computed.

use engine_form::{CheckMode, FieldType, FieldValue, Form, StoredValues, check_record, compute_formula, expr_value};
use engine_rule::{Record, Value as ExprValue};
use serde_json::{Map, Value};

use crate::error::Error;

/// The stored field values of `record` (its JSON as the API returns it). A value that no
/// longer fits its field (the form changed since) reads as empty.
pub fn field_values(form: &Form, record: &Map<String, Value>) -> Vec<(String, FieldValue)> {
    form.fields
        .iter()
        .filter(|f| !matches!(f.kind, FieldType::Formula { .. }))
        .filter_map(|f| {
            let mut one = Map::new();
            one.insert(f.key.clone(), record.get(&f.key).cloned().unwrap_or(Value::Null));
            check_record(form, &one, CheckMode::Patch).ok()?.into_iter().next()
        })
        .collect()
}

/// `base` with `changes` applied.
pub fn merged(mut base: Vec<(String, FieldValue)>, changes: Vec<(String, FieldValue)>) -> Vec<(String, FieldValue)> {
    for (key, value) in changes {
        match base.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => base.push((key, value)),
        }
    }
    base
}

/// One record's values for expressions: its fields, its formulas, its `id`, and the values
/// of related records' fields its reader needs (`customer.aum`), loaded beforehand.
pub struct RecordValues<'a> {
    pub form: &'a Form,
    pub id: i64,
    pub values: Vec<(String, FieldValue)>,
    /// The moment and the app's calendars, for formulas.
    pub ctx: engine_rule::Context<'a>,
    pub related: Vec<(Vec<String>, ExprValue)>,
    /// Aggregates over related records, computed beforehand by the database.
    pub aggregates: Vec<(engine_rule::Expr, ExprValue)>,
}

impl<'a> RecordValues<'a> {
    pub fn new(form: &'a Form, id: i64, values: Vec<(String, FieldValue)>, ctx: engine_rule::Context<'a>) -> Self {
        RecordValues { form, id, values, ctx, related: Vec::new(), aggregates: Vec::new() }
    }
}

impl Record for RecordValues<'_> {
    fn value(&self, path: &[String]) -> ExprValue {
        if path.len() > 1 {
            return self.related.iter().find(|(p, _)| p == path).map_or(ExprValue::Null, |(_, v)| v.clone());
        }
        let [key] = path else { return ExprValue::Null };
        if key == "id" {
            return ExprValue::Integer(self.id);
        }
        match self.form.field(key) {
            Some(field) if matches!(field.kind, FieldType::Formula { .. }) => {
                expr_value(&compute_formula(field, &self.values, &self.ctx))
            }
            _ => self.values.iter().find(|(k, _)| k == key).map_or(ExprValue::Null, |(_, v)| expr_value(v)),
        }
    }

    /// A sub-table's rows, from the record's values.
    fn rows(&self, path: &[String]) -> Option<Vec<Box<dyn Record + '_>>> {
        let [key] = path else { return None };
        if !matches!(self.form.field(key).map(|f| &f.kind), Some(FieldType::SubTable { .. })) {
            return None;
        }
        Some(match self.values.iter().find(|(k, _)| k == key).map(|(_, v)| v) {
            Some(FieldValue::Rows(rows)) => {
                rows.iter().map(|row| Box::new(StoredValues(row)) as Box<dyn Record>).collect()
            }
            _ => Vec::new(),
        })
    }

    fn aggregate(&self, call: &engine_rule::Expr) -> Option<ExprValue> {
        self.aggregates.iter().find(|(c, _)| c == call).map(|(_, v)| v.clone())
    }
}

/// A value as JSON: decimals as strings (exact, with their places), dates as `YYYY-MM-DD`, instants in RFC 3339.
pub fn expr_json(value: &ExprValue) -> Value {
    value.to_json()
}

/// Values given in the request, every wrong one reported under `at` (`/record`, `/old`,
/// `/data`); `Create` also requires the required fields.
pub fn given(
    form: &Form,
    values: &Map<String, Value>,
    at: &str,
    mode: CheckMode,
) -> Result<Vec<(String, FieldValue)>, Error> {
    check_record(form, values, mode).map_err(|errors| {
        Error::InvalidRecord(
            errors
                .into_iter()
                .map(|mut e| {
                    e.path = format!("{at}{}", e.path);
                    e
                })
                .collect(),
        )
    })
}
