//! What rules and flows refer to, as the app offers it: forms (with the outputs of the
//! decision tables on them), events, flows, roles, calendars and relations.

use engine_form::{Bundle, Form, FormSchema};
use engine_rule::{AppCatalog, DecisionTable, Schema, Type};

use crate::Decision;

/// A form's fields, plus the outputs of the decision tables on it.
pub(crate) struct WithDecisions<'a> {
    fields: FormSchema<'a>,
    decisions: Vec<&'a DecisionTable>,
}

pub(crate) fn with_decisions<'a>(bundle: &'a Bundle, decisions: &'a [Decision], form: &'a Form) -> WithDecisions<'a> {
    WithDecisions {
        fields: FormSchema { bundle, form },
        decisions: decisions.iter().filter(|d| d.form == form.key).map(|d| &d.table).collect(),
    }
}

impl Schema for WithDecisions<'_> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        if let [table, output] = path
            && let Some(decision) = self.decisions.iter().find(|d| d.key == *table)
        {
            return decision.output_type(output);
        }
        self.fields.type_of(path)
    }

    fn rows(&self, path: &[String]) -> Option<Box<dyn Schema + '_>> {
        self.fields.rows(path)
    }

    fn has_calendar(&self, name: &str) -> Option<bool> {
        self.fields.has_calendar(name)
    }

    fn is_personal(&self, path: &[String]) -> bool {
        self.fields.is_personal(path)
    }
}

pub(crate) struct Catalog<'a> {
    pub bundle: &'a Bundle,
    pub forms: Vec<(&'a str, WithDecisions<'a>)>,
    pub events: Vec<(&'a str, FormSchema<'a>)>,
    /// The keys of the app's flows and roles, as the document declares them.
    pub flows: Vec<&'a str>,
    pub roles: Vec<&'a str>,
}

impl engine_flow::FlowCatalog for Catalog<'_> {
    fn task_form(&self, doc: &serde_json::Value) -> Result<Form, Vec<engine_form::Diagnostic>> {
        engine_form::lower_form(doc, self.bundle)
    }
}

impl AppCatalog for Catalog<'_> {
    fn form(&self, key: &str) -> Option<&dyn Schema> {
        self.forms.iter().find(|(k, _)| *k == key).map(|(_, s)| s as &dyn Schema)
    }

    fn event(&self, name: &str) -> Option<&dyn Schema> {
        self.events.iter().find(|(k, _)| *k == name).map(|(_, s)| s as &dyn Schema)
    }

    fn flow_exists(&self, key: &str) -> bool {
        self.flows.contains(&key)
    }

    fn role_exists(&self, key: &str) -> bool {
        self.roles.contains(&key)
    }

    fn calendar_exists(&self, key: &str) -> bool {
        self.bundle.calendars.contains_key(key)
    }

    fn related_form(&self, from: &str, path: &[String]) -> Option<String> {
        let mut form =
            self.bundle.form(from).or_else(|| self.events.iter().find(|(k, _)| *k == from).map(|(_, s)| s.form))?;
        for hop in path {
            let engine_form::FieldType::Relation { form: target, .. } = &form.field(hop)?.kind else { return None };
            form = self.bundle.form(target)?;
        }
        Some(form.key.clone())
    }

    fn user_field(&self, key: &str) -> Option<String> {
        self.bundle.form(key)?.user_field.clone()
    }
}
