//! The one vocabulary of actions: what a rule does when it fires and what a process's
//! service step does. Declared in metadata with expressions (`lower` checks them into an
//! `ActionSpec`), evaluated into an `Action` whose every value is computed, and handed to
//! the server, which runs it with one executor. An `Action` serialises to the JSON a
//! firing's explanation and a process's history show, and is read back from it when a
//! failed firing is retried, so what runs is what was decided.
//!
//! Personal data leaves masked in one place: a webhook's body values that read personal
//! data are masked here, when the action is evaluated.

mod lower;

pub use lower::{ActionScope, lower_action};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::expr::ast::{Expr, ExprKind, Span};
use crate::expr::value::Value;
use crate::text::TextSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
}

/// Where a notification goes out, through the server's outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    #[serde(rename = "sms")]
    Sms,
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "im")]
    InstantMessage,
    #[serde(rename = "in_app")]
    InApp,
}

impl Channel {
    pub fn key(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::InstantMessage => "im",
            Channel::InApp => "in_app",
        }
    }
}

/// An action as declared, its parameters expressions checked against what it reads.
#[derive(Debug, Clone)]
pub enum ActionSpec {
    CreateTask {
        title: TextSpec,
        assignee: Expr,
        priority: Priority,
        due_in_hours: i64,
        remind_in_hours: Option<i64>,
        /// The role the task is offered to when the assignee names nobody.
        fallback_role: Option<String>,
        /// The org unit whose queue it waits in then (to the fallback role in it, if any).
        fallback_unit: Option<Expr>,
    },
    Notify {
        channel: Channel,
        to: Expr,
        message: TextSpec,
        /// The recipient's language (`language`), which picks the message sent; an in-app
        /// message follows its user's language instead.
        language: Option<Expr>,
        /// An e-mail's subject line.
        subject: Option<TextSpec>,
    },
    /// `record`: the relation path to a related record and that record's form; the
    /// subject record itself when `None`.
    UpdateFields {
        record: Option<(Vec<String>, String)>,
        set: Vec<(String, Expr)>,
    },
    CreateRecord {
        form: String,
        values: Vec<(String, Expr)>,
    },
    StartProcess {
        flow: String,
    },
    /// `masked`: the body keys whose values read personal data and leave masked (unless
    /// the action declares `"personal_data": "clear"`).
    Webhook {
        url: String,
        body: Vec<(String, Expr)>,
        masked: Vec<String>,
    },
}

/// A related record an action updates: its form, and its id (null when the relation is
/// empty, which the server refuses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordRef {
    pub form: String,
    pub id: Json,
}

/// An action with every value computed, as the server runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    CreateTask {
        title: String,
        /// The title in each language it was given in; shown by the reader's.
        #[serde(default, skip_serializing_if = "Map::is_empty")]
        titles: Map<String, Json>,
        assignee: Json,
        priority: Priority,
        #[serde(with = "instant")]
        due_at: DateTime<Utc>,
        /// When its holder is reminded, if it is still open.
        #[serde(default, skip_serializing_if = "Option::is_none", with = "maybe_instant")]
        remind_at: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fallback_role: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fallback_unit: Option<String>,
    },
    Notify {
        channel: Channel,
        to: Json,
        /// In the recipient's language, when the action names it.
        message: String,
        #[serde(default, skip_serializing_if = "Map::is_empty")]
        messages: Map<String, Json>,
        /// An e-mail's subject line, in the recipient's language like its message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
    },
    UpdateFields {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        record: Option<RecordRef>,
        set: Map<String, Json>,
    },
    CreateRecord {
        form: String,
        values: Map<String, Json>,
    },
    #[serde(alias = "start_flow")]
    StartProcess {
        flow: String,
    },
    /// The body with values that read personal data already masked.
    Webhook {
        url: String,
        body: Map<String, Json>,
    },
}

impl ActionSpec {
    /// Every expression of the action's parameters (a related record is reached through
    /// its path, `record`, which is not among them).
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            ActionSpec::CreateTask { title, assignee, fallback_unit, .. } => {
                title.exprs().chain([assignee]).chain(fallback_unit).collect()
            }
            ActionSpec::Notify { to, message, language, subject, .. } => {
                message.exprs().chain(subject.iter().flat_map(TextSpec::exprs)).chain([to]).chain(language).collect()
            }
            ActionSpec::UpdateFields { set: pairs, .. }
            | ActionSpec::CreateRecord { values: pairs, .. }
            | ActionSpec::Webhook { body: pairs, .. } => pairs.iter().map(|(_, e)| e).collect(),
            ActionSpec::StartProcess { .. } => Vec::new(),
        }
    }

    /// The relation path to the related record an `update_fields` updates.
    pub fn record_path(&self) -> Option<&[String]> {
        match self {
            ActionSpec::UpdateFields { record: Some((path, _)), .. } => Some(path),
            _ => None,
        }
    }

    /// The action with its values computed by `eval` (a rule's record, a process's scope),
    /// `now` the instant a task's due time counts from.
    pub fn evaluate<E>(&self, eval: impl Fn(&Expr) -> Result<Value, E>, now: DateTime<Utc>) -> Result<Action, E> {
        let all = |pairs: &[(String, Expr)]| -> Result<Map<String, Json>, E> {
            pairs.iter().map(|(k, e)| Ok((k.clone(), eval(e)?.to_json()))).collect()
        };
        Ok(match self {
            ActionSpec::CreateTask {
                title,
                assignee,
                priority,
                due_in_hours,
                remind_in_hours,
                fallback_role,
                fallback_unit,
            } => {
                let title = title.evaluate(&eval)?;
                Action::CreateTask {
                    title: title.text,
                    titles: title.translations,
                    assignee: eval(assignee)?.to_json(),
                    priority: *priority,
                    due_at: now + Duration::hours(*due_in_hours),
                    remind_at: remind_in_hours.map(|h| now + Duration::hours(h)),
                    fallback_role: fallback_role.clone(),
                    fallback_unit: match fallback_unit {
                        Some(unit) => Some(eval(unit)?.to_text()).filter(|u| !u.is_empty()),
                        None => None,
                    },
                }
            }
            ActionSpec::Notify { channel, to, message, language, subject } => {
                let message = message.evaluate(&eval)?;
                let language = match language {
                    Some(language) => Some(eval(language)?.to_text()),
                    None => None,
                };
                let chosen = crate::text::in_language(&message.text, &message.translations, language.as_deref());
                let subject = match subject {
                    Some(subject) => {
                        let subject = subject.evaluate(&eval)?;
                        Some(
                            crate::text::in_language(&subject.text, &subject.translations, language.as_deref())
                                .to_owned(),
                        )
                    }
                    None => None,
                };
                Action::Notify {
                    channel: *channel,
                    to: eval(to)?.to_json(),
                    message: chosen.to_owned(),
                    messages: message.translations.clone(),
                    subject,
                }
            }
            ActionSpec::UpdateFields { record, set } => Action::UpdateFields {
                record: match record {
                    Some((path, form)) => Some(RecordRef { form: form.clone(), id: eval(&path_expr(path))?.to_json() }),
                    None => None,
                },
                set: all(set)?,
            },
            ActionSpec::CreateRecord { form, values } => {
                Action::CreateRecord { form: form.clone(), values: all(values)? }
            }
            ActionSpec::StartProcess { flow } => Action::StartProcess { flow: flow.clone() },
            ActionSpec::Webhook { url, body, masked } => {
                let mut body = all(body)?;
                for key in masked {
                    if let Some(value) = body.get_mut(key.as_str())
                        && !value.is_null()
                    {
                        let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                        *value = Json::String(mask(&text));
                    }
                }
                Action::Webhook { url: url.clone(), body }
            }
        })
    }
}

/// A field path as an expression.
fn path_expr(path: &[String]) -> Expr {
    Expr { kind: ExprKind::Path(path.to_vec()), span: Span::default() }
}

impl Action {
    /// The action as its explanation shows it.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    /// An action read back from its explanation.
    pub fn from_json(json: &Json) -> Result<Action, String> {
        serde_json::from_value(json.clone()).map_err(|e| format!("not an action: {e}"))
    }
}

/// Masks a text read from personal data, showing at most what lets its owner recognise it
/// and never half of it: of 15 characters or more (an ID number) the first 3 and last 4
/// stay (`110***********1234`); of 10 to 14 (a mobile) the last 4 (`*******5678`); a
/// shorter text reads `****` whatever its length.
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let first = match n {
        15.. => 3,
        10..15 => 0,
        _ => return "****".to_owned(),
    };
    chars.iter().enumerate().map(|(i, c)| if i < first || i + 4 >= n { *c } else { '*' }).collect()
}

/// Instants as the API writes them: UTC with microseconds (`2026-11-28T03:30:00.000000Z`).
mod instant {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text).map(|t| t.with_timezone(&Utc)).map_err(serde::de::Error::custom)
    }
}

/// An instant that may be absent, as `instant` writes it.
mod maybe_instant {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::instant::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| DateTime::parse_from_rfc3339(&t).map(|t| t.with_timezone(&Utc)).map_err(serde::de::Error::custom))
            .transpose()
    }
}
