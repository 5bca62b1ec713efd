//! What rules did, stored: firings with their explanations, the tasks they created and the
//! messages waiting in the outbox. All of it is written in the transaction of the change
//! that fired the rule.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use engine_form::{FieldValue, StorageType};
use engine_rule::{EventRule, Firing};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use serde_json::{Map, Value, json};

use super::{Change, trigger_name};
use crate::catalog::PublishedApp;
use crate::db::Table;
use crate::db::codec::{datetime, decode};
use crate::records::values::expr_json;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn stamp(c: &impl ConnectionTrait, t: DateTime<Utc>) -> SimpleExpr {
    datetime(t, c.get_database_backend()).into()
}

/// Stores a firing; `None` if one with its idempotency key exists (it fired before).
pub async fn insert_firing(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    firing: &Firing,
    change: &Change,
    acting_for: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    Ok(insert_firings(c, app, &[(firing, change, acting_for)], now).await?.pop().flatten())
}

/// Stores firings of one rule made together (by records written together), a thousand to
/// a statement; each one's id, or `None` where one with its idempotency key exists.
pub async fn insert_firings(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    fired: &[(&Firing, &Change, Option<i64>)],
    now: DateTime<Utc>,
) -> Result<Vec<Option<i64>>, DbErr> {
    let mut ids: HashMap<String, i64> = HashMap::new();
    for chunk in fired.chunks(1000) {
        let mut stmt = Query::insert();
        stmt.into_table(Table::Firings).columns(FIRING_COLUMNS.map(a));
        for (firing, change, acting_for) in chunk {
            stmt.values(firing_row(c, app, firing, change, *acting_for, now))
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        stmt.on_conflict(OnConflict::column(a("idempotency_key")).do_nothing().to_owned())
            .returning(Query::returning().columns([a("id"), a("idempotency_key")]));
        for row in c.query_all(&stmt).await? {
            ids.insert(row.try_get_by_index(1)?, row.try_get_by_index(0)?);
        }
    }
    // A key twice in one batch is one firing: its actions run once.
    Ok(fired.iter().map(|(firing, ..)| ids.remove(&firing.idempotency_key)).collect())
}

/// A firing's row, in `FIRING_COLUMNS` order.
fn firing_row(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    firing: &Firing,
    change: &Change,
    acting_for: Option<i64>,
    now: DateTime<Utc>,
) -> [SimpleExpr; 13] {
    let read: Map<String, Value> = firing.read.iter().map(|(k, v)| (k.clone(), expr_json(v))).collect();
    let actions: Vec<Value> = firing.actions.iter().map(engine_rule::Action::to_json).collect();
    [
        app.key.as_str().into(),
        firing.rule.as_str().into(),
        firing.rule_version.into(),
        firing.idempotency_key.as_str().into(),
        trigger_name(change.kind).into(),
        change.record().0.into(),
        change.record().1.into(),
        Value::Object(read).to_string().into(),
        Value::Array(actions).to_string().into(),
        "done".into(),
        stamp(c, now),
        1i64.into(),
        acting_for.into(),
    ]
}

/// Stores a rule whose condition or actions could not be evaluated (a value beyond the
/// exact range) as an incident.
pub async fn failed_evaluation(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    rule: &EventRule,
    key: &str,
    change: &Change,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = [
        app.key.as_str().into(),
        rule.key.as_str().into(),
        rule.version.into(),
        key.into(),
        trigger_name(change.kind).into(),
        change.record().0.into(),
        change.record().1.into(),
        "{}".into(),
        "[]".into(),
        "failed".into(),
        stamp(c, now),
        1i64.into(),
        None::<i64>.into(),
    ];
    if let Some(id) = insert_returning_id(c, row).await? {
        // Evaluating again would fail again: no retries, an incident at once.
        failed_attempt(c, id, MAX_ATTEMPTS, error, now).await?;
    }
    Ok(())
}

/// Minutes to wait after the first, second, third and fourth failed attempt.
const BACKOFF_MINUTES: [i64; 4] = [1, 5, 30, 120];
/// Attempts in all, the first included.
pub const MAX_ATTEMPTS: i64 = BACKOFF_MINUTES.len() as i64 + 1;
/// Records that attempt `attempt` of firing `id` failed with `error`: it waits for the
/// next attempt, or after the last one it is an incident.
pub async fn failed_attempt(
    c: &impl ConnectionTrait,
    id: i64,
    attempt: i64,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let backend = c.get_database_backend();
    let wait = usize::try_from(attempt - 1).ok().and_then(|i| BACKOFF_MINUTES.get(i));
    let mut stmt = Query::update();
    stmt.table(Table::Firings)
        .value(a("error"), error)
        .value(a("attempts"), attempt)
        .value(a("claimed_until"), Expr::cust("NULL"))
        .and_where(Expr::col(a("id")).eq(id));
    match wait {
        Some(minutes) => {
            let next = datetime(now + Duration::minutes(*minutes), backend);
            stmt.value(a("status"), "retrying").value(a("next_attempt_at"), next);
        }
        None => {
            stmt.value(a("status"), "failed").value(a("next_attempt_at"), Expr::cust("NULL"));
        }
    }
    c.execute(&stmt).await.map(drop)
}

const FIRING_COLUMNS: [&str; 13] = [
    "app",
    "rule",
    "rule_version",
    "idempotency_key",
    "trigger",
    "form",
    "record_id",
    "read",
    "actions",
    "status",
    "fired_at",
    "attempts",
    "acting_for",
];

async fn insert_returning_id(c: &impl ConnectionTrait, row: [SimpleExpr; 13]) -> Result<Option<i64>, DbErr> {
    let stmt = Query::insert()
        .into_table(Table::Firings)
        .columns(FIRING_COLUMNS.map(a))
        .values(row)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::column(a("idempotency_key")).do_nothing().to_owned())
        .returning_col(a("id"))
        .to_owned();
    match c.query_one(&stmt).await? {
        Some(row) => Ok(Some(row.try_get_by_index(0)?)),
        None => Ok(None),
    }
}

/// A message to queue: its channel, recipient and body, the firing that decided it and the
/// record it is about (each, if any).
pub struct Outgoing<'a> {
    pub channel: &'a str,
    pub recipient: &'a Value,
    pub body: &'a Value,
    pub firing: Option<i64>,
    pub subject: Option<(&'a str, i64)>,
    /// Why it must not leave (its person opted out): kept as `opted_out`, never sent.
    pub withheld: Option<&'a str>,
}

pub async fn insert_outbox(
    c: &impl ConnectionTrait,
    app: &str,
    message: Outgoing<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let columns = [
        "app",
        "channel",
        "recipient",
        "body",
        "state",
        "attempts",
        "next_attempt_at",
        "firing_id",
        "created_at",
        "subject_form",
        "subject_id",
        "last_error",
    ];
    let stmt = Query::insert()
        .into_table(Table::Outbox)
        .columns(columns.map(a))
        .values([
            app.into(),
            message.channel.into(),
            message.recipient.to_string().into(),
            message.body.to_string().into(),
            if message.withheld.is_some() { "opted_out" } else { "pending" }.into(),
            0i64.into(),
            stamp(c, now),
            message.firing.into(),
            stamp(c, now),
            message.subject.map(|(form, _)| form.to_owned()).into(),
            message.subject.map(|(_, id)| id).into(),
            message.withheld.map(str::to_owned).into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

const LISTED: [&str; 12] = [
    "id",
    "rule",
    "rule_version",
    "trigger",
    "record_id",
    "read",
    "actions",
    "status",
    "error",
    "fired_at",
    "attempts",
    "next_attempt_at",
];

fn firing_json(c: &impl ConnectionTrait, row: &QueryResult) -> Result<Value, DbErr> {
    let text = |i: usize| -> Result<Value, DbErr> {
        let s: String = row.try_get_by_index(i)?;
        serde_json::from_str(&s).map_err(|e| DbErr::Custom(format!("stored firing: {e}")))
    };
    let instant = |i: usize| -> Result<Value, DbErr> {
        Ok(match decode(row, i, &StorageType::DateTime, c.get_database_backend())? {
            FieldValue::DateTime(t) => Value::from(engine_form::format_datetime(&t)),
            _ => Value::Null,
        })
    };
    Ok(json!({
        "id": row.try_get_by_index::<i64>(0)?,
        "rule": row.try_get_by_index::<String>(1)?,
        "rule_version": row.try_get_by_index::<i64>(2)?,
        "trigger": row.try_get_by_index::<String>(3)?,
        "record_id": row.try_get_by_index::<Option<i64>>(4)?,
        "read": text(5)?,
        "actions": text(6)?,
        "status": row.try_get_by_index::<String>(7)?,
        "error": row.try_get_by_index::<Option<String>>(8)?,
        "fired_at": instant(9)?,
        "attempts": row.try_get_by_index::<i64>(10)?,
        "next_attempt_at": instant(11)?,
    }))
}

/// The firings on the records `about` picks (a condition on the `form` and `record_id`
/// columns), newest first, at most `limit`, each with its `form`: why a record, or the
/// records linking to it, got each alert, task or message.
pub async fn firings_about(
    c: &impl ConnectionTrait,
    app: &str,
    about: sea_orm::sea_query::Cond,
    limit: u64,
) -> Result<Vec<Value>, DbErr> {
    let stmt = Query::select()
        .columns(LISTED.map(a))
        .expr(Expr::col(a("form")))
        .from(Table::Firings)
        .and_where(Expr::col(a("app")).eq(app))
        .cond_where(about)
        .order_by(a("id"), Order::Desc)
        .limit(limit)
        .to_owned();
    c.query_all(&stmt).await?.iter().map(|r| with_form(c, r)).collect()
}

/// A firing row read with its form after the listed columns.
fn with_form(c: &impl ConnectionTrait, row: &QueryResult) -> Result<Value, DbErr> {
    let mut firing = firing_json(c, row)?;
    firing["form"] = Value::from(row.try_get_by_index::<Option<String>>(LISTED.len())?);
    Ok(firing)
}

/// One firing by id.
pub async fn firing(c: &impl ConnectionTrait, id: i64) -> Result<Option<Value>, DbErr> {
    let stmt =
        Query::select().columns(LISTED.map(a)).from(Table::Firings).and_where(Expr::col(a("id")).eq(id)).to_owned();
    c.query_one(&stmt).await?.map(|r| firing_json(c, &r)).transpose()
}

/// The app's failed firings (incidents) and those waiting to be retried, newest first, at
/// most `limit`.
pub async fn incidents(c: &impl ConnectionTrait, app: &str, limit: u64) -> Result<Vec<Value>, DbErr> {
    let stmt = Query::select()
        .columns(LISTED.map(a))
        .expr(Expr::col(a("form")))
        .from(Table::Firings)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("status")).is_in(["failed", "retrying"]))
        .order_by(a("id"), Order::Desc)
        .limit(limit)
        .to_owned();
    c.query_all(&stmt).await?.iter().map(|r| with_form(c, r)).collect()
}
