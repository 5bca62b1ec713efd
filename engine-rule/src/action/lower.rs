//! Reading an action from metadata: the raw JSON checked key by key, each parameter
//! expression checked against what the action reads, every problem with its JSON path.
//! Rules and process service steps read their actions here alike.

use serde::Deserialize;
use serde_json::Value as Json;

use super::{ActionSpec, Channel, Priority};
use crate::diagnostic::{Diagnostic, Diags};
use crate::expr::ast::Expr;
use crate::expr::check::Schema;
use crate::expr::types::Type;

/// What an action may refer to where it stands: in a rule, the record (or event) that
/// fired it; in a process, the subject record and what earlier steps recorded.
pub trait ActionScope {
    /// What the action's expressions read.
    fn reads(&self) -> &dyn Schema;
    /// The fields of the subject record, which `update_fields` without a `record` sets;
    /// `Err` says why there is none (an event has no record).
    fn own_record(&self) -> Result<&dyn Schema, &'static str>;
    /// The form the relation fields `path` reach from the subject (`customer`,
    /// `account.customer`), if they are relations.
    fn related_form(&self, path: &[String]) -> Option<String>;
    /// The app the action belongs to.
    fn catalog(&self) -> &dyn crate::AppCatalog;
}

/// An expression naming whom a task or message is for, read as a person: a path to a
/// record of a form whose records are people (`customer.relationship_manager`) reads that
/// record's user name instead (`customer.relationship_manager.login`).
fn as_person(expr: Expr, scope: &dyn ActionScope) -> Expr {
    let crate::ExprKind::Path(path) = &expr.kind else { return expr };
    match scope.related_form(path).and_then(|form| scope.catalog().user_field(&form)) {
        Some(field) => {
            let mut person = path.clone();
            person.push(field);
            Expr { kind: crate::ExprKind::Path(person), span: expr.span }
        }
        None => expr,
    }
}

/// The parameters an action may have, by type; anything else is `unknown_property`.
#[derive(Deserialize)]
struct RawAction {
    #[serde(rename = "type")]
    kind: String,
    title: Option<Json>,
    assignee: Option<Json>,
    priority: Option<Json>,
    due_in_hours: Option<Json>,
    remind_in_hours: Option<Json>,
    fallback_role: Option<Json>,
    fallback_unit: Option<Json>,
    channel: Option<Json>,
    to: Option<Json>,
    message: Option<Json>,
    record: Option<Json>,
    set: Option<Json>,
    form: Option<Json>,
    values: Option<Json>,
    flow: Option<Json>,
    url: Option<Json>,
    body: Option<Json>,
    personal_data: Option<Json>,
    language: Option<Json>,
    subject: Option<Json>,
}

const KEYS: [(&str, &[&str]); 7] = [
    (
        "create_task",
        &["title", "assignee", "priority", "due_in_hours", "remind_in_hours", "fallback_role", "fallback_unit"],
    ),
    ("notify", &["channel", "to", "message", "language", "subject"]),
    ("update_fields", &["set", "record"]),
    ("create_record", &["form", "values"]),
    ("start_process", &["flow"]),
    ("start_flow", &["flow"]),
    ("webhook", &["url", "body", "personal_data"]),
];

/// Reads the action `raw` at JSON path `at`; every problem is added to `out`.
pub fn lower_action(raw: &Json, at: &str, scope: &dyn ActionScope, out: &mut Vec<Diagnostic>) -> Option<ActionSpec> {
    let mut diags = Diags(Vec::new());
    let spec = lower(raw, at, scope, &mut diags);
    out.extend(diags.0);
    spec
}

fn lower(raw: &Json, at: &str, scope: &dyn ActionScope, diags: &mut Diags) -> Option<ActionSpec> {
    let Some(object) = raw.as_object() else {
        diags.push(at, "shape", "an action is an object");
        return None;
    };
    let kind = object.get("type").and_then(Json::as_str).unwrap_or_default();
    let Some((_, keys)) = KEYS.iter().find(|(k, _)| *k == kind) else {
        diags.push(format!("{at}/type"), "unknown_action", format!("`{kind}` is not an action"));
        return None;
    };
    let raw: RawAction = match serde_json::from_value(raw.clone()) {
        Ok(r) => r,
        Err(e) => {
            diags.push(at, "shape", e.to_string());
            return None;
        }
    };
    for key in object.keys().filter(|k| k.as_str() != "type" && !keys.contains(&k.as_str())) {
        diags.push(format!("{at}/{key}"), "unknown_property", format!("`{key}` does not belong to this action"));
    }
    let reads = scope.reads();
    match raw.kind.as_str() {
        "create_task" => {
            let priority = match raw.priority.as_ref().and_then(Json::as_str).unwrap_or("normal") {
                "low" => Some(Priority::Low),
                "normal" => Some(Priority::Normal),
                "high" => Some(Priority::High),
                other => {
                    diags.push(format!("{at}/priority"), "bad_value", format!("`{other}` is not low, normal or high"));
                    None
                }
            };
            let due = raw.due_in_hours.as_ref().map_or(Some(24), Json::as_i64).filter(|h| (0..=24 * 366).contains(h));
            if due.is_none() {
                diags.push(format!("{at}/due_in_hours"), "bad_value", "a whole number of hours, up to a year");
            }
            // A reminder to its holder while the task is still open, before it is due.
            let remind = match raw.remind_in_hours.as_ref() {
                None => Some(None),
                Some(hours) => hours.as_i64().filter(|h| *h > 0 && due.is_none_or(|d| *h < d)).map(Some),
            };
            if remind.is_none() {
                diags.push(format!("{at}/remind_in_hours"), "bad_value", "a whole number of hours, before it is due");
            }
            let title = diags.text(&format!("{at}/title"), raw.title.as_ref(), reads);
            let assignee = diags.expr(&format!("{at}/assignee"), raw.assignee.as_ref(), reads, None);
            let assignee = assignee.map(|e| as_person(e, scope));
            // Whom the task is offered to when its assignee names nobody (an RM without a login).
            let fallback_role = match raw.fallback_role.as_ref() {
                None => None,
                Some(Json::String(role)) if scope.catalog().role_exists(role) => Some(role.clone()),
                Some(other) => {
                    diags.push(
                        format!("{at}/fallback_role"),
                        "unknown_role",
                        format!("{other} is not a role of the app"),
                    );
                    return None;
                }
            };
            // The org unit whose queue the task waits in then (`lower(branch.code)`).
            let fallback_unit = match raw.fallback_unit.as_ref() {
                None => None,
                Some(unit) => Some(diags.expr(&format!("{at}/fallback_unit"), Some(unit), reads, Some(&Type::Text))?),
            };
            Some(ActionSpec::CreateTask {
                title: title?,
                assignee: assignee?,
                priority: priority?,
                due_in_hours: due?,
                remind_in_hours: remind?,
                fallback_role,
                fallback_unit,
            })
        }
        "notify" => {
            let channel = match raw.channel.as_ref().and_then(Json::as_str).unwrap_or_default() {
                "sms" => Some(Channel::Sms),
                "email" => Some(Channel::Email),
                "im" => Some(Channel::InstantMessage),
                "in_app" => Some(Channel::InApp),
                other => {
                    diags.push(
                        format!("{at}/channel"),
                        "bad_value",
                        format!("`{other}` is not sms, email, im or in_app"),
                    );
                    None
                }
            };
            let to = diags.expr(&format!("{at}/to"), raw.to.as_ref(), reads, None).map(|e| as_person(e, scope));
            let message = diags.text(&format!("{at}/message"), raw.message.as_ref(), reads);
            let language = match raw.language.as_ref() {
                Some(l) => Some(diags.expr(&format!("{at}/language"), Some(l), reads, Some(&Type::Text))?),
                None => None,
            };
            // An e-mail's subject line, checked and translated as its message is.
            let subject = match raw.subject.as_ref() {
                None => None,
                Some(_) if channel != Some(Channel::Email) => {
                    diags.push(format!("{at}/subject"), "bad_value", "only an e-mail has a subject");
                    return None;
                }
                Some(_) => Some(diags.text(&format!("{at}/subject"), raw.subject.as_ref(), reads)?),
            };
            Some(ActionSpec::Notify { channel: channel?, to: to?, message: message?, language, subject })
        }
        "update_fields" => update_fields(&raw, at, scope, diags),
        "create_record" => {
            let form = raw.form.as_ref().and_then(Json::as_str).unwrap_or_default();
            let Some(target) = scope.catalog().form(form) else {
                diags.push(format!("{at}/form"), "unknown_form", format!("there is no form `{form}`"));
                return None;
            };
            let values = diags.assignments(&format!("{at}/values"), raw.values.as_ref(), reads, target);
            Some(ActionSpec::CreateRecord { form: form.to_owned(), values })
        }
        "start_process" | "start_flow" => {
            let flow = raw.flow.as_ref().and_then(Json::as_str).unwrap_or_default();
            if !scope.catalog().flow_exists(flow) {
                diags.push(format!("{at}/flow"), "unknown_flow", format!("there is no flow `{flow}`"));
                return None;
            }
            Some(ActionSpec::StartProcess { flow: flow.to_owned() })
        }
        _ => webhook(&raw, at, reads, diags),
    }
}

/// `update_fields`: the subject record's fields, or (with `record`, a relation path) a
/// related record's.
fn update_fields(raw: &RawAction, at: &str, scope: &dyn ActionScope, diags: &mut Diags) -> Option<ActionSpec> {
    let reads = scope.reads();
    match raw.record.as_ref().map(Json::as_str) {
        Some(Some(text)) => {
            let relation: Vec<String> = text.split('.').map(str::to_owned).collect();
            let target = scope.related_form(&relation);
            let Some((form, schema)) = target.as_deref().and_then(|t| scope.catalog().form(t).map(|s| (t, s))) else {
                diags.push(
                    format!("{at}/record"),
                    "unknown_relation",
                    format!("`{text}` is not a relation field of this record or event"),
                );
                return None;
            };
            let set = diags.assignments(&format!("{at}/set"), raw.set.as_ref(), reads, schema);
            Some(ActionSpec::UpdateFields { record: Some((relation, form.to_owned())), set })
        }
        Some(None) => {
            diags.push(format!("{at}/record"), "shape", "`record` is a relation field's key");
            None
        }
        None => match scope.own_record() {
            Ok(own) => {
                let set = diags.assignments(&format!("{at}/set"), raw.set.as_ref(), reads, own);
                Some(ActionSpec::UpdateFields { record: None, set })
            }
            Err(why) => {
                diags.push(format!("{at}/type"), "not_applicable", why);
                None
            }
        },
    }
}

fn webhook(raw: &RawAction, at: &str, reads: &dyn Schema, diags: &mut Diags) -> Option<ActionSpec> {
    let url = raw.url.as_ref().and_then(Json::as_str).unwrap_or_default();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        diags.push(format!("{at}/url"), "bad_value", "a webhook URL starts with https:// or http://");
    }
    let body = match &raw.body {
        None => Vec::new(),
        Some(map) => diags.assignments(&format!("{at}/body"), Some(map), reads, &AnyField),
    };
    let masked = masked_keys(&body, raw.personal_data.as_ref(), reads).unwrap_or_else(|masked| {
        diags.push(format!("{at}/personal_data"), "bad_value", "`masked` (the default) or `clear`");
        masked
    });
    Some(ActionSpec::Webhook { url: url.to_owned(), body, masked })
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
fn masked_keys(
    body: &[(String, Expr)],
    personal_data: Option<&Json>,
    schema: &dyn Schema,
) -> Result<Vec<String>, Vec<String>> {
    let personal = || {
        body.iter()
            .filter(|(_, expr)| {
                let mut paths = Vec::new();
                crate::rule::reads(expr, &|_| false, &mut paths, &mut Vec::new(), &mut Vec::new());
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
