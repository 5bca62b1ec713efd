//! Events other systems send in (a core-banking transaction, a mobile-banking login): each
//! is checked against its declared fields, recorded under the sender's id, and fires the
//! rules listening for it, all in one transaction. The same event sent again (same id) is
//! recognised and fires nothing.

use chrono::{DateTime, Utc};
use engine_form::CheckMode;
use engine_form::FieldValue;
use engine_rule::{Context, Trigger, TriggerKind};
use sea_orm::sea_query::{Alias, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, TransactionTrait};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{Change, act, related};
use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::db::Table;
use crate::db::codec::datetime;
use crate::error::{BadInputCode, Error, ForbiddenCode};
use crate::records::values::{RecordValues, expr_json, given};

/// An event sent in by another system.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "event_id": "MB-20261128-000123", "data": { "customer": 1, "occurred_at": "2026-11-28T21:12:00+08:00" } }))]
pub struct EventRequest {
    /// The sender's id of this event: the same id again is the same event.
    pub event_id: String,
    /// The event's fields, as declared in the app.
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
}

/// Receives `request` for event `event` of app `app` from `sender`, in one transaction:
/// checks that the sender may send it and that its data fits, then fires its rules. `None`
/// if it was received before under the same `event_id`.
pub async fn receive_sent(
    core: &Core,
    sender: &Principal,
    (app, event): (&str, &str),
    request: &EventRequest,
) -> Result<Option<Vec<Value>>, Error> {
    if !good_id(&request.event_id) {
        return Err(Error::bad_input(BadInputCode::bad_event_id, "`event_id` is 1 to 200 characters"));
    }
    let (tx, published) = opened(core, sender, (app, event)).await?;
    let form = published.event(event)?;
    let data = given(form, &request.data, "/data", CheckMode::Create)?;
    let incoming = (event, request.event_id.as_str());
    let fired = receive(&tx, &published, incoming, data, &request.data, Some(sender.user_id), core.clock.now()).await?;
    tx.commit().await?;
    Ok(fired)
}

/// Whether an event id is one the platform keeps: 1 to 200 bytes, no NUL.
fn good_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 200 && !id.contains('\0')
}

/// The transaction events of `event` are received in, and the app as published, once the
/// sender's roles may send them.
async fn opened(
    core: &Core,
    sender: &Principal,
    (app, event): (&str, &str),
) -> Result<(DatabaseTransaction, std::sync::Arc<PublishedApp>), Error> {
    let tx = core.db.conn.begin().await?;
    let published = core.catalog.published_for_write(&tx, app).await?;
    published.event(event)?;
    if !crate::access::may_send(&tx, &published, sender, event).await? {
        return Err(Error::Forbidden {
            code: ForbiddenCode::forbidden,
            detail: format!("none of your roles may send `{event}` events"),
        });
    }
    Ok((tx, published))
}

/// The most occurrences one batch sends.
pub const MAX_BATCH: usize = 1000;

/// Occurrences of one event sent together (a night's logins from mobile banking).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "occurrences": [{ "event_id": "MB-20261128-000123", "data": { "customer": 1, "occurred_at": "2026-11-28T21:12:00+08:00" } }] }))]
pub struct EventBatch {
    /// 1 to 1000 occurrences, each as one event is sent.
    pub occurrences: Vec<EventRequest>,
}

/// What became of one occurrence of a batch: `received` (with how many rules fired),
/// `duplicate` (received before under its id: nothing fired) or `refused` (its errors).
#[derive(serde::Serialize, ToSchema)]
pub struct Received {
    pub index: usize,
    pub event_id: String,
    pub outcome: &'static str,
    pub fired: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<engine_form::FieldError>,
}

/// Receives every occurrence of `batch` in one transaction, each under a savepoint: one
/// that does not fit is refused (its errors under `/occurrences/{i}/…`) and the others
/// are received, as if each were sent alone.
pub async fn receive_batch(
    core: &Core,
    sender: &Principal,
    (app, event): (&str, &str),
    batch: &EventBatch,
) -> Result<Vec<Received>, Error> {
    if batch.occurrences.is_empty() || batch.occurrences.len() > MAX_BATCH {
        let detail = format!("send 1 to {MAX_BATCH} occurrences");
        return Err(Error::bad_input_at(BadInputCode::bad_records, "/occurrences", detail));
    }
    let (tx, published) = opened(core, sender, (app, event)).await?;
    let form = published.event(event)?;
    let now = core.clock.now();
    let mut answers = Vec::with_capacity(batch.occurrences.len());
    for (index, one) in batch.occurrences.iter().enumerate() {
        let at = format!("/occurrences/{index}");
        let mut answer =
            Received { index, event_id: one.event_id.clone(), outcome: "refused", fired: 0, errors: Vec::new() };
        if !good_id(&one.event_id) {
            let why = "`event_id` is 1 to 200 characters";
            answer.errors.push(engine_form::FieldError::new(format!("{at}/event_id"), "bad_event_id", why));
            answers.push(answer);
            continue;
        }
        let data = match given(form, &one.data, "/data", CheckMode::Create) {
            Ok(data) => data,
            Err(e) => {
                answer.errors = crate::bulk::refusals(e, &at, &format!("occurrence {index}"))?;
                answers.push(answer);
                continue;
            }
        };
        let point = tx.begin().await?;
        let incoming = (event, one.event_id.as_str());
        match receive(&point, &published, incoming, data, &one.data, Some(sender.user_id), now).await {
            Ok(fired) => {
                point.commit().await?;
                answer.outcome = if fired.is_some() { "received" } else { "duplicate" };
                answer.fired = fired.map_or(0, |f| f.len());
            }
            Err(e) => {
                point.rollback().await?;
                answer.errors = crate::bulk::refusals(e, &at, &format!("occurrence {index}"))?;
            }
        }
        answers.push(answer);
    }
    tx.commit().await?;
    Ok(answers)
}

/// Records event `event_id` and fires its rules; `None` if it was received before. Gives
/// the firings made, each with what it read and what it did.
pub async fn receive(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    (event, event_id): (&str, &str),
    data: Vec<(String, FieldValue)>,
    raw: &Map<String, Value>,
    sender: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<Vec<Value>>, Error> {
    let form = app.event(event)?;
    if !record(tx, &app.key, event, event_id, raw, now).await? {
        return Ok(None);
    }
    let listening: Vec<_> =
        app.rules.iter().filter(|r| r.trigger == TriggerKind::Event && r.event.as_deref() == Some(event)).collect();
    let mut payload = RecordValues::new(
        form,
        0,
        data.clone(),
        Context::at(now, now.date_naive()).with_calendars(&app.bundle.calendars),
    );
    let paths = related::related_paths(listening.iter().copied());
    related::load(tx, app, &mut payload, &paths).await?;
    let ctx = Context::at(now, now.date_naive()).with_calendars(&app.bundle.calendars);
    let mut fired = Vec::new();
    for rule in listening {
        let outcome = {
            let trigger = Trigger::Event { name: event, event_id, payload: &payload };
            rule.fire(&trigger, &ctx)
                .map_err(|e| super::Unfired { key: rule.idempotency_key(&trigger), error: e.to_string() })
        };
        if let Ok(Some(firing)) = &outcome {
            let read: Map<String, Value> = firing.read.iter().map(|(k, v)| (k.clone(), expr_json(v))).collect();
            let actions: Vec<Value> = firing.actions.iter().map(engine_rule::Action::to_json).collect();
            fired.push(json!({ "rule": rule.key, "read": read, "actions": actions }));
        }
        let change = Change {
            form: event.to_owned(),
            id: 0,
            version: 0,
            kind: TriggerKind::Event,
            before: None,
            after: Some(data.clone()),
            by: sender,
            about: subject_of(form, &data),
        };
        act(tx, app, rule, outcome, &change, now, 0).await?;
    }
    crate::flows::on_event(tx, app, event, &mut payload, sender, now).await?;
    Ok(Some(fired))
}

/// The record an event is about: the one its first required relation field names (a
/// mobile-banking login is about its customer); `None` for an event about no record.
pub fn subject_of(event: &engine_form::Form, data: &[(String, FieldValue)]) -> Option<(String, i64)> {
    event.fields.iter().filter(|f| f.required).find_map(|f| match (&f.kind, data.iter().find(|(k, _)| *k == f.key)) {
        (engine_form::FieldType::Relation { form, .. }, Some((_, FieldValue::Link(id)))) => Some((form.clone(), *id)),
        _ => None,
    })
}

/// Stores the event; false if one with its id is stored already.
async fn record(
    c: &impl ConnectionTrait,
    app: &str,
    event: &str,
    event_id: &str,
    raw: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let a = Alias::new;
    let stmt = Query::insert()
        .into_table(Table::Events)
        .columns(["app", "event", "event_id", "data", "received_at"].map(a))
        .values([
            app.into(),
            event.into(),
            event_id.into(),
            Value::Object(raw.clone()).to_string().into(),
            datetime(now, c.get_database_backend()).into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::columns(["app", "event", "event_id"].map(a)).do_nothing().to_owned())
        .to_owned();
    Ok(c.execute(&stmt).await?.rows_affected() == 1)
}
