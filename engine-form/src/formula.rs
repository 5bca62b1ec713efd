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
#[derive(Clone, Copy)]
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

    fn has_calendar(&self, name: &str) -> Option<bool> {
        Some(self.bundle.calendars.contains_key(name))
    }

    fn is_personal(&self, path: &[String]) -> bool {
        let Some((last, hops)) = path.split_last() else { return false };
        let mut form = self.form;
        for hop in hops.iter().take(MAX_PATH_HOPS) {
            let Some(FieldType::Relation { form: target, .. }) = form.field(hop).map(|f| &f.kind) else { return false };
            let Some(next) = self.bundle.form(target) else { return false };
            form = next;
        }
        form.field(last).is_some_and(|f| f.personal_data)
    }

    fn rows(&self, path: &[String]) -> Option<Box<dyn Schema + '_>> {
        match self.collection(path)? {
            Collection::SubTable { fields, .. } => Some(Box::new(SubTableRow(fields))),
            Collection::Related { form, .. } => Some(Box::new(RelatedRow(FormSchema { bundle: self.bundle, form }))),
        }
    }
}

/// Rows an aggregate goes over.
pub enum Collection<'a, 'p> {
    /// The rows of the sub-table `field` of the record.
    SubTable { field: &'a str, fields: &'a [Field] },
    /// The records of `form` whose relation field `via` links to the record reached by
    /// following the relations `hops` (none: the record itself).
    Related { hops: &'p [String], form: &'a crate::model::Form, via: &'a str },
}

impl<'a> FormSchema<'a> {
    /// The collection a path names: a sub-table of the form (`items`), or the records of a
    /// form that relate to this one (`transaction`; `transaction.customer` when the form
    /// has several relations to this one), possibly after relation hops
    /// (`customer.transaction` from a transaction).
    pub fn collection<'p>(&self, path: &'p [String]) -> Option<Collection<'a, 'p>> {
        let mut form = self.form;
        for (i, hop) in path.iter().enumerate() {
            let rest = &path[i..];
            if let Some(found) = self.collection_at(form, &path[..i], rest) {
                return Some(found);
            }
            if i >= MAX_PATH_HOPS {
                return None;
            }
            let FieldType::Relation { form: target, .. } = &form.field(hop)?.kind else { return None };
            form = self.bundle.form(target)?;
        }
        None
    }

    fn collection_at<'p>(
        &self,
        form: &'a crate::model::Form,
        hops: &'p [String],
        rest: &'p [String],
    ) -> Option<Collection<'a, 'p>> {
        match rest {
            [key] if hops.is_empty() => match form.field(key) {
                Some(Field { key, kind: FieldType::SubTable { fields }, .. }) => {
                    return Some(Collection::SubTable { field: key, fields });
                }
                Some(_) => return None,
                None => {}
            },
            [key] if form.field(key).is_some() => return None,
            _ => {}
        }
        let (child, via) = match rest {
            [child] => {
                let child = self.bundle.form(child)?;
                let mut links = child.fields.iter().filter(|f| links_to(f, &form.key));
                let via = links.next()?;
                if links.next().is_some() {
                    return None; // Ambiguous: the path must name the relation field.
                }
                (child, via.key.as_str())
            }
            [child, via] => {
                let child = self.bundle.form(child)?;
                let via = child.field(via).filter(|f| links_to(f, &form.key))?;
                (child, via.key.as_str())
            }
            _ => return None,
        };
        Some(Collection::Related { hops, form: child, via })
    }
}

fn links_to(field: &Field, form: &str) -> bool {
    matches!(&field.kind, FieldType::Relation { form: target, .. } if target == form)
}

/// A sub-table row, as an aggregate reads it: its fields by key.
struct SubTableRow<'a>(&'a [Field]);

impl Schema for SubTableRow<'_> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        match path {
            [key] => self.0.iter().find(|f| f.key == *key).and_then(expression_type),
            _ => None,
        }
    }
}

/// A related record, as an aggregate reads it: its own fields, formulas and `id`.
struct RelatedRow<'a>(FormSchema<'a>);

impl Schema for RelatedRow<'_> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        if path.len() == 1 { self.0.type_of(path) } else { None }
    }
}

/// A field a formula can read: its key and type name, and for a sub-table its columns'.
pub(crate) struct ReadableField<'a> {
    pub key: &'a str,
    pub kind: &'a str,
    pub columns: Vec<(&'a str, &'a str)>,
}

/// The fields of one form, by key and type name, as a schema for its formulas, which may
/// aggregate the rows of its sub-tables.
pub(crate) struct FormFields<'a> {
    pub fields: Vec<ReadableField<'a>>,
    pub calendars: &'a engine_rule::Calendars,
    /// Decision tables on the form whose outputs can be read (`customer_tier.tier`).
    pub decisions: Vec<&'a engine_rule::DecisionTable>,
}

impl Schema for FormFields<'_> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        match path {
            [key] => self.fields.iter().find(|f| f.key == key).and_then(|f| field_type(f.kind)),
            [table, output] => self
                .decisions
                .iter()
                .find(|t| t.key == *table)
                .filter(|t| t.as_expression(output).is_some())
                .and_then(|t| t.output_type(output)),
            _ => None,
        }
    }

    fn rows(&self, path: &[String]) -> Option<Box<dyn Schema + '_>> {
        match path {
            [key] => self.fields.iter().find(|f| f.key == key && f.kind == "sub_table").map(|table| {
                let fields =
                    table.columns.iter().map(|(key, kind)| ReadableField { key, kind, columns: Vec::new() }).collect();
                Box::new(FormFields { fields, calendars: self.calendars, decisions: Vec::new() }) as Box<dyn Schema>
            }),
            _ => None,
        }
    }

    fn has_calendar(&self, name: &str) -> Option<bool> {
        Some(self.calendars.contains_key(name))
    }
}

/// The sub-tables of `form` its formula `field` aggregates: a record's rows must be at
/// hand to compute it.
pub fn rows_read<'f>(form: &'f crate::model::Form, field: &'f Field) -> Vec<&'f str> {
    fn walk<'e>(expr: &'e Expr, out: &mut Vec<&'e str>) {
        if let ExprKind::Call(name, args) = &expr.kind
            && engine_rule::Aggregate::named(name).is_some()
            && let Some(ExprKind::Path(path)) = args.first().map(|a| &a.kind)
            && let [key] = &path[..]
        {
            out.push(key);
        }
        for child in expr.children() {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    if let FieldType::Formula { expr, .. } = &field.kind {
        walk(expr, &mut out);
    }
    out.retain(|key| matches!(form.field(key).map(|f| &f.kind), Some(FieldType::SubTable { .. })));
    out
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

/// Stored field values (of a record or a sub-table row) as expressions read them.
pub struct StoredValues<'a>(pub &'a [(String, FieldValue)]);

impl Record for StoredValues<'_> {
    fn value(&self, path: &[String]) -> Value {
        match path {
            [key] => self.0.iter().find(|(k, _)| k == key).map_or(Value::Null, |(_, v)| expr_value(v)),
            _ => Value::Null,
        }
    }

    fn rows(&self, path: &[String]) -> Option<Vec<Box<dyn Record + '_>>> {
        let [key] = path else { return None };
        match self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v) {
            Some(FieldValue::Rows(rows)) => {
                Some(rows.iter().map(|r| Box::new(StoredValues(r)) as Box<dyn Record>).collect())
            }
            _ => None,
        }
    }
}

/// The value of a formula field for a record whose stored values are `values`. A formula
/// that fails on this record (a number beyond 28 digits) gives null.
pub fn compute(field: &Field, values: &[(String, FieldValue)], ctx: &Context<'_>) -> FieldValue {
    let FieldType::Formula { expr, result, .. } = &field.kind else { return FieldValue::Null };
    evaluate(expr, &StoredValues(values), ctx).map_or(FieldValue::Null, |v| field_value(v, *result))
}

/// The context formulas are computed in at `now`, with the app's calendars. Formulas never
/// call `today()` (see `zoneless_today`), so its UTC date is never read.
pub fn formula_context(bundle: &crate::model::Bundle, now: DateTime<Utc>) -> Context<'_> {
    Context::at(now, now.date_naive()).with_calendars(&bundle.calendars)
}
