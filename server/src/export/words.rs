//! How an export writes headers and values: as the exporter's list shows them (field labels,
//! option labels, yes and no, instants on their clocks) in their language, or, asked for
//! (`keys=true`, for integrators), as field keys and stored values.

use chrono::DateTime;
use engine_form::{Field, FieldType, Labels};
use serde_json::Value;

/// The exporter's words: their language and zone, or keys.
pub struct Words {
    /// `zh-CN`, `en`; `None`: the first label given.
    pub language: Option<String>,
    pub zone: chrono_tz::Tz,
    pub keys: bool,
}

impl Words {
    /// A label in the exporter's language, else the first given.
    fn label<'a>(&self, labels: &'a Labels, key: &'a str) -> &'a str {
        self.language
            .as_deref()
            .and_then(|l| labels.get(l))
            .or_else(|| labels.values().next())
            .map_or(key, String::as_str)
    }

    /// A label given as JSON (`{"zh-CN": …, "en": …}`) in the exporter's language, else the
    /// first given.
    pub fn label_of<'a>(&self, labels: &'a serde_json::Value) -> Option<&'a str> {
        let language = self.language.as_deref().and_then(|l| labels.get(l)).and_then(serde_json::Value::as_str);
        language.or_else(|| labels.as_object()?.values().find_map(serde_json::Value::as_str))
    }

    /// A form's name in the exporter's language (the export's file name).
    pub fn form_name(&self, form: &engine_form::Form) -> String {
        self.label(&form.label, &form.key).to_owned()
    }

    /// A field's column header: its label (instants say their zone), or its key.
    pub fn header(&self, field: &Field) -> String {
        if self.keys {
            return field.key.clone();
        }
        let label = self.label(&field.label, &field.key).to_owned();
        match field.kind {
            FieldType::DateTime => format!("{label} ({})", self.zone.name()),
            _ => label,
        }
    }

    /// A relation's lookup column: `客户经理 · 姓名`, or `relationship_manager.name`.
    pub fn lookup_header(&self, relation: &Field, target: Option<&Field>, key: &str) -> String {
        match (self.keys, target) {
            (false, Some(target)) => format!("{} · {}", self.header(relation), self.header(target)),
            _ => format!("{}.{key}", relation.key),
        }
    }

    /// A value as its field's kind writes it for a reader: options by label, booleans in
    /// words, instants on the exporter's clocks; other values (and everything with `keys`)
    /// as stored. A masked value is as the server masked it.
    pub fn value(&self, field: Option<&Field>, value: &Value, masked: bool) -> Value {
        let Some(field) = field.filter(|_| !self.keys && !masked && !value.is_null()) else { return value.clone() };
        let option = |options: &[engine_form::SelectOption], v: &Value| {
            let key = v.as_str().unwrap_or_default();
            options
                .iter()
                .find(|o| o.value == key)
                .map_or(key.to_owned(), |o| self.label(&o.label, &o.value).to_owned())
        };
        match (&field.kind, value) {
            (FieldType::SingleSelect { options }, v) => Value::String(option(options, v)),
            (FieldType::MultiSelect { options }, Value::Array(items)) => {
                Value::Array(items.iter().map(|v| Value::String(option(options, v))).collect())
            }
            (FieldType::Boolean, Value::Bool(b)) => Value::String(self.yes_no(*b).into()),
            (FieldType::DateTime, Value::String(at)) => match DateTime::parse_from_rfc3339(at) {
                Ok(at) => Value::String(at.with_timezone(&self.zone).format("%Y-%m-%d %H:%M:%S").to_string()),
                Err(_) => value.clone(),
            },
            _ => value.clone(),
        }
    }

    fn yes_no(&self, yes: bool) -> &'static str {
        match (self.language.as_deref(), yes) {
            (Some("en"), true) => "Yes",
            (Some("en"), false) => "No",
            (_, true) => "是",
            (_, false) => "否",
        }
    }
}
