//! Processes at work: instances started by hand, by a record change, by an event, on a
//! schedule, by a rule or by another process, moved on by events (a timer due, a task
//! completed, a message arrived, a sub-process done, the subject record changed) in the
//! transaction of the event. The engine (engine-flow) decides; this module loads what it
//! reads (the subject record, related records' values), stores the new state and carries
//! out its commands: timers and service steps into `trellis_flow_jobs` for the runner
//! (service steps go through the same writes and outbox as rules), tasks into the inbox,
//! waits into `trellis_flow_waits`. Nothing here writes records: only a service step
//! does, as a job of its own, so a change never comes back to an instance mid-event.

mod apply;
mod complete;
mod escalate;
mod events;
pub mod instances;
mod runner;
pub(crate) mod store;

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use engine_flow::{Flow, StartTrigger};
use engine_rule::{Context, Value as ExprValue};
use futures_util::future::BoxFuture;
use sea_orm::DatabaseTransaction;
use serde_json::{Value, json};

use apply::apply;
pub use complete::{Completion, complete};
pub use escalate::run_due_escalations;
pub use events::{EventData, on_event, run_due_starts};
pub use runner::{incidents, retry_incident, run_due_timers};

use crate::catalog::PublishedApp;
use crate::error::{BadInputCode, ConflictCode, Error};
use crate::records::FormCtx;
use crate::records::values::RecordValues;

/// An event for an instance, as the server receives it.
pub enum Incoming {
    /// A new instance begins; an event-started one keeps the event's data under its start node.
    Start(Vec<(String, ExprValue)>),
    TimerDue(u64),
    TaskCompleted {
        token: u64,
        outcome: Option<String>,
        values: Vec<(String, ExprValue)>,
        by: String,
    },
    ServiceDone(u64),
    SubProcessDone(u64),
    Message {
        event: String,
        data: EventData,
    },
    SubjectChanged,
    Cancel,
}

/// A record written by the platform (a rule, a process) or a user, for the flows that
/// follow its form.
pub struct Written<'a> {
    pub form: &'a str,
    pub id: i64,
    pub created: bool,
    pub by: Option<i64>,
}

/// Starts an instance of `flow` (following record `subject` of its subject form); its id.
/// `by`: the user who started it, and the instance (and token) it is a sub-process of.
pub async fn start(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    flow: &str,
    subject: Option<i64>,
    by: (Option<i64>, Option<(i64, u64)>),
    now: DateTime<Utc>,
) -> Result<i64, Error> {
    let (id, _) = start_at(tx, app, (flow, app.version), subject, by, Vec::new(), now, 0).await?;
    Ok(id)
}

/// Starts an instance of `flow` as of app version `version`; its id and whether it
/// completed at once.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn start_at(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    (flow, version): (&str, i64),
    subject: Option<i64>,
    (by, parent): (Option<i64>, Option<(i64, u64)>),
    data: Vec<(String, ExprValue)>,
    now: DateTime<Utc>,
    depth: usize,
) -> Result<(i64, bool), Error> {
    crate::actions::guard(depth)?;
    let definition = flow_at(tx, app, flow, version).await?;
    let subject = match (&definition.subject, subject) {
        (Some(form), Some(id)) => Some((form.as_str(), id)),
        (Some(form), None) => {
            return Err(Error::bad_input(
                BadInputCode::subject_required,
                format!("`{flow}` follows a `{form}` record: name it"),
            ));
        }
        (None, _) => None,
    };
    let id = store::insert(tx, (&app.key, flow, version), subject, (by, parent), now).await?;
    store::history(
        tx,
        id,
        "started",
        json!({ "by": by, "subject": subject.map(|(_, s)| s), "parent": parent.map(|(p, _)| p) }),
        now,
    )
    .await?;
    let completed = apply(tx, app, id, Incoming::Start(data), now, depth).await?;
    Ok((id, completed))
}

/// The flow `key` as app version `version` defines it (instances stay on the version
/// they started with).
pub(crate) async fn flow_at<'a>(
    tx: &DatabaseTransaction,
    app: &'a PublishedApp,
    key: &str,
    version: i64,
) -> Result<Cow<'a, Flow>, Error> {
    if version == app.version {
        return Ok(Cow::Borrowed(app.flow(key)?));
    }
    let flows = crate::catalog::flows_of_version(tx, &app.key, version).await?;
    flows
        .into_iter()
        .find(|f| f.key == key)
        .map(Cow::Owned)
        .ok_or_else(|| Error::not_found(format!("version {version} of `{}` has no flow `{key}`", app.key)))
}

/// Starts the flows a record change starts (those whose subject is the form, started on
/// `created` or `updated` when their condition holds) and tells the running instances
/// that follow the record.
pub async fn on_record_change(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    written: Written<'_>,
    now: DateTime<Utc>,
    depth: usize,
) -> Result<(), Error> {
    let Written { form, id, created, by } = written;
    // Only forms some flow follows cost anything more.
    if !app.flows.iter().any(|f| f.subject.as_deref() == Some(form)) {
        return Ok(());
    }
    if !created {
        for instance in store::following(tx, &app.key, form, id).await? {
            deliver(tx, app, instance, Incoming::SubjectChanged, now, depth).await?;
        }
    }
    for flow in app.flows.iter().filter(|f| f.subject.as_deref() == Some(form)) {
        let condition = match flow.start().map(|n| &n.kind) {
            Some(engine_flow::NodeKind::Start(StartTrigger::Created { condition })) if created => condition,
            Some(engine_flow::NodeKind::Start(StartTrigger::Updated { condition })) if !created => condition,
            _ => continue,
        };
        if let Some(condition) = condition {
            let ctx = context(app, now);
            let record = subject_record(tx, app, flow, (form, id), ctx).await?;
            let holds = engine_rule::evaluate(condition, &record, &ctx)
                .map_err(|e| Error::bad_input(BadInputCode::flow_start, format!("`{}`: {e}", flow.key)))?;
            if holds != ExprValue::Bool(true) {
                continue;
            }
        }
        start_at(tx, app, (&flow.key, app.version), Some(id), (by, None), Vec::new(), now, depth).await?;
    }
    Ok(())
}

/// A record some running instances follow was deleted: they are cancelled (their tasks
/// withdrawn, their timers and jobs gone), the history saying why.
pub async fn on_record_deleted(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    (form, id): (&str, i64),
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if !app.flows.iter().any(|f| f.subject.as_deref() == Some(form)) {
        return Ok(());
    }
    for instance in store::following(tx, &app.key, form, id).await? {
        store::history(tx, instance, "subject_deleted", json!({ "form": form, "id": id }), now).await?;
        deliver(tx, app, instance, Incoming::Cancel, now, 0).await?;
    }
    Ok(())
}

fn context(app: &PublishedApp, now: DateTime<Utc>) -> Context<'_> {
    // Days are counted in the bank's zone; a flow's `at` timers name their own.
    let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    Context::at(now, today).with_calendars(&app.bundle.calendars)
}

/// The subject record as the flow reads it: its fields and the related values it reads.
async fn subject_record<'a>(
    tx: &DatabaseTransaction,
    app: &'a PublishedApp,
    flow: &Flow,
    (form, id): (&str, i64),
    ctx: Context<'a>,
) -> Result<RecordValues<'a>, Error> {
    let record_ctx = FormCtx::new(app, form, sea_orm::ConnectionTrait::get_database_backend(tx), ctx.now)?;
    let (_, values) = crate::records::read::current_values(tx, &record_ctx, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("no `{form}` record {id}")))?;
    let mut record = RecordValues::new(app.form(form)?, id, values, ctx);
    let form_def = app.form(form)?;
    let paths = flow.reads().into_iter().filter(|p| p.len() > 1 && form_def.field(&p[0]).is_some()).collect();
    let needs = crate::rules::related::Needs { paths, aggregates: Vec::new() };
    crate::rules::related::load(tx, app, &mut record, &needs).await?;
    Ok(record)
}

/// Applies `event` to instance `id` and carries out what the engine asks, in `tx`; when
/// the instance completes as a sub-process, its parent goes on.
pub fn deliver<'a>(
    tx: &'a DatabaseTransaction,
    app: &'a PublishedApp,
    id: i64,
    event: Incoming,
    now: DateTime<Utc>,
    depth: usize,
) -> BoxFuture<'a, Result<(), Error>> {
    Box::pin(async move {
        if apply(tx, app, id, event, now, depth).await?
            && let Some((parent, token)) = store::load(tx, id, false).await?.and_then(|r| r.parent)
        {
            deliver(tx, app, parent, Incoming::SubProcessDone(token), now, depth).await?;
        }
        Ok(())
    })
}

/// Moves running instance `id` to version `to` of the app (its flow of the same key),
/// each token to the node `mapping` names or the node with the same id; refused, with
/// every reason, when a move is unsafe.
pub async fn migrate(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    id: i64,
    to: i64,
    mapping: &std::collections::BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let row = store::load(tx, id, true).await?.ok_or_else(|| Error::not_found(format!("no process {id}")))?;
    let flows_at = |version: i64| async move {
        if version == app.version {
            Ok(app.flows.clone())
        } else {
            crate::catalog::flows_of_version(tx, &app.key, version).await
        }
    };
    let (old, new) = (flows_at(row.version).await?, flows_at(to).await?);
    let find =
        |flows: &[Flow], version: i64| {
            flows.iter().find(|f| f.key == row.flow).cloned().ok_or_else(|| {
                Error::not_found(format!("version {version} of `{}` has no flow `{}`", app.key, row.flow))
            })
        };
    let (from, target) = (find(&old, row.version)?, find(&new, to)?);
    let moved = row.instance.migrate(&from, &target, mapping).map_err(|errors| Error::Conflict {
        code: ConflictCode::unsafe_migration,
        detail: errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
    })?;
    for (before, after) in row.instance.tokens.iter().zip(&moved.tokens) {
        if before.node != after.node {
            crate::tasks::store::rename_node(tx, (id, after.id), &after.node).await?;
        }
    }
    store::set_version(tx, id, to).await?;
    store::save(tx, id, &moved, now).await?;
    store::history(tx, id, "migrated", json!({ "from": row.version, "to": to, "mapping": mapping }), now).await?;
    Ok(())
}

/// Runs the service step job of `token` of instance `id` (`payload`: its node and action),
/// then lets the instance go on, in `tx`.
pub(crate) async fn run_service(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    (id, token): (i64, u64),
    payload: &Value,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let row = store::load(tx, id, true).await?.ok_or_else(|| Error::not_found(format!("no process {id}")))?;
    let action = engine_rule::Action::from_json(&payload["action"])
        .map_err(|e| Error::Internal(anyhow::anyhow!("process {id}: its service step: {e}")))?;
    // Processes act with the platform's authority, on the app version they run on.
    let origin = crate::actions::Origin {
        actor: crate::audit::Actor::process(id),
        subject: row.subject.clone(),
        deleted: false,
        acting_for: None,
        firing: None,
        version: Some(row.version),
    };
    let shown = crate::actions::run(tx, app, &action, &origin, now, 0).await?;
    store::history(tx, id, "service_done", json!({ "node": payload["node"], "action": shown }), now).await?;
    deliver(tx, app, id, Incoming::ServiceDone(token), now, 0).await
}
