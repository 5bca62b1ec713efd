//! Reading a flow document: its shape against the published JSON Schema, then each node,
//! flow and expression, every reference resolved through the app's catalog. Every
//! problem is reported, each with its path and node.

use engine_rule::{Schema, Type};
use serde_json::Value;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::{
    Duration, Edge, Escalation, EscalationAction, Flow, Node, NodeKind, Priority, StartTrigger, TimerSpec, UserTask,
};
use crate::scope::FlowScope;

/// What a flow may refer to in its app: the app (`engine_rule::AppCatalog`), and how a
/// task's form is checked (engine-form, which engine-rule does not know).
pub trait FlowCatalog: engine_rule::AppCatalog {
    /// A task's form (`{"key", "label", "fields"}`), checked as engine-form checks a form
    /// whose relations link to the app's forms; diagnostics at their paths in it.
    fn task_form(&self, doc: &Value) -> Result<engine_form::Form, Vec<Diagnostic>>;
}

/// Checks a flow document and lowers it, or returns every problem found.
pub fn parse_flow(doc: &Value, catalog: &dyn FlowCatalog) -> Result<Flow, Vec<Diagnostic>> {
    let mut diags = Diagnostics::new(doc);
    diags.extend(crate::schema::check_shape(doc));
    if !diags.is_empty() {
        return Err(diags.finish());
    }
    let key = doc["key"].as_str().unwrap_or_default().to_owned();
    let subject = doc.get("subject").and_then(Value::as_str).map(str::to_owned);
    if let Some(form) = &subject
        && catalog.form(form).is_none()
    {
        diags.push("/subject", "unknown_form", format!("there is no form `{form}`"));
    }
    let raw_nodes = doc["nodes"].as_array().cloned().unwrap_or_default();
    let scope = FlowScope::new(subject.as_deref().and_then(|s| catalog.form(s)), &raw_nodes, catalog);
    let mut nodes: Vec<Node> = Vec::new();
    for (i, raw) in raw_nodes.iter().enumerate() {
        let at = format!("/nodes/{i}");
        let id = raw["id"].as_str().unwrap_or_default().to_owned();
        if nodes.iter().any(|n| n.id == id) {
            diags.push(format!("{at}/id"), "duplicate", format!("two nodes are called `{id}`"));
            continue;
        }
        if let Some(kind) = lower_node(raw, &at, subject.as_deref(), &scope, catalog, &mut diags) {
            nodes.push(Node { id, kind });
        }
    }
    let mut edges: Vec<Edge> = Vec::new();
    for (i, raw) in doc["flows"].as_array().into_iter().flatten().enumerate() {
        let at = format!("/flows/{i}");
        let (from, to) = (raw["from"].as_str().unwrap_or_default(), raw["to"].as_str().unwrap_or_default());
        let id = raw.get("id").and_then(Value::as_str).map_or_else(|| format!("{from}_to_{to}"), str::to_owned);
        if edges.iter().any(|e| e.id == id) {
            diags.push(format!("{at}/id"), "duplicate", format!("two flows are called `{id}`"));
        }
        let from_kind = raw_nodes.iter().find(|n| n["id"] == from).map(|n| n["type"].as_str().unwrap_or_default());
        for (end, name) in [("from", from), ("to", to)] {
            if !raw_nodes.iter().any(|n| n["id"] == name) {
                diags.push(format!("{at}/{end}"), "unknown_node", format!("there is no node `{name}`"));
            }
        }
        let from_exclusive = from_kind == Some("exclusive");
        let default = raw.get("default").and_then(Value::as_bool).unwrap_or(false);
        if (default || raw.get("condition").is_some()) && !from_exclusive && from_kind.is_some() {
            diags.push(
                format!("{at}/condition"),
                "condition_outside_gateway",
                "only flows leaving an exclusive gateway take a condition or `default`",
            );
        }
        let condition =
            raw.get("condition").and_then(|c| diags.expr(&format!("{at}/condition"), c, &scope, &Type::Bool));
        edges.push(Edge { id, from: from.to_owned(), to: to.to_owned(), condition, default });
    }
    let label = doc["label"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(language, text)| Some((language.clone(), text.as_str()?.to_owned())))
        .collect();
    let flow = Flow { key, label, subject, nodes, edges };
    if diags.is_empty() {
        diags.extend(crate::graph::check(&flow));
    }
    if diags.is_empty() { Ok(flow) } else { Err(diags.finish()) }
}

fn lower_node(
    raw: &Value,
    at: &str,
    subject: Option<&str>,
    scope: &FlowScope<'_>,
    catalog: &dyn FlowCatalog,
    diags: &mut Diagnostics,
) -> Option<NodeKind> {
    let text = |key: &str| raw.get(key).and_then(Value::as_str);
    Some(match text("type").unwrap_or_default() {
        "start" => NodeKind::Start(lower_start(raw, at, subject.is_some(), scope, catalog, diags)),
        "end" => NodeKind::End,
        "exclusive" => NodeKind::Exclusive,
        "parallel" => NodeKind::Parallel,
        "join" => NodeKind::Join,
        "user_task" => NodeKind::UserTask(Box::new(lower_task(raw, at, scope, catalog, diags)?)),
        "service" => {
            let actions = Actions { scope, subject, catalog };
            let mut found = Vec::new();
            let action = engine_rule::lower_action(&raw["action"], &format!("{at}/action"), &actions, &mut found);
            diags.extend(found);
            NodeKind::Service(action?)
        }
        "timer" => NodeKind::Timer(lower_timer(raw, at, scope, catalog, diags)?),
        "subprocess" => {
            let flow = text("flow").unwrap_or_default().to_owned();
            if !catalog.flow_exists(&flow) {
                diags.push(format!("{at}/flow"), "unknown_flow", format!("there is no flow `{flow}`"));
            }
            NodeKind::SubProcess { flow }
        }
        "message" => {
            let event = text("event").unwrap_or_default().to_owned();
            if catalog.event(&event).is_none() {
                diags.push(format!("{at}/event"), "unknown_event", format!("there is no event `{event}`"));
                return None;
            }
            let with_event = scope.with_event(catalog.event(&event));
            let correlation = raw
                .get("correlation")
                .and_then(|c| diags.expr(&format!("{at}/correlation"), c, &with_event, &Type::Bool));
            let key = correlation.as_ref().and_then(crate::model::correlation_key);
            NodeKind::Message { event, correlation, key }
        }
        _ => return None,
    })
}

fn lower_start(
    raw: &Value,
    at: &str,
    has_subject: bool,
    scope: &FlowScope<'_>,
    catalog: &dyn FlowCatalog,
    diags: &mut Diagnostics,
) -> StartTrigger {
    let text = |key: &str| raw.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let on = raw.get("on").and_then(Value::as_str).unwrap_or("manual");
    if matches!(on, "created" | "updated") && !has_subject {
        diags.push(format!("{at}/on"), "no_subject", "a flow started by record changes names its `subject` form");
    }
    let condition = raw.get("condition").and_then(|c| diags.expr(&format!("{at}/condition"), c, scope, &Type::Bool));
    match on {
        "created" => StartTrigger::Created { condition },
        "updated" => StartTrigger::Updated { condition },
        "event" => {
            let event = text("event");
            let schema = catalog.event(&event);
            if schema.is_none() {
                diags.push(format!("{at}/event"), "unknown_event", format!("there is no event `{event}`"));
            }
            let subject = match raw.get("subject") {
                Some(expr) => diags.expr(&format!("{at}/subject"), expr, &scope.with_event(schema), &Type::Any),
                None if has_subject => {
                    diags.push(
                        format!("{at}/subject"),
                        "no_subject",
                        "a flow that follows a record and starts on an event says which record: `subject`, e.g. `event.customer`",
                    );
                    None
                }
                None => None,
            };
            StartTrigger::Event { event, subject }
        }
        "schedule" => {
            if has_subject {
                diags.push(
                    format!("{at}/on"),
                    "subject_on_schedule",
                    "a flow started on a schedule follows no record; a scheduled rule starts one for each record it finds",
                );
            }
            let (cron, zone) = (text("cron"), text("zone"));
            if engine_rule::Schedule::parse(&cron, &zone).is_err() {
                diags.push(format!("{at}/cron"), "bad_schedule", "a five-field cron expression and an IANA zone");
            }
            StartTrigger::Schedule { cron, zone }
        }
        _ => StartTrigger::Manual,
    }
}

fn lower_task(
    raw: &Value,
    at: &str,
    scope: &FlowScope<'_>,
    catalog: &dyn FlowCatalog,
    diags: &mut Diagnostics,
) -> Option<UserTask> {
    // Every part is checked before a missing one gives up, so all problems are reported.
    let title = diags.text(&format!("{at}/title"), &raw["title"], scope);
    let assignee = raw.get("assignee").and_then(|a| diags.expr(&format!("{at}/assignee"), a, scope, &Type::Text));
    let candidates = raw.get("candidates");
    let candidate_role = candidates.and_then(|c| c.get("role")).and_then(Value::as_str).map(str::to_owned);
    if let Some(role) = &candidate_role
        && !catalog.role_exists(role)
    {
        diags.push(format!("{at}/candidates/role"), "unknown_role", format!("there is no role `{role}`"));
    }
    let candidate_unit = candidates
        .and_then(|c| c.get("org_unit"))
        .and_then(|u| diags.expr(&format!("{at}/candidates/org_unit"), u, scope, &Type::Text));
    if raw.get("assignee").is_none() && candidates.is_none() {
        diags.push(at.to_owned(), "no_assignee", "a task names an `assignee` or `candidates`");
    }
    let priority = match raw.get("priority").and_then(Value::as_str) {
        Some("low") => Priority::Low,
        Some("high") => Priority::High,
        _ => Priority::Normal,
    };
    let due = raw.get("due").map(|d| duration(d, &format!("{at}/due"), catalog, diags));
    let due_by = raw.get("due_by").and_then(|d| lower_timer(d, &format!("{at}/due_by"), scope, catalog, diags));
    let mut escalations = Vec::new();
    for (j, e) in raw.pointer("/sla/escalations").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let here = format!("{at}/sla/escalations/{j}");
        let after = duration(&e["after"], &format!("{here}/after"), catalog, diags);
        let action = match e["action"].as_str() {
            Some("remind") => EscalationAction::Remind,
            Some("escalate") => EscalationAction::Escalate,
            _ => match e.get("to") {
                Some(to) => {
                    EscalationAction::Reassign { to: diags.expr(&format!("{here}/to"), to, scope, &Type::Text)? }
                }
                None => {
                    diags.push(format!("{here}/to"), "required", "a reassignment names who `to`");
                    continue;
                }
            },
        };
        escalations.push(Escalation { after, action });
    }
    let fields = raw.get("fields").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut misplaced = false;
    for (k, field) in fields.iter().enumerate() {
        // A task records what was done: values and files, not rows or computations.
        if matches!(field["type"].as_str(), Some("sub_table" | "formula")) {
            misplaced = true;
            diags.push(
                format!("{at}/fields/{k}/type"),
                "not_in_task_form",
                "a task form holds values and files; sub-tables and formulas belong on forms",
            );
        }
    }
    let label: engine_form::Labels =
        [("zh-CN", "任务"), ("en", "Task")].map(|(l, t)| (l.to_owned(), t.to_owned())).into();
    let form = if misplaced {
        None
    } else if fields.is_empty() {
        // A task that only asks for an outcome.
        let (title_field, fields, validations) = (None, Vec::new(), Vec::new());
        Some(engine_form::Form {
            key: "task_form".into(),
            label,
            title_field,
            user_field: None,
            opt_out: None,
            fields,
            validations,
        })
    } else {
        let doc = serde_json::json!({ "key": "task_form", "label": label, "fields": fields });
        match catalog.task_form(&doc) {
            Ok(form) => Some(form),
            Err(found) => {
                diags.extend(found.into_iter().map(|d| d.under(at)));
                None
            }
        }
    };
    // Each a key, or a key with its labels.
    let mut outcome_labels = std::collections::BTreeMap::new();
    let mut outcomes = Vec::new();
    for outcome in raw.get("outcomes").and_then(Value::as_array).into_iter().flatten() {
        let key = outcome.as_str().or_else(|| outcome.get("key").and_then(Value::as_str));
        let Some(key) = key else { continue };
        outcomes.push(key.to_owned());
        if let Ok(label) = serde_json::from_value::<engine_form::Labels>(outcome["label"].clone()) {
            outcome_labels.insert(key.to_owned(), label);
        }
    }
    Some(UserTask {
        title: title?,
        assignee,
        candidate_role,
        candidate_unit,
        priority,
        due,
        due_by,
        fields,
        form: form?,
        outcomes,
        outcome_labels,
        escalations,
    })
}

fn lower_timer(
    raw: &Value,
    at: &str,
    scope: &FlowScope<'_>,
    catalog: &dyn FlowCatalog,
    diags: &mut Diagnostics,
) -> Option<TimerSpec> {
    match (raw.get("after"), raw.get("at")) {
        (Some(after), None) => Some(TimerSpec::After(duration(after, &format!("{at}/after"), catalog, diags))),
        (None, Some(expr)) => {
            let here = format!("{at}/at");
            let at_expr = diags.expr(&here, expr, scope, &Type::Any)?;
            let zone = raw.get("zone").and_then(Value::as_str).map(str::to_owned);
            if let Some(z) = &zone
                && engine_rule::zone(z).is_none()
            {
                diags.push(format!("{at}/zone"), "bad_zone", format!("`{z}` is not an IANA time zone"));
            }
            match engine_rule::check(&at_expr, scope) {
                Ok(Type::Date) if zone.is_none() => {
                    diags.push(format!("{at}/zone"), "required", "a timer at a date names the `zone` its day is in");
                }
                Ok(Type::Date | Type::DateTime | Type::Null | Type::Any) => {}
                Ok(other) => diags.push(here, "type_mismatch", format!("a date or a date-time, not {other}")),
                Err(_) => {}
            }
            let time = raw
                .get("time")
                .and_then(Value::as_str)
                .and_then(|t| chrono::NaiveTime::parse_from_str(t, "%H:%M").ok())
                .unwrap_or(chrono::NaiveTime::MIN);
            Some(TimerSpec::At { at: at_expr, time, zone })
        }
        _ => {
            diags.push(at.to_owned(), "bad_timer", "a timer has either `after` or `at`");
            None
        }
    }
}

/// What a service step's action refers to: the flow's scope, its subject form, the app.
struct Actions<'a> {
    scope: &'a FlowScope<'a>,
    subject: Option<&'a str>,
    catalog: &'a dyn FlowCatalog,
}

impl engine_rule::ActionScope for Actions<'_> {
    fn reads(&self) -> &dyn Schema {
        self.scope
    }

    fn own_record(&self) -> Result<&dyn Schema, &'static str> {
        self.subject
            .and_then(|s| self.catalog.form(s))
            .ok_or("a flow that follows no record has no record to update; name a `record` or use create_record")
    }

    fn related_form(&self, path: &[String]) -> Option<String> {
        self.catalog.related_form(self.subject?, path)
    }

    fn catalog(&self) -> &dyn engine_rule::AppCatalog {
        self.catalog
    }
}

/// A duration as declared (the schema has made sure exactly one unit is given).
fn duration(raw: &Value, at: &str, catalog: &dyn FlowCatalog, diags: &mut Diagnostics) -> Duration {
    let n = |key: &str| raw.get(key).and_then(Value::as_i64);
    if let (Some(days), Some(calendar)) = (n("business_days"), raw.get("calendar").and_then(Value::as_str)) {
        if !catalog.calendar_exists(calendar) {
            diags.push(format!("{at}/calendar"), "unknown_calendar", format!("there is no calendar `{calendar}`"));
        }
        return Duration::BusinessDays { days, calendar: calendar.to_owned() };
    }
    Duration::Minutes(n("days").map(|d| d * 1440).or(n("hours").map(|h| h * 60)).or(n("minutes")).unwrap_or(0))
}
