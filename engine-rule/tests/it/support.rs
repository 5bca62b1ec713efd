//! What the engine-rule tests share: a sample record that is also its own schema, keyed by
//! field path, and the readers of values written in the JSON case files.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use engine_rule::{Context, Record, Schema, Type, Value};
use rust_decimal::Decimal;
use serde_json::Value as Json;

/// Fields with their types and values, by path (`aum`, `customer.tier`, `$user.branch`).
#[derive(Default)]
pub struct Sample {
    types: BTreeMap<String, Type>,
    values: BTreeMap<String, Value>,
    /// Collections for aggregates: their row schema and rows.
    collections: BTreeMap<String, (Sample, Vec<Sample>)>,
}

impl Sample {
    /// Field types only: a schema.
    pub fn schema<const N: usize>(fields: [(&str, Type); N]) -> Self {
        fields.into_iter().fold(Sample::default(), |s, (path, t)| s.field(path, t, Value::Null))
    }

    /// Field values only: a record.
    pub fn record<const N: usize>(values: [(&str, Value); N]) -> Self {
        let mut sample = Sample::default();
        for (path, value) in values {
            sample.values.insert(path.to_owned(), value);
        }
        sample
    }

    pub fn field(mut self, path: &str, t: Type, value: Value) -> Self {
        self.types.insert(path.to_owned(), t);
        self.values.insert(path.to_owned(), value);
        self
    }

    /// `fields` maps paths to type names; `record` gives their values (absent is null).
    pub fn from_json(fields: &Json, record: &Json) -> Self {
        let mut sample = Sample::default();
        for (path, name) in fields.as_object().expect("fields") {
            let t = type_named(name.as_str().unwrap_or(""));
            let value = typed(&t, record.get(path).unwrap_or(&Json::Null));
            sample = sample.field(path, t, value);
        }
        sample
    }

    /// Adds the collection `path`: `fields` as in `from_json`, one sample per row.
    pub fn with_rows(mut self, path: &str, fields: &Json, rows: &Json) -> Self {
        let schema = Sample::from_json(fields, &Json::Null);
        let rows = rows.as_array().expect("rows").iter().map(|r| Sample::from_json(fields, r)).collect();
        self.collections.insert(path.to_owned(), (schema, rows));
        self
    }
}

impl Schema for Sample {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        self.types.get(&path.join(".")).cloned()
    }

    fn rows(&self, path: &[String]) -> Option<Box<dyn Schema + '_>> {
        self.collections.get(&path.join(".")).map(|(schema, _)| Box::new(schema) as Box<dyn Schema>)
    }
}

impl Record for Sample {
    fn value(&self, path: &[String]) -> Value {
        self.values.get(&path.join(".")).cloned().unwrap_or(Value::Null)
    }

    fn rows(&self, path: &[String]) -> Option<Vec<Box<dyn Record + '_>>> {
        let (_, rows) = self.collections.get(&path.join("."))?;
        Some(rows.iter().map(|r| Box::new(r) as Box<dyn Record>).collect())
    }
}

pub fn type_named(name: &str) -> Type {
    match name {
        "decimal" => Type::Decimal,
        "integer" => Type::Integer,
        "text" => Type::Text,
        "date" => Type::Date,
        "datetime" => Type::DateTime,
        other => panic!("unknown type {other}"),
    }
}

/// A record value written in JSON, read as the field's type.
pub fn typed(t: &Type, json: &Json) -> Value {
    match (t, json) {
        (_, Json::Null) => Value::Null,
        (Type::Decimal, Json::String(s)) => dec(s),
        (Type::Integer, Json::Number(n)) => Value::Integer(n.as_i64().expect("integer")),
        (Type::Text, Json::String(s)) => Value::Text(s.clone()),
        (Type::Date, Json::String(s)) => date(s),
        (Type::DateTime, Json::String(s)) => Value::DateTime(DateTime::from_str(s).expect("datetime")),
        other => panic!("cannot read {other:?}"),
    }
}

/// An expected value as the case files write it: numbers for integers, strings for
/// text, `{"decimal": "…"}` and `{"date": "…"}` for the others.
pub fn expected(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Integer(n.as_i64().expect("integer")),
        Json::String(s) => Value::Text(s.clone()),
        Json::Object(o) if o.contains_key("decimal") => dec(o["decimal"].as_str().unwrap_or("")),
        Json::Object(o) if o.contains_key("date") => date(o["date"].as_str().unwrap_or("")),
        other => panic!("unexpected {other}"),
    }
}

pub fn dec(s: &str) -> Value {
    Value::Decimal(Decimal::from_str(s).expect("decimal"))
}

pub fn date(s: &str) -> Value {
    Value::Date(NaiveDate::from_str(s).expect("date"))
}

/// The evaluation moment from a case file's `now` and `today`.
pub fn context(suite: &Json) -> Context<'static> {
    Context::at(
        DateTime::<Utc>::from_str(suite["now"].as_str().unwrap_or("")).expect("now"),
        NaiveDate::from_str(suite["today"].as_str().unwrap_or("")).expect("today"),
    )
}
