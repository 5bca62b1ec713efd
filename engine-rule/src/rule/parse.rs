//! Reading and checking an event rule: its trigger, condition and actions, every problem
//! reported with its JSON path (and its position inside an expression).

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::ActionSpec;
use super::action::{Channel, Priority};
use super::schedule::Schedule;
use crate::diagnostic::Diagnostic;
use crate::expr::ast::Expr;
use crate::expr::check::{Schema, check};
use crate::expr::parser;
use crate::expr::types::Type;

/// What a rule may refer to: the fields of forms, the payloads of events, and flows.
pub trait RuleCatalog {
    fn form(&self, key: &str) -> Option<&dyn Schema>;
    fn event(&self, name: &str) -> Option<&dyn Schema>;
    fn flow_exists(&self, key: &str) -> bool;
    /// The form reached from the form or event `from` by following the relation fields
    /// `path` (`customer`, `account.customer`), if they are relations.
    fn related_form(&self, from: &str, path: &[String]) -> Option<String>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    Created,
    Updated,
    Deleted,
    Event,
    /// A scheduled scan of a form's records.
    Schedule,
}

/// A checked event rule.
#[derive(Debug, Clone)]
pub struct EventRule {
    pub key: String,
    /// The version of the app the rule was published with; part of every firing's key.
    pub version: i64,
    /// Higher fires first.
    pub priority: i64,
    pub trigger: TriggerKind,
    /// The form a record trigger watches.
    pub form: Option<String>,
    /// The event an event trigger listens for.
    pub event: Option<String>,
    /// When a scheduled rule scans its form.
    pub schedule: Option<Schedule>,
    /// `"run_as": "user"`: the actions act for the user whose change or event fired the
    /// rule, within what their roles allow; otherwise with the platform's authority.
    pub on_behalf: bool,
    pub(crate) condition: Option<Expr>,
    /// The condition as written, to name the aggregates an explanation shows.
    pub(crate) condition_text: String,
    /// The collections the rule's aggregates go over (`customer.transaction`).
    pub(crate) collections: Vec<Vec<String>>,
    pub(crate) actions: Vec<ActionSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    key: String,
    #[serde(default)]
    priority: i64,
    trigger: RawTrigger,
    condition: Option<String>,
    #[serde(default)]
    actions: Vec<Json>,
    /// `system` (the default): actions act with the platform's authority; `user`: with
    /// that of the user whose change or event fired the rule.
    run_as: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    on: String,
    form: Option<String>,
    event: Option<String>,
    /// Scheduled rules: a five-field cron expression and the zone it is read in.
    cron: Option<String>,
    zone: Option<String>,
}

/// The trigger's subject, with `old.` paths when the rule sees a change.
struct Subject<'a> {
    fields: &'a dyn Schema,
    has_old: bool,
}

impl Schema for Subject<'_> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        match path.first().map(String::as_str) {
            Some("old") if self.has_old && path.len() > 1 => self.fields.type_of(&path[1..]),
            _ => self.fields.type_of(path),
        }
    }

    fn has_calendar(&self, name: &str) -> Option<bool> {
        self.fields.has_calendar(name)
    }

    fn is_personal(&self, path: &[String]) -> bool {
        match path.first().map(String::as_str) {
            Some("old") if self.has_old && path.len() > 1 => self.fields.is_personal(&path[1..]),
            _ => self.fields.is_personal(path),
        }
    }

    /// Aggregates read current rows only: `old.` has no rows.
    fn rows(&self, path: &[String]) -> Option<Box<dyn Schema + '_>> {
        match path.first().map(String::as_str) {
            Some("old") if self.has_old => None,
            _ => self.fields.rows(path),
        }
    }
}

struct Diags(Vec<Diagnostic>);

impl Diags {
    fn push(&mut self, path: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.0.push(Diagnostic { path: path.into(), code, message: message.into(), span: None });
    }

    /// Parses and checks an expression; when `want` is given, its type must fit it.
    fn expr(&mut self, path: &str, text: Option<&Json>, schema: &dyn Schema, want: Option<&Type>) -> Option<Expr> {
        let Some(text) = text.and_then(Json::as_str) else {
            self.push(path, "missing", "expected an expression (a string)");
            return None;
        };
        let expr = match parser::parse(text) {
            Ok(expr) => expr,
            Err(e) => {
                self.0.push(Diagnostic {
                    path: path.into(),
                    code: e.kind.code(),
                    message: e.message,
                    span: Some(e.span),
                });
                return None;
            }
        };
        match check(&expr, schema) {
            Err(errors) => {
                for e in errors {
                    self.0.push(Diagnostic {
                        path: path.into(),
                        code: e.kind.code(),
                        message: e.message,
                        span: Some(e.span),
                    });
                }
                None
            }
            Ok(t) if want.is_some_and(|w| !t.fits(w)) => {
                self.push(
                    path,
                    "type_mismatch",
                    format!("this gives {t}, {} is needed", want.map(ToString::to_string).unwrap_or_default()),
                );
                None
            }
            Ok(_) => Some(expr),
        }
    }

    /// `{ "field": "expression", … }` where each field exists in `target` and each
    /// expression, read against `source`, fits its field.
    fn assignments(
        &mut self,
        path: &str,
        map: Option<&Json>,
        source: &dyn Schema,
        target: &dyn Schema,
    ) -> Vec<(String, Expr)> {
        let Some(map) = map.and_then(Json::as_object) else {
            self.push(path, "missing", "expected an object of field: expression");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (field, text) in map {
            let field_path = format!("{path}/{field}");
            let Some(t) = target.type_of(std::slice::from_ref(field)) else {
                self.push(field_path, "unknown_field", format!("there is no field `{field}`"));
                continue;
            };
            if let Some(expr) = self.expr(&field_path, Some(text), source, Some(&t)) {
                out.push((field.clone(), expr));
            }
        }
        out
    }
}

fn allowed_keys(diags: &mut Diags, path: &str, action: &Map<String, Json>, keys: &[&str]) {
    for key in action.keys().filter(|k| !keys.contains(&k.as_str()) && k.as_str() != "type") {
        diags.push(format!("{path}/{key}"), "unknown_property", format!("`{key}` does not belong to this action"));
    }
}

/// Parses and checks a rule published with app `version`.
pub fn parse_rule(doc: &Json, version: i64, catalog: &dyn RuleCatalog) -> Result<EventRule, Vec<Diagnostic>> {
    let mut diags = Diags(Vec::new());
    let raw: RawRule = serde_json::from_value(doc.clone())
        .map_err(|e| vec![Diagnostic { path: String::new(), code: "shape", message: e.to_string(), span: None }])?;
    let (trigger, has_old) = match raw.trigger.on.as_str() {
        "created" => (TriggerKind::Created, false),
        "updated" => (TriggerKind::Updated, true),
        "deleted" => (TriggerKind::Deleted, true),
        "event" => (TriggerKind::Event, false),
        "schedule" => (TriggerKind::Schedule, false),
        other => {
            diags.push(
                "/trigger/on",
                "unknown_trigger",
                format!("`{other}` is not created, updated, deleted, event or schedule"),
            );
            return Err(diags.0);
        }
    };
    let on_behalf = match (raw.run_as.as_deref(), trigger) {
        (None | Some("system"), _) => false,
        (Some("user"), TriggerKind::Schedule) => {
            diags.push("/run_as", "bad_value", "a scheduled rule has no user to act for");
            false
        }
        (Some("user"), _) => true,
        (Some(other), _) => {
            diags.push("/run_as", "bad_value", format!("`{other}` is not system or user"));
            false
        }
    };
    let schedule = match (trigger, &raw.trigger.cron, &raw.trigger.zone) {
        (TriggerKind::Schedule, Some(cron), Some(zone)) => match Schedule::parse(cron, zone) {
            Ok(schedule) => Some(schedule),
            Err(message) => {
                let at = if message.contains("time zone") { "/trigger/zone" } else { "/trigger/cron" };
                diags.push(at, "bad_schedule", message);
                None
            }
        },
        (TriggerKind::Schedule, _, _) => {
            diags.push("/trigger", "bad_trigger", "a schedule trigger names a `cron` and a `zone`");
            None
        }
        (_, None, None) => None,
        _ => {
            diags.push("/trigger", "bad_trigger", "only a schedule trigger has a `cron` and a `zone`");
            None
        }
    };
    let subject: Option<&dyn Schema> = match (trigger, &raw.trigger.form, &raw.trigger.event) {
        (TriggerKind::Event, None, Some(event)) => {
            let s = catalog.event(event);
            if s.is_none() {
                diags.push("/trigger/event", "unknown_event", format!("there is no event `{event}`"));
            }
            s
        }
        (TriggerKind::Event, _, _) => {
            diags.push("/trigger", "bad_trigger", "an event trigger names an `event` and no `form`");
            None
        }
        (_, Some(form), None) => {
            let s = catalog.form(form);
            if s.is_none() {
                diags.push("/trigger/form", "unknown_form", format!("there is no form `{form}`"));
            }
            s
        }
        _ => {
            diags.push("/trigger", "bad_trigger", "a record trigger names a `form` and no `event`");
            None
        }
    };
    let Some(fields) = subject else { return Err(diags.0) };
    let subject = Subject { fields, has_old };
    let condition = raw
        .condition
        .as_ref()
        .and_then(|c| diags.expr("/condition", Some(&Json::from(c.clone())), &subject, Some(&Type::Bool)));
    let mut actions = Vec::new();
    for (i, action) in raw.actions.iter().enumerate() {
        let path = format!("/actions/{i}");
        let Some(obj) = action.as_object() else {
            diags.push(path, "shape", "an action is an object");
            continue;
        };
        let field = |k: &str| obj.get(k);
        let spec = match obj.get("type").and_then(Json::as_str).unwrap_or("") {
            "create_task" => {
                allowed_keys(&mut diags, &path, obj, &["title", "assignee", "priority", "due_in_hours"]);
                let priority = match field("priority").and_then(Json::as_str).unwrap_or("normal") {
                    "low" => Some(Priority::Low),
                    "normal" => Some(Priority::Normal),
                    "high" => Some(Priority::High),
                    other => {
                        diags.push(
                            format!("{path}/priority"),
                            "bad_value",
                            format!("`{other}` is not low, normal or high"),
                        );
                        None
                    }
                };
                let due = field("due_in_hours").map_or(Some(24), Json::as_i64).filter(|h| (0..=24 * 366).contains(h));
                if due.is_none() {
                    diags.push(format!("{path}/due_in_hours"), "bad_value", "a whole number of hours, up to a year");
                }
                let title = diags.expr(&format!("{path}/title"), field("title"), &subject, Some(&Type::Text));
                let assignee = diags.expr(&format!("{path}/assignee"), field("assignee"), &subject, None);
                match (title, assignee, priority, due) {
                    (Some(title), Some(assignee), Some(priority), Some(due_in_hours)) => {
                        Some(ActionSpec::CreateTask { title, assignee, priority, due_in_hours })
                    }
                    _ => None,
                }
            }
            "notify" => {
                allowed_keys(&mut diags, &path, obj, &["channel", "to", "message"]);
                let channel = match field("channel").and_then(Json::as_str).unwrap_or("") {
                    "sms" => Some(Channel::Sms),
                    "email" => Some(Channel::Email),
                    "im" => Some(Channel::InstantMessage),
                    "in_app" => Some(Channel::InApp),
                    other => {
                        diags.push(
                            format!("{path}/channel"),
                            "bad_value",
                            format!("`{other}` is not sms, email, im or in_app"),
                        );
                        None
                    }
                };
                let to = diags.expr(&format!("{path}/to"), field("to"), &subject, None);
                let message = diags.expr(&format!("{path}/message"), field("message"), &subject, Some(&Type::Text));
                match (channel, to, message) {
                    (Some(channel), Some(to), Some(message)) => Some(ActionSpec::Notify { channel, to, message }),
                    _ => None,
                }
            }
            "update_fields" => {
                allowed_keys(&mut diags, &path, obj, &["set", "record"]);
                // `record`: a related record to update (`customer`), reached through
                // relation fields; without it, the rule's own record.
                let subject_key = raw.trigger.event.as_deref().or(raw.trigger.form.as_deref()).unwrap_or("");
                match field("record").map(|r| r.as_str()) {
                    Some(Some(text)) => {
                        let relation: Vec<String> = text.split('.').map(str::to_owned).collect();
                        let target = catalog.related_form(subject_key, &relation);
                        match target.as_deref().and_then(|t| catalog.form(t).map(|s| (t, s))) {
                            Some((form, schema)) => Some(ActionSpec::UpdateFields {
                                record: Some((relation, form.to_owned())),
                                set: diags.assignments(&format!("{path}/set"), field("set"), &subject, schema),
                            }),
                            None => {
                                diags.push(
                                    format!("{path}/record"),
                                    "unknown_relation",
                                    format!("`{text}` is not a relation field of this rule's record or event"),
                                );
                                None
                            }
                        }
                    }
                    Some(None) => {
                        diags.push(format!("{path}/record"), "shape", "`record` is a relation field's key");
                        None
                    }
                    None if trigger == TriggerKind::Event => {
                        diags.push(
                            format!("{path}/type"),
                            "not_applicable",
                            "an event has no record to update; name a related `record` or use create_record",
                        );
                        None
                    }
                    None => Some(ActionSpec::UpdateFields {
                        record: None,
                        set: diags.assignments(&format!("{path}/set"), field("set"), &subject, fields),
                    }),
                }
            }
            "create_record" => {
                allowed_keys(&mut diags, &path, obj, &["form", "values"]);
                let form = field("form").and_then(Json::as_str).unwrap_or("");
                match catalog.form(form) {
                    None => {
                        diags.push(format!("{path}/form"), "unknown_form", format!("there is no form `{form}`"));
                        None
                    }
                    Some(target) => Some(ActionSpec::CreateRecord {
                        form: form.to_owned(),
                        values: diags.assignments(&format!("{path}/values"), field("values"), &subject, target),
                    }),
                }
            }
            "start_process" => {
                allowed_keys(&mut diags, &path, obj, &["flow"]);
                let flow = field("flow").and_then(Json::as_str).unwrap_or("");
                if catalog.flow_exists(flow) {
                    Some(ActionSpec::StartProcess { flow: flow.to_owned() })
                } else {
                    diags.push(format!("{path}/flow"), "unknown_flow", format!("there is no flow `{flow}`"));
                    None
                }
            }
            "webhook" => {
                allowed_keys(&mut diags, &path, obj, &["url", "body", "personal_data"]);
                let url = field("url").and_then(Json::as_str).unwrap_or("");
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    diags.push(format!("{path}/url"), "bad_value", "a webhook URL starts with https:// or http://");
                }
                let body = match field("body") {
                    None => Vec::new(),
                    Some(map) => {
                        let anything = AnyField;
                        diags.assignments(&format!("{path}/body"), Some(map), &subject, &anything)
                    }
                };
                let masked = masked_keys(&body, field("personal_data"), &subject).unwrap_or_else(|masked| {
                    diags.push(format!("{path}/personal_data"), "bad_value", "`masked` (the default) or `clear`");
                    masked
                });
                Some(ActionSpec::Webhook { url: url.to_owned(), body, masked })
            }
            other => {
                diags.push(format!("{path}/type"), "unknown_action", format!("`{other}` is not an action"));
                None
            }
        };
        actions.extend(spec);
    }
    if diags.0.is_empty() {
        let mut collections: Vec<Vec<String>> = Vec::new();
        for expr in condition.iter().chain(actions.iter().flat_map(ActionSpec::exprs)) {
            super::reads(expr, &|p| subject.rows(p).is_some(), &mut Vec::new(), &mut Vec::new(), &mut collections);
        }
        Ok(EventRule {
            key: raw.key,
            version,
            priority: raw.priority,
            trigger,
            form: raw.trigger.form,
            event: raw.trigger.event,
            schedule,
            on_behalf,
            condition_text: if condition.is_some() { raw.condition.clone().unwrap_or_default() } else { String::new() },
            condition,
            actions,
            collections,
        })
    } else {
        Err(diags.0)
    }
}

/// A webhook body accepts any key with a value of any type.
struct AnyField;

impl Schema for AnyField {
    fn type_of(&self, _: &[String]) -> Option<Type> {
        Some(Type::Any)
    }
}

/// The keys of a webhook body whose values read personal data of `schema`: they leave
/// masked, unless `personal_data` says `clear` (then none). A `personal_data` that is
/// neither `masked` (the default) nor `clear` is an error, which still masks them.
pub fn masked_keys(
    body: &[(String, Expr)],
    personal_data: Option<&Json>,
    schema: &dyn Schema,
) -> Result<Vec<String>, Vec<String>> {
    let personal = || {
        body.iter()
            .filter(|(_, expr)| {
                let mut paths = Vec::new();
                super::reads(expr, &|_| false, &mut paths, &mut Vec::new(), &mut Vec::new());
                paths.iter().any(|p| schema.is_personal(p))
            })
            .map(|(key, _)| key.clone())
            .collect()
    };
    match personal_data.map(Json::as_str) {
        None | Some(Some("masked")) => Ok(personal()),
        Some(Some("clear")) => Ok(Vec::new()),
        Some(_) => Err(personal()),
    }
}
