//! Flow definitions: the bank CRM's follow-up SOP reads clean; broken flows report every
//! problem at its path and node (cases in `tests/data/invalid_flows.json`).

use std::path::PathBuf;

use engine_flow::{NodeKind, TimerSpec, parse_flow};
use serde_json::Value;

use crate::bank::{Bank, bank_crm, read};

#[test]
fn the_new_wealth_customer_sop_reads_clean() {
    let bank = Bank::load();
    let doc = read(bank_crm().join("flows/01_new_wealth_customer.json"));
    let flow =
        parse_flow(&doc, &bank).unwrap_or_else(|d| panic!("{}", serde_json::to_string_pretty(&d).unwrap_or_default()));
    assert_eq!(flow.subject.as_deref(), Some("wealth_holding"));
    assert_eq!(flow.nodes.len(), 15);
    let tasks: Vec<&str> =
        flow.nodes.iter().filter(|n| matches!(n.kind, NodeKind::UserTask(_))).map(|n| n.id.as_str()).collect();
    assert_eq!(tasks, ["call", "prepare", "present"], "birthdays are the customer's, not each holding's");
    let Some(NodeKind::Timer(TimerSpec::At { zone, time, .. })) = flow.node("maturity_minus_15").map(|n| &n.kind)
    else {
        panic!("a timer at a date");
    };
    assert_eq!((zone.as_deref(), time.to_string().as_str()), (Some("Asia/Shanghai"), "09:00:00"));
    let Some(NodeKind::UserTask(prepare)) = flow.node("prepare").map(|n| &n.kind) else { panic!("a task") };
    assert!(matches!(prepare.due_by, Some(TimerSpec::At { .. })), "due before the maturity date at the latest");
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
                let about = d.node.as_deref().map(|n| format!(" {n}")).unwrap_or_default();
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

#[test]
fn a_correlation_comparing_an_event_field_gives_the_wait_its_key() {
    let key = |text: &str| {
        let expr = engine_rule::parse(text).expect("parses");
        engine_flow::correlation_key(&expr).map(|(path, other)| (path.join("."), format!("{other:?}").contains("Path")))
    };
    assert_eq!(key("event.customer == customer"), Some(("customer".into(), true)));
    assert_eq!(key("customer.id == event.customer and event.amount > 0"), Some(("customer".into(), true)));
    assert_eq!(key("event.amount > 100 and event.account.customer == 12"), Some(("account.customer".into(), false)));
    assert_eq!(key("event.amount > 100"), None, "no equality");
    assert_eq!(key("event.customer == event.referrer"), None, "both sides read the event");
    assert_eq!(key("event.customer == customer or event.vip"), None, "an `or` may match without it");
}
