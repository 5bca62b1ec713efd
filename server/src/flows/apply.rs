//! One instance moved on by one event: the event recorded, the engine run on it (and on
//! each event its own steps give), the engine's commands carried out (timers and service
//! jobs, tasks, waits, sub-processes), the state saved, in the event's transaction.

use chrono::{DateTime, Utc};
use engine_flow::{Command, Event, Flow, Input, Instance, Stored};
use engine_rule::Value as ExprValue;
use sea_orm::DatabaseTransaction;
use serde_json::{Value, json};

use super::events::EventData;
use super::store::{self, Row};
use super::{Incoming, context, deliver, flow_at, start_at, subject_record};
use crate::catalog::PublishedApp;
use crate::error::{ConflictCode, Error};

/// How many engine steps one event may cause before the process is stopped as a runaway.
const MAX_STEPS: usize = 1000;

/// Applies `event` to instance `id`: the engine runs on each event in turn (those the
/// instance's own steps give after the first), its commands are carried out, the state
/// saved. Whether it completed now.
pub(super) async fn apply(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    id: i64,
    event: Incoming,
    now: DateTime<Utc>,
    depth: usize,
) -> Result<bool, Error> {
    let mut row = store::load(tx, id, true).await?.ok_or_else(|| Error::not_found(format!("no process {id}")))?;
    if row.instance.status != engine_flow::Status::Running {
        return Err(Error::Conflict { code: ConflictCode::process_ended, detail: format!("process {id} has ended") });
    }
    let flow = flow_at(tx, app, &row.flow, row.version).await?;
    let flow: &Flow = &flow;
    let ctx = context(app, now);
    // Cancelling reads nothing (and the subject may be the record just deleted).
    let subject_values = match (&row.subject, &event) {
        (_, Incoming::Cancel) | (None, _) => None,
        (Some((form, subject_id)), _) => Some(subject_record(tx, app, flow, (form, *subject_id), ctx).await?),
    };
    let mut queue = vec![event];
    let mut steps = 0;
    while let Some(next) = queue.pop() {
        if row.instance.status != engine_flow::Status::Running {
            break; // It ended; what else its steps gave has nothing left to move.
        }
        steps += 1;
        if steps > MAX_STEPS {
            let detail = format!("the process ran {MAX_STEPS} steps at once");
            return Err(Error::Conflict { code: ConflictCode::flow_runaway, detail });
        }
        arrived(tx, app, id, &next, now, depth).await?;
        let mut message = None;
        let (label, event) = engine_event(next, flow, &mut row.instance, &mut message);
        let waiting_before = waiting_tokens(&row.instance);
        // The engine's input borrows the record as `dyn Record`, so it lives only here,
        // between the awaits.
        let handled = {
            let subject: &dyn engine_rule::Record = match &subject_values {
                Some(values) => values,
                None => &NoSubject,
            };
            row.instance.handle(&Input { flow, subject, ctx: &ctx }, event)
        };
        let commands = handled.map_err(|e| Error::Conflict {
            code: ConflictCode::flow_error,
            detail: format!("process {id} ({}): {e}", row.flow),
        })?;
        stepped(tx, id, label, waiting_before, &row.instance, message.as_ref().map(|(e, _)| e.as_str()), now).await?;
        for command in commands {
            queue.extend(carry_out(tx, app, id, &row, command, now, depth).await?);
        }
    }
    store::save(tx, id, &row.instance, now).await?;
    Ok(row.instance.status == engine_flow::Status::Completed)
}

/// What an event itself changes before the engine sees it: a cancelled instance's
/// sub-processes and jobs end, a completed task is closed; timers and tasks say so in the
/// history.
async fn arrived(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    id: i64,
    event: &Incoming,
    now: DateTime<Utc>,
    depth: usize,
) -> Result<(), Error> {
    match event {
        Incoming::Cancel => {
            // Its sub-processes end with it.
            for child in store::children(tx, id).await? {
                deliver(tx, app, child, Incoming::Cancel, now, depth).await?;
            }
            // A service step not yet run never will be.
            store::remove_jobs(tx, id).await?;
        }
        Incoming::TimerDue(token) => {
            // Which server fired it: several may share the database.
            let runner = format!("{}:{}", std::env::var("HOSTNAME").unwrap_or_default(), std::process::id());
            store::history(tx, id, "timer_due", json!({ "token": token, "runner": runner }), now).await?;
        }
        Incoming::TaskCompleted { token, outcome, values, by } => {
            let data =
                Value::Object(values.iter().map(|(k, v)| (k.clone(), crate::records::values::expr_json(v))).collect());
            crate::tasks::store::close_step(tx, (id, *token), "completed", Some((by, outcome.as_deref(), &data)), now)
                .await?;
            store::history(tx, id, "task_completed", json!({ "token": token, "by": by, "outcome": outcome }), now)
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// The engine's event for `incoming`, under its history label; a start's data is kept
/// under the start node, a message kept in `message` for the event to borrow.
fn engine_event<'m>(
    incoming: Incoming,
    flow: &Flow,
    instance: &mut Instance,
    message: &'m mut Option<(String, EventData)>,
) -> (&'static str, Event<'m>) {
    match incoming {
        Incoming::Start(data) => {
            if let Some(start) = flow.start()
                && !data.is_empty()
            {
                let kept = data.iter().map(|(k, v)| (k.clone(), Stored::from(v))).collect();
                instance.outputs.insert(start.id.clone(), kept);
            }
            ("start", Event::Start)
        }
        Incoming::TimerDue(token) => ("timer_due", Event::TimerDue { token }),
        Incoming::TaskCompleted { token, outcome, values, by } => {
            ("task_completed", Event::TaskCompleted { token, outcome, values, by })
        }
        Incoming::ServiceDone(token) => ("service_done", Event::ServiceDone { token }),
        Incoming::SubProcessDone(token) => ("subprocess_done", Event::SubProcessDone { token }),
        Incoming::Message { event, data } => {
            let (event, data) = message.insert((event, data));
            let values = data.fields();
            ("message", Event::Message { event, data: &*data, values })
        }
        Incoming::SubjectChanged => ("subject_changed", Event::SubjectChanged),
        Incoming::Cancel => ("cancelled", Event::Cancel),
    }
}

/// Records a step in the history: for a message, the tokens that took it (which wait no
/// more); the events recorded on arrival, or too frequent to record, are left out.
async fn stepped(
    tx: &DatabaseTransaction,
    id: i64,
    label: &str,
    waiting_before: Vec<u64>,
    instance: &Instance,
    message: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if label == "message" {
        let still = waiting_tokens(instance);
        let took: Vec<u64> = waiting_before.into_iter().filter(|t| !still.contains(t)).collect();
        for token in &took {
            store::remove_wait(tx, id, *token).await?;
        }
        if !took.is_empty() {
            store::history(tx, id, "message", json!({ "event": message, "tokens": took }), now).await?;
        }
    } else if !matches!(label, "task_completed" | "subject_changed" | "service_done" | "timer_due") {
        store::history(tx, id, label, json!({}), now).await?;
    }
    Ok(())
}

/// The tokens of `instance` waiting for a message.
fn waiting_tokens(instance: &Instance) -> Vec<u64> {
    instance.tokens.iter().filter(|t| t.state == engine_flow::TokenState::Message).map(|t| t.id).collect()
}

/// Carries out one command: the event it gives the instance at once (a sub-process that
/// completed at once), if any.
async fn carry_out(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    id: i64,
    row: &Row,
    command: Command,
    now: DateTime<Utc>,
    depth: usize,
) -> Result<Option<Incoming>, Error> {
    let (version, subject) = (row.version, row.subject.as_ref().map(|(f, i)| (f.as_str(), *i)));
    match command {
        Command::ScheduleTimer { token, due } => store::set_timer(tx, id, token, due).await?,
        Command::CancelTimer { token } => store::remove_job(tx, id, token).await?,
        Command::CreateTask(order) => {
            crate::tasks::store::insert(tx, &crate::tasks::store::NewTask::of_step(&app.key, id, subject, &order), now)
                .await?;
            store::history(tx, id, "task_created", json!({ "node": order.node, "title": order.title }), now).await?;
        }
        Command::CancelTask { token } => {
            crate::tasks::store::close_step(tx, (id, token), "cancelled", None, now).await?
        }
        Command::RunService { token, node, action } => {
            store::add_service_job(tx, id, token, &json!({ "node": node, "action": action }), now).await?;
        }
        Command::StartSubProcess { token, flow } => {
            let subject = subject.map(|(_, s)| s);
            let parent = (None, Some((id, token)));
            // Boxed: a sub-process starts as its parent does.
            let (child, completed) =
                Box::pin(start_at(tx, app, (&flow, version), subject, parent, Vec::new(), now, depth + 1)).await?;
            store::history(
                tx,
                id,
                "subprocess_started",
                json!({ "token": token, "flow": flow, "instance": child }),
                now,
            )
            .await?;
            if completed {
                return Ok(Some(Incoming::SubProcessDone(token)));
            }
        }
        Command::WaitForMessage { token, event, key } => {
            store::add_wait(tx, (&app.key, &event), (id, token), key).await?
        }
        Command::CancelWait { token } => store::remove_wait(tx, id, token).await?,
        Command::Completed => store::history(tx, id, "completed", json!({}), now).await?,
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
