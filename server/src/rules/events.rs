//! Events other systems send in (a core-banking transaction, a mobile-banking login): each
//! is checked against its declared fields, recorded under the sender's id, and fires the
//! rules listening for it, all in one transaction. The same event sent again (same id) is
//! recognised and fires nothing.

use chrono::{DateTime, Utc};
use engine_form::FieldValue;
use engine_rule::{Context, Trigger, TriggerKind};
use sea_orm::sea_query::{Alias, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use serde_json::{Map, Value, json};

use super::{Change, act, related};
use crate::catalog::PublishedApp;
use crate::db::Table;
use crate::error::Error;
use crate::records::codec::datetime;
use crate::records::values::{RecordValues, expr_json};

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
        };
        act(tx, app, rule, outcome, &change, now, 0).await?;
    }
    crate::flows::on_event(tx, app, event, &mut payload, sender, now).await?;
    Ok(Some(fired))
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
