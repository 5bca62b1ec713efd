//! A whole app's metadata checked as one: its forms by engine-form, then its rules by
//! engine-rule against those forms. Every problem comes back, each with its JSON path in
//! the app bundle (`/forms/2/fields/0/type`, `/rules/1/condition`).

use std::collections::HashSet;

use engine_form::{Bundle, Diagnostic, Form, FormSchema, parse_bundle, zoneless_today};
use engine_rule::{DecisionTable, EventRule, RuleCatalog, Schema, Type};
use serde_json::Value;

/// A checked app: its forms, the events it receives, and its rules.
#[derive(Debug)]
pub struct AppMeta {
    pub bundle: Bundle,
    /// Each event's data, declared with fields like a form (and stored in no table).
    pub events: Vec<Form>,
    /// Decision tables, each on a form.
    pub decisions: Vec<Decision>,
    /// In firing order: higher priority first, then by key.
    pub rules: Vec<EventRule>,
    /// App roles: what each may do to which records and fields.
    pub roles: Vec<crate::access::Role>,
    /// Processes (engine-flow), checked against the forms, events, roles and calendars.
    pub flows: Vec<engine_flow::Flow>,
}

/// A decision table evaluated on records of `form`: rules read its outputs as
/// `table.output` (`customer_tier.tier`).
#[derive(Debug)]
pub struct Decision {
    pub form: String,
    pub table: DecisionTable,
    /// Each output as one expression (`DecisionTable::as_expression`), for the database:
    /// `customer_tier.tier` in a list filter or a scheduled scan.
    pub expressions: Vec<(String, engine_rule::Expr)>,
}

impl Decision {
    fn new(form: String, table: DecisionTable) -> Decision {
        let expressions =
            table.output_keys().filter_map(|output| Some((output.to_owned(), table.as_expression(output)?))).collect();
        Decision { form, table, expressions }
    }

    /// `output` as one expression, if the table has one for it.
    pub fn expression(&self, output: &str) -> Option<&engine_rule::Expr> {
        self.expressions.iter().find(|(k, _)| k == output).map(|(_, e)| e)
    }
}

/// A form's fields, plus the outputs of the decision tables on it.
struct WithDecisions<'a> {
    fields: FormSchema<'a>,
    decisions: Vec<&'a DecisionTable>,
}

fn with_decisions<'a>(bundle: &'a Bundle, decisions: &'a [Decision], form: &'a Form) -> WithDecisions<'a> {
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

impl AppMeta {
    pub fn rule(&self, key: &str) -> Option<&EventRule> {
        self.rules.iter().find(|r| r.key == key)
    }
}

struct Catalog<'a> {
    bundle: &'a Bundle,
    forms: Vec<(&'a str, WithDecisions<'a>)>,
    events: Vec<(&'a str, FormSchema<'a>)>,
    /// The keys of the app's flows and roles, as the document declares them.
    flows: Vec<&'a str>,
    roles: Vec<&'a str>,
}

impl engine_flow::FlowCatalog for Catalog<'_> {
    fn form(&self, key: &str) -> Option<&dyn Schema> {
        RuleCatalog::form(self, key)
    }

    fn event(&self, key: &str) -> Option<&dyn Schema> {
        RuleCatalog::event(self, key)
    }

    fn role_exists(&self, key: &str) -> bool {
        self.roles.contains(&key)
    }

    fn flow_exists(&self, key: &str) -> bool {
        self.flows.contains(&key)
    }

    fn calendar_exists(&self, key: &str) -> bool {
        self.bundle.calendars.contains_key(key)
    }

    fn related_form(&self, from: &str, path: &[String]) -> Option<String> {
        engine_rule::RuleCatalog::related_form(self, from, path)
    }
}

impl RuleCatalog for Catalog<'_> {
    fn form(&self, key: &str) -> Option<&dyn Schema> {
        self.forms.iter().find(|(k, _)| *k == key).map(|(_, s)| s as &dyn Schema)
    }

    fn event(&self, name: &str) -> Option<&dyn Schema> {
        self.events.iter().find(|(k, _)| *k == name).map(|(_, s)| s as &dyn Schema)
    }

    fn flow_exists(&self, key: &str) -> bool {
        self.flows.contains(&key)
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
}

/// Checks the bundle document `doc`; its rules are stamped with the app `version` they
/// will be published as.
pub fn check_app(doc: &Value, version: i64) -> Result<AppMeta, Vec<Diagnostic>> {
    let bundle = parse_bundle(doc)?;
    let (events, mut diags) = check_events(doc, &bundle);
    let decisions = check_decisions(doc, &bundle, &mut diags);
    let schema = |form| FormSchema { bundle: &bundle, form };
    let catalog = Catalog {
        bundle: &bundle,
        forms: bundle.forms.iter().map(|form| (form.key.as_str(), with_decisions(&bundle, &decisions, form))).collect(),
        events: events.iter().map(|form: &Form| (form.key.as_str(), schema(form))).collect(),
        flows: keys_of(doc, "flows"),
        roles: keys_of(doc, "roles"),
    };
    let mut rules = Vec::new();
    let mut keys = HashSet::new();
    for (i, rule_doc) in doc.get("rules").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let base = format!("/rules/{i}");
        let key = rule_doc.get("key").and_then(Value::as_str).unwrap_or("");
        if !crate::meta::is_key(key) {
            diags.push(Diagnostic::new(format!("{base}/key"), "bad_key", "a rule's key is a lower-case identifier"));
        } else if !keys.insert(key.to_owned()) {
            diags.push(Diagnostic::new(format!("{base}/key"), "duplicate", format!("two rules are called `{key}`")));
        }
        if let Some(condition) = rule_doc.get("condition").and_then(Value::as_str)
            && let Ok(expr) = engine_rule::parse(condition)
            && let Some(call) = zoneless_today(&expr)
        {
            diags.push(Diagnostic::new(
                format!("{base}/condition"),
                "type_mismatch",
                format!(
                    "today() depends on a time zone; name it, e.g. today_in('Asia/Shanghai') (at {}..{})",
                    call.span.start, call.span.end
                ),
            ));
        }
        match engine_rule::parse_rule(rule_doc, version, &catalog) {
            Ok(rule) => rules.push(rule),
            Err(found) => diags.extend(found.into_iter().map(|d| {
                let at = d.span.map(|s| format!(" (at {}..{})", s.start, s.end)).unwrap_or_default();
                Diagnostic::new(format!("{base}{}", d.path), d.code, format!("{}{at}", d.message))
            })),
        }
    }
    engine_rule::firing_order(&mut rules);
    let (mut flows, mut positions) = (Vec::new(), Vec::new());
    for (i, flow_doc) in doc.get("flows").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let key = flow_doc.get("key").and_then(Value::as_str).unwrap_or("");
        if keys_of(doc, "flows").iter().filter(|k| **k == key).count() > 1 {
            diags.push(Diagnostic::new(
                format!("/flows/{i}/key"),
                "duplicate",
                format!("two flows are called `{key}`"),
            ));
        }
        match engine_flow::parse_flow(flow_doc, &catalog) {
            Ok(flow) => {
                positions.push(i);
                flows.push(flow);
            }
            Err(found) => diags.extend(found.into_iter().map(|d| {
                let about = d.node.or(d.flow).map(|n| format!(" (`{n}`)")).unwrap_or_default();
                Diagnostic::new(format!("/flows/{i}{}", d.path), d.code, format!("{}{about}", d.message))
            })),
        }
    }
    drop(catalog);
    diags.extend(check_links(&flows, &positions));
    let roles = crate::access::check_roles(doc, &bundle, &mut diags);
    if diags.is_empty() { Ok(AppMeta { bundle, events, decisions, rules, roles, flows }) } else { Err(diags) }
}

/// A flow another one starts (as a sub-process or a service step) follows that one's
/// record, or none: it cannot be handed a record of another form.
fn check_links(flows: &[engine_flow::Flow], positions: &[usize]) -> Vec<Diagnostic> {
    use engine_flow::NodeKind;
    use engine_rule::ActionSpec;
    let mut out = Vec::new();
    for (flow, i) in flows.iter().zip(positions) {
        for (j, node) in flow.nodes.iter().enumerate() {
            let started = match &node.kind {
                NodeKind::SubProcess { flow } | NodeKind::Service(ActionSpec::StartProcess { flow }) => flow,
                _ => continue,
            };
            let Some(target) = flows.iter().find(|f| f.key == *started) else { continue };
            if let Some(wanted) = &target.subject
                && flow.subject.as_ref() != Some(wanted)
            {
                out.push(Diagnostic::new(
                    format!("/flows/{i}/nodes/{j}"),
                    "subject_mismatch",
                    format!("`{}`: `{started}` follows a `{wanted}` record, which this flow does not", node.id),
                ));
            }
        }
    }
    out
}

/// The `key`s of the documents of `kind` in the bundle.
fn keys_of<'d>(doc: &'d Value, kind: &str) -> Vec<&'d str> {
    doc.get(kind).and_then(Value::as_array).into_iter().flatten().filter_map(|d| d["key"].as_str()).collect()
}

/// Checks each decision table against the fields of the form it names (`form`).
fn check_decisions(doc: &Value, bundle: &Bundle, diags: &mut Vec<Diagnostic>) -> Vec<Decision> {
    let mut decisions: Vec<Decision> = Vec::new();
    for (i, table) in doc.get("decisions").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let base = format!("/decisions/{i}");
        let form_key = table.get("form").and_then(Value::as_str).unwrap_or("");
        let Some(form) = bundle.form(form_key) else {
            diags.push(Diagnostic::new(
                format!("{base}/form"),
                "unknown_form",
                format!("there is no form `{form_key}`"),
            ));
            continue;
        };
        let mut table = table.clone();
        if let Some(fields) = table.as_object_mut() {
            fields.remove("form");
        }
        match engine_rule::parse_table(&table, &FormSchema { bundle, form }) {
            Ok(parsed) if decisions.iter().any(|d| d.table.key == parsed.key) => diags.push(Diagnostic::new(
                format!("{base}/key"),
                "duplicate",
                format!("two decision tables are called `{}`", parsed.key),
            )),
            Ok(parsed) => decisions.push(Decision::new(form.key.clone(), parsed)),
            Err(found) => diags.extend(found.into_iter().map(|d| {
                let at = d.span.map(|s| format!(" (at {}..{})", s.start, s.end)).unwrap_or_default();
                Diagnostic::new(format!("{base}{}", d.path), d.code, format!("{}{at}", d.message))
            })),
        }
    }
    decisions
}

/// Checks each event's fields as engine-form checks a form's, with the app's forms beside
/// it so its relations resolve; diagnostics point into `/events/{i}`.
fn check_events(doc: &Value, bundle: &Bundle) -> (Vec<Form>, Vec<Diagnostic>) {
    let (mut events, mut diags) = (Vec::new(), Vec::new());
    let forms = doc.get("forms").and_then(Value::as_array).cloned().unwrap_or_default();
    for (i, event) in doc.get("events").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let base = format!("/events/{i}");
        let key = event.get("key").and_then(Value::as_str).unwrap_or("");
        if bundle.form(key).is_some() {
            diags.push(Diagnostic::new(format!("{base}/key"), "duplicate", format!("a form is called `{key}` too")));
            continue;
        }
        let mut all = forms.clone();
        all.push(event.clone());
        let probe = serde_json::json!({ "key": bundle.key, "name": doc["name"], "forms": all });
        match parse_bundle(&probe) {
            Ok(mut checked) => events.extend(checked.forms.pop()),
            Err(found) => diags.extend(found.into_iter().map(|d| {
                let path = d.path.replacen(&format!("/forms/{}", forms.len()), &base, 1);
                Diagnostic::new(path, d.code, d.message)
            })),
        }
    }
    (events, diags)
}
