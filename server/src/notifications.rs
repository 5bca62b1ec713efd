//! In-app notifications: what each user is told inside Trellis. They come from the in-app
//! channel of rules and processes (delivered from the outbox), and from the task inbox: a
//! user is told when a task is created for them or handed to them. Each links to its task
//! or record; a user lists their own, newest first, with the count of unread ones, and
//! marks them read. A notification given in several languages is read in the user's.

use chrono::{DateTime, Utc};
use engine_form::StorageType;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Map, Value, json};

use crate::db::Table;
use crate::db::codec::{datetime, decode};
use crate::error::Error;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// A notification to write.
pub struct Notice<'a> {
    /// The user it is for.
    pub user: &'a str,
    pub app: &'a str,
    /// What readers of any language see.
    pub message: &'a str,
    /// The message in each language it was given in (empty: `message` for everyone).
    pub messages: &'a Map<String, Value>,
    /// The task it is about, if any.
    pub task: Option<i64>,
    /// The record it is about, if any: (form, id).
    pub subject: Option<(&'a str, i64)>,
}

/// Writes `notice`, in the caller's transaction.
pub async fn notify(c: &impl ConnectionTrait, notice: &Notice<'_>, now: DateTime<Utc>) -> Result<(), DbErr> {
    let stmt = Query::insert()
        .into_table(Table::Notifications)
        .columns(
            ["username", "app", "message", "messages", "task_id", "subject_form", "subject_id", "created_at"].map(a),
        )
        .values_panic([
            notice.user.into(),
            notice.app.into(),
            notice.message.into(),
            (!notice.messages.is_empty()).then(|| Value::Object(notice.messages.clone()).to_string()).into(),
            notice.task.into(),
            notice.subject.map(|(form, _)| form.to_owned()).into(),
            notice.subject.map(|(_, id)| id).into(),
            datetime(now, c.get_database_backend()).into(),
        ])
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

/// What happened to a task a user is told of.
#[derive(Clone, Copy)]
pub enum TaskNews {
    Created,
    Handed,
    /// Still open: a reminder to its holder.
    Reminder,
    /// Overdue: told to the holder's manager.
    Escalated,
    /// Given to them by its SLA.
    Reassigned,
}

impl TaskNews {
    /// The notice's text for a task titled `title` (`titles` in each language): the
    /// default, and one per language.
    pub fn texts(self, title: &str, titles: &Map<String, Value>) -> (String, Map<String, Value>) {
        let (zh, en) = match self {
            TaskNews::Created => ("新任务", "New task"),
            TaskNews::Handed => ("转交给你", "Handed to you"),
            TaskNews::Reminder => ("提醒", "Reminder"),
            TaskNews::Escalated => ("升级", "Escalated"),
            TaskNews::Reassigned => ("转派给你", "Reassigned to you"),
        };
        let in_ = |language: &str| engine_rule::in_language(title, titles, Some(language)).to_owned();
        let messages = [("zh-CN", format!("{zh}：{}", in_("zh-CN"))), ("en", format!("{en}: {}", in_("en")))];
        let messages = messages.into_iter().map(|(l, m)| (l.to_owned(), Value::String(m))).collect();
        (format!("{zh} / {en}: {title}"), messages)
    }
}

/// Whether `username` is a user who can be told anything.
pub async fn is_user(c: &impl ConnectionTrait, username: &str) -> Result<bool, DbErr> {
    let stmt =
        Query::select().column(a("id")).from(Table::Users).and_where(Expr::col(a("username")).eq(username)).to_owned();
    Ok(c.query_one(&stmt).await?.is_some())
}

/// A page of `user`'s notifications, newest first: those before id `before` (the `next` of
/// the previous page), only unread ones if `unread`; with the count of all unread ones.
pub async fn list(
    core: &crate::core::Core,
    (user, language): (&str, Option<&str>),
    unread: bool,
    before: Option<i64>,
    limit: u64,
) -> Result<Value, Error> {
    let c = &core.db.conn;
    let backend = c.get_database_backend();
    let columns =
        ["id", "app", "message", "task_id", "subject_form", "subject_id", "created_at", "read_at", "messages"];
    let mut stmt = Query::select();
    stmt.columns(columns.map(a)).from(Table::Notifications).and_where(Expr::col(a("username")).eq(user));
    if unread {
        stmt.and_where(Expr::col(a("read_at")).is_null());
    }
    if let Some(before) = before {
        stmt.and_where(Expr::col(a("id")).lt(before));
    }
    stmt.order_by(a("id"), Order::Desc).limit(limit + 1);
    let rows = c.query_all(&stmt).await?;
    let mut items = Vec::new();
    // A reader who chose no language reads each app's own.
    let mut languages = std::collections::HashMap::new();
    for row in rows.iter().take(limit as usize) {
        let app: String = row.try_get_by_index(1)?;
        if !languages.contains_key(&app) {
            let chosen = match language {
                Some(l) => Some(l.to_owned()),
                None => core.catalog.language_of(c, &app).await,
            };
            languages.insert(app.clone(), chosen);
        }
        let language = languages.get(&app).cloned().flatten();
        let form: Option<String> = row.try_get_by_index(4)?;
        let subject = match (form, row.try_get_by_index::<Option<i64>>(5)?) {
            (Some(form), Some(id)) => json!({ "form": form, "id": id }),
            _ => Value::Null,
        };
        let read = decode(row, 7, &StorageType::DateTime, backend)?.to_json();
        let message: String = row.try_get_by_index(2)?;
        let messages: Option<String> = row.try_get_by_index(8)?;
        let messages = messages.and_then(|m| serde_json::from_str::<Map<String, Value>>(&m).ok()).unwrap_or_default();
        items.push(json!({
            "id": row.try_get_by_index::<i64>(0)?,
            "app": app,
            "message": engine_rule::in_language(&message, &messages, language.as_deref()),
            "task": row.try_get_by_index::<Option<i64>>(3)?,
            "subject": subject,
            "created_at": decode(row, 6, &StorageType::DateTime, backend)?.to_json(),
            "read": !Value::is_null(&read),
            "read_at": read,
        }));
    }
    let next = (rows.len() as u64 > limit).then(|| items.last().map(|i| i["id"].clone())).flatten();
    let count = Query::select()
        .expr(Expr::col(a("id")).count())
        .from(Table::Notifications)
        .and_where(Expr::col(a("username")).eq(user))
        .and_where(Expr::col(a("read_at")).is_null())
        .to_owned();
    let unread_count: i64 = match c.query_one(&count).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    Ok(json!({ "items": items, "unread": unread_count, "next": next }))
}

/// Marks `user`'s notification `id` read (every unread one when `None`); how many it marked.
/// Someone else's notification is not found.
pub async fn mark_read(
    c: &impl ConnectionTrait,
    user: &str,
    id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    let mut stmt = Query::update();
    stmt.table(Table::Notifications)
        .value(a("read_at"), datetime(now, c.get_database_backend()))
        .and_where(Expr::col(a("username")).eq(user))
        .and_where(Expr::col(a("read_at")).is_null());
    if let Some(id) = id {
        stmt.and_where(Expr::col(a("id")).eq(id));
    }
    let marked = c.execute(&stmt).await?.rows_affected();
    if let Some(id) = id
        && marked == 0
    {
        let mine = Query::select()
            .column(a("id"))
            .from(Table::Notifications)
            .and_where(Expr::col(a("id")).eq(id))
            .and_where(Expr::col(a("username")).eq(user))
            .to_owned();
        if c.query_one(&mine).await?.is_none() {
            return Err(Error::not_found(format!("no notification {id} of yours")));
        }
    }
    Ok(marked)
}
