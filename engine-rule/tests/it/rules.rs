//! Event rules: the bank's large-outflow alert and a tier-change rule, decided, explained
//! and keyed for idempotency; and a rule full of mistakes, every one reported.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use engine_rule::{Action, AppCatalog, Context, Priority, Schema, Trigger, Type, Value, firing_order, parse_rule};
use serde_json::json;

use super::support::{Sample, dec};

struct Bank {
    customer: Sample,
    alert: Sample,
    transaction: Sample,
}

impl AppCatalog for Bank {
    fn form(&self, key: &str) -> Option<&dyn Schema> {
        match key {
            "customer" => Some(&self.customer),
            "alert" => Some(&self.alert),
            _ => None,
        }
    }
    fn event(&self, name: &str) -> Option<&dyn Schema> {
        (name == "transaction").then_some(&self.transaction as &dyn Schema)
    }
    fn flow_exists(&self, _: &str) -> bool {
        false
    }
    fn related_form(&self, from: &str, path: &[String]) -> Option<String> {
        (matches!(from, "transaction" | "alert") && path == ["customer"]).then(|| "customer".to_owned())
    }
    fn role_exists(&self, _: &str) -> bool {
        true
    }
    fn calendar_exists(&self, _: &str) -> bool {
        false
    }
    fn user_field(&self, _: &str) -> Option<String> {
        None
    }
}

fn bank() -> Bank {
    Bank {
        customer: Sample::schema([
            ("name", Type::Text),
            ("tier", Type::Text),
            ("aum", Type::Decimal),
            ("relationship_manager", Type::Integer),
            ("mobile", Type::Text),
        ]),
        alert: Sample::schema([("customer", Type::Integer), ("kind", Type::Text), ("amount", Type::Decimal)]),
        transaction: Sample::schema([
            ("customer", Type::Integer),
            ("customer_name", Type::Text),
            ("customer_aum", Type::Decimal),
            ("relationship_manager", Type::Integer),
            ("direction", Type::Text),
            ("amount", Type::Decimal),
        ]),
    }
}

fn ctx() -> Context<'static> {
    Context::at(
        DateTime::<Utc>::from_str("2026-11-28T02:15:00Z").expect("now"),
        NaiveDate::from_ymd_opt(2026, 11, 28).expect("date"),
    )
}

fn large_outflow() -> serde_json::Value {
    json!({
        "key": "large_outflow", "priority": 10,
        "trigger": { "on": "event", "event": "transaction" },
        "condition": "direction == 'out' and amount > customer_aum * 0.3",
        "actions": [
            { "type": "create_task", "title": "'Large outflow: ' & customer_name", "assignee": "relationship_manager", "priority": "high", "due_in_hours": 2 },
            { "type": "create_record", "form": "alert", "values": { "customer": "customer", "kind": "'large_outflow'", "amount": "amount" } }
        ]
    })
}

#[test]
fn a_large_outflow_raises_an_alert_and_a_task_due_in_two_hours() {
    let rule = parse_rule(&large_outflow(), 3, &bank()).expect("valid rule");
    let payload = Sample::record([
        ("customer", Value::Integer(1)),
        ("customer_name", Value::Text("李伟".into())),
        ("customer_aum", dec("12800000.00")),
        ("relationship_manager", Value::Integer(7)),
        ("direction", Value::Text("out".into())),
        ("amount", dec("4200000.00")),
    ]);
    let trigger = Trigger::Event { name: "transaction", event_id: "tx-889", payload: &payload };
    let firing = rule.fire(&trigger, &ctx()).expect("evaluates").expect("fires");
    assert_eq!(firing.idempotency_key, "large_outflow:3:event:transaction:tx-889");
    assert_eq!(firing.rule_version, 3);
    assert_eq!(
        firing.read,
        vec![
            ("direction".into(), Value::Text("out".into())),
            ("amount".into(), dec("4200000.00")),
            ("customer_aum".into(), dec("12800000.00"))
        ],
        "the explanation lists every value the condition read"
    );
    assert_eq!(
        firing.actions,
        vec![
            Action::CreateTask {
                title: "Large outflow: 李伟".into(),
                titles: Default::default(),
                assignee: serde_json::json!(7),
                priority: Priority::High,
                due_at: DateTime::<Utc>::from_str("2026-11-28T04:15:00Z").expect("due"),
                remind_at: None,
                fallback_role: None,
                fallback_unit: None,
            },
            Action::CreateRecord {
                form: "alert".into(),
                values: serde_json::from_value(serde_json::json!({
                    "customer": 1, "kind": "large_outflow", "amount": "4200000.00"
                }))
                .expect("values"),
            },
        ]
    );
    assert_eq!(
        rule.fire(&trigger, &ctx()).expect("again").map(|f| f.idempotency_key),
        Some(firing.idempotency_key),
        "same trigger, same key"
    );

    let small = Sample::record([
        ("direction", Value::Text("out".into())),
        ("amount", dec("3840000.00")),
        ("customer_aum", dec("12800000.00")),
    ]);
    assert_eq!(
        rule.fire(&Trigger::Event { name: "transaction", event_id: "tx-890", payload: &small }, &ctx())
            .expect("evaluates"),
        None,
        "exactly 30% is not more"
    );
    let other = Trigger::Event { name: "login", event_id: "l-1", payload: &small };
    assert_eq!(rule.fire(&other, &ctx()).expect("evaluates"), None, "other events are not for this rule");
}

#[test]
fn a_tier_change_is_seen_through_old_values() {
    let doc = json!({
        "key": "became_hnw",
        "trigger": { "on": "updated", "form": "customer" },
        "condition": "old.tier != 'hnw' and tier == 'hnw'",
        "actions": [ { "type": "notify", "channel": "sms", "to": "mobile", "message": "'尊敬的' & name & '，欢迎成为私人银行客户'" } ]
    });
    let rule = parse_rule(&doc, 1, &bank()).expect("valid rule");
    let before = Sample::record([("tier", Value::Text("affluent".into())), ("name", Value::Text("陈静".into()))]);
    let after = Sample::record([
        ("tier", Value::Text("hnw".into())),
        ("name", Value::Text("陈静".into())),
        ("mobile", Value::Text("13800138000".into())),
    ]);
    let firing = rule
        .fire(&Trigger::Updated { id: 2, version: 5, before: &before, after: &after }, &ctx())
        .expect("evaluates")
        .expect("fires");
    assert_eq!(firing.idempotency_key, "became_hnw:1:updated:2:5");
    assert_eq!(
        firing.read,
        vec![("old.tier".into(), Value::Text("affluent".into())), ("tier".into(), Value::Text("hnw".into()))]
    );
    assert!(
        matches!(&firing.actions[0], Action::Notify { message, .. } if message == "尊敬的陈静，欢迎成为私人银行客户")
    );
    let unchanged =
        rule.fire(&Trigger::Updated { id: 2, version: 6, before: &after, after: &after }, &ctx()).expect("evaluates");
    assert_eq!(unchanged, None, "staying HNW is not becoming HNW");
    assert_eq!(rule.fire(&Trigger::Created { id: 2, version: 1, record: &after }, &ctx()).expect("evaluates"), None);
}

#[test]
fn a_bad_rule_reports_every_mistake() {
    let doc = json!({
        "key": "bad",
        "trigger": { "on": "event", "event": "transaction" },
        "condition": "amount > 'x'",
        "actions": [
            { "type": "create_task", "title": "amount", "assignee": "nobody", "priority": "urgent" },
            { "type": "update_fields", "set": { "tier": "'hnw'" } },
            { "type": "create_record", "form": "alert", "values": { "kind": "1", "ghost": "1" } },
            { "type": "start_process", "flow": "wealth_followup" },
            { "type": "notify", "channel": "fax", "to": "customer", "message": "'hi'", "cc": "x" },
            { "type": "teleport" }
        ]
    });
    let diags = parse_rule(&doc, 1, &bank()).expect_err("full of mistakes");
    let mut got: Vec<(String, &str)> = diags.iter().map(|d| (d.path.clone(), d.code)).collect();
    got.sort();
    let mut want: Vec<(String, &str)> = [
        ("/condition", "type_mismatch"),
        ("/actions/0/priority", "bad_value"),
        ("/actions/0/title", "type_mismatch"),
        ("/actions/0/assignee", "unknown_field"),
        ("/actions/1/type", "not_applicable"),
        ("/actions/2/values/kind", "type_mismatch"),
        ("/actions/2/values/ghost", "unknown_field"),
        ("/actions/3/flow", "unknown_flow"),
        ("/actions/4/cc", "unknown_property"),
        ("/actions/4/channel", "bad_value"),
        ("/actions/5/type", "unknown_action"),
    ]
    .map(|(p, c)| (p.to_owned(), c))
    .to_vec();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn rules_fire_by_priority_then_key() {
    let catalog = bank();
    let rule = |key: &str, priority: i64| {
        parse_rule(
            &json!({ "key": key, "priority": priority, "trigger": { "on": "created", "form": "customer" } }),
            1,
            &catalog,
        )
        .expect("valid")
    };
    let mut rules = vec![rule("b", 1), rule("a", 1), rule("z", 9)];
    firing_order(&mut rules);
    assert_eq!(rules.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["z", "a", "b"]);
}

#[test]
fn a_saved_rule_sees_creates_and_updates_and_once_per_keys_a_firing_by_its_value() {
    let doc = json!({
        "key": "dormant",
        "trigger": { "on": "saved", "form": "customer" },
        "condition": "tier == 'hnw' and coalesce(old.tier, '') != 'hnw'",
        "once_per": "name & '/' & year(today_in('Asia/Shanghai'))",
        "actions": [ { "type": "notify", "channel": "sms", "to": "mobile", "message": "'hello ' & name" } ]
    });
    let rule = parse_rule(&doc, 4, &bank()).expect("valid rule");
    let hnw = Sample::record([("tier", Value::Text("hnw".into())), ("name", Value::Text("陈静".into()))]);
    let mass = Sample::record([("tier", Value::Text("mass".into())), ("name", Value::Text("陈静".into()))]);
    // On a create `old.` fields are null, so the record becomes HNW as it is created.
    let created = rule.fire(&Trigger::Created { id: 9, version: 1, record: &hnw }, &ctx()).expect("evaluates");
    let created = created.expect("a saved rule fires on a create");
    assert_eq!(created.idempotency_key, "dormant:once:9:陈静/2026", "no version: publishing again keeps the key");
    assert_eq!(created.read.last(), Some(&("once_per".to_owned(), Value::Text("陈静/2026".into()))));
    let updated = rule.fire(&Trigger::Updated { id: 9, version: 3, before: &mass, after: &hnw }, &ctx());
    let updated = updated.expect("evaluates").expect("and on an update");
    assert_eq!(updated.idempotency_key, created.idempotency_key, "the same value, the same key: the server fires once");
    let next_year = Context::at(
        DateTime::<Utc>::from_str("2027-01-02T02:15:00Z").expect("now"),
        NaiveDate::from_ymd_opt(2027, 1, 2).expect("date"),
    );
    let later = rule.fire(&Trigger::Updated { id: 9, version: 5, before: &mass, after: &hnw }, &next_year);
    assert_eq!(later.expect("evaluates").expect("fires").idempotency_key, "dormant:once:9:陈静/2027");
    assert!(rule.fire(&Trigger::Deleted { id: 9, version: 5, before: &hnw }, &ctx()).expect("evaluates").is_none());

    let bad = json!({ "key": "x", "trigger": { "on": "saved", "form": "customer" }, "once_per": "nosuch + 1" });
    let errors = parse_rule(&bad, 1, &bank()).expect_err("an unknown field");
    assert_eq!(errors[0].path, "/once_per", "{errors:?}");
}
