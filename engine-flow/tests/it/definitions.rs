//! Flow definitions: the bank CRM's follow-up SOP reads clean; broken flows report every
//! problem at its path and node (cases in `tests/data/invalid_flows.json`).

use std::path::PathBuf;

use engine_flow::{FlowCatalog, NodeKind, TimerSpec, parse_flow};
use engine_form::{Bundle, FormSchema};
use engine_rule::Schema;
use serde_json::{Value, json};

fn bank_crm() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/bank-crm")
}

fn read(path: PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON")
}

fn folder(kind: &str) -> Vec<Value> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(bank_crm().join(kind)).expect("folder").map(|e| e.expect("entry").path()).collect();
    files.sort();
    files.into_iter().map(read).collect()
}

/// The bank CRM as a flow sees it: its forms (and its events, read as forms).
struct Bank {
    forms: Vec<(String, FormSchema<'static>)>,
    events: Vec<(String, FormSchema<'static>)>,
}

impl Bank {
    fn load() -> Bank {
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

impl FlowCatalog for Bank {
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
}

#[test]
fn the_new_wealth_customer_sop_reads_clean() {
    let bank = Bank::load();
    let doc = read(bank_crm().join("flows/01_new_wealth_customer.json"));
    let flow =
        parse_flow(&doc, &bank).unwrap_or_else(|d| panic!("{}", serde_json::to_string_pretty(&d).unwrap_or_default()));
    assert_eq!(flow.subject.as_deref(), Some("wealth_holding"));
    assert_eq!(flow.nodes.len(), 17);
    let tasks: Vec<&str> =
        flow.nodes.iter().filter(|n| matches!(n.kind, NodeKind::UserTask(_))).map(|n| n.id.as_str()).collect();
    assert_eq!(tasks, ["call", "prepare", "present", "greet", "gift"]);
    let Some(NodeKind::Timer(TimerSpec::At { zone, time, .. })) = flow.node("maturity_minus_15").map(|n| &n.kind)
    else {
        panic!("a timer at a date");
    };
    assert_eq!((zone.as_deref(), time.to_string().as_str()), (Some("Asia/Shanghai"), "09:00:00"));
    assert_eq!(flow.outgoing("high_value").count(), 2);
}

#[test]
fn broken_flows_report_every_problem_at_its_node() {
    let bank = Bank::load();
    let cases = read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/invalid_flows.json"));
    for case in cases.as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let found = parse_flow(&case["flow"], &bank).err().unwrap_or_else(|| panic!("{name}: accepted"));
        let mut got: Vec<String> = found
            .iter()
            .map(|d| {
                let about = d.flow.as_deref().or(d.node.as_deref()).map(|n| format!(" {n}")).unwrap_or_default();
                format!("{} {}{about}", d.path, d.code)
            })
            .collect();
        got.sort();
        got.dedup();
        let want: Vec<&str> =
            case["diagnostics"].as_array().expect("diagnostics").iter().filter_map(Value::as_str).collect();
        assert_eq!(got, want, "{name}: {found:#?}");
    }
}

#[test]
fn the_published_schema_is_a_json_schema() {
    let schema = engine_flow::flow_schema();
    assert_eq!(schema["$id"], "https://trellis.dev/schema/flow.json");
    assert!(jsonschema::validator_for(schema).is_ok());
}
