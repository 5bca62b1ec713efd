//! Reading and checking an event rule: its trigger, condition and actions, every problem
//! reported with its JSON path (and its position inside an expression).

use serde::Deserialize;
use serde_json::Value as Json;

use super::schedule::Schedule;
use crate::action::ActionSpec;
use crate::diagnostic::{Diagnostic, Diags};
use crate::expr::ast::Expr;
use crate::expr::check::Schema;
use crate::expr::types::Type;

/// What a rule may refer to: the fields of forms, the payloads of events, and flows.
pub trait AppCatalog {
    /// The schema of a form's records.
    fn form(&self, key: &str) -> Option<&dyn Schema>;
    /// The schema of an event's data.
    fn event(&self, name: &str) -> Option<&dyn Schema>;
    fn flow_exists(&self, key: &str) -> bool;
    fn role_exists(&self, key: &str) -> bool;
    fn calendar_exists(&self, key: &str) -> bool;
    /// The form reached from the form or event `from` by following the relation fields
    /// `path` (`customer`, `account.customer`), if they are relations.
    fn related_form(&self, from: &str, path: &[String]) -> Option<String>;
    /// The field of form `key` holding the user name of the person each record is
    /// (`engine_form::Form::user_field`), if it declares one.
    fn user_field(&self, key: &str) -> Option<String>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    Created,
    Updated,
    /// Created or updated: a rule that keeps a derived value right on every save. On a
    /// create, `old.` fields are null.
    Saved,
    Deleted,
    /// Created, updated or deleted: a rule that keeps a value derived from a set of records
    /// right (a customer's AUM from their accounts). `old.` as for `saved`; on a delete the
    /// record is as it was.
    Changed,
    Event,
    /// A scheduled scan of a form's records.
    Schedule,
}

impl TriggerKind {
    /// Whether a rule on this trigger watches a change of kind `change`.
    pub fn covers(self, change: TriggerKind) -> bool {
        use TriggerKind::{Changed, Created, Deleted, Saved, Updated};
        self == change
            || (self == Saved && matches!(change, Created | Updated))
            || (self == Changed && matches!(change, Created | Updated | Deleted))
    }
}

/// A checked event rule.
#[derive(Debug, Clone)]
pub struct EventRule {
    pub key: String,
    /// Its name by language (`{"zh-CN": "大额资金流出", "en": "Large outflow"}`); may be empty.
    pub label: std::collections::BTreeMap<String, String>,
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
    /// `once_per`: the rule fires at most once per record (or event subject) for each value
    /// of this expression, across versions of the app.
    pub(crate) once_per: Option<Expr>,
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
    /// Its name by language, as people read it in a record's timeline.
    #[serde(default)]
    label: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    priority: i64,
    trigger: RawTrigger,
    condition: Option<String>,
    /// An expression whose value the rule fires once per: `year(today_in('Asia/Shanghai'))`
    /// (once a year), `last_mobile_login` (once per spell of silence since a login).
    once_per: Option<String>,
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

/// Parses and checks a rule published with app `version`.
pub fn parse_rule(doc: &Json, version: i64, catalog: &dyn AppCatalog) -> Result<EventRule, Vec<Diagnostic>> {
    let mut diags = Diags(Vec::new());
    let raw: RawRule =
        serde_json::from_value(doc.clone()).map_err(|e| vec![Diagnostic::new("", "shape", e.to_string())])?;
    let Some((trigger, has_old)) = trigger_kind(&raw.trigger.on, &mut diags) else { return Err(diags.0) };
    let on_behalf = run_as(raw.run_as.as_deref(), trigger, &mut diags);
    let schedule = schedule(trigger, &raw.trigger, &mut diags);
    let Some(fields) = subject(trigger, &raw.trigger, catalog, &mut diags) else { return Err(diags.0) };
    let subject = Subject { fields, has_old };
    let condition = raw
        .condition
        .as_ref()
        .and_then(|c| diags.expr("/condition", Some(&Json::from(c.clone())), &subject, Some(&Type::Bool)));
    let once_per =
        raw.once_per.as_ref().and_then(|e| diags.expr("/once_per", Some(&Json::from(e.clone())), &subject, None));
    let subject_key = raw.trigger.event.as_deref().or(raw.trigger.form.as_deref()).unwrap_or("");
    let scope = RuleScope { subject: &subject, key: subject_key, event: trigger == TriggerKind::Event, catalog };
    let mut actions = Vec::new();
    for (i, action) in raw.actions.iter().enumerate() {
        actions.extend(crate::action::lower_action(action, &format!("/actions/{i}"), &scope, &mut diags.0));
    }
    if !diags.0.is_empty() {
        return Err(diags.0);
    }
    let mut collections: Vec<Vec<String>> = Vec::new();
    for expr in condition.iter().chain(&once_per).chain(actions.iter().flat_map(ActionSpec::exprs)) {
        super::reads(expr, &|p| subject.rows(p).is_some(), &mut Vec::new(), &mut Vec::new(), &mut collections);
    }
    Ok(EventRule {
        key: raw.key,
        label: raw.label,
        version,
        priority: raw.priority,
        trigger,
        form: raw.trigger.form,
        event: raw.trigger.event,
        schedule,
        on_behalf,
        condition_text: if condition.is_some() { raw.condition.clone().unwrap_or_default() } else { String::new() },
        condition,
        once_per,
        actions,
        collections,
    })
}

/// The kind of trigger `on` names, and whether the rule sees the values before (`old.`).
fn trigger_kind(on: &str, diags: &mut Diags) -> Option<(TriggerKind, bool)> {
    Some(match on {
        "created" => (TriggerKind::Created, false),
        "updated" => (TriggerKind::Updated, true),
        "saved" => (TriggerKind::Saved, true),
        "deleted" => (TriggerKind::Deleted, true),
        "changed" => (TriggerKind::Changed, true),
        "event" => (TriggerKind::Event, false),
        "schedule" => (TriggerKind::Schedule, false),
        other => {
            let message = format!("`{other}` is not created, updated, saved, deleted, changed, event or schedule");
            diags.push("/trigger/on", "unknown_trigger", message);
            return None;
        }
    })
}

/// Whether the rule acts for the user whose change fired it (`"run_as": "user"`).
fn run_as(run_as: Option<&str>, trigger: TriggerKind, diags: &mut Diags) -> bool {
    match (run_as, trigger) {
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
    }
}

/// A scheduled rule's cron and zone, which only a schedule trigger has.
fn schedule(trigger: TriggerKind, raw: &RawTrigger, diags: &mut Diags) -> Option<Schedule> {
    match (trigger, &raw.cron, &raw.zone) {
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
    }
}

/// What the rule reads: the fields of the form it watches, or the data of its event.
fn subject<'c>(
    trigger: TriggerKind,
    raw: &RawTrigger,
    catalog: &'c dyn AppCatalog,
    diags: &mut Diags,
) -> Option<&'c dyn Schema> {
    match (trigger, &raw.form, &raw.event) {
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
    }
}

/// What a rule's actions refer to: the record or event that fired it, and the catalog.
struct RuleScope<'a> {
    subject: &'a Subject<'a>,
    /// The form or event the rule watches.
    key: &'a str,
    event: bool,
    catalog: &'a dyn AppCatalog,
}

impl crate::action::ActionScope for RuleScope<'_> {
    fn reads(&self) -> &dyn Schema {
        self.subject
    }

    fn own_record(&self) -> Result<&dyn Schema, &'static str> {
        if self.event {
            return Err("an event has no record to update; name a related `record` or use create_record");
        }
        Ok(self.subject.fields)
    }

    fn related_form(&self, path: &[String]) -> Option<String> {
        self.catalog.related_form(self.key, path)
    }

    fn catalog(&self) -> &dyn AppCatalog {
        self.catalog
    }
}
