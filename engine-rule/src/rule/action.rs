//! What a rule does when it fires: declared with expressions, handed to the server with
//! every expression evaluated.

use chrono::{DateTime, Utc};

use crate::expr::ExprError;
use crate::expr::ast::Expr;
use crate::expr::eval::{Context, Record, evaluate};
use crate::expr::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Low,
    Normal,
    High,
}

/// Where a notification goes out, through the server's outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Email,
    InstantMessage,
    InApp,
}

/// An action as declared in the rule.
#[derive(Debug, Clone)]
pub(crate) enum ActionSpec {
    CreateTask {
        title: Expr,
        assignee: Expr,
        priority: Priority,
        due_in_hours: i64,
    },
    Notify {
        channel: Channel,
        to: Expr,
        message: Expr,
    },
    /// `record`: the relation path to a related record and that record's form; the
    /// rule's own record when `None`.
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

/// An action ready for the server to carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    CreateTask {
        title: String,
        assignee: Value,
        priority: Priority,
        due_at: DateTime<Utc>,
    },
    Notify {
        channel: Channel,
        to: Value,
        message: String,
    },
    /// `record`: the related record to update (its form and id; a null id when the
    /// relation is empty); the rule's own record when `None`.
    UpdateFields {
        record: Option<(String, Value)>,
        values: Vec<(String, Value)>,
    },
    CreateRecord {
        form: String,
        values: Vec<(String, Value)>,
    },
    StartProcess {
        flow: String,
    },
    /// `masked`: the body keys the server masks before the message leaves.
    Webhook {
        url: String,
        body: Vec<(String, Value)>,
        masked: Vec<String>,
    },
}

fn all(pairs: &[(String, Expr)], data: &dyn Record, ctx: &Context) -> Result<Vec<(String, Value)>, ExprError> {
    pairs.iter().map(|(k, e)| Ok((k.clone(), evaluate(e, data, ctx)?))).collect()
}

impl ActionSpec {
    /// Every expression of the action.
    pub(crate) fn exprs(&self) -> Vec<&Expr> {
        match self {
            ActionSpec::CreateTask { title, assignee, .. } => vec![title, assignee],
            ActionSpec::Notify { to, message, .. } => vec![to, message],
            ActionSpec::UpdateFields { set: pairs, .. }
            | ActionSpec::CreateRecord { values: pairs, .. }
            | ActionSpec::Webhook { body: pairs, .. } => pairs.iter().map(|(_, e)| e).collect(),
            ActionSpec::StartProcess { .. } => Vec::new(),
        }
    }

    pub(crate) fn evaluate(&self, data: &dyn Record, ctx: &Context) -> Result<Action, ExprError> {
        Ok(match self {
            ActionSpec::CreateTask { title, assignee, priority, due_in_hours } => Action::CreateTask {
                title: evaluate(title, data, ctx)?.to_text(),
                assignee: evaluate(assignee, data, ctx)?,
                priority: *priority,
                due_at: super::after_hours(ctx, *due_in_hours)?,
            },
            ActionSpec::Notify { channel, to, message } => Action::Notify {
                channel: *channel,
                to: evaluate(to, data, ctx)?,
                message: evaluate(message, data, ctx)?.to_text(),
            },
            ActionSpec::UpdateFields { record, set } => Action::UpdateFields {
                record: record.as_ref().map(|(path, form)| (form.clone(), data.value(path))),
                values: all(set, data, ctx)?,
            },
            ActionSpec::CreateRecord { form, values } => {
                Action::CreateRecord { form: form.clone(), values: all(values, data, ctx)? }
            }
            ActionSpec::StartProcess { flow } => Action::StartProcess { flow: flow.clone() },
            ActionSpec::Webhook { url, body, masked } => {
                Action::Webhook { url: url.clone(), body: all(body, data, ctx)?, masked: masked.clone() }
            }
        })
    }
}
