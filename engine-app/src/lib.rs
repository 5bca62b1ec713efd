//! Checking a whole app: its forms (engine-form), the events it receives, its decision
//! tables, rules (engine-rule), roles, flows (engine-flow) and record pages, checked together against
//! each other. Pure, like the other engines: metadata in, a checked `App` or every
//! `Diagnostic` out, each at its JSON path in the app bundle (`/forms/2/fields/0/type`,
//! `/rules/1/condition`), with its span inside an expression and its process node where
//! they apply.

mod catalog;
mod decisions;
mod diff;
mod events;
mod flows;
mod pages;
mod rename;
pub mod reports;
mod roles;
mod rules;
mod uses;

use engine_form::{Bundle, Diagnostic, Form, FormSchema, parse_bundle};
use engine_rule::EventRule;
use serde_json::Value;

use catalog::{Catalog, with_decisions};

pub use decisions::Decision;
pub use diff::{Change, diff};
pub use pages::{Figure, MAX_SECTION_ROWS, Page, Section, Source};
pub use rename::{rename, rewrite_text};
pub use roles::{Grant, Mode, OPERATIONS, Role, WithUser, check_roles, user_attribute};
pub use uses::{Use, reads, uses};

/// A checked app: its forms, the events it receives, and its rules.
#[derive(Debug)]
pub struct App {
    pub bundle: Bundle,
    /// Each event's data, declared with fields like a form (and stored in no table).
    pub events: Vec<Form>,
    /// Decision tables, each on a form.
    pub decisions: Vec<Decision>,
    /// In firing order: higher priority first, then by key.
    pub rules: Vec<EventRule>,
    /// App roles: what each may do to which records and fields.
    pub roles: Vec<Role>,
    /// Processes (engine-flow), checked against the forms, events, roles and calendars.
    pub flows: Vec<engine_flow::Flow>,
    /// Record pages: a form's record shown whole (a customer 360).
    pub pages: Vec<Page>,
    /// Reports over the forms' records (engine-report).
    pub reports: Vec<engine_report::Report>,
    /// Dashboards: grids of those reports.
    pub dashboards: Vec<engine_report::Dashboard>,
}

impl App {
    pub fn rule(&self, key: &str) -> Option<&EventRule> {
        self.rules.iter().find(|r| r.key == key)
    }
}

/// Whether `s` is a metadata key: a lower-case identifier of at most 32 characters.
pub fn is_key(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && s.len() <= 32
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks the bundle document `doc`; its rules are stamped with the app `version` they
/// will be published as.
pub fn check_app(doc: &Value, version: i64) -> Result<App, Vec<Diagnostic>> {
    let bundle = parse_bundle(doc)?;
    let (events, mut diags) = events::check_events(doc, &bundle);
    let decisions = decisions::check_decisions(doc, &bundle, &mut diags);
    let schema = |form| FormSchema { bundle: &bundle, form };
    let catalog = Catalog {
        bundle: &bundle,
        forms: bundle.forms.iter().map(|form| (form.key.as_str(), with_decisions(&bundle, &decisions, form))).collect(),
        events: events.iter().map(|form: &Form| (form.key.as_str(), schema(form))).collect(),
        flows: keys_of(doc, "flows"),
        roles: keys_of(doc, "roles"),
    };
    let rules = rules::check_rules(doc, version, &catalog, &mut diags);
    let flows = flows::check_flows(doc, &catalog, &mut diags);
    drop(catalog);
    let roles = roles::check_roles(doc, &bundle, &mut diags);
    let pages = pages::check_pages(doc, &bundle, &mut diags);
    let reports = reports::check_reports(doc, &bundle, &mut diags);
    let role_keys: Vec<&str> = roles.iter().map(|r| r.key.as_str()).collect();
    let dashboards = reports::check_dashboards(doc, &reports, &role_keys, &mut diags);
    if let Some(zone) = doc.get("time_zone").and_then(Value::as_str)
        && engine_rule::zone(zone).is_none()
    {
        let message = format!("`{zone}` is not an IANA time zone such as Asia/Shanghai");
        diags.push(Diagnostic::new("/time_zone", "bad_time_zone", message));
    }
    if diags.is_empty() {
        Ok(App { bundle, events, decisions, rules, roles, flows, pages, reports, dashboards })
    } else {
        Err(diags)
    }
}

/// The `key`s of the documents of `kind` in the bundle.
pub(crate) fn keys_of<'d>(doc: &'d Value, kind: &str) -> Vec<&'d str> {
    doc.get(kind).and_then(Value::as_array).into_iter().flatten().filter_map(|d| d["key"].as_str()).collect()
}
