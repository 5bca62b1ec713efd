//! Checks a record sent through the API against its published form.
//!
//! Everything that can be decided from the form alone is decided here (types, required,
//! bounds, options, lengths, patterns). What needs the database (uniqueness, that a
//! related record or a file exists) is checked by the server, which reports it in the
//! same [`FieldError`] shape.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::diagnostic::join;
use crate::model::{Field, FieldType, Form, SelectOption, TextKind};
use crate::value::FieldValue;

/// Keys the server owns in a record's JSON; clients cannot write them.
const SYSTEM_KEYS: [&str; 5] = ["id", "_version", "_created_at", "_updated_at", "_lookup"];

/// One bad value: `path` is a JSON pointer into the submitted record (`/aum`, `/items/2/qty`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub path: String,
    pub code: &'static str,
    pub message: String,
    /// The message by language, where the metadata gives one (a validation's `message`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub texts: Option<std::collections::BTreeMap<String, String>>,
}

impl FieldError {
    pub fn new(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self { path: path.into(), code, message: message.into(), texts: None }
    }
}

/// Creating checks that required fields are present and fills defaults; patching checks
/// only the fields that were sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckMode {
    Create,
    Patch,
}

/// The checked values of a record, in form order. Absent keys (in a patch) are not listed.
pub type CheckedRecord = Vec<(String, FieldValue)>;

/// Checks a whole record; returns every bad field, not just the first.
pub fn check_record(
    form: &Form,
    input: &Map<String, Value>,
    mode: CheckMode,
) -> Result<CheckedRecord, Vec<FieldError>> {
    check_fields(&form.fields, input, mode, "")
}

fn check_fields(
    fields: &[Field],
    input: &Map<String, Value>,
    mode: CheckMode,
    base: &str,
) -> Result<CheckedRecord, Vec<FieldError>> {
    // Paths are written only for what is wrong: a record that passes (a feed's thousands)
    // costs no string per field.
    let mut errors = Vec::new();
    for key in input.keys() {
        if SYSTEM_KEYS.contains(&key.as_str()) {
            errors.push(FieldError::new(
                join(base, key),
                "read_only",
                format!("`{key}` is maintained by the server and cannot be written"),
            ));
        } else if !fields.iter().any(|f| &f.key == key) {
            errors.push(FieldError::new(join(base, key), "unknown_field", format!("the form has no field `{key}`")));
        }
    }
    let mut checked = Vec::with_capacity(fields.len());
    for field in fields {
        let value = match input.get(&field.key) {
            // Checked at the empty path; what it finds is put under the field's.
            Some(raw) => match check_value(field, raw, "") {
                Ok(v) => v,
                Err(found) => {
                    let at = join(base, &field.key);
                    errors.extend(found.into_iter().map(|e| FieldError { path: format!("{at}{}", e.path), ..e }));
                    continue;
                }
            },
            None if mode == CheckMode::Patch => continue,
            None if matches!(field.kind, FieldType::Formula { .. }) => continue,
            None => field.default.clone().unwrap_or(FieldValue::Null),
        };
        // A field shown only under a condition is required only while shown (`check_conditions`).
        if field.required
            && field.visible_when.is_none()
            && is_empty(&value)
            && (mode == CheckMode::Create || input.contains_key(&field.key))
        {
            errors.push(FieldError::new(join(base, &field.key), "required", format!("`{}` is required", field.key)));
            continue;
        }
        checked.push((field.key.clone(), value));
    }
    if errors.is_empty() { Ok(checked) } else { Err(errors) }
}

fn is_empty(value: &FieldValue) -> bool {
    match value {
        FieldValue::Null => true,
        FieldValue::Text(s) => s.is_empty(),
        FieldValue::Choices(c) => c.is_empty(),
        FieldValue::Files(f) => f.is_empty(),
        FieldValue::Rows(r) => r.is_empty(),
        _ => false,
    }
}

/// The most rows a sub-table holds: a record is a document people read, and its rows are
/// written whole with every save.
pub const MAX_ROWS: usize = 1_000;

/// Checks one JSON value against a field. `path` locates it in the submitted document.
pub fn check_value(field: &Field, raw: &Value, path: &str) -> Result<FieldValue, Vec<FieldError>> {
    let err = |code: &'static str, message: String| Err(vec![FieldError::new(path, code, message)]);
    if raw.is_null() {
        if matches!(field.kind, FieldType::Formula { .. }) {
            return err("read_only", "formula fields are computed and cannot be written".into());
        }
        return Ok(FieldValue::Null);
    }
    match &field.kind {
        FieldType::Text { kind, min_length, max_length, pattern } => {
            let Some(s) = raw.as_str() else { return err("type", "expected a string".into()) };
            // PostgreSQL text cannot hold NUL, and no business text needs it.
            if s.contains('\0') {
                return err("nul", "text cannot contain the NUL character".into());
            }
            let len = s.chars().count();
            if len as u64 > u64::from(*max_length) {
                return err("max_length", format!("at most {max_length} characters, got {len}"));
            }
            if let Some(min) = min_length
                && (len as u64) < u64::from(*min)
                && len > 0
            {
                return err("min_length", format!("at least {min} characters, got {len}"));
            }
            if *kind == TextKind::Email && !is_email(s) {
                return err("email", "not an e-mail address".into());
            }
            if *kind == TextKind::Phone && !is_phone(s) {
                return err("phone", "not a phone number (digits, spaces, - ( ) and a leading +)".into());
            }
            if let Some(p) = pattern
                && !s.is_empty()
                && !p.is_match(s)
            {
                return err("pattern", format!("does not match the pattern {}", p.as_str()));
            }
            Ok(FieldValue::Text(s.to_owned()))
        }
        FieldType::Integer { min, max } => {
            let Some(i) = json_integer(raw) else { return err("type", "expected a whole number".into()) };
            within(i, *min, *max, path, ("at least", "at most"))?;
            Ok(FieldValue::Integer(i))
        }
        FieldType::Decimal { precision, scale, min, max, .. } => {
            let d = match parse_decimal(raw, *precision, *scale) {
                Ok(d) => d,
                Err(message) => return err("decimal", message),
            };
            within(d, *min, *max, path, ("at least", "at most"))?;
            Ok(FieldValue::Decimal(d))
        }
        FieldType::Boolean => match raw.as_bool() {
            Some(b) => Ok(FieldValue::Boolean(b)),
            None => err("type", "expected true or false".into()),
        },
        FieldType::Date { min, max } => {
            let Some(d) = raw.as_str().and_then(parse_date) else {
                return err("date", "expected a date as YYYY-MM-DD, in the years 0001 to 9999".into());
            };
            within(d, *min, *max, path, ("on or after", "on or before"))?;
            Ok(FieldValue::Date(d))
        }
        FieldType::DateTime => match raw.as_str().map(parse_instant) {
            Some(Some(t)) => Ok(FieldValue::DateTime(t)),
            _ => err(
                "datetime",
                "expected an RFC 3339 date-time with an explicit offset in the years 0001 to 9999, e.g. 2026-01-31T09:30:00+08:00".into(),
            ),
        },
        FieldType::SingleSelect { options } => match raw.as_str() {
            Some(s) if has_option(options, s) => Ok(FieldValue::Text(s.to_owned())),
            Some(s) => err("option", format!("`{s}` is not one of the options: {}", option_list(options))),
            None => err("type", "expected one option value as a string".into()),
        },
        FieldType::MultiSelect { options } => {
            let Some(items) = raw.as_array() else { return err("type", "expected an array of option values".into()) };
            let mut chosen: Vec<String> = Vec::with_capacity(items.len());
            let mut errors = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(s) if has_option(options, s) => {
                        if !chosen.iter().any(|c| c == s) {
                            chosen.push(s.to_owned());
                        }
                    }
                    _ => errors.push(FieldError::new(
                        join(path, i),
                        "option",
                        format!("not one of the options: {}", option_list(options)),
                    )),
                }
            }
            if errors.is_empty() { Ok(FieldValue::Choices(chosen)) } else { Err(errors) }
        }
        FieldType::Relation { form, .. } => match json_integer(raw) {
            Some(id) if id > 0 => Ok(FieldValue::Link(id)),
            _ => err("type", format!("expected the id of a `{form}` record")),
        },
        FieldType::Attachment { max_files, .. } => {
            let Some(items) = raw.as_array() else { return err("type", "expected an array of file ids".into()) };
            if items.len() as u64 > u64::from(*max_files) {
                return err("max_files", format!("at most {max_files} files"));
            }
            let ids: Option<Vec<i64>> = items.iter().map(json_integer).collect();
            match ids {
                Some(ids) => Ok(FieldValue::Files(ids)),
                None => err("type", "expected an array of file ids".into()),
            }
        }
        FieldType::SubTable { fields } => {
            let Some(items) = raw.as_array() else { return err("type", "expected an array of rows".into()) };
            if items.len() > MAX_ROWS {
                return err("max_rows", format!("at most {MAX_ROWS} rows"));
            }
            let mut rows = Vec::with_capacity(items.len());
            let mut errors = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let row_path = join(path, i);
                match item.as_object() {
                    Some(obj) => match check_fields(fields, obj, CheckMode::Create, &row_path) {
                        Ok(row) => rows.push(row),
                        Err(mut e) => errors.append(&mut e),
                    },
                    None => errors.push(FieldError::new(row_path, "type", "expected a row object")),
                }
            }
            if errors.is_empty() { Ok(FieldValue::Rows(rows)) } else { Err(errors) }
        }
        FieldType::Formula { .. } => err("read_only", "formula fields are computed and cannot be written".into()),
    }
}

/// Checks `value` against optional bounds; `words` phrase them ("at least", "at most").
fn within<T: PartialOrd + std::fmt::Display>(
    value: T,
    min: Option<T>,
    max: Option<T>,
    path: &str,
    words: (&str, &str),
) -> Result<(), Vec<FieldError>> {
    if let Some(m) = min.filter(|m| value < *m) {
        return Err(vec![FieldError::new(path, "min", format!("must be {} {m}", words.0))]);
    }
    if let Some(m) = max.filter(|m| value > *m) {
        return Err(vec![FieldError::new(path, "max", format!("must be {} {m}", words.1))]);
    }
    Ok(())
}

fn has_option(options: &[SelectOption], value: &str) -> bool {
    options.iter().any(|o| o.value == value)
}

fn option_list(options: &[SelectOption]) -> String {
    options.iter().map(|o| o.value.as_str()).collect::<Vec<_>>().join(", ")
}

/// Reads a whole number sent as a JSON number; `3.0` and `"3"` are refused.
fn json_integer(raw: &Value) -> Option<i64> {
    raw.as_number().filter(|n| n.is_i64() || n.is_u64()).and_then(|n| n.as_i64())
}

/// Parses an exact decimal from a JSON string or number (the API keeps numbers' exact text)
/// and brings it to the field's scale. More digits after the point than the scale allows is
/// an error, never a silent rounding.
pub(crate) fn parse_decimal(raw: &Value, precision: u32, scale: u32) -> Result<Decimal, String> {
    let text = match raw {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => {
            return Err("expected a decimal number, preferably as a string such as \"1234.56\"".into());
        }
    };
    let mut d = Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| format!("`{text}` is not a decimal number"))?;
    d = d.normalize();
    if d.scale() > scale {
        return Err(format!("`{text}` has more than {scale} digits after the decimal point"));
    }
    d.rescale(scale);
    let integer_digits = d.trunc().abs().to_string().trim_start_matches('0').len() as u32;
    if integer_digits > precision - scale {
        return Err(format!("`{text}` has more than {} digits before the decimal point", precision - scale));
    }
    Ok(d)
}

/// Parses a date `YYYY-MM-DD` of the years 0001 to 9999, which both backends store.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().filter(|d| (1..=9999).contains(&chrono::Datelike::year(d)))
}

/// Parses an RFC 3339 date-time; one without an explicit offset is refused, since its
/// time zone would be a guess. The instant must fall in the years 0001 to 9999 in UTC
/// (`9999-12-31T23:59:59-23:59` is in the year 10000), which both backends store and read
/// alike, and a leap second (`23:59:60`) is refused: the backends would store it
/// differently.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    let leap = chrono::Timelike::nanosecond(&t) >= 1_000_000_000;
    (!leap && (1..=9999).contains(&chrono::Datelike::year(&t))).then_some(t)
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 253
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

fn is_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let body = s.strip_prefix('+').unwrap_or(s);
    (5..=20).contains(&digits) && body.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
}

/// Checks a record as it stands after a write against its form's conditions: a field
/// whose `visible_when` does not hold must not have been `sent` a value, a required field
/// that is shown must have one, and every validation must hold (a condition that is null,
/// because a value it reads is missing, does not refuse the record). `values` are the
/// record's stored values, sub-table rows included.
pub fn check_conditions(
    form: &Form,
    values: &[(String, FieldValue)],
    sent: &[&str],
    ctx: &engine_rule::Context<'_>,
) -> Vec<FieldError> {
    use engine_rule::{Value as ExprValue, evaluate};
    let record = crate::formula::StoredValues(values);
    let mut errors = Vec::new();
    for field in &form.fields {
        let Some(condition) = &field.visible_when else { continue };
        let visible = matches!(evaluate(condition, &record, ctx), Ok(ExprValue::Bool(true)));
        let empty = values.iter().find(|(k, _)| *k == field.key).is_none_or(|(_, v)| is_empty(v));
        let path = join("", &field.key);
        if !visible && !empty && sent.contains(&field.key.as_str()) {
            errors.push(FieldError::new(
                path,
                "hidden",
                format!("`{}` is hidden for this record (its visible_when does not hold); send no value", field.key),
            ));
        } else if visible && field.required && empty {
            errors.push(FieldError::new(path, "required", format!("`{}` is required", field.key)));
        }
    }
    for validation in &form.validations {
        let refused = match evaluate(&validation.condition, &record, ctx) {
            Ok(ExprValue::Bool(false)) => None,
            Ok(_) => continue,
            Err(e) => Some(e.message),
        };
        let path = validation.field.as_deref().map_or(String::new(), |f| join("", f));
        let message = validation.message.get("en").or_else(|| validation.message.values().next()).cloned();
        let message = match refused {
            None => format!("{} (validation `{}`)", message.unwrap_or_default(), validation.key),
            Some(why) => format!("validation `{}` could not be checked: {why}", validation.key),
        };
        let texts = Some(validation.message.clone()).filter(|t| !t.is_empty());
        errors.push(FieldError { texts, ..FieldError::new(path, "validation", message) });
    }
    errors
}
