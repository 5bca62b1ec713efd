//! Messages that leave through a gateway (e-mail, SMS, IM, webhooks): each claimed with a
//! lease (of several servers one sends it), sent on a blocking thread, and settled:
//! delivered, or tried again later, or `failed` after the last attempt.
//!
//! Three things hold a due message back without spending an attempt: an older message about
//! the same record to the same recipient that is still waiting (messages about one record
//! reach each receiver in order), its channel's quiet hours (it waits for their end), and its channel's
//! rate (what is over it waits for the next minute; nothing is dropped).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::Value;

use super::{Delivered, a};
use crate::channels::send::{self, Message};
use crate::channels::{Channel, store};
use crate::core::Core;
use crate::db::Table;
use crate::db::codec::datetime;
use crate::error::Error;

/// Minutes to wait after each failed attempt.
const BACKOFF_MINUTES: [i64; 5] = [1, 5, 30, 120, 720];
/// How long one server may take over one message before another may claim it.
const LEASE: Duration = Duration::minutes(2);
/// Messages sent per run.
const BATCH: u64 = 50;
/// The channels that leave through a gateway.
const GATEWAY_CHANNELS: [&str; 4] = ["sms", "email", "im", "webhook"];

/// A message due, as read for sending.
struct Due {
    id: i64,
    app: String,
    channel: String,
    recipient: Value,
    body: String,
    attempts: i64,
    /// The record it is about: messages about one record to one recipient leave in order.
    subject: Option<(String, i64)>,
}

pub(super) async fn through_gateways(core: &Core, now: DateTime<Utc>) -> Result<Delivered, Error> {
    let conn = &core.db.conn;
    strand(conn).await?;
    let mut report = Delivered::default();
    // Each app's gateway for each channel, read once a run (or why it could not be read).
    let mut gateways: HashMap<(String, String), Result<Option<Channel>, String>> = HashMap::new();
    let mut pace = Pace::default();
    // The lanes (app, channel, recipient, record) whose message did not leave this run: their
    // later messages wait behind it.
    let mut held: HashSet<Lane> = HashSet::new();
    for due in due(conn, now).await? {
        let lane = due.lane();
        if lane.as_ref().is_some_and(|l| held.contains(l)) {
            continue;
        }
        let mut hold = || lane.clone().map(|l| held.insert(l));
        if !due.recipient.is_string() {
            // No address to send to (a customer without a mobile): nothing to try again.
            let why = format!("the recipient `{}` is no address", due.recipient);
            give_up(conn, due.id, &why).await?;
            continue;
        }
        let key = (due.app.clone(), due.channel.clone());
        if !gateways.contains_key(&key) {
            let gateway = store::get(conn, core.sealer.as_deref(), &due.app, &due.channel).await;
            let gateway = gateway.map_err(|e| format!("the `{}` gateway cannot be read: {e}", due.channel));
            gateways.insert(key.clone(), gateway);
        }
        let gateway = match gateways.get(&key).cloned().unwrap_or(Ok(None)) {
            Ok(gateway) => gateway,
            Err(why) => {
                tracing::error!("outbox {}: {why}", due.id);
                if claim(conn, due.id, now).await? {
                    settle(conn, due.id, due.attempts + 1, Some(&why), now).await?;
                    report.failed_attempts += 1;
                }
                hold();
                continue;
            }
        };
        let paced = match gateway.as_ref() {
            Some(gateway) => pace.holds(conn, &gateway.settings, &due, now).await?,
            None => false,
        };
        if paced || !claim(conn, due.id, now).await? {
            hold();
            continue;
        }
        let outcome = send_one(&due, gateway).await;
        match &outcome {
            Ok(()) => report.delivered += 1,
            Err(error) => {
                tracing::warn!("outbox {} ({}): {error}", due.id, due.channel);
                report.failed_attempts += 1;
                hold();
            }
        }
        settle(conn, due.id, due.attempts + 1, outcome.err().as_deref(), now).await?;
    }
    Ok(report)
}

/// Where messages keep their order: an app's channel, a recipient, a record.
type Lane = (String, String, String, String, i64);

impl Due {
    /// Its lane, when it is about a record.
    fn lane(&self) -> Option<Lane> {
        let (form, id) = self.subject.as_ref()?;
        Some((self.app.clone(), self.channel.clone(), self.recipient.to_string(), form.clone(), *id))
    }
}

/// A run's quiet hours and rates: each app's zone and what is left of each rate this
/// minute (a channel's, or for IM each group robot's own: a robot takes about 20 a minute,
/// whatever the other groups are sent), each read once a run.
#[derive(Default)]
struct Pace {
    zones: HashMap<String, chrono_tz::Tz>,
    rates: HashMap<(String, String, Option<String>), i64>,
}

impl Pace {
    /// Whether `due` waits: postponed to the end of its channel's quiet hours, or over its
    /// rate until the next minute. Neither spends an attempt.
    async fn holds(
        &mut self,
        c: &impl ConnectionTrait,
        settings: &crate::channels::Settings,
        due: &Due,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        if let Some(quiet) = &settings.quiet_hours {
            if !self.zones.contains_key(&due.app) {
                let zone = crate::meta::time_zone(c, &due.app).await?.and_then(|z| z.parse().ok());
                self.zones.insert(due.app.clone(), zone.unwrap_or(chrono_tz::UTC));
            }
            let zone = self.zones.get(&due.app).copied().unwrap_or(chrono_tz::UTC);
            if let Some(end) = quiet.ends_after(now, zone) {
                postpone(c, due.id, end).await?;
                return Ok(true);
            }
        }
        let Some(per_minute) = settings.per_minute else { return Ok(false) };
        let group = (due.channel == "im").then(|| due.recipient.to_string());
        let rate = (due.app.clone(), due.channel.clone(), group);
        let left = match self.rates.get(&rate) {
            Some(left) => *left,
            None => i64::from(per_minute) - sent_within_a_minute(c, &rate, now).await?,
        };
        self.rates.insert(rate, std::cmp::max(left - 1, 0));
        Ok(left <= 0)
    }
}

/// Sends `due` through `gateway` on a blocking thread.
async fn send_one(due: &Due, gateway: Option<Channel>) -> Result<(), String> {
    let recipient = due.recipient.as_str().unwrap_or_default().to_owned();
    let (id, channel, body) = (due.id, due.channel.clone(), due.body.clone());
    tokio::task::spawn_blocking(move || {
        let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let message = Message {
            id,
            recipient: &recipient,
            subject: parsed["subject"].as_str(),
            text: parsed["message"].as_str().unwrap_or_default(),
            body: &body,
        };
        send::send(&channel, gateway.as_ref(), &message)
    })
    .await
    .unwrap_or_else(|e| Err(format!("the sender stopped: {e}")))
}

/// Sends a test message to `to` through the app's gateway for `channel` now, outside the
/// outbox: whether the gateway took it, and if not, why.
pub async fn test_send(
    core: &Core,
    app: &str,
    channel: &str,
    to: &str,
    text: &str,
) -> Result<Result<(), String>, Error> {
    let gateway = store::get(&core.db.conn, core.sealer.as_deref(), app, channel).await?;
    if gateway.is_none() {
        return Err(Error::not_found(format!("app `{app}` has no gateway for the `{channel}` channel")));
    }
    let body = serde_json::json!({ "test": true, "message": text, "subject": text });
    let due = Due {
        id: 0,
        app: app.to_owned(),
        channel: channel.to_owned(),
        recipient: Value::String(to.to_owned()),
        body: body.to_string(),
        attempts: 0,
        subject: None,
    };
    Ok(send_one(&due, gateway).await)
}

/// Marks the pending messages of channels the app has no gateway for `undeliverable`, each
/// saying so (one statement a run); webhooks need none.
async fn strand(c: &impl ConnectionTrait) -> Result<(), DbErr> {
    let (o, g) = (Table::Outbox, Table::Channels);
    let configured = Query::select()
        .expr(Expr::val(1))
        .from(g)
        .and_where(Expr::col((g, a("app"))).equals((o, a("app"))))
        .and_where(Expr::col((g, a("channel"))).equals((o, a("channel"))))
        .to_owned();
    let stranded = Query::update()
        .table(o)
        .value(a("state"), "undeliverable")
        .value(a("last_error"), Expr::cust("'no gateway for the `' || channel || '` channel is configured'"))
        .and_where(Expr::col(a("channel")).is_in(["sms", "email", "im"]))
        .and_where(Expr::col(a("state")).eq("pending"))
        .and_where(Expr::exists(configured).not())
        .to_owned();
    c.execute(&stranded).await.map(drop)
}

/// The messages due at `now`, oldest first, but none with an older message about the same
/// record to the same recipient on the same channel still waiting for its next attempt or
/// being sent.
async fn due(c: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<Due>, Error> {
    let backend = c.get_database_backend();
    let o = Table::Outbox;
    let older = sea_orm::sea_query::Alias::new("older");
    let col = |name: &str| Expr::col((older.clone(), a(name)));
    let waiting = Query::select()
        .expr(Expr::val(1))
        .from_as(o, older.clone())
        .and_where(col("app").equals((o, a("app"))))
        .and_where(col("channel").equals((o, a("channel"))))
        .and_where(col("recipient").equals((o, a("recipient"))))
        .and_where(col("subject_form").equals((o, a("subject_form"))))
        .and_where(col("subject_id").equals((o, a("subject_id"))))
        .and_where(col("id").lt(Expr::col((o, a("id")))))
        .and_where(col("state").eq("pending"))
        .and_where(
            col("next_attempt_at").gt(datetime(now, backend)).or(col("claimed_until").gt(datetime(now, backend))),
        )
        .to_owned();
    let columns = ["id", "app", "channel", "recipient", "body", "attempts", "subject_form", "subject_id"];
    let stmt = Query::select()
        .columns(columns.map(|c| (o, a(c))))
        .from(o)
        .and_where(Expr::col((o, a("channel"))).is_in(GATEWAY_CHANNELS))
        .and_where(Expr::col((o, a("state"))).eq("pending"))
        .and_where(Expr::col((o, a("next_attempt_at"))).lte(datetime(now, backend)))
        .and_where(Expr::exists(waiting).not())
        .order_by((o, a("id")), Order::Asc)
        .limit(BATCH)
        .to_owned();
    let rows = c.query_all(&stmt).await?;
    rows.iter()
        .map(|row| {
            let recipient: String = row.try_get_by_index(3)?;
            let subject: (Option<String>, Option<i64>) = (row.try_get_by_index(6)?, row.try_get_by_index(7)?);
            Ok(Due {
                id: row.try_get_by_index(0)?,
                app: row.try_get_by_index(1)?,
                channel: row.try_get_by_index(2)?,
                recipient: serde_json::from_str(&recipient).unwrap_or(Value::Null),
                body: row.try_get_by_index(4)?,
                attempts: row.try_get_by_index(5)?,
                subject: subject.0.zip(subject.1),
            })
        })
        .collect::<Result<_, DbErr>>()
        .map_err(Error::from)
}

/// How many of the app's messages on the channel (to the group, when given: the JSON text
/// of a recipient) were delivered in the minute before `now`.
async fn sent_within_a_minute(
    c: &impl ConnectionTrait,
    (app, channel, group): &(String, String, Option<String>),
    now: DateTime<Utc>,
) -> Result<i64, Error> {
    let backend = c.get_database_backend();
    let stmt = Query::select()
        .expr(Expr::col(a("id")).count())
        .from(Table::Outbox)
        .and_where(Expr::col(a("app")).eq(app.as_str()))
        .and_where(Expr::col(a("channel")).eq(channel.as_str()))
        .and_where(Expr::col(a("state")).eq("delivered"))
        .and_where(Expr::col(a("delivered_at")).gt(datetime(now - Duration::minutes(1), backend)))
        .and_where_option(group.as_ref().map(|g| Expr::col(a("recipient")).eq(g.as_str())))
        .to_owned();
    let row = c.query_one(&stmt).await?;
    Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
}

/// Marks message `id` `undeliverable`, saying why: it cannot be sent as it stands.
async fn give_up(c: &impl ConnectionTrait, id: i64, why: &str) -> Result<(), DbErr> {
    let stmt = Query::update()
        .table(Table::Outbox)
        .value(a("state"), "undeliverable")
        .value(a("last_error"), why)
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("state")).eq("pending"))
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

/// Holds message `id` until `until` (quiet hours), spending no attempt.
async fn postpone(c: &impl ConnectionTrait, id: i64, until: DateTime<Utc>) -> Result<(), DbErr> {
    let stmt = Query::update()
        .table(Table::Outbox)
        .value(a("next_attempt_at"), datetime(until, c.get_database_backend()))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("state")).eq("pending"))
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

/// Claims message `id` for one attempt, unless another server holds it.
async fn claim(c: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let backend = c.get_database_backend();
    let stmt = Query::update()
        .table(Table::Outbox)
        .value(a("claimed_until"), datetime(now + LEASE, backend))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("state")).eq("pending"))
        .and_where(Expr::col(a("claimed_until")).is_null().or(Expr::col(a("claimed_until")).lt(datetime(now, backend))))
        .to_owned();
    Ok(c.execute(&stmt).await?.rows_affected() == 1)
}

/// Records attempt `attempt` of message `id`: delivered, or failed with `error` and
/// waiting for the next attempt, or after the last one `failed`.
async fn settle(
    c: &impl ConnectionTrait,
    id: i64,
    attempt: i64,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let backend = c.get_database_backend();
    let mut stmt = Query::update();
    stmt.table(Table::Outbox)
        .value(a("attempts"), attempt)
        .value(a("claimed_until"), Expr::cust("NULL"))
        .value(a("last_error"), error.map(str::to_owned))
        .and_where(Expr::col(a("id")).eq(id));
    let wait = usize::try_from(attempt - 1).ok().and_then(|i| BACKOFF_MINUTES.get(i));
    match (error, wait) {
        (None, _) => stmt.value(a("state"), "delivered").value(a("delivered_at"), datetime(now, backend)),
        (Some(_), Some(minutes)) => {
            stmt.value(a("next_attempt_at"), datetime(now + Duration::minutes(*minutes), backend))
        }
        (Some(_), None) => stmt.value(a("state"), "failed"),
    };
    c.execute(&stmt).await.map(drop)
}
