//! Typed field values and their JSON form in the API.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// A checked value of one field. Decimals stay exact; datetimes are UTC.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Null,
    Text(String),
    Integer(i64),
    Decimal(Decimal),
    Boolean(bool),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    Choices(Vec<String>),
    /// The id of a related record.
    Link(i64),
    /// Ids of stored files.
    Files(Vec<i64>),
    /// Rows of a sub-table, each as (field key, value) pairs in form order.
    Rows(Vec<Vec<(String, FieldValue)>>),
}

impl FieldValue {
    pub fn is_null(&self) -> bool {
        matches!(self, FieldValue::Null)
    }

    /// The API's JSON form: decimals as strings (so no client parses money into a float),
    /// dates as `YYYY-MM-DD`, datetimes as RFC 3339 in UTC with a `Z`.
    pub fn to_json(&self) -> Value {
        match self {
            FieldValue::Null => Value::Null,
            FieldValue::Text(s) => Value::String(s.clone()),
            FieldValue::Integer(i) => Value::from(*i),
            FieldValue::Decimal(d) => Value::String(d.to_string()),
            FieldValue::Boolean(b) => Value::Bool(*b),
            FieldValue::Date(d) => Value::String(d.format("%Y-%m-%d").to_string()),
            FieldValue::DateTime(t) => Value::String(format_datetime(t)),
            FieldValue::Choices(c) => Value::from(c.clone()),
            FieldValue::Link(id) => Value::from(*id),
            FieldValue::Files(ids) => Value::from(ids.clone()),
            FieldValue::Rows(rows) => Value::Array(
                rows.iter()
                    .map(|row| Value::Object(row.iter().map(|(k, v)| (k.clone(), v.to_json())).collect::<Map<_, _>>()))
                    .collect(),
            ),
        }
    }
}

/// The one text form of a UTC instant used in the API and in SQLite columns: fixed width
/// with microseconds, so text order equals time order.
pub fn format_datetime(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}
