//! The app's rules, each checked against the forms and events it reads, in firing order.

use std::collections::HashSet;

use engine_form::{Diagnostic, zoneless_today};
use engine_rule::EventRule;
use serde_json::Value;

use crate::catalog::Catalog;

pub(crate) fn check_rules(
    doc: &Value,
    version: i64,
    catalog: &Catalog<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<EventRule> {
    let mut rules = Vec::new();
    let mut keys = HashSet::new();
    for (i, rule_doc) in doc.get("rules").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let base = format!("/rules/{i}");
        let key = rule_doc.get("key").and_then(Value::as_str).unwrap_or("");
        if !crate::is_key(key) {
            diags.push(Diagnostic::new(format!("{base}/key"), "bad_key", "a rule's key is a lower-case identifier"));
        } else if !keys.insert(key.to_owned()) {
            diags.push(Diagnostic::new(format!("{base}/key"), "duplicate", format!("two rules are called `{key}`")));
        }
        if let Some(condition) = rule_doc.get("condition").and_then(Value::as_str)
            && let Ok(expr) = engine_rule::parse(condition)
            && let Some(call) = zoneless_today(&expr)
        {
            let message = "today() depends on a time zone; name it, e.g. today_in('Asia/Shanghai')";
            diags.push(Diagnostic::new("/condition", "zone_needed", message).at(call.span).under(&base));
        }
        match engine_rule::parse_rule(rule_doc, version, catalog) {
            Ok(rule) => rules.push(rule),
            Err(found) => diags.extend(found.into_iter().map(|d| d.under(&base))),
        }
    }
    engine_rule::firing_order(&mut rules);
    rules
}
