//! Formula fields: computed, read-only values written in the platform's expression
//! language (engine-rule). A formula reads its own form's other fields; it is checked when
//! the form is published and computed whenever a record is read.

use chrono::{DateTime, Utc};
use engine_rule::{Context, Expr, ExprKind, Record, Schema, Type, Value, evaluate};

use crate::model::{Field, FieldType};
use crate::value::FieldValue;

/// What a formula's result is stored and shown as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultType {
    Text,
    Integer,
    Decimal,
    Boolean,
    Date,
    DateTime,
}

impl ResultType {
    pub fn parse(name: &str) -> Option<ResultType> {
        Some(match name {
            "text" => ResultType::Text,
            "integer" => ResultType::Integer,
            "decimal" => ResultType::Decimal,
            "boolean" => ResultType::Boolean,
            "date" => ResultType::Date,
            "datetime" => ResultType::DateTime,
            _ => return None,
        })
    }

    pub fn expr_type(self) -> Type {
        match self {
            ResultType::Text => Type::Text,
            ResultType::Integer => Type::Integer,
            ResultType::Decimal => Type::Decimal,
            ResultType::Boolean => Type::Bool,
            ResultType::Date => Type::Date,
            ResultType::DateTime => Type::DateTime,
        }
    }
}

/// The type a formula sees for a field, or `None` for fields formulas cannot read
/// (sub-tables, attachments, other formulas).
pub fn field_type(kind: &str) -> Option<Type> {
    Some(match kind {
        "text" | "long_text" | "email" | "phone" | "single_select" => Type::Text,
        "integer" | "relation" => Type::Integer,
        "decimal" => Type::Decimal,
        "boolean" => Type::Bool,
        "date" => Type::Date,
        "datetime" => Type::DateTime,
        "multi_select" => Type::List(Box::new(Type::Text)),
        _ => return None,
    })
}

/// The type an expression sees for `field`: a formula's result type, or `field_type` of
/// its type name; `None` for fields expressions cannot read.
pub fn expression_type(field: &Field) -> Option<Type> {
    match &field.kind {
        FieldType::Formula { result, .. } => Some(result.expr_type()),
        kind => field_type(kind.name()),
    }
}

/// How many relations a path may follow: `holding.customer.relationship_manager.branch`.
pub const MAX_PATH_HOPS: usize = 3;

/// Every field of a form as expressions outside the form read it (rules, filters): its
/// own fields, its formulas, the record's `id`, and the fields of related records through
/// relation fields (`customer.relationship_manager`, at most [`MAX_PATH_HOPS`] hops).
pub struct FormSchema<'a> {
    pub bundle: &'a crate::model::Bundle,
    pub form: &'a crate::model::Form,
}

impl Schema for FormSchema<'_> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        let (last, hops) = path.split_last()?;
        if hops.len() > MAX_PATH_HOPS {
            return None;
        }
        let mut form = self.form;
        for hop in hops {
            let FieldType::Relation { form: target, .. } = &form.field(hop)?.kind else { return None };
            form = self.bundle.form(target)?;
        }
        if last == "id" { Some(Type::Integer) } else { form.field(last).and_then(expression_type) }
    }
}

/// The fields of one form, by key and type name, as a schema for its formulas.
pub(crate) struct FormFields<'a>(pub Vec<(&'a str, &'a str)>);

impl Schema for FormFields<'_> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        match path {
            [key] => self.0.iter().find(|(k, _)| k == key).and_then(|(_, t)| field_type(t)),
            _ => None,
        }
    }
}

/// A call of `today()`: which day it is depends on a time zone, and apps do not declare
/// one yet, so formulas name theirs with `today_in('Asia/Shanghai')` instead.
pub fn zoneless_today(expr: &Expr) -> Option<&Expr> {
    match &expr.kind {
        ExprKind::Call(name, _) if name == "today" => Some(expr),
        _ => expr.children().into_iter().find_map(zoneless_today),
    }
}

/// A stored field value as the expression language sees it.
pub fn expr_value(value: &FieldValue) -> Value {
    match value {
        FieldValue::Null | FieldValue::Rows(_) | FieldValue::Files(_) => Value::Null,
        FieldValue::Text(s) => Value::Text(s.clone()),
        FieldValue::Integer(i) | FieldValue::Link(i) => Value::Integer(*i),
        FieldValue::Decimal(d) => Value::Decimal(*d),
        FieldValue::Boolean(b) => Value::Bool(*b),
        FieldValue::Date(d) => Value::Date(*d),
        FieldValue::DateTime(t) => Value::DateTime(*t),
        FieldValue::Choices(c) => Value::List(c.iter().cloned().map(Value::Text).collect()),
    }
}

fn field_value(value: Value, result: ResultType) -> FieldValue {
    match (value, result) {
        (Value::Text(s), ResultType::Text) => FieldValue::Text(s),
        (Value::Integer(i), ResultType::Integer) => FieldValue::Integer(i),
        (Value::Integer(i), ResultType::Decimal) => FieldValue::Decimal(i.into()),
        (Value::Decimal(d), ResultType::Decimal) => FieldValue::Decimal(d.normalize()),
        (Value::Bool(b), ResultType::Boolean) => FieldValue::Boolean(b),
        (Value::Date(d), ResultType::Date) => FieldValue::Date(d),
        (Value::DateTime(t), ResultType::DateTime) => FieldValue::DateTime(t),
        _ => FieldValue::Null,
    }
}

struct Values<'a>(&'a [(String, FieldValue)]);

impl Record for Values<'_> {
    fn value(&self, path: &[String]) -> Value {
        match path {
            [key] => self.0.iter().find(|(k, _)| k == key).map_or(Value::Null, |(_, v)| expr_value(v)),
            _ => Value::Null,
        }
    }
}

/// The value of a formula field for a record whose stored values are `values`. A formula
/// that fails on this record (a number beyond 28 digits) gives null.
pub fn compute(field: &Field, values: &[(String, FieldValue)], now: DateTime<Utc>) -> FieldValue {
    let FieldType::Formula { expr, result, .. } = &field.kind else { return FieldValue::Null };
    // Formulas never call `today()` (see `zoneless_today`), so this UTC date is never read.
    let ctx = Context { now, today: now.date_naive() };
    evaluate(expr, &Values(values), &ctx).map_or(FieldValue::Null, |v| field_value(v, *result))
}
