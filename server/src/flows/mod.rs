//! Processes at work: instances started by hand or by a record change, moved on by events
//! (a timer due, a task completed, the subject record changed) in the transaction of the
//! event. The engine (engine-flow) decides; this module loads what it reads (the subject
//! record, related records' values), stores the new state and carries out its commands:
//! timers into `trellis_flow_timers`, tasks into the inbox, notifications into the outbox.

mod escalate;
mod runner;
mod store;

use chrono::{DateTime, Utc};
use engine_flow::{Command, Event, Flow, Input, StartTrigger};
use engine_rule::{Context, Value as ExprValue};
use sea_orm::DatabaseTransaction;
use serde_json::{Value, json};

pub use escalate::run_due_escalations;
pub use runner::run_due_timers;

use crate::api::error::ApiError;
use crate::catalog::PublishedApp;
use crate::records::FormCtx;
use crate::records::values::RecordValues;

/// An event for an instance, as the server receives it.
pub enum Incoming {
    Start,
    TimerDue(u64),
    TaskCompleted { token: u64, outcome: Option<String>, values: Vec<(String, ExprValue)>, by: String },
    ServiceDone(u64),
    SubjectChanged,
    Cancel,
}

/// Starts an instance of `flow` (following record `subject` of its subject form); its id.
pub async fn start(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    flow: &str,
    subject: Option<i64>,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let definition = app.flow(flow)?;
    let subject = match (&definition.subject, subject) {
        (Some(form), Some(id)) => Some((form.as_str(), id)),
        (Some(form), None) => {
            return Err(ApiError::bad_request(
                "subject_required",
                format!("`{flow}` follows a `{form}` record: name it"),
            ));
        }
        (None, _) => None,
    };
    let id = store::insert(tx, (&app.key, flow, app.version), subject, by, now).await?;
    store::history(tx, id, "started", json!({ "by": by, "subject": subject.map(|(_, s)| s) }), now).await?;
    deliver(tx, app, id, Incoming::Start, now).await?;
    Ok(id)
}

/// Starts the flows a record change starts: those whose subject is `form`, started on
/// `created` (or `updated`) when their condition holds.
pub async fn on_record_change(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    (form, id): (&str, i64),
    created: bool,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    // Only forms some flow follows cost anything more.
    if !app.flows.iter().any(|f| f.subject.as_deref() == Some(form)) {
        return Ok(());
    }
    if !created {
        for instance in store::following(tx, &app.key, form, id).await? {
            deliver(tx, app, instance, Incoming::SubjectChanged, now).await?;
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
                .map_err(|e| ApiError::bad_request("flow_start", format!("`{}`: {e}", flow.key)))?;
            if holds != ExprValue::Bool(true) {
                continue;
            }
        }
        start(tx, app, &flow.key, Some(id), by, now).await?;
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
) -> Result<RecordValues<'a>, ApiError> {
    let record_ctx = FormCtx::new(app, form, sea_orm::ConnectionTrait::get_database_backend(tx))?;
    let (_, values) = crate::rules::current_values(tx, &record_ctx, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no `{form}` record {id}")))?;
    let mut record = RecordValues::new(app.form(form)?, id, values, ctx);
    let form_def = app.form(form)?;
    let needs = crate::rules::Needs {
        paths: flow.reads().into_iter().filter(|p| p.len() > 1 && form_def.field(&p[0]).is_some()).collect(),
        aggregates: Vec::new(),
    };
    crate::rules::load_related(tx, app, &mut record, &needs).await?;
    Ok(record)
}

/// Applies `event` to instance `id` and carries out what the engine asks, in `tx`.
pub async fn deliver(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    id: i64,
    event: Incoming,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut row = store::load(tx, id, true).await?.ok_or_else(|| ApiError::not_found(format!("no process {id}")))?;
    if row.instance.status != engine_flow::Status::Running {
        return Err(ApiError::Conflict { code: "process_ended", detail: format!("process {id} has ended") });
    }
    let old;
    let flow: &Flow = if row.version == app.version {
        app.flow(&row.flow)?
    } else {
        // Instances stay on the version they started with.
        old = crate::catalog::flows_of_version(tx, &row.app, row.version).await?;
        old.iter().find(|f| f.key == row.flow).ok_or_else(|| ApiError::not_found(format!("no flow `{}`", row.flow)))?
    };
    let ctx = context(app, now);
    let subject_values = match &row.subject {
        Some((form, subject_id)) => Some(subject_record(tx, app, flow, (form, *subject_id), ctx).await?),
        None => None,
    };
    let subject_ref = row.subject.as_ref().map(|(f, i)| (f.as_str(), *i));
    let mut queue = vec![event];
    let mut steps = 0;
    while let Some(next) = queue.pop() {
        steps += 1;
        if steps > 1000 {
            return Err(ApiError::Conflict {
                code: "flow_runaway",
                detail: "the process ran 1000 steps at once".into(),
            });
        }
        let (label, event) = match next {
            Incoming::Start => ("start", Event::Start),
            Incoming::TimerDue(token) => ("timer_due", Event::TimerDue { token }),
            Incoming::TaskCompleted { token, outcome, values, by } => {
                let data = Value::Object(
                    values.iter().map(|(k, v)| (k.clone(), crate::records::values::expr_json(v))).collect(),
                );
                store::close_task(tx, (id, token), "completed", Some((&by, outcome.as_deref(), &data)), now).await?;
                store::history(tx, id, "task_completed", json!({ "token": token, "by": by, "outcome": outcome }), now)
                    .await?;
                ("task_completed", Event::TaskCompleted { token, outcome, values, by })
            }
            Incoming::ServiceDone(token) => ("service_done", Event::ServiceDone { token }),
            Incoming::SubjectChanged => ("subject_changed", Event::SubjectChanged),
            Incoming::Cancel => ("cancelled", Event::Cancel),
        };
        // The engine's input borrows the record as `dyn Record`, so it lives only here,
        // between the awaits.
        let handled = {
            let subject: &dyn engine_rule::Record = match &subject_values {
                Some(values) => values,
                None => &NoSubject,
            };
            row.instance.handle(&Input { flow, subject, ctx: &ctx }, event)
        };
        let commands = handled.map_err(|e| ApiError::Conflict {
            code: "flow_error",
            detail: format!("process {id} ({}): {e}", row.flow),
        })?;
        if !matches!(label, "task_completed" | "subject_changed" | "service_done") {
            store::history(tx, id, label, json!({}), now).await?;
        }
        for command in commands {
            if let Some(more) = carry_out(tx, app, (id, subject_ref), command, now).await? {
                queue.push(more);
            }
        }
    }
    store::save(tx, id, &row.instance, now).await
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
) -> Result<(), ApiError> {
    let row = store::load(tx, id, true).await?.ok_or_else(|| ApiError::not_found(format!("no process {id}")))?;
    let flows_at = |version: i64| async move {
        if version == app.version {
            Ok(app.flows.clone())
        } else {
            crate::catalog::flows_of_version(tx, &app.key, version).await
        }
    };
    let (old, new) = (flows_at(row.version).await?, flows_at(to).await?);
    let find = |flows: &[Flow], version: i64| {
        flows.iter().find(|f| f.key == row.flow).cloned().ok_or_else(|| {
            ApiError::not_found(format!("version {version} of `{}` has no flow `{}`", app.key, row.flow))
        })
    };
    let (from, target) = (find(&old, row.version)?, find(&new, to)?);
    let moved = row.instance.migrate(&from, &target, mapping).map_err(|errors| ApiError::Conflict {
        code: "unsafe_migration",
        detail: errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
    })?;
    for (before, after) in row.instance.tokens.iter().zip(&moved.tokens) {
        if before.node != after.node {
            store::rename_task_node(tx, (id, after.id), &after.node).await?;
        }
    }
    store::set_version(tx, id, to).await?;
    store::save(tx, id, &moved, now).await?;
    store::history(tx, id, "migrated", json!({ "from": row.version, "to": to, "mapping": mapping }), now).await?;
    Ok(())
}

/// Carries out one command; a service step done at once gives the event that says so.
async fn carry_out(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    (id, subject): (i64, Option<(&str, i64)>),
    command: Command,
    now: DateTime<Utc>,
) -> Result<Option<Incoming>, ApiError> {
    match command {
        Command::ScheduleTimer { token, due } => store::set_timer(tx, id, token, due).await?,
        Command::CancelTimer { token } => store::remove_timer(tx, id, token).await?,
        Command::CreateTask(order) => {
            store::insert_task(tx, (&app.key, id), subject, &order, now).await?;
            store::history(tx, id, "task_created", json!({ "node": order.node, "title": order.title }), now).await?;
        }
        Command::CancelTask { token } => store::close_task(tx, (id, token), "cancelled", None, now).await?,
        Command::RunService { token, node, action } => {
            match action["type"].as_str() {
                Some("notify") => {
                    let body = json!({ "message": action["message"] });
                    let channel = action["channel"].as_str().unwrap_or("in_app");
                    crate::rules::queue_message(tx, app, channel, &action["to"], &body, now).await?;
                }
                other => {
                    return Err(ApiError::Conflict {
                        code: "flow_service",
                        detail: format!("`{node}`: service steps of type {other:?} do not run yet"),
                    });
                }
            }
            store::history(tx, id, "service_done", json!({ "node": node, "action": action }), now).await?;
            return Ok(Some(Incoming::ServiceDone(token)));
        }
        Command::Completed => store::history(tx, id, "completed", json!({}), now).await?,
        Command::StartSubProcess { .. } | Command::WaitForMessage { .. } | Command::CancelWait { .. } => {
            return Err(ApiError::Conflict {
                code: "flow_unsupported",
                detail: "sub-processes and message waits do not run yet".into(),
            });
        }
    }
    Ok(None)
}

/// The subject of a flow that follows no record: every field reads as null.
struct NoSubject;

impl engine_rule::Record for NoSubject {
    fn value(&self, _path: &[String]) -> ExprValue {
        ExprValue::Null
    }
}
