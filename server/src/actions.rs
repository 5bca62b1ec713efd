//! The one executor of actions (`engine_rule::Action`), for rules' firings and processes'
//! service steps alike: a task raised, a message or a webhook queued in the outbox (its
//! values already masked by the engine where they read personal data), a record updated
//! or created through the write pipeline, a process started.

use chrono::{DateTime, Utc};
use engine_rule::{Action, RecordRef};
use sea_orm::DatabaseTransaction;
use serde_json::{Value, json};

use crate::audit::Actor;
use crate::catalog::PublishedApp;
use crate::error::{BadInputCode, ConflictCode, Error};
use crate::pipeline::{self, Authority, Op, Writer};
use crate::rules::store;

/// Where an action comes from, and what it may act on.
pub struct Origin {
    /// Who acts, as the audit trail names it: a rule's firing or a process.
    pub actor: Actor,
    /// The record the action is about (a rule's record, a process's subject).
    pub subject: Option<(String, i64)>,
    /// Whether that record was just deleted (then nothing updates it).
    pub deleted: bool,
    /// The user the action acts for (a rule that runs as the user); `None`: the platform.
    pub acting_for: Option<i64>,
    /// The firing that decided it, which its tasks and messages point back at.
    pub firing: Option<i64>,
    /// The app version a process runs on, which the processes it starts run on too;
    /// `None`: the current one.
    pub version: Option<i64>,
}

/// A message from `origin`: the firing that decided it and the record it is about.
fn outgoing(origin: &Origin) -> store::Outgoing<'_> {
    const NONE: Value = Value::Null;
    store::Outgoing {
        channel: "",
        recipient: &NONE,
        body: &NONE,
        firing: origin.firing,
        subject: origin.subject.as_ref().map(|(form, id)| (form.as_str(), *id)),
        withheld: None,
    }
}

/// How deep changes made by rules and processes may cause further changes.
pub const MAX_CASCADE: usize = 8;

pub(crate) fn guard(depth: usize) -> Result<(), Error> {
    if depth >= MAX_CASCADE {
        return Err(Error::Conflict {
            code: ConflictCode::rule_cascade,
            detail: format!("rules changed records that fired rules {MAX_CASCADE} levels deep; stopped here"),
        });
    }
    Ok(())
}

/// Runs `action`; what it did, as a process's history shows it (the record it updated
/// or made, the process it started).
pub async fn run(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    action: &Action,
    origin: &Origin,
    now: DateTime<Utc>,
    depth: usize,
) -> Result<Value, Error> {
    let mut done = action.to_json();
    match action {
        Action::CreateTask { title, titles, assignee, priority, due_at, remind_at, fallback_role, fallback_unit } => {
            let priority = serde_json::to_value(priority).unwrap_or_default();
            let route = route(tx, assignee, fallback_role.as_deref(), fallback_unit.as_deref()).await?;
            if let Some(why) = &route.why {
                done["routed"] = json!(why);
            }
            // Its holder is reminded; overdue, it goes up to the manager of their unit.
            let escalations = match &route.user {
                Some(_) => remind_at
                    .map(|at| (at, engine_flow::Escalate::Remind))
                    .into_iter()
                    .chain([(*due_at, engine_flow::Escalate::ToManager)])
                    .collect(),
                None => Vec::new(),
            };
            let task = crate::tasks::store::NewTask {
                app: &app.key,
                step: None,
                firing: origin.firing,
                title,
                candidate_role: route.role,
                assignee: route.user,
                candidate_unit: route.unit,
                priority: priority.as_str().unwrap_or("normal"),
                due: Some(*due_at),
                subject: origin.subject.as_ref().map(|(form, id)| (form.as_str(), *id)),
                escalations,
                titles: titles.clone(),
                data: route.why.map(|why| json!({ "routed": why })),
            };
            done["task"] = json!(crate::tasks::store::insert(tx, &task, now).await?);
        }
        Action::Notify { channel, to, message, messages, subject } => {
            // An in-app message is read in its user's language; others went out in theirs.
            let mut body = json!({ "message": message });
            if let Some(subject) = subject {
                body["subject"] = json!(subject);
            }
            if *channel == engine_rule::Channel::InApp && !messages.is_empty() {
                body["messages"] = Value::Object(messages.clone());
            }
            let mut message =
                store::Outgoing { channel: channel.key(), recipient: to, body: &body, ..outgoing(origin) };
            // A person who opted out gets nothing automatic: kept, with why, never sent.
            let withheld = match crate::outbox::opt_out::PERSONAL_CHANNELS.contains(&message.channel) {
                true => crate::outbox::opt_out::reason(tx, app, message.subject).await?,
                false => None,
            };
            message.withheld = withheld.as_deref();
            store::insert_outbox(tx, &app.key, message, now).await?;
        }
        Action::Webhook { url, body } => {
            let body = Value::Object(body.clone());
            let url = json!(url);
            let message = store::Outgoing { channel: "webhook", recipient: &url, body: &body, ..outgoing(origin) };
            store::insert_outbox(tx, &app.key, message, now).await?;
        }
        Action::UpdateFields { record, set } => {
            guard(depth)?;
            let (form, id) = target(record.as_ref(), origin)?;
            let op = Op::Update { id, version: None, values: set };
            // Boxed: a cascade of rule-made writes nests one write in another, and each
            // level's state stays off the stack.
            Box::pin(pipeline::write(tx, app, &form, op, &writer(origin), now, depth + 1)).await?;
            done["record"] = json!({ "form": form, "id": id });
        }
        Action::CreateRecord { form, values } => {
            guard(depth)?;
            let written =
                Box::pin(pipeline::write(tx, app, form, Op::Create(values), &writer(origin), now, depth + 1)).await?;
            done["id"] = json!(written.id);
        }
        Action::StartProcess { flow } => {
            guard(depth)?;
            done["instance"] = json!(start(tx, app, flow, origin, now, depth).await?);
        }
    }
    Ok(done)
}

/// A firing's update of its own record: the firing, the record's form and id, the values.
pub type SubjectUpdate<'v> = (i64, String, i64, &'v serde_json::Map<String, Value>);

/// The updates of rule firings that each set fields of their own record, made together
/// (`rules::after_changes`): through `pipeline::update_many`, each audited as its firing, in
/// firing order.
pub async fn update_subjects(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    updates: &[SubjectUpdate<'_>],
    now: DateTime<Utc>,
    depth: usize,
) -> Result<(), Error> {
    guard(depth)?;
    for run in updates.chunk_by(|a, b| a.1 == b.1) {
        let items: Vec<(Actor, i64, &serde_json::Map<String, Value>)> =
            run.iter().map(|(firing, _, id, set)| (Actor::rule(*firing), *id, *set)).collect();
        pipeline::update_many(tx, app, &run[0].1, &items, now, depth + 1).await?;
    }
    Ok(())
}

/// The writer a rule or a process writes as.
fn writer(origin: &Origin) -> Writer<'static> {
    let authority = match origin.acting_for {
        Some(user) => Authority::ActingFor(user),
        None => Authority::Platform,
    };
    Writer { actor: origin.actor.clone(), authority, user: origin.acting_for, rules: true }
}

/// The record an `update_fields` updates: the related one it names, or the subject.
fn target(record: Option<&RecordRef>, origin: &Origin) -> Result<(String, i64), Error> {
    match record {
        Some(RecordRef { form, id }) => match id.as_i64() {
            Some(id) => Ok((form.clone(), id)),
            None => Err(Error::bad_input(
                BadInputCode::rule_action,
                format!("there is no related `{form}` record to update"),
            )),
        },
        None => match (&origin.subject, origin.deleted) {
            (Some((form, id)), false) => Ok((form.clone(), *id)),
            _ => Err(Error::bad_input(BadInputCode::rule_action, "only an action about a live record can update it")),
        },
    }
}

/// Starts `flow`, following the action's record when the flow follows records of that
/// form; the new instance's id.
async fn start(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    flow: &str,
    origin: &Origin,
    now: DateTime<Utc>,
    depth: usize,
) -> Result<i64, Error> {
    let version = origin.version.unwrap_or(app.version);
    let follows = crate::flows::flow_at(tx, app, flow, version).await?.subject.clone();
    let record = match (&follows, &origin.subject, origin.deleted) {
        (None, ..) => None,
        (Some(wanted), Some((form, id)), false) if wanted == form => Some(*id),
        (Some(wanted), ..) => {
            return Err(Error::bad_input(
                BadInputCode::rule_action,
                format!("`{flow}` follows a `{wanted}` record, and this action has none"),
            ));
        }
    };
    let by = (origin.acting_for, None);
    let (started, _) = crate::flows::start_at(tx, app, (flow, version), record, by, Vec::new(), now, depth + 1).await?;
    Ok(started)
}

/// Who a rule's task goes to, and why when it is not its assignee.
struct Route {
    user: Option<String>,
    role: Option<String>,
    unit: Option<String>,
    why: Option<String>,
}

/// A person is a user name (a record of a form whose records are people reads as theirs);
/// anything else names nobody. Then no alert is lost: the task waits in the queue of the
/// fallback unit (for the fallback role in it, if one is named), or is offered to the
/// fallback role, or waits for an administrator; the task says which and why.
async fn route(
    tx: &DatabaseTransaction,
    assignee: &Value,
    role: Option<&str>,
    unit: Option<&str>,
) -> Result<Route, Error> {
    if let Some(user) = assignee.as_str().filter(|name| !name.is_empty()) {
        return Ok(Route { user: Some(user.to_owned()), role: None, unit: None, why: None });
    }
    let unit = match unit {
        Some(key) if crate::auth::directory::unit_exists(tx, key).await? => Some(key.to_owned()),
        _ => None,
    };
    let whom = match (&unit, role) {
        (Some(unit), Some(role)) => format!("offered to the role `{role}` in the queue of `{unit}`"),
        (Some(unit), None) => format!("waiting in the queue of `{unit}`"),
        (None, Some(role)) => format!("offered to the role `{role}`"),
        (None, None) => "waiting for an administrator to assign it".to_owned(),
    };
    let why = match assignee {
        Value::Null => format!("the assignee names no user; {whom}"),
        named => format!("`{named}` names no user; {whom}"),
    };
    Ok(Route { user: None, role: role.map(str::to_owned), unit, why: Some(why) })
}
