//! The outbox. Rules and processes write messages into `trellis_outbox` in the transaction
//! of what caused them; they are sent afterwards, so a message is never sent for a change
//! that rolled back, and never lost for one that committed.
//!
//! In-app messages become their users' notifications (`in_app.rs`). Every other message
//! leaves through its app's gateway for its channel (`deliver.rs`, `crate::channels`): a
//! message on a channel with no gateway configured is `undeliverable`, saying so, listed,
//! and sent again on demand once one exists. A gateway that refuses (another status, a
//! refused connection, a timeout) is tried again after 1, 5, 30, 120 and 720 minutes, then
//! the message is `failed`, listed by `GET …/outbox?state=failed` and sent again on demand.

mod deliver;
mod in_app;
pub mod opt_out;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Value, json};

pub use deliver::test_send;

use crate::core::Core;
use crate::db::Table;
use crate::db::codec::{datetime, decode};
use crate::error::Error;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub delivered: usize,
    pub failed_attempts: usize,
}

/// Delivers every message due at `now`: in-app ones as notifications, the others through
/// their gateways; what no gateway can send is marked `undeliverable`.
pub async fn deliver_due(state: &Core, now: DateTime<Utc>) -> Result<Delivered, Error> {
    in_app::deliver(&state.db.conn, now).await?;
    deliver::through_gateways(state, now).await
}

/// A message's recipient as the outbox and the timeline show it: a mobile or an e-mail
/// address is personal data, shown masked as its kind's mask says (a mobile by its last four
/// digits); webhook URLs, in-app user names and IM robots' groups are not.
pub fn shown_recipient(channel: &str, recipient: Value) -> Value {
    let mask = match channel {
        "sms" => engine_form::Mask::Phone,
        "email" => engine_form::Mask::Email,
        // A webhook's URL, a user name, a robot's group: no one's personal data.
        "webhook" | "in_app" | "im" => return recipient,
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
