//! The audit trail: one append-only entry per change, written in the transaction of the
//! change (so a change that rolls back leaves no entry, and no change goes unrecorded):
//! who (the user, or the rule firing, and how they signed in), when, from where, and what
//! (record changes with their values before and after, metadata edits, publishes,
//! sign-ins, API tokens made, revoked and used). The database itself refuses to update or
//! delete an entry (triggers in the migration).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Value, json};

use crate::db::Table;
use crate::db::codec::{datetime, decode};

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Who made a change.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
    /// `session`, `token`, `rule`, `process`, `system`, or `anonymous` (a failed sign-in).
    pub via: &'static str,
    pub ip: Option<String>,
}

impl Actor {
    /// A rule acting on its own, from its firing.
    pub fn rule(firing_id: i64) -> Actor {
        Actor { user_id: None, name: format!("firing {firing_id}"), via: "rule", ip: None }
    }

    /// A process's service step.
    pub fn process(instance: i64) -> Actor {
        Actor { user_id: None, name: format!("process {instance}"), via: "process", ip: None }
    }

    /// The `trellis` command itself (importing a bundle, the demo).
    pub fn system() -> Actor {
        Actor { user_id: None, name: "trellis".into(), via: "system", ip: None }
    }
}

/// What was done, and to what.
pub struct Entry<'a> {
    /// `record.create`, `record.update`, `record.delete`, `metadata.put`,
    /// `metadata.delete`, `app.import`, `app.publish`, `auth.login`, `auth.login_failed`,
    /// `auth.logout`, `token.create`, `token.revoke`, `token.use`, `record.export`.
    pub action: &'a str,
    pub app: Option<&'a str>,
    pub form: Option<&'a str>,
    pub record_id: Option<i64>,
    pub detail: Value,
}

impl<'a> Entry<'a> {
    /// Something done to the platform: a sign-in, the directory, a token.
    pub fn platform(action: &'a str, detail: Value) -> Entry<'a> {
        Entry { action, app: None, form: None, record_id: None, detail }
    }

    /// Something done to an app: its metadata, publishing, its settings.
    pub fn app(action: &'a str, app: &'a str, detail: Value) -> Entry<'a> {
        Entry { action, app: Some(app), form: None, record_id: None, detail }
    }

    /// Something done to a form's records as a whole: an export.
    pub fn form(action: &'a str, app: &'a str, form: &'a str, detail: Value) -> Entry<'a> {
        Entry { action, app: Some(app), form: Some(form), record_id: None, detail }
    }

    /// Something done to one record.
    pub fn record(action: &'a str, app: &'a str, form: &'a str, id: i64, detail: Value) -> Entry<'a> {
        Entry { action, app: Some(app), form: Some(form), record_id: Some(id), detail }
    }
}

/// Appends one entry.
pub async fn write(c: &impl ConnectionTrait, actor: &Actor, entry: Entry<'_>, now: DateTime<Utc>) -> Result<(), DbErr> {
    write_many(c, vec![(actor, entry)], now).await
}

/// Appends entries made at once (records written together), in their order, a few
/// hundred to a statement.
pub async fn write_many(
    c: &impl ConnectionTrait,
    entries: Vec<(&Actor, Entry<'_>)>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let at = datetime(now, c.get_database_backend());
    let mut entries = entries.into_iter().peekable();
    while entries.peek().is_some() {
        let mut stmt = Query::insert();
        stmt.into_table(Table::Audit)
            .columns(["at", "actor_id", "actor", "via", "ip", "action", "app", "form", "record_id", "detail"].map(a));
        for (actor, entry) in entries.by_ref().take(500) {
            stmt.values([
                at.clone().into(),
                actor.user_id.into(),
                actor.name.as_str().into(),
                actor.via.into(),
                actor.ip.clone().into(),
                entry.action.into(),
                entry.app.map(str::to_owned).into(),
                entry.form.map(str::to_owned).into(),
                entry.record_id.into(),
                entry.detail.to_string().into(),
            ])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        c.execute(&stmt).await?;
    }
    Ok(())
}

/// Which entries to list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub app: Option<String>,
    pub form: Option<String>,
    pub record: Option<i64>,
    /// The user name (or rule) that acted.
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Entries at or after this instant (RFC 3339).
    pub since: Option<String>,
    /// Entries before this instant (RFC 3339).
    pub until: Option<String>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// Entries older than this one: the `next` of the previous page.
    pub before: Option<i64>,
}

/// The id to give as `before` for the entries after `items`, when `limit` of them came: a
/// full page may not be the last.
pub fn next_before(items: &[Value], limit: Option<u64>) -> Option<i64> {
    let full = items.len() as u64 >= limit.unwrap_or(100);
    full.then(|| items.last().and_then(|i| i["id"].as_i64())).flatten()
}

/// The entries matching `filter`, newest first.
pub async fn list(c: &impl ConnectionTrait, filter: &Filter) -> Result<Vec<Value>, crate::error::Error> {
    let backend = c.get_database_backend();
    let columns = ["id", "at", "actor_id", "actor", "via", "ip", "action", "app", "form", "record_id", "detail"];
    let mut stmt = Query::select();
    stmt.columns(columns.map(a)).from(Table::Audit);
    for (column, value) in
        [("app", &filter.app), ("form", &filter.form), ("actor", &filter.actor), ("action", &filter.action)]
    {
        if let Some(v) = value {
            stmt.and_where(Expr::col(a(column)).eq(v.as_str()));
        }
    }
    if let Some(id) = filter.record {
        stmt.and_where(Expr::col(a("record_id")).eq(id));
    }
    let instant = |name: &str, text: &Option<String>| -> Result<Option<DateTime<Utc>>, crate::error::Error> {
        text.as_deref()
            .map(|t| {
                engine_form::parse_instant(t).ok_or_else(|| {
                    crate::error::Error::bad_input(
                        crate::error::BadInputCode::bad_query,
                        format!("`{name}` is not an RFC 3339 instant"),
                    )
                })
            })
            .transpose()
    };
    if let Some(since) = instant("since", &filter.since)? {
        stmt.and_where(Expr::col(a("at")).gte(datetime(since, backend)));
    }
    if let Some(until) = instant("until", &filter.until)? {
        stmt.and_where(Expr::col(a("at")).lt(datetime(until, backend)));
    }
    let limit = filter.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(crate::error::Error::BadInput {
            code: crate::error::BadInputCode::bad_query,
            detail: "`limit` must be between 1 and 1000".into(),
            errors: vec![engine_form::FieldError::new("/limit", "bad_query", "between 1 and 1000")],
        });
    }
    if let Some(before) = filter.before {
        stmt.and_where(Expr::col(a("id")).lt(before));
    }
    stmt.order_by(a("id"), Order::Desc).limit(limit);
    let mut out = Vec::new();
    for row in c.query_all(&stmt).await? {
        let detail: String = row.try_get_by_index(10)?;
        out.push(json!({
            "id": row.try_get_by_index::<i64>(0)?,
            "at": decode(&row, 1, &engine_form::StorageType::DateTime, backend)?.to_json(),
            "actor_id": row.try_get_by_index::<Option<i64>>(2)?,
            "actor": row.try_get_by_index::<String>(3)?,
            "via": row.try_get_by_index::<String>(4)?,
            "ip": row.try_get_by_index::<Option<String>>(5)?,
            "action": row.try_get_by_index::<String>(6)?,
            "app": row.try_get_by_index::<Option<String>>(7)?,
            "form": row.try_get_by_index::<Option<String>>(8)?,
            "record_id": row.try_get_by_index::<Option<i64>>(9)?,
            "detail": serde_json::from_str::<Value>(&detail).unwrap_or(Value::String(detail)),
        }));
    }
    Ok(out)
}
