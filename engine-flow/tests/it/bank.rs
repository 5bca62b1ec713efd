//! The bank CRM example as the tests read it: its forms, events, roles, calendars and
//! flows, through a `FlowCatalog`.

use std::path::PathBuf;

use engine_flow::FlowCatalog;
use engine_form::{Bundle, FormSchema};
use engine_rule::Schema;
use serde_json::{Value, json};

pub fn bank_crm() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/bank-crm")
}

pub fn read(path: PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON")
}

pub fn folder(kind: &str) -> Vec<Value> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(bank_crm().join(kind)).expect("folder").map(|e| e.expect("entry").path()).collect();
    files.sort();
    files.into_iter().map(read).collect()
}

/// The bank CRM as a flow sees it: its forms (and its events, read as forms).
pub struct Bank {
    forms: Vec<(String, FormSchema<'static>)>,
    events: Vec<(String, FormSchema<'static>)>,
}

impl Bank {
    pub fn load() -> Bank {
        let calendars = folder("calendars");
        let forms = folder("forms");
        let events = folder("events");
        let bundle = |extra: &[Value]| -> &'static Bundle {
            let mut all = forms.clone();
            all.extend_from_slice(extra);
            let doc = json!({ "key": "bank_crm", "name": { "zh-CN": "银行", "en": "Bank" }, "forms": all, "calendars": calendars });
            Box::leak(Box::new(engine_form::parse_bundle(&doc).expect("the bank CRM's forms are valid")))
        };
        let with_forms = bundle(&[]);
        let with_events = bundle(&events);
        let schemas = |b: &'static Bundle, keys: Vec<String>| {
            keys.into_iter().map(|k| (k.clone(), FormSchema { bundle: b, form: b.form(&k).expect("form") })).collect()
        };
        let form_keys = with_forms.forms.iter().map(|f| f.key.clone()).collect();
        let event_keys = events.iter().map(|e| e["key"].as_str().expect("key").to_owned()).collect();
        Bank { forms: schemas(with_forms, form_keys), events: schemas(with_events, event_keys) }
    }
}

impl engine_rule::AppCatalog for Bank {
    fn form(&self, key: &str) -> Option<&dyn Schema> {
        self.forms.iter().find(|(k, _)| k == key).map(|(_, s)| s as &dyn Schema)
    }

    fn event(&self, key: &str) -> Option<&dyn Schema> {
        self.events.iter().find(|(k, _)| k == key).map(|(_, s)| s as &dyn Schema)
    }

    fn role_exists(&self, key: &str) -> bool {
        folder("roles").iter().any(|r| r["key"] == key)
    }

    fn flow_exists(&self, key: &str) -> bool {
        folder("flows").iter().any(|f| f["key"] == key)
    }

    fn calendar_exists(&self, key: &str) -> bool {
        folder("calendars").iter().any(|c| c["key"] == key)
    }

    fn related_form(&self, from: &str, path: &[String]) -> Option<String> {
        let mut form = self.forms.iter().find(|(k, _)| k == from)?.1.form;
        for hop in path {
            let engine_form::FieldType::Relation { form: target, .. } = &form.field(hop)?.kind else { return None };
            form = self.forms.iter().find(|(k, _)| k == target)?.1.form;
        }
        Some(form.key.clone())
    }

    fn user_field(&self, _: &str) -> Option<String> {
        None
    }
}

impl FlowCatalog for Bank {
    fn task_form(&self, doc: &serde_json::Value) -> Result<engine_form::Form, Vec<engine_flow::Diagnostic>> {
        engine_form::lower_form(doc, self.forms[0].1.bundle)
    }
}
