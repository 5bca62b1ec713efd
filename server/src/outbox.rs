//! Delivering the outbox. Rules write messages into `trellis_outbox` in the transaction of
//! what caused them; this sends them afterwards, so a message is never sent for a change
//! that rolled back, and never lost for one that committed.
//!
//! Webhooks are POSTed here, as JSON, with an `Idempotency-Key` that stays the same across
//! retries (`trellis-outbox-{id}`), so the receiver can recognise a repeat. A 2xx answer
//! delivers; anything else (another status, a refused connection, a timeout) is retried
//! after 1, 5, 30, 120 and 720 minutes, then the message is `failed`, listed by
//! `GET …/outbox?state=failed` and sent again on demand. Each message is claimed with a
//! lease, so of several servers one sends it. A message on a channel with no gateway
//! configured (SMS, e-mail and IM: each bank's own gateways are an integration still to
//! come) is marked `undeliverable` with that reason, listed, and sent again on demand
//! once a gateway exists; in-app messages are the users' notifications.
//!
//! `TRELLIS_WEBHOOK_ALLOW` (comma-separated URL prefixes) limits where webhooks may go; a
//! message to any other address fails at once. Unset, any http(s) address is allowed.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Value, json};

use crate::core::Core;
use crate::db::Table;
use crate::db::codec::{datetime, decode};
use crate::error::Error;

/// Minutes to wait after each failed attempt.
const BACKOFF_MINUTES: [i64; 5] = [1, 5, 30, 120, 720];
/// How long one server may take over one message before another may claim it.
const LEASE: Duration = Duration::minutes(2);
/// Messages sent per run.
const BATCH: u64 = 50;
/// How long a receiver has to answer.
const TIMEOUT: StdDuration = StdDuration::from_secs(10);

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub delivered: usize,
    pub failed_attempts: usize,
}

/// The channels that leave through a gateway, none of which is configured yet.
const GATEWAY_CHANNELS: [&str; 3] = ["sms", "email", "im"];

/// Sends every webhook due at `now`; marks what no gateway can send `undeliverable`.
pub async fn deliver_due(state: &Core, now: DateTime<Utc>) -> Result<Delivered, Error> {
    let conn = &state.db.conn;
    let backend = conn.get_database_backend();
    // One statement a tick: each message's reason names its own channel.
    let stranded = Query::update()
        .table(Table::Outbox)
        .value(a("state"), "undeliverable")
        .value(a("last_error"), Expr::cust("'no gateway for the `' || channel || '` channel is configured'"))
        .and_where(Expr::col(a("channel")).is_in(GATEWAY_CHANNELS))
        .and_where(Expr::col(a("state")).eq("pending"))
        .to_owned();
    conn.execute(&stranded).await?;
    deliver_in_app(conn, now).await?;
    let due = Query::select()
        .column(a("id"))
        .from(Table::Outbox)
        .and_where(Expr::col(a("channel")).eq("webhook"))
        .and_where(Expr::col(a("state")).eq("pending"))
        .and_where(Expr::col(a("next_attempt_at")).lte(datetime(now, backend)))
        .order_by(a("next_attempt_at"), Order::Asc)
        .limit(BATCH)
        .to_owned();
    let mut report = Delivered::default();
    for row in conn.query_all(&due).await? {
        let id: i64 = row.try_get_by_index(0)?;
        if !claim(conn, id, now).await? {
            continue;
        }
        let Some((url, body, attempts)) = message(conn, id).await? else { continue };
        let outcome = match allowed(&url) {
            false => Err(format!("`{url}` is not under TRELLIS_WEBHOOK_ALLOW")),
            true => {
                let key = format!("trellis-outbox-{id}");
                tokio::task::spawn_blocking(move || post(&url, &key, &body))
                    .await
                    .unwrap_or_else(|e| Err(format!("the sender stopped: {e}")))
            }
        };
        match outcome {
            Ok(()) => {
                settle(conn, id, attempts + 1, None, now).await?;
                report.delivered += 1;
            }
            Err(error) => {
                tracing::warn!("webhook {id}: {error}");
                settle(conn, id, attempts + 1, Some(&error), now).await?;
                report.failed_attempts += 1;
            }
        }
    }
    Ok(report)
}

/// Delivers every pending in-app message as its user's notification (linked to the task
/// or the record it is about); a message for no user is `undeliverable`, saying so.
async fn deliver_in_app(conn: &sea_orm::DatabaseConnection, now: DateTime<Utc>) -> Result<(), Error> {
    use sea_orm::TransactionTrait;
    let backend = conn.get_database_backend();
    let (o, f) = (Table::Outbox, Table::Firings);
    let pending = Query::select()
        .columns([(o, a("id")), (o, a("app")), (o, a("recipient")), (o, a("body"))])
        .columns([(f, a("form")), (f, a("record_id"))])
        .from(o)
        .left_join(f, Expr::col((f, a("id"))).equals((o, a("firing_id"))))
        .and_where(Expr::col((o, a("channel"))).eq("in_app"))
        .and_where(Expr::col((o, a("state"))).eq("pending"))
        .order_by((o, a("id")), Order::Asc)
        .limit(BATCH * 10)
        .to_owned();
    for row in conn.query_all(&pending).await? {
        let (id, app): (i64, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        let recipient = serde_json::from_str::<Value>(&row.try_get_by_index::<String>(2)?).unwrap_or(Value::Null);
        let body = serde_json::from_str::<Value>(&row.try_get_by_index::<String>(3)?).unwrap_or(Value::Null);
        let (form, record): (Option<String>, Option<i64>) = (row.try_get_by_index(4)?, row.try_get_by_index(5)?);
        let tx = conn.begin().await?;
        let user = recipient.as_str().unwrap_or_default();
        let (state, error) = if !user.is_empty() && crate::notifications::is_user(&tx, user).await? {
            let message = body["message"].as_str().unwrap_or_default();
            let messages = body["messages"].as_object().cloned().unwrap_or_default();
            let subject = form.as_deref().zip(record);
            let task = body["task"].as_i64();
            let notice = crate::notifications::Notice { user, app: &app, message, messages: &messages, task, subject };
            crate::notifications::notify(&tx, &notice, now).await?;
            ("delivered", None)
        } else {
            ("undeliverable", Some(format!("`{recipient}` is no user of Trellis")))
        };
        let mut settled = Query::update();
        settled
            .table(Table::Outbox)
            .value(a("state"), state)
            .value(a("last_error"), error)
            .and_where(Expr::col(a("id")).eq(id))
            .and_where(Expr::col(a("state")).eq("pending"));
        if state == "delivered" {
            settled.value(a("delivered_at"), datetime(now, backend));
        }
        tx.execute(&settled).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Whether `url` is under one of the prefixes of `TRELLIS_WEBHOOK_ALLOW` (or it is unset).
fn allowed(url: &str) -> bool {
    match std::env::var("TRELLIS_WEBHOOK_ALLOW") {
        Err(_) => true,
        Ok(list) => list.split(',').map(str::trim).any(|prefix| !prefix.is_empty() && url.starts_with(prefix)),
    }
}

/// POSTs `body` to `url`; a 2xx answer is success. One agent serves every message, so
/// connections are kept and reused.
fn post(url: &str, key: &str, body: &str) -> Result<(), String> {
    static AGENT: std::sync::OnceLock<ureq::Agent> = std::sync::OnceLock::new();
    let agent = AGENT.get_or_init(|| {
        ureq::Agent::config_builder().timeout_global(Some(TIMEOUT)).http_status_as_error(false).build().into()
    });
    let response = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", key)
        .send(body)
        .map_err(|e| e.to_string())?;
    let status = response.status();
    if status.is_success() { Ok(()) } else { Err(format!("the receiver answered {status}")) }
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

/// The message's address, body and attempts so far.
async fn message(c: &impl ConnectionTrait, id: i64) -> Result<Option<(String, String, i64)>, Error> {
    let stmt = Query::select()
        .columns(["recipient", "body", "attempts"].map(a))
        .from(Table::Outbox)
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    let Some(row) = c.query_one(&stmt).await? else { return Ok(None) };
    let recipient: String = row.try_get_by_index(0)?;
    let url = serde_json::from_str::<Value>(&recipient).ok().and_then(|v| v.as_str().map(str::to_owned));
    let Some(url) = url else {
        return Err(Error::Internal(anyhow::anyhow!("outbox {id}: the recipient is not a URL")));
    };
    Ok(Some((url, row.try_get_by_index(1)?, row.try_get_by_index(2)?)))
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

/// The app's outbox messages in `state` (all when `None`), newest first, at most `limit`.
/// A message's recipient as the outbox and the timeline show it: a phone number, an address
/// or an IM account is personal data, shown masked as its kind's mask says (a mobile by its
/// last four digits); webhook URLs and in-app user names are not.
pub fn shown_recipient(channel: &str, recipient: Value) -> Value {
    let mask = match channel {
        "sms" => engine_form::Mask::Phone,
        "email" => engine_form::Mask::Email,
        "webhook" | "in_app" => return recipient,
        _ => engine_form::Mask::Text,
    };
    match recipient.as_str() {
        Some(clear) => Value::String(mask.text(clear, false)),
        None => recipient,
    }
}

/// Which outbox messages to list: all when every part is `None`.
#[derive(Default)]
pub struct Filter<'a> {
    /// `pending`, `delivered`, `failed` or `undeliverable`.
    pub state: Option<&'a str>,
    /// `sms`, `email`, `im`, `in_app` or `webhook`.
    pub channel: Option<&'a str>,
    /// Those about this record (form, id).
    pub subject: Option<(&'a str, i64)>,
    /// Older than this message (the previous page's `next`).
    pub before: Option<i64>,
}

pub async fn list(c: &impl ConnectionTrait, app: &str, filter: &Filter<'_>, limit: u64) -> Result<Vec<Value>, DbErr> {
    let columns = [
        "id",
        "channel",
        "recipient",
        "body",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "firing_id",
        "created_at",
        "subject_form",
        "subject_id",
    ];
    let mut stmt = Query::select();
    stmt.columns(columns.map(a)).from(Table::Outbox).and_where(Expr::col(a("app")).eq(app));
    if let Some(state) = filter.state {
        stmt.and_where(Expr::col(a("state")).eq(state));
    }
    if let Some(channel) = filter.channel {
        stmt.and_where(Expr::col(a("channel")).eq(channel));
    }
    if let Some((form, id)) = filter.subject {
        stmt.and_where(Expr::col(a("subject_form")).eq(form)).and_where(Expr::col(a("subject_id")).eq(id));
    }
    if let Some(before) = filter.before {
        stmt.and_where(Expr::col(a("id")).lt(before));
    }
    stmt.order_by(a("id"), Order::Desc).limit(limit);
    let backend = c.get_database_backend();
    let text = |s: String| serde_json::from_str::<Value>(&s).unwrap_or(Value::String(s));
    c.query_all(&stmt)
        .await?
        .iter()
        .map(|row| {
            let state: String = row.try_get_by_index(4)?;
            let next = match state.as_str() {
                "pending" => decode(row, 6, &engine_form::StorageType::DateTime, backend)?.to_json(),
                _ => Value::Null,
            };
            let channel: String = row.try_get_by_index(1)?;
            let recipient = shown_recipient(&channel, text(row.try_get_by_index(2)?));
            Ok(json!({
                "id": row.try_get_by_index::<i64>(0)?,
                "channel": channel,
                "recipient": recipient,
                "body": text(row.try_get_by_index(3)?),
                "state": state,
                "attempts": row.try_get_by_index::<i64>(5)?,
                "next_attempt_at": next,
                "last_error": row.try_get_by_index::<Option<String>>(7)?,
                "firing": row.try_get_by_index::<Option<i64>>(8)?,
                "created_at": decode(row, 9, &engine_form::StorageType::DateTime, backend)?.to_json(),
                "subject": match (row.try_get_by_index::<Option<String>>(10)?, row.try_get_by_index::<Option<i64>>(11)?) {
                    (Some(form), Some(id)) => json!({ "form": form, "id": id }),
                    _ => Value::Null,
                },
            }))
        })
        .collect()
}

/// Sends a failed message again: it is pending from `now`, with its attempts kept.
pub async fn resend(c: &impl ConnectionTrait, app: &str, id: i64, now: DateTime<Utc>) -> Result<(), Error> {
    let stmt = Query::update()
        .table(Table::Outbox)
        .value(a("state"), "pending")
        .value(a("next_attempt_at"), datetime(now, c.get_database_backend()))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("state")).is_in(["failed", "undeliverable"]))
        .to_owned();
    if c.execute(&stmt).await?.rows_affected() == 1 {
        Ok(())
    } else {
        Err(Error::not_found(format!("no failed or undeliverable outbox message {id} in app `{app}`")))
    }
}
