//! Turns a bundle's JSON into the checked model, collecting every diagnostic on the way:
//! first the JSON Schema (shape), then the meaning (types, bounds, references, duplicates).
//! `lower_form` checks one more form-like document (an event's data, a task's form) against
//! a bundle already checked, without reading the bundle's forms again.

mod form;
mod kind;
mod raw;

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use crate::diagnostic::{Diagnostic, join};
use crate::formula::FormFields;
use crate::model::{Bundle, Form};
use crate::schema::check_bundle_shape;
use form::Lowerer;
use raw::{RawBundle, RawField, RawForm};

pub(super) const DEFAULT_MAX_FILE_SIZE: u64 = 20 * 1024 * 1024;
pub(super) const LARGEST_MAX_FILE_SIZE: u64 = 100 * 1024 * 1024;
pub(super) const DEFAULT_PRECISION: u32 = 18;
/// Field keys that would collide with the members the server adds to a record.
pub(super) const RESERVED_KEYS: [&str; 1] = ["id"];

/// The forms relations may link to, by key: the type name of each of their fields.
pub(super) trait Targets {
    /// `None`: there is no form `form`; otherwise the type of its field `key`, if it has one.
    fn field_kind(&self, form: &str, key: &str) -> Option<Option<String>>;
    /// The field of `form` holding the user name of the person each record is, if it says.
    fn user_field(&self, form: &str) -> Option<String>;
}

impl Targets for BTreeMap<&str, &RawForm> {
    fn field_kind(&self, form: &str, key: &str) -> Option<Option<String>> {
        let form = self.get(form)?;
        Some(form.fields.iter().find(|f| f.key == key).map(|f| f.kind.clone()))
    }

    fn user_field(&self, form: &str) -> Option<String> {
        self.get(form)?.user_field.clone()
    }
}

impl Targets for Bundle {
    fn field_kind(&self, form: &str, key: &str) -> Option<Option<String>> {
        let form = self.form(form)?;
        Some(form.field(key).map(|f| f.kind.name().to_owned()))
    }

    fn user_field(&self, form: &str) -> Option<String> {
        self.form(form)?.user_field.clone()
    }
}

/// Parses and checks a whole app bundle. On failure, returns every diagnostic found.
pub fn parse_bundle(doc: &Value) -> Result<Bundle, Vec<Diagnostic>> {
    let mut diags = check_bundle_shape(doc);
    if !diags.is_empty() && !doc.is_object() {
        return Err(diags);
    }
    let raw: RawBundle = match serde_json::from_value(doc.clone()) {
        Ok(raw) => raw,
        Err(e) => {
            if diags.is_empty() {
                diags.push(Diagnostic::new("", "schema", e.to_string()));
            }
            return Err(diags);
        }
    };
    // Forms whose shape is broken are skipped for the semantic pass; their schema
    // diagnostics are already listed.
    let mut raw_forms: Vec<(String, RawForm)> = Vec::new();
    for (i, form) in raw.forms.iter().enumerate() {
        let path = join("/forms", i);
        match serde_json::from_value::<RawForm>(form.clone()) {
            Ok(f) => raw_forms.push((path, f)),
            Err(e) if !diags.iter().any(|d| d.path.starts_with(&path)) => {
                diags.push(Diagnostic::new(path, "schema", e.to_string()));
            }
            Err(_) => {}
        }
    }
    let mut seen = HashSet::new();
    for (path, form) in &raw_forms {
        if !seen.insert(form.key.as_str()) {
            diags.push(Diagnostic::new(
                join(path, "key"),
                "duplicate_key",
                format!("another form is already named `{}`", form.key),
            ));
        }
    }
    let schema_count = diags.len();
    let mut calendars = engine_rule::Calendars::new();
    for (i, doc) in raw.calendars.iter().enumerate() {
        let path = join("/calendars", i);
        match engine_rule::parse_calendar(doc) {
            Ok((key, _)) if calendars.contains_key(&key) => diags.push(Diagnostic::new(
                join(&path, "key"),
                "duplicate_key",
                format!("another calendar is already named `{key}`"),
            )),
            Ok((key, calendar)) => {
                calendars.insert(key, calendar);
            }
            Err(problems) => diags
                .extend(problems.into_iter().map(|d| Diagnostic::new(format!("{path}{}", d.path), d.code, d.message))),
        }
    }
    let catalog: BTreeMap<&str, &RawForm> = raw_forms.iter().map(|(_, f)| (f.key.as_str(), f)).collect();
    let decisions = formula_decisions(&raw.decisions, &catalog, &calendars);
    let mut forms = Vec::new();
    for (path, raw_form) in &raw_forms {
        let mut lowerer = Lowerer {
            catalog: &catalog as &dyn Targets,
            calendars: &calendars,
            decisions: &decisions,
            form: raw_form.key.clone(),
            diags: &mut diags,
        };
        if let Some(form) = lowerer.form(path, raw_form) {
            forms.push(form);
        }
    }
    // A location the schema already reported is not reported twice.
    let shape_paths: HashSet<String> = diags[..schema_count].iter().map(|d| d.path.clone()).collect();
    let mut index = 0;
    diags.retain(|d| {
        index += 1;
        index <= schema_count || !shape_paths.contains(&d.path)
    });
    if diags.is_empty() {
        Ok(Bundle { key: raw.key, name: raw.name, forms, calendars, language: raw.language })
    } else {
        Err(diags)
    }
}

/// Checks one form-like document (an event's data, a process task's form) whose relations
/// link to the forms of `bundle`, already checked; every diagnostic at its path in `doc`.
pub fn lower_form(doc: &Value, bundle: &Bundle) -> Result<Form, Vec<Diagnostic>> {
    let shape = crate::schema::check_form_shape(doc);
    if !shape.is_empty() {
        return Err(shape);
    }
    let raw: RawForm =
        serde_json::from_value(doc.clone()).map_err(|e| vec![Diagnostic::new("", "schema", e.to_string())])?;
    let mut diags = Vec::new();
    let mut lowerer = Lowerer {
        catalog: bundle,
        calendars: &bundle.calendars,
        decisions: &[],
        form: raw.key.clone(),
        diags: &mut diags,
    };
    let form = lowerer.form("", &raw);
    match form {
        Some(form) if diags.is_empty() => Ok(form),
        _ => Err(diags),
    }
}

/// The decision tables formulas and conditions may read, by form: those that check
/// against the form's fields without its formulas (so no formula can reach itself through
/// a table) and that are one expression (`DecisionTable::as_expression`), which is written
/// into the formula in place of `table.output`. Their diagnostics are the server's to
/// report, with the rest of the app's decision tables.
fn formula_decisions(
    docs: &[Value],
    forms: &BTreeMap<&str, &RawForm>,
    calendars: &engine_rule::Calendars,
) -> Vec<(String, engine_rule::DecisionTable)> {
    let mut out = Vec::new();
    for doc in docs {
        let Some(form) = doc.get("form").and_then(Value::as_str).and_then(|f| forms.get(f)) else { continue };
        let mut table = doc.clone();
        if let Some(fields) = table.as_object_mut() {
            fields.remove("form");
        }
        let schema = FormFields { fields: readable(&form.fields), calendars, decisions: Vec::new() };
        if let Ok(parsed) = engine_rule::parse_table(&table, &schema) {
            out.push((form.key.clone(), parsed));
        }
    }
    out
}

/// The fields formulas and conditions read: all but formulas, sub-tables with their columns.
fn readable(fields: &[RawField]) -> Vec<crate::formula::ReadableField<'_>> {
    fields
        .iter()
        .filter(|f| f.kind != "formula")
        .map(|f| {
            let columns = f.fields.iter().flatten().map(|s| (s.key.as_str(), s.kind.as_str())).collect();
            crate::formula::ReadableField { key: &f.key, kind: &f.kind, columns }
        })
        .collect()
}
