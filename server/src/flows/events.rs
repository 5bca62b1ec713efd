//! Processes and events: an event that arrives moves on the instances waiting for it
//! (each waiting token whose correlation holds takes it) and starts the flows started by
//! it, in the transaction that records the event; a flow started on a schedule starts
//! once per occurrence, claimed like a scheduled rule's so one server starts it.

use chrono::{DateTime, SecondsFormat, Utc};
use engine_flow::{NodeKind, StartTrigger};
use engine_rule::{Record, Value as ExprValue};
use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::{Incoming, deliver, start_at, store};
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::error::{BadInputCode, Error};
use crate::records::values::RecordValues;

/// An event's data as a process reads it (`event.amount`, `event.customer.name`): its
/// fields and the related values the app's flows read, loaded beforehand.
pub struct EventData {
    fields: Vec<String>,
    values: Vec<(Vec<String>, ExprValue)>,
}

impl EventData {
    /// The event's own fields, as a message node records them.
    pub fn fields(&self) -> Vec<(String, ExprValue)> {
        self.fields.iter().map(|f| (f.clone(), self.value(std::slice::from_ref(f)))).collect()
    }
}

impl Record for EventData {
    fn value(&self, path: &[String]) -> ExprValue {
        self.values.iter().find(|(p, _)| p == path).map_or(ExprValue::Null, |(_, v)| v.clone())
    }
}

/// `event.…` read from the data, nothing else (an event start's `subject`).
struct AsEvent<'a>(&'a EventData);

impl Record for AsEvent<'_> {
    fn value(&self, path: &[String]) -> ExprValue {
        match path.split_first() {
            Some((first, rest)) if first == "event" => self.0.value(rest),
            _ => ExprValue::Null,
        }
    }
}

/// The paths under `event.` the app's flows read.
fn event_paths(app: &PublishedApp) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for path in app.flows.iter().flat_map(|f| f.reads()) {
        if path.len() > 2 && path[0] == "event" && !out.contains(&path[1..].to_vec()) {
            out.push(path[1..].to_vec());
        }
    }
    out
}

/// Event `event` arrived with `payload`: the instances waiting for it take it, and the
/// flows it starts start.
pub async fn on_event(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    event: &str,
    payload: &mut RecordValues<'_>,
    sender: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let starts: Vec<_> = app
        .flows
        .iter()
        .filter_map(|f| match f.start().map(|n| &n.kind) {
            Some(NodeKind::Start(StartTrigger::Event { event: e, subject })) if e == event => Some((f, subject)),
            _ => None,
        })
        .collect();
    if starts.is_empty() && !store::any_waiting(tx, &app.key, event).await? {
        return Ok(());
    }
    let needs = crate::rules::related::Needs { paths: event_paths(app), aggregates: Vec::new() };
    crate::rules::related::load(tx, app, payload, &needs).await?;
    // Keyed waits are found by this event's value of their field.
    let value_of = |path: &str| {
        let path: Vec<String> = path.split('.').map(str::to_owned).collect();
        match payload.value(&path) {
            value @ (ExprValue::Integer(_) | ExprValue::Text(_) | ExprValue::Date(_)) => Some(value.to_text()),
            _ => None,
        }
    };
    let waiting = store::waiting_for(tx, &app.key, event, value_of).await?;
    let data = || {
        let fields: Vec<String> = payload.form.fields.iter().map(|f| f.key.clone()).collect();
        let mut values: Vec<(Vec<String>, ExprValue)> =
            fields.iter().map(|f| (vec![f.clone()], payload.value(std::slice::from_ref(f)))).collect();
        values.extend(payload.related.iter().cloned());
        EventData { fields, values }
    };
    for instance in waiting {
        // One instance that cannot take it (its correlation fails to evaluate) does not
        // turn the event away from the others: its history says why.
        let savepoint = tx.begin().await?;
        let message = Incoming::Message { event: event.to_owned(), data: data() };
        match deliver(&savepoint, app, instance, message, now, 0).await {
            Ok(()) => savepoint.commit().await?,
            Err(e) => {
                savepoint.rollback().await?;
                let detail = serde_json::json!({ "event": event, "error": e.to_string() });
                store::history(tx, instance, "message_failed", detail, now).await?;
            }
        }
    }
    for (flow, subject) in starts {
        let data = data();
        let subject = match subject {
            Some(expr) => {
                let ctx = super::context(app, now);
                match engine_rule::evaluate(expr, &AsEvent(&data), &ctx) {
                    Ok(ExprValue::Integer(id)) => Some(id),
                    Ok(other) => {
                        return Err(Error::bad_input(
                            BadInputCode::flow_start,
                            format!("`{}`: the event names no record to follow ({other:?})", flow.key),
                        ));
                    }
                    Err(e) => return Err(Error::bad_input(BadInputCode::flow_start, format!("`{}`: {e}", flow.key))),
                }
            }
            None => None,
        };
        start_at(tx, app, (&flow.key, app.version), subject, (sender, None), data.fields(), now, 0).await?;
    }
    Ok(())
}

/// Starts the flows started on a schedule whose occurrence is due at `now` and that no
/// server started yet; how many started.
pub async fn run_due_starts(state: &Core, now: DateTime<Utc>) -> Result<usize, Error> {
    let mut started = 0;
    for app_row in crate::meta::list_apps(&state.db.conn).await? {
        if app_row.published_version == 0 {
            continue;
        }
        let app = state.catalog.published(&state.db.conn, &app_row.key).await?;
        for flow in app.flows.iter() {
            let Some(NodeKind::Start(StartTrigger::Schedule { cron, zone })) = flow.start().map(|n| &n.kind) else {
                continue;
            };
            let Ok(schedule) = engine_rule::Schedule::parse(cron, zone) else { continue };
            let Some(occurrence) = schedule.latest_due(now).filter(|o| *o >= app.published_at) else { continue };
            let key = occurrence.to_rfc3339_opts(SecondsFormat::Secs, true);
            let run = (format!("flow:{}", flow.key), app.version);
            let tx = state.db.conn.begin().await?;
            if !crate::rules::runs::claim(&tx, &app, (&run.0, run.1), &key, now).await? {
                tx.rollback().await?;
                continue;
            }
            start_at(&tx, &app, (&flow.key, app.version), None, (None, None), Vec::new(), occurrence, 0).await?;
            crate::rules::runs::finish(&tx, &app, (&run.0, run.1), &key, (1, 1), now).await?;
            tx.commit().await?;
            started += 1;
        }
    }
    Ok(started)
}
