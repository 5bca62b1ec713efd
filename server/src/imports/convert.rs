//! A file's columns mapped to a form's fields, and each cell read as the field takes it:
//! decimals kept as their exact text (thousands separators and currency signs dropped,
//! never through a float), dates in the usual ways of writing them, date-times without an
//! offset read in the mapping's zone, selects by key or by any of their labels, yes/no in
//! words, a relation by its record's id or by a key of the related form (a column mapped
//! to `relationship_manager.employee_no`). Texts (mobiles, ID numbers) stay text. What does
//! not convert is passed on as written, for the form's checks to refuse with their reason.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use engine_form::{Field, FieldError, FieldType, Form, SelectOption};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::source::Cell;
use crate::error::{BadInputCode, Error};

/// A mapping as it is saved or sent: the key records are matched on, the zone of
/// date-times without an offset, and header → field (`field` or `relation.key`, or `""` to
/// leave the column out); columns it does not name are matched by a field's key or label,
/// or left out.
#[derive(Debug, Clone, Deserialize, serde::Serialize, Default, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"key": "customer_no", "zone": "Asia/Shanghai", "columns": {"客户号": "customer_no", "客户经理工号": "relationship_manager.employee_no"}}))]
pub struct MappingSpec {
    /// The app and the form it is for, when it says (a mapping file kept beside a feed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    pub key: String,
    #[serde(default)]
    pub zone: Option<String>,
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

/// Where one column goes.
#[derive(Debug, Clone)]
enum Target {
    Field(String),
    /// A relation field, given by a key field of the related form.
    Related {
        field: String,
        key: String,
    },
}

/// A mapping checked against a form and a file's header.
#[derive(Debug)]
pub struct Mapping {
    pub key: String,
    zone: Tz,
    /// Per column of the file, in order: where it goes, if anywhere.
    columns: Vec<Option<Target>>,
    /// The headers no field takes.
    pub ignored: Vec<String>,
}

impl Mapping {
    /// Checks `spec` against `form` and the file's `header`; every problem at once.
    pub fn new(form: &Form, spec: &MappingSpec, header: &[String], app_zone: &str) -> Result<Mapping, Error> {
        let mut problems = Vec::new();
        let zone_name = spec.zone.as_deref().unwrap_or(app_zone);
        let zone = zone_name.parse::<Tz>().unwrap_or_else(|_| {
            problems.push(("/zone".to_owned(), format!("`{zone_name}` is not an IANA time zone")));
            Tz::UTC
        });
        if spec.form.as_ref().is_some_and(|f| *f != form.key) {
            problems.push(("/form".to_owned(), format!("the mapping is for another form than `{}`", form.key)));
        }
        for named in spec.columns.keys() {
            if !header.contains(named) {
                problems.push((format!("/columns/{named}"), format!("the file has no column `{named}`")));
            }
        }
        let mut columns = Vec::new();
        let mut ignored = Vec::new();
        for title in header {
            let target = match spec.columns.get(title) {
                // Named to go nowhere: left out, whatever its name.
                Some(to) if to.is_empty() => None,
                Some(to) => match target(form, to) {
                    Ok(t) => Some(t),
                    Err(why) => {
                        problems.push((format!("/columns/{title}"), why));
                        None
                    }
                },
                None => by_name(form, title).map(|f| Target::Field(f.key.clone())),
            };
            if target.is_none() {
                ignored.push(title.clone());
            }
            columns.push(target);
        }
        let keyed = columns.iter().flatten().any(|t| matches!(t, Target::Field(f) if *f == spec.key));
        if !keyed {
            problems.push(("/key".to_owned(), format!("no column goes to the key `{}`", spec.key)));
        }
        if problems.is_empty() {
            return Ok(Mapping { key: spec.key.clone(), zone, columns, ignored });
        }
        let errors =
            problems.into_iter().map(|(path, why)| engine_form::FieldError::new(path, "mapping", why)).collect();
        Err(Error::BadInput {
            code: BadInputCode::bad_mapping,
            detail: "the mapping does not fit the form and the file".into(),
            errors,
        })
    }

    /// One row of the file as a record of the form, and the cells that cannot be read as
    /// their field takes them (a spreadsheet's float that is no exact decimal).
    pub fn record(&self, form: &Form, cells: &[Cell]) -> (Map<String, Value>, Vec<FieldError>) {
        let mut record = Map::new();
        let mut problems = Vec::new();
        for (target, cell) in self.columns.iter().zip(cells) {
            let Some(target) = target else { continue };
            // An empty cell leaves the field as it is: a feed that lacks a value does not
            // erase the one stored.
            if matches!(cell, Cell::Text(t) if t.trim().is_empty()) {
                continue;
            }
            let (key, value) = match target {
                Target::Field(key) => {
                    let Some(field) = form.field(key) else { continue };
                    (key, self.value(field, cell))
                }
                Target::Related { field, key } => {
                    let named =
                        exact_text(cell).map(|text| Value::Object(Map::from_iter([(key.clone(), Value::from(text))])));
                    (field, named)
                }
            };
            match value {
                Ok(value) => {
                    record.insert(key.clone(), value);
                }
                Err(why) => problems.push(FieldError::new(format!("/{key}"), "spreadsheet_number", why)),
            }
        }
        (record, problems)
    }

    fn value(&self, field: &Field, cell: &Cell) -> Result<Value, String> {
        let text = match cell {
            Cell::Text(t) => t.trim().to_owned(),
            Cell::Number(n) => return number(field, *n),
            Cell::Bool(b) if matches!(field.kind, FieldType::Boolean) => return Ok(Value::Bool(*b)),
            Cell::Bool(b) => b.to_string(),
            Cell::When(t) => match field.kind {
                FieldType::Date { .. } => return Ok(Value::from(t.date().to_string())),
                FieldType::DateTime => return Ok(Value::from(self.in_zone(t).unwrap_or_default())),
                _ => cell.text(),
            },
        };
        let cell = text.as_str();
        Ok(match &field.kind {
            FieldType::Integer { .. } => {
                cell.replace([',', '，'], "").parse::<i64>().map_or_else(|_| Value::from(cell), Value::from)
            }
            FieldType::Decimal { .. } => Value::from(cell.replace([',', '，', '¥', '￥', ' '], "")),
            FieldType::Boolean => match cell.to_lowercase().as_str() {
                "是" | "true" | "yes" | "y" | "1" => Value::Bool(true),
                "否" | "false" | "no" | "n" | "0" => Value::Bool(false),
                _ => Value::from(cell),
            },
            FieldType::Date { .. } => Value::from(date(cell).map_or_else(|| cell.to_owned(), |d| d.to_string())),
            FieldType::DateTime => Value::from(self.instant(cell).unwrap_or_else(|| cell.to_owned())),
            FieldType::SingleSelect { options } => Value::from(option(options, cell)),
            FieldType::MultiSelect { options } => Value::Array(
                cell.split([';', '；', '|', '、', ','])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::from(option(options, s)))
                    .collect(),
            ),
            FieldType::Relation { .. } => cell.parse::<i64>().map_or_else(|_| Value::from(cell), Value::from),
            _ => Value::from(cell),
        })
    }

    /// A date-time with an offset as written; without one, in the mapping's zone.
    fn instant(&self, cell: &str) -> Option<String> {
        if chrono::DateTime::parse_from_rfc3339(cell).is_ok() {
            return Some(cell.to_owned());
        }
        let formats =
            ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"];
        let naive = formats.iter().find_map(|f| NaiveDateTime::parse_from_str(cell, f).ok())?;
        self.in_zone(&naive)
    }

    /// A date-time without a zone, read in the mapping's, as RFC 3339 in UTC.
    fn in_zone(&self, naive: &NaiveDateTime) -> Option<String> {
        let local = self.zone.from_local_datetime(naive).earliest()?;
        Some(local.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }
}

/// The largest integer a double holds exactly, and every integer below it.
const EXACT: f64 = 9_007_199_254_740_992.0;

/// A spreadsheet's number as `field` takes it: a decimal rounded to the field's scale, and
/// refused unless that decimal is the very double stored (`0.30000000000000004` is no
/// money); an integer, or a text (a mobile, an ID number), only when the double is an
/// integer it holds exactly.
fn number(field: &Field, n: f64) -> Result<Value, String> {
    use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
    let integral = || {
        (n.fract() == 0.0 && n.abs() < EXACT).then_some(n as i64).ok_or_else(|| {
            format!("the spreadsheet stores {n} as a number, which holds no exact whole number this long; format the column as text")
        })
    };
    match &field.kind {
        FieldType::Decimal { scale, .. } => {
            let rounded = rust_decimal::Decimal::from_f64(n).map(|d| d.round_dp(*scale));
            match rounded {
                Some(d) if d.to_f64() == Some(n) => Ok(Value::from(d.to_string())),
                _ => Err(format!(
                    "the spreadsheet stores {n:?}, which is no decimal of {scale} places; format the column as text"
                )),
            }
        }
        FieldType::Integer { .. } | FieldType::Relation { .. } => integral().map(Value::from),
        FieldType::Boolean if n == 1.0 || n == 0.0 => Ok(Value::Bool(n == 1.0)),
        FieldType::Date { .. } | FieldType::DateTime => {
            Err(format!("the spreadsheet stores {n} as a number, not a date; format the column as a date"))
        }
        FieldType::SingleSelect { options } => integral().map(|i| Value::from(option(options, &i.to_string()))),
        _ => integral().map(|i| Value::from(i.to_string())),
    }
}

/// A cell as the exact text of a key: a spreadsheet's number only when it is an integer
/// a double holds exactly.
fn exact_text(cell: &Cell) -> Result<String, String> {
    match cell {
        Cell::Number(n) if n.fract() == 0.0 && n.abs() < EXACT => Ok((*n as i64).to_string()),
        Cell::Number(n) => {
            Err(format!("the spreadsheet stores {n} as a number, which is no exact key; format the column as text"))
        }
        other => Ok(other.text().trim().to_owned()),
    }
}

/// A date written `2026-12-07`, `2026/12/7`, `20261207` or `2026年12月7日`.
fn date(cell: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(cell, f).ok())
}

/// An option's key from its key or any of its labels (Latin letters in any case).
fn option(options: &[SelectOption], cell: &str) -> String {
    let wanted = cell.to_lowercase();
    options
        .iter()
        .find(|o| o.value.to_lowercase() == wanted || o.label.values().any(|l| l.to_lowercase() == wanted))
        .map_or_else(|| cell.to_owned(), |o| o.value.clone())
}

/// The mapping a file's `header` suggests: each column named by a field's key or label
/// goes to that field, and the first such field that is a unique key is the key (empty when
/// none is).
pub fn suggested(form: &Form, header: &[String]) -> MappingSpec {
    let columns: BTreeMap<String, String> =
        header.iter().filter_map(|title| by_name(form, title).map(|f| (title.clone(), f.key.clone()))).collect();
    let key = form.key_fields().find(|k| columns.values().any(|f| *f == k.key)).map(|k| k.key.clone());
    MappingSpec { key: key.unwrap_or_default(), columns, ..MappingSpec::default() }
}

/// The field a header names by its key or one of its labels.
fn by_name<'a>(form: &'a Form, title: &str) -> Option<&'a Field> {
    let title = title.trim();
    form.fields.iter().filter(|f| importable(f)).find(|f| f.key == title || f.label.values().any(|l| l == title))
}

fn importable(field: &Field) -> bool {
    !matches!(field.kind, FieldType::Formula { .. } | FieldType::SubTable { .. } | FieldType::Attachment { .. })
}

/// Where `to` (`field` or `relation.key`) goes in `form`.
fn target(form: &Form, to: &str) -> Result<Target, String> {
    let (name, key) = match to.split_once('.') {
        Some((name, key)) => (name, Some(key)),
        None => (to, None),
    };
    let field =
        form.field(name).filter(|f| importable(f)).ok_or_else(|| format!("`{name}` is not a field one imports"))?;
    match (key, &field.kind) {
        (None, _) => Ok(Target::Field(name.to_owned())),
        (Some(key), FieldType::Relation { .. }) => Ok(Target::Related { field: name.to_owned(), key: key.to_owned() }),
        (Some(_), _) => Err(format!("`{name}` is not a relation")),
    }
}
