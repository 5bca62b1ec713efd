//! Field values to and from database values. The two backends store some types
//! differently, always exactly:
//!
//! | storage  | PostgreSQL     | SQLite                                        |
//! |----------|----------------|-----------------------------------------------|
//! | decimal  | NUMERIC(p, s)  | INTEGER of minor units (value × 10^scale)     |
//! | date     | DATE           | TEXT `YYYY-MM-DD`                             |
//! | datetime | TIMESTAMPTZ    | TEXT fixed-width RFC 3339 UTC (sorts as time) |
//! | json     | TEXT           | TEXT                                          |

use chrono::{DateTime, NaiveDate, Utc};
use engine_form::{FieldValue, StorageType, format_datetime};
use rust_decimal::Decimal;
use sea_orm::sea_query::Value as DbValue;
use sea_orm::{DbBackend, DbErr, QueryResult};

/// The database value of a field value stored as `storage`.
pub fn encode(value: &FieldValue, storage: &StorageType, backend: DbBackend) -> Result<DbValue, DbErr> {
    let pg = backend == DbBackend::Postgres;
    if value.is_null() {
        return Ok(null_of(storage, backend));
    }
    Ok(match (value, storage) {
        (FieldValue::Text(s), _) => DbValue::String(Some(s.clone())),
        (FieldValue::Integer(i), _) | (FieldValue::Link(i), _) => DbValue::BigInt(Some(*i)),
        (FieldValue::Decimal(d), StorageType::Decimal { scale, .. }) => {
            if pg {
                DbValue::Decimal(Some(*d))
            } else {
                DbValue::BigInt(Some(minor_units(d, *scale)?))
            }
        }
        (FieldValue::Boolean(b), _) => DbValue::Bool(Some(*b)),
        (FieldValue::Date(d), _) => {
            if pg {
                DbValue::ChronoDate(Some(*d))
            } else {
                DbValue::String(Some(d.format("%Y-%m-%d").to_string()))
            }
        }
        (FieldValue::DateTime(t), _) => datetime(*t, backend),
        (FieldValue::Choices(_) | FieldValue::Files(_), _) => DbValue::String(Some(value.to_json().to_string())),
        (other, storage) => {
            return Err(DbErr::Type(format!("{other:?} cannot be stored as {}", storage.signature())));
        }
    })
}

/// A UTC instant as the backend stores it.
pub fn datetime(t: DateTime<Utc>, backend: DbBackend) -> DbValue {
    if backend == DbBackend::Postgres {
        DbValue::ChronoDateTimeUtc(Some(t))
    } else {
        DbValue::String(Some(format_datetime(&t)))
    }
}

fn null_of(storage: &StorageType, backend: DbBackend) -> DbValue {
    let pg = backend == DbBackend::Postgres;
    match storage {
        StorageType::Text | StorageType::Json => DbValue::String(None),
        StorageType::Integer | StorageType::Link(_) => DbValue::BigInt(None),
        StorageType::Decimal { .. } if pg => DbValue::Decimal(None),
        StorageType::Decimal { .. } => DbValue::BigInt(None),
        StorageType::Boolean => DbValue::Bool(None),
        StorageType::Date if pg => DbValue::ChronoDate(None),
        StorageType::DateTime if pg => DbValue::ChronoDateTimeUtc(None),
        StorageType::Date | StorageType::DateTime => DbValue::String(None),
    }
}

/// `12.34` at scale 2 is 1234. The engine has already checked precision (at most 18
/// digits), so the result fits an i64.
fn minor_units(d: &Decimal, scale: u32) -> Result<i64, DbErr> {
    let mut d = *d;
    d.rescale(scale);
    i64::try_from(d.mantissa()).map_err(|_| DbErr::Type(format!("{d} does not fit 18 digits")))
}

/// Reads column `idx` of a row as a value stored as `storage`.
pub fn decode(row: &QueryResult, idx: usize, storage: &StorageType, backend: DbBackend) -> Result<FieldValue, DbErr> {
    let pg = backend == DbBackend::Postgres;
    let bad = |what: &str, text: &str| DbErr::Type(format!("stored {what} `{text}` cannot be read"));
    Ok(match storage {
        StorageType::Text => opt(row.try_get_by_index::<Option<String>>(idx)?, FieldValue::Text),
        StorageType::Integer => opt(row.try_get_by_index::<Option<i64>>(idx)?, FieldValue::Integer),
        StorageType::Link(_) => opt(row.try_get_by_index::<Option<i64>>(idx)?, FieldValue::Link),
        StorageType::Boolean => opt(row.try_get_by_index::<Option<bool>>(idx)?, FieldValue::Boolean),
        StorageType::Decimal { scale, .. } if pg => opt(row.try_get_by_index::<Option<Decimal>>(idx)?, |mut d| {
            d.rescale(*scale);
            FieldValue::Decimal(d)
        }),
        StorageType::Decimal { scale, .. } => {
            opt(row.try_get_by_index::<Option<i64>>(idx)?, |m| FieldValue::Decimal(Decimal::new(m, *scale)))
        }
        StorageType::Date if pg => opt(row.try_get_by_index::<Option<NaiveDate>>(idx)?, FieldValue::Date),
        StorageType::DateTime if pg => opt(row.try_get_by_index::<Option<DateTime<Utc>>>(idx)?, FieldValue::DateTime),
        StorageType::Date => match row.try_get_by_index::<Option<String>>(idx)? {
            None => FieldValue::Null,
            Some(s) => FieldValue::Date(NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| bad("date", &s))?),
        },
        StorageType::DateTime => match row.try_get_by_index::<Option<String>>(idx)? {
            None => FieldValue::Null,
            Some(s) => FieldValue::DateTime(
                DateTime::parse_from_rfc3339(&s).map_err(|_| bad("date-time", &s))?.with_timezone(&Utc),
            ),
        },
        StorageType::Json => match row.try_get_by_index::<Option<String>>(idx)? {
            None => FieldValue::Null,
            Some(s) => json_list(&s).ok_or_else(|| bad("list", &s))?,
        },
    })
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> FieldValue) -> FieldValue {
    v.map(f).unwrap_or(FieldValue::Null)
}

/// A JSON list column: option values (strings) or file ids (numbers). Both render to the
/// same JSON, so an empty list needs no further distinction.
fn json_list(text: &str) -> Option<FieldValue> {
    let items: Vec<serde_json::Value> = serde_json::from_str(text).ok()?;
    if items.iter().all(serde_json::Value::is_string) {
        Some(FieldValue::Choices(items.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()))
    } else {
        items.iter().map(serde_json::Value::as_i64).collect::<Option<Vec<_>>>().map(FieldValue::Files)
    }
}
