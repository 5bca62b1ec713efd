//! App roles as the metadata declares them (`roles/*.json`): per form the operations, the
//! rows (a condition over the record and the current user, `$user.…`) and the field
//! modes, and the events a role may send in. Checked here with the rest of the app; what
//! they mean for one user's reads and writes is the server's `access`.

use std::collections::BTreeMap;

use engine_form::{Bundle, Diagnostic, Form, FormSchema};
use engine_rule::{Expr, Schema, Type};
use serde::Deserialize;
use serde_json::Value;

pub const OPERATIONS: [&str; 5] = ["read", "create", "update", "delete", "export"];

/// How a role sees a field, most open first. `YearOnly` is a date's (or an instant's) mask
/// that keeps its year (an age band without the birthday); `Masked` shows what the field
/// type's mask shows (`engine_form::Mask`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    Visible,
    ReadOnly,
    YearOnly,
    Masked,
    Hidden,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        Some(match text {
            "visible" => Mode::Visible,
            "read_only" => Mode::ReadOnly,
            "year_only" => Mode::YearOnly,
            "masked" => Mode::Masked,
            "hidden" => Mode::Hidden,
            _ => return None,
        })
    }

    pub fn writable(self) -> bool {
        self == Mode::Visible
    }

    /// Whether the value is shown as it is (written or only read).
    pub fn in_clear(self) -> bool {
        self <= Mode::ReadOnly
    }

    /// Whether the value is shown, but masked (whole, or but for its year).
    pub fn masked(self) -> bool {
        matches!(self, Mode::YearOnly | Mode::Masked)
    }

    /// The name roles write it by.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Visible => "visible",
            Mode::ReadOnly => "read_only",
            Mode::YearOnly => "year_only",
            Mode::Masked => "masked",
            Mode::Hidden => "hidden",
        }
    }

    /// A field's declaration (form metadata JSON) as a reader is given it: with this mode,
    /// which its sub-table's columns share (a role grants modes per field of the form).
    pub fn mark(self, field: &mut serde_json::Value) {
        field["mode"] = serde_json::Value::from(self.name());
        for column in field.get_mut("fields").and_then(serde_json::Value::as_array_mut).into_iter().flatten() {
            self.mark(column);
        }
    }
}

/// What one role grants on one form.
#[derive(Debug, Clone)]
pub struct Grant {
    pub operations: Vec<String>,
    pub rows: Option<Expr>,
    pub fields: BTreeMap<String, Mode>,
}

/// A checked app role.
#[derive(Debug, Clone)]
pub struct Role {
    pub key: String,
    pub forms: BTreeMap<String, Grant>,
    /// The events holders of this role may send in (`POST …/events/{event}/occurrences`).
    pub events: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    key: String,
    #[serde(default)]
    label: Option<Value>,
    #[serde(default)]
    forms: BTreeMap<String, RawGrant>,
    #[serde(default)]
    events: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrant {
    #[serde(default)]
    operations: Vec<String>,
    rows: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
}

/// The type of the current user's attribute `name`, as row conditions read it.
pub fn user_attribute(name: &str) -> Option<Type> {
    Some(match name {
        "id" => Type::Integer,
        "username" | "org_unit" => Type::Text,
        "org_units" => Type::List(Box::new(Type::Text)),
        _ => return None,
    })
}

/// A form's fields plus `$user.…`, as row conditions read them.
pub struct WithUser<S>(pub S);

impl<S: Schema> Schema for WithUser<S> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        match path {
            [user, attribute] if user == "$user" => user_attribute(attribute),
            _ => self.0.type_of(path),
        }
    }

    fn rows(&self, path: &[String]) -> Option<Box<dyn Schema + '_>> {
        self.0.rows(path)
    }

    fn has_calendar(&self, name: &str) -> Option<bool> {
        self.0.has_calendar(name)
    }
}

/// Checks the app's roles, with every problem at its JSON path.
pub fn check_roles(doc: &Value, bundle: &Bundle, diags: &mut Vec<Diagnostic>) -> Vec<Role> {
    let mut roles: Vec<Role> = Vec::new();
    for (i, raw) in doc.get("roles").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let base = format!("/roles/{i}");
        let raw: RawRole = match serde_json::from_value(raw.clone()) {
            Ok(r) => r,
            Err(e) => {
                diags.push(Diagnostic::new(base, "shape", e.to_string()));
                continue;
            }
        };
        let _ = raw.label;
        if roles.iter().any(|r| r.key == raw.key) {
            diags.push(Diagnostic::new(
                format!("{base}/key"),
                "duplicate",
                format!("two roles are called `{}`", raw.key),
            ));
        }
        let mut forms = BTreeMap::new();
        for (form_key, grant) in raw.forms {
            let at = format!("{base}/forms/{form_key}");
            let Some(form) = bundle.form(&form_key) else {
                diags.push(Diagnostic::new(at, "unknown_form", format!("there is no form `{form_key}`")));
                continue;
            };
            forms.insert(form_key, grant_of(&at, bundle, form, grant, diags));
        }
        let declared: Vec<&str> = doc
            .get("events")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e["key"].as_str())
            .collect();
        for (j, event) in raw.events.iter().enumerate() {
            if !declared.contains(&event.as_str()) {
                diags.push(Diagnostic::new(
                    format!("{base}/events/{j}"),
                    "unknown_event",
                    format!("there is no event `{event}`"),
                ));
            }
        }
        roles.push(Role { key: raw.key, forms, events: raw.events });
    }
    roles
}

/// A role's grant on one form, checked: its operations, field modes and row condition.
fn grant_of(at: &str, bundle: &Bundle, form: &Form, grant: RawGrant, diags: &mut Vec<Diagnostic>) -> Grant {
    for (j, op) in grant.operations.iter().enumerate() {
        if !OPERATIONS.contains(&op.as_str()) {
            diags.push(Diagnostic::new(
                format!("{at}/operations/{j}"),
                "bad_operation",
                format!("`{op}` is not {}", OPERATIONS.join(", ")),
            ));
        }
    }
    let mut fields = BTreeMap::new();
    for (field, mode) in &grant.fields {
        match (form.field(field), Mode::parse(mode)) {
            (None, _) => diags.push(Diagnostic::new(
                format!("{at}/fields/{field}"),
                "unknown_field",
                format!("the form has no field `{field}`"),
            )),
            (_, None) => diags.push(Diagnostic::new(
                format!("{at}/fields/{field}"),
                "bad_mode",
                format!("`{mode}` is not visible, read_only, year_only, masked or hidden"),
            )),
            (Some(f), Some(Mode::YearOnly))
                if !matches!(f.kind, engine_form::FieldType::Date { .. } | engine_form::FieldType::DateTime) =>
            {
                diags.push(Diagnostic::new(
                    format!("{at}/fields/{field}"),
                    "bad_mode",
                    "year_only keeps the year of a date or an instant; this field is neither",
                ))
            }
            (Some(_), Some(mode)) => {
                fields.insert(field.clone(), mode);
            }
        }
    }
    let rows = grant.rows.as_deref().and_then(|text| rows_condition(&format!("{at}/rows"), bundle, form, text, diags));
    Grant { operations: grant.operations, rows, fields }
}

/// A grant's row condition, checked against the form and the user's attributes.
fn rows_condition(at: &str, bundle: &Bundle, form: &Form, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Expr> {
    let schema = WithUser(FormSchema { bundle, form });
    match engine_rule::check_expression(at, text, &schema, Some(&Type::Bool)) {
        Ok((expr, _)) => Some(expr),
        Err(found) => {
            diags.extend(found);
            None
        }
    }
}
