//! Event rules at work: when a record is created, updated or deleted, every published rule
//! watching that change is evaluated in the change's own transaction, highest priority
//! first. A rule that fires is stored with its explanation under its idempotency key
//! (unique, so one trigger never fires a rule twice), then its actions run in a savepoint:
//! tasks and outbox messages are written, field updates and new records are made, and
//! those changes may fire further rules, at most [`crate::actions::MAX_CASCADE`] levels deep. If an action
//! fails, its savepoint is rolled back (the change itself goes through) and the firing is
//! retried with back-off, then kept as a failed one, an incident (see `retry`).
//!
//! Two rules that update the same field both apply, in firing order, so the later (lower
//! priority) one's value stays; a designer who wants the other way round gives it the
//! higher priority.

pub mod events;
pub(crate) mod related;
mod retry;
pub(crate) mod runs;
mod schedule;
pub(crate) mod store;
pub mod test;

use chrono::{DateTime, Utc};
use engine_form::FieldValue;
use engine_rule::{Action, Context, EventRule, Firing, Trigger, TriggerKind};
use futures_util::future::BoxFuture;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde_json::Value;

pub use related::{Needs, load as load_related, related_paths};
pub use retry::{retry_due_firings, retry_incident};
pub use schedule::{RunReport, count_matches, run_due_schedules, run_occurrence};
pub use store::{firings_about, incidents};

use crate::actions::SubjectUpdate;
use crate::audit;
use crate::catalog::PublishedApp;
use crate::error::Error;
use crate::records::values::RecordValues;

/// Queues a message of app `app` in the outbox (tasks' reminders and escalations).
pub async fn queue_message_for(
    tx: &DatabaseTransaction,
    app: &str,
    channel: &str,
    to: &Value,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let message = store::Outgoing { channel, recipient: to, body, firing: None, subject: None, withheld: None };
    Ok(store::insert_outbox(tx, app, message, now).await?)
}

/// A change to one record, with its values before and after.
pub struct Change {
    pub form: String,
    pub id: i64,
    /// The record's version after the change (before it, for a delete).
    pub version: i64,
    pub kind: TriggerKind,
    pub before: Option<Vec<(String, FieldValue)>>,
    pub after: Option<Vec<(String, FieldValue)>>,
    /// The user who made the change or sent the event; `None` for the platform's own
    /// (a scheduled scan, a rule acting with the platform's authority).
    pub by: Option<i64>,
    /// For an event, the record it is about (`events::subject_of`): where its firings, the
    /// tasks they raise and the messages they send are listed.
    pub about: Option<(String, i64)>,
}

impl Change {
    /// The record the change is about, as firings and tasks refer to it; none for an event.
    pub fn record(&self) -> (Option<String>, Option<i64>) {
        match (&self.kind, &self.about) {
            (TriggerKind::Event, Some((form, id))) => (Some(form.clone()), Some(*id)),
            (TriggerKind::Event, None) => (None, None),
            _ => (Some(self.form.clone()), Some(self.id)),
        }
    }
}

/// Whether a published rule watches `kind` changes of `form`; only then does a write read
/// the values rules need.
pub fn watches(app: &PublishedApp, form: &str, kind: TriggerKind) -> bool {
    app.rules.iter().any(|r| r.trigger.covers(kind) && r.form.as_deref() == Some(form))
}

/// Runs the rules watching `change`, in `tx`; `depth` counts the rule-made changes that
/// led here.
pub fn after_change<'a>(
    tx: &'a DatabaseTransaction,
    app: &'a PublishedApp,
    change: Change,
    now: DateTime<Utc>,
    depth: usize,
) -> BoxFuture<'a, Result<(), Error>> {
    after_changes(tx, app, vec![change], now, depth)
}

/// Runs the rules watching `changes` (records written together: a batch's creates, the
/// updates a rule's firings made), in `tx`. Every rule is evaluated on the records as
/// they stand once all were written; then rule by rule in firing order, the rule acts on
/// each record it fired for, in the records' order. So each record sees its rules act in
/// the order `after_change` gives it alone.
pub fn after_changes<'a>(
    tx: &'a DatabaseTransaction,
    app: &'a PublishedApp,
    mut changes: Vec<Change>,
    now: DateTime<Utc>,
    depth: usize,
) -> BoxFuture<'a, Result<(), Error>> {
    Box::pin(async move {
        let ctx = Context::at(now, now.date_naive()).with_calendars(&app.bundle.calendars);
        let mut cache = related::Related::new();
        // Changes of one form and kind are evaluated together.
        for run in changes.chunk_by_mut(|a, b| a.form == b.form && a.kind == b.kind) {
            let (form_key, kind) = (&run[0].form, run[0].kind);
            let form = app.form(form_key)?;
            let watching: Vec<&EventRule> = app
                .rules
                .iter()
                .filter(|r| r.trigger.covers(kind) && r.form.as_deref() == Some(form_key.as_str()))
                .collect();
            if watching.is_empty() {
                continue;
            }
            let needs = related::related_paths(watching.iter().copied());
            let mut values = Vec::with_capacity(run.len());
            // The values move into what the rules read; acting needs only the rest of a change.
            for change in run.iter_mut() {
                let mut before = change.before.take().map(|v| RecordValues::new(form, change.id, v, ctx));
                let mut after = change.after.take().map(|v| RecordValues::new(form, change.id, v, ctx));
                for record in before.iter_mut().chain(after.iter_mut()) {
                    related::load_with(tx, app, record, &needs, &mut cache).await?;
                }
                values.push((before, after));
            }
            // Rules are kept in firing order (priority, then key).
            for rule in watching {
                let outcomes: Vec<Option<Outcome>> =
                    run.iter().zip(&values).map(|(change, (b, a))| evaluate(rule, change, (b, a), &ctx)).collect();
                act_on_all(tx, app, rule, outcomes, run, now, depth).await?;
            }
        }
        Ok(())
    })
}

/// Acts on what `rule` made of each of `changes` (`outcomes`, in their order). One change
/// is acted on by `act`. Records written together have their firings stored with one
/// statement, and when every firing only sets fields of its own record with the
/// platform's authority (as re-tiering does), those updates are made together
/// (`actions::update_subjects`) under one savepoint. Whatever refuses them rolls that
/// savepoint back, and each firing then runs its actions alone as `act` runs them: in a
/// savepoint of its own, a failure kept as an incident.
async fn act_on_all(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    rule: &EventRule,
    outcomes: Vec<Option<Outcome>>,
    changes: &[Change],
    now: DateTime<Utc>,
    depth: usize,
) -> Result<(), Error> {
    if let [change] = changes {
        if let Some(outcome) = outcomes.into_iter().next().flatten() {
            act(tx, app, rule, outcome, change, now, depth).await?;
        }
        return Ok(());
    }
    let acting = |change: &Change| if rule.on_behalf { change.by } else { None };
    let mut fired: Vec<(Firing, &Change)> = Vec::new();
    for (outcome, change) in outcomes.into_iter().zip(changes) {
        match outcome {
            None | Some(Ok(None)) => {}
            Some(Err(Unfired { key, error })) => {
                store::failed_evaluation(tx, app, rule, &key, change, &error, now).await?
            }
            Some(Ok(Some(firing))) => fired.push((firing, change)),
        }
    }
    if fired.is_empty() {
        return Ok(());
    }
    let rows: Vec<(&Firing, &Change, Option<i64>)> = fired.iter().map(|(f, c)| (f, *c, acting(c))).collect();
    let ids = store::insert_firings(tx, app, &rows, now).await?;
    // A trigger that fired this rule before fires it no more.
    let new: Vec<(i64, &Firing, &Change)> =
        ids.into_iter().zip(&fired).filter_map(|(id, (f, c))| id.map(|id| (id, f, *c))).collect();
    if let Some(updates) = own_updates(rule, &new) {
        let point = tx.begin().await?;
        match Box::pin(crate::actions::update_subjects(&point, app, &updates, now, depth)).await {
            Ok(()) => {
                point.commit().await?;
                return Ok(());
            }
            Err(_) => point.rollback().await?,
        }
    }
    for (id, firing, change) in new {
        run_fired(tx, app, (id, firing), change, acting(change), now, depth).await?;
    }
    Ok(())
}

/// What the firings `fired` update, when each only sets fields of its own live record
/// with the platform's authority: (firing, form, record, values); `None` otherwise.
fn own_updates<'f>(rule: &EventRule, fired: &[(i64, &'f Firing, &Change)]) -> Option<Vec<SubjectUpdate<'f>>> {
    if rule.on_behalf || fired.is_empty() {
        return None;
    }
    fired
        .iter()
        .map(|(firing_id, firing, change)| match (&firing.actions[..], change.kind) {
            ([Action::UpdateFields { record: None, set }], TriggerKind::Created | TriggerKind::Updated) => {
                Some((*firing_id, change.form.clone(), change.id, set))
            }
            _ => None,
        })
        .collect()
}

/// What `rule` makes of `change`: `None` when it does not apply to the change's kind.
fn evaluate(
    rule: &EventRule,
    change: &Change,
    (before, after): (&Option<RecordValues<'_>>, &Option<RecordValues<'_>>),
    ctx: &Context<'_>,
) -> Option<Outcome> {
    let (id, version) = (change.id, change.version);
    let trigger = match (change.kind, before, after) {
        (TriggerKind::Created, _, Some(after)) => Trigger::Created { id, version, record: after },
        (TriggerKind::Updated, Some(before), Some(after)) => Trigger::Updated { id, version, before, after },
        (TriggerKind::Deleted, Some(before), _) => Trigger::Deleted { id, version, before },
        _ => return None,
    };
    Some(if rule.on_behalf && change.by.is_none() {
        Err(Unfired { key: rule.idempotency_key(&trigger), error: NO_USER.to_owned() })
    } else {
        rule.fire(&trigger, ctx).map_err(|e| Unfired { key: rule.idempotency_key(&trigger), error: e.to_string() })
    })
}

/// Why a rule that acts for the user (`"run_as": "user"`) did not fire.
pub(crate) const NO_USER: &str = "the rule acts for the user who made the change, and no user made it";

/// What evaluating a rule gave: a firing, nothing, or (its key and) why it failed.
pub(crate) type Outcome = Result<Option<Firing>, Unfired>;

/// A rule that could not be evaluated: the key of the firing it would have made, and why.
pub(crate) struct Unfired {
    pub key: String,
    pub error: String,
}

/// Stores a firing and runs its actions in a savepoint; returns whether it fired now (not
/// before, under the same key). A failure is stored as an incident.
pub(crate) async fn act(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    rule: &EventRule,
    outcome: Outcome,
    change: &Change,
    now: DateTime<Utc>,
    depth: usize,
) -> Result<bool, Error> {
    let firing = match outcome {
        Ok(Some(firing)) => firing,
        Ok(None) => return Ok(false),
        Err(Unfired { key, error }) => {
            store::failed_evaluation(tx, app, rule, &key, change, &error, now).await?;
            return Ok(false);
        }
    };
    let acting_for = if rule.on_behalf { change.by } else { None };
    let Some(firing_id) = store::insert_firing(tx, app, &firing, change, acting_for, now).await? else {
        return Ok(false); // This trigger fired this rule before.
    };
    run_fired(tx, app, (firing_id, &firing), change, acting_for, now, depth).await?;
    Ok(true)
}

/// Runs the actions of a stored firing in a savepoint; a failure rolls them back and is
/// kept as the firing's first failed attempt (an incident).
async fn run_fired(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    (firing_id, firing): (i64, &Firing),
    change: &Change,
    acting_for: Option<i64>,
    now: DateTime<Utc>,
    depth: usize,
) -> Result<(), Error> {
    let actions: Vec<Value> = firing.actions.iter().map(Action::to_json).collect();
    let subject = Subject { acting_for, ..Subject::of(change) };
    let savepoint = tx.begin().await?;
    // Boxed, as each level of a cascade is: its state stays off the stack.
    match Box::pin(run_actions(&savepoint, app, &actions, firing_id, &subject, now, depth)).await {
        Ok(()) => savepoint.commit().await?,
        Err(e) => {
            savepoint.rollback().await?;
            store::failed_attempt(tx, firing_id, 1, &e.describe(), now).await?;
        }
    }
    Ok(())
}

/// The record a firing is about, as its actions need it: where tasks point, what
/// `update_fields` updates.
pub(crate) struct Subject {
    pub form: Option<String>,
    pub id: Option<i64>,
    pub deleted: bool,
    /// The user the actions act for, within what their roles allow; `None`: the platform.
    pub acting_for: Option<i64>,
}

impl Subject {
    fn of(change: &Change) -> Subject {
        let (form, id) = change.record();
        Subject { form, id, deleted: change.kind == TriggerKind::Deleted, acting_for: None }
    }
}

/// Runs a firing's actions, as its explanation stores them (`Action::to_json`): the first
/// time in the change's transaction, again when a failed firing is retried.
pub(crate) async fn run_actions(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    actions: &[Value],
    firing_id: i64,
    subject: &Subject,
    now: DateTime<Utc>,
    depth: usize,
) -> Result<(), Error> {
    let origin = crate::actions::Origin {
        actor: audit::Actor::rule(firing_id),
        subject: subject.form.clone().zip(subject.id),
        deleted: subject.deleted,
        acting_for: subject.acting_for,
        firing: Some(firing_id),
        version: None,
    };
    for stored in actions {
        let action = Action::from_json(stored)
            .map_err(|e| Error::Internal(anyhow::anyhow!("firing {firing_id}: a stored action: {e}")))?;
        crate::actions::run(tx, app, &action, &origin, now, depth).await?;
    }
    Ok(())
}

/// The name of a trigger kind as firings store it.
pub fn trigger_name(kind: TriggerKind) -> &'static str {
    match kind {
        TriggerKind::Created => "created",
        TriggerKind::Updated => "updated",
        TriggerKind::Saved => "saved",
        TriggerKind::Deleted => "deleted",
        TriggerKind::Changed => "changed",
        TriggerKind::Event => "event",
        TriggerKind::Schedule => "schedule",
    }
}
