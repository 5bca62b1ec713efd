//! What happened to and around one record, as a caller who may read it sees it: its
//! changes (values before and after), the rules that fired and why and the tasks raised,
//! on it and on the records linking to it that the caller reads (a customer's
//! transactions), with their notes, the processes that followed it and the messages sent
//! about it and them, with their delivery state. Values are shaped by the caller's field modes, and
//! the clear texts they may not see are masked wherever else they appear.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use serde_json::{Value, json};

use crate::access::{Secrets, reach};
use crate::audit::{self, Filter};
use crate::auth::Principal;
use crate::core::Core;
use crate::db::Table;
use crate::db::codec::decode;
use crate::error::Error;

/// At most this many entries of each kind are read for one record.
const PER_KIND: u64 = 1000;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// What a reader of one record works with here: their access to it (read checked), the
/// app as published, the clear texts around it they may not see, and the time.
struct Seen {
    now: DateTime<Utc>,
    access: crate::access::Access,
    published: std::sync::Arc<crate::catalog::PublishedApp>,
    secrets: Secrets,
}

impl Seen {
    async fn of(core: &Core, principal: &Principal, (app, form, id): (&str, &str, i64)) -> Result<Seen, Error> {
        let now = core.clock.now();
        let access = reach::readable(core, principal, (app, form, id), now).await?;
        let published = core.catalog.published(&core.db.conn, app).await?;
        let secrets = reach::secrets_around(&core.db.conn, &published, (form, id), &access, now).await?;
        Ok(Seen { now, access, published, secrets })
    }
}

/// The processes that followed `subjects`, oldest first.
async fn processes_of(
    core: &Core,
    principal: &Principal,
    app: &str,
    subjects: &[(String, Vec<i64>)],
    now: DateTime<Utc>,
) -> Result<Vec<Value>, Error> {
    let on = about(subjects, (Expr::col(a("subject_form")), Expr::col(a("subject_id"))));
    crate::flows::instances::about(core, principal, (app, on), Some(PER_KIND), now).await
}

/// The record's changes, newest first, each as the caller sees the record.
pub async fn history(core: &Core, principal: &Principal, (app, form, id): (&str, &str, i64)) -> Result<Value, Error> {
    let access = reach::readable(core, principal, (app, form, id), core.clock.now()).await?;
    let mut secrets = Secrets::default();
    let items = changes(core, &access, (app, form, id), &mut secrets).await?;
    // Only the latest PER_KIND: said, not silently cut short.
    let more = items.len() as u64 >= PER_KIND;
    let mut body = json!({ "items": items, "more": more });
    secrets.scrub(&mut body);
    Ok(body)
}

/// The rules that fired on the record (and with `around`, on the records linking to it that
/// the caller reads: a customer's transactions), newest first: what each read, shaped by
/// the caller's field modes, and what it did; `more` says whether older ones were left out.
pub async fn firings(
    core: &Core,
    principal: &Principal,
    (app, form, id): (&str, &str, i64),
    around: bool,
) -> Result<Value, Error> {
    let Seen { now, access, published, mut secrets } = Seen::of(core, principal, (app, form, id)).await?;
    let subjects = if around {
        linking(core, principal, &published, (form, id), now).await?
    } else {
        vec![(form.to_owned(), vec![id])]
    };
    let Fired { items, withheld, read } = fired(core, (&access, &published, now), &subjects, &mut secrets).await?;
    // Only the latest PER_KIND: said, not silently cut short; and how many of those are
    // withheld from this reader (derived from what they see masked).
    let more = read as u64 >= PER_KIND;
    let mut body = json!({ "items": items, "more": more, "withheld": withheld.len() });
    secrets.scrub(&mut body);
    Ok(body)
}

/// The messages sent about the record and the records linking to it that the caller reads
/// (a customer's holdings), newest first, with how their delivery went; those derived from
/// what the caller sees masked withheld, recipients masked as the outbox shows them.
pub async fn messages(core: &Core, principal: &Principal, (app, form, id): (&str, &str, i64)) -> Result<Value, Error> {
    let Seen { now, access, published, mut secrets } = Seen::of(core, principal, (app, form, id)).await?;
    let subjects = linking(core, principal, &published, (form, id), now).await?;
    let Fired { withheld, .. } = fired(core, (&access, &published, now), &subjects, &mut secrets).await?;
    let mut items = messages_about(&core.db.conn, app, &subjects).await?;
    items.retain(|m| !m["firing"].as_i64().is_some_and(|f| withheld.contains(&f)));
    let mut body = json!({ "items": items });
    secrets.scrub(&mut body);
    Ok(body)
}

/// The processes that followed the record and the records linking to it that the caller
/// reads (a customer's holdings), oldest first.
pub async fn processes(core: &Core, principal: &Principal, (app, form, id): (&str, &str, i64)) -> Result<Value, Error> {
    let now = core.clock.now();
    reach::readable(core, principal, (app, form, id), now).await?;
    let published = core.catalog.published(&core.db.conn, app).await?;
    let subjects = linking(core, principal, &published, (form, id), now).await?;
    Ok(json!({ "items": processes_of(core, principal, app, &subjects, now).await? }))
}

/// The open tasks about the record and about the records linking to it that the caller
/// reads (a customer's holdings), newest first, as the timeline shows them.
pub async fn open_tasks(
    core: &Core,
    principal: &Principal,
    (app, form, id): (&str, &str, i64),
) -> Result<Value, Error> {
    let Seen { now, published, secrets, .. } = Seen::of(core, principal, (app, form, id)).await?;
    let subjects = linking(core, principal, &published, (form, id), now).await?;
    let mut open =
        tasks_about(&core.db.conn, app, &subjects, Some("open"), (now, principal.language.as_deref())).await?;
    let mine = |t: &Value| t["assignee"].as_str() == Some(principal.username.as_str());
    crate::access::without_derived(core, principal, &mut open, mine).await?;
    let mut body = json!({ "items": open });
    secrets.scrub(&mut body);
    Ok(body)
}

/// The record's audited changes, their values shaped by `access`, the clear texts of what
/// it hides collected in `secrets`.
async fn changes(
    core: &Core,
    access: &crate::access::Access,
    (app, form, id): (&str, &str, i64),
    secrets: &mut Secrets,
) -> Result<Vec<Value>, Error> {
    let filter = Filter {
        app: Some(app.into()),
        form: Some(form.into()),
        record: Some(id),
        limit: Some(PER_KIND),
        ..Filter::default()
    };
    let mut items = audit::list(&core.db.conn, &filter).await?;
    let published = core.catalog.published(&core.db.conn, app).await?;
    crate::actors::name_actors(&core.db.conn, &published, &mut items).await?;
    for item in &mut items {
        for side in ["before", "after"] {
            if let Some(Value::Object(values)) = item["detail"].get_mut(side) {
                access.shape_collecting(values, secrets);
            }
        }
    }
    Ok(items)
}

/// The firings a reader is shown of those on some records, the ids of those withheld from
/// them (derived from what they see masked: `access::derived`), and how many were read.
struct Fired {
    items: Vec<Value>,
    withheld: std::collections::BTreeSet<i64>,
    read: usize,
}

/// The firings on `subjects` (the record first, then the records linking to it that the
/// caller reads), each with its rule's name (`label`, as the current version gives it),
/// what each read shaped by the caller's access to the form it fired on; those whose rule
/// reads what the caller sees masked are withheld.
async fn fired(
    core: &Core,
    (access, published, now): (&crate::access::Access, &crate::catalog::PublishedApp, DateTime<Utc>),
    subjects: &[(String, Vec<i64>)],
    secrets: &mut Secrets,
) -> Result<Fired, Error> {
    let on = about(subjects, (Expr::col(a("form")), Expr::col(a("record_id"))));
    let found = crate::rules::firings_about(&core.db.conn, &published.key, on, PER_KIND).await?;
    let read = found.len();
    let own = subjects.first().map(|(form, _)| form.as_str());
    // What a linking record's firing did may quote that record's own personal data (an
    // SMS to its customer's mobile): masked with the secrets around it, read once each.
    let mut around: std::collections::HashMap<(String, i64), Secrets> = Default::default();
    let (mut items, mut withheld) = (Vec::new(), std::collections::BTreeSet::new());
    for mut item in found {
        let rule = published.rules.iter().find(|r| item["rule"].as_str() == Some(r.key.as_str()));
        item["label"] = rule.map_or(Value::Null, |r| json!(r.label));
        let form = item["form"].as_str().unwrap_or_default().to_owned();
        let theirs = if Some(form.as_str()) == own { Some(access) } else { access.to_form(&form) };
        let Some(theirs) = theirs else {
            item["read"] = Value::Null;
            item["actions"] = json!([]);
            items.push(item);
            continue;
        };
        if crate::access::Derived::withheld_for(theirs, published, item["rule"].as_str().unwrap_or_default(), &form) {
            withheld.extend(item["id"].as_i64());
            continue;
        }
        if let (Some(schema), Some(Value::Object(read))) = (published.bundle.form(&form), item.get_mut("read")) {
            theirs.shape_paths(&published.bundle, schema, read, secrets);
        }
        if Some(form.as_str()) != own
            && let Some(record) = item["record_id"].as_i64()
        {
            let key = (form.clone(), record);
            if !around.contains_key(&key) {
                let found = reach::secrets_around(&core.db.conn, published, (&form, record), theirs, now).await?;
                around.insert(key.clone(), found);
            }
            around[&key].scrub(&mut item);
        }
        items.push(item);
    }
    Ok(Fired { items, withheld, read })
}

/// Everything about the record in one list, newest first, at most `limit` entries (`more`
/// says whether older ones were left out). Each entry has its `kind` and instant `at`.
pub async fn timeline(
    core: &Core,
    principal: &Principal,
    (app, form, id): (&str, &str, i64),
    limit: usize,
) -> Result<Value, Error> {
    let Seen { now, access, published, mut secrets } = Seen::of(core, principal, (app, form, id)).await?;
    let mut entries = Vec::new();
    let tag = |kind: &str, at: &Value, mut item: Value| {
        item["kind"] = json!(kind);
        item["at"] = at.clone();
        item
    };
    // The caller's access is read once; each kind is shaped by it.
    for change in changes(core, &access, (app, form, id), &mut secrets).await? {
        let at = change["at"].clone();
        entries.push(tag("change", &at, change));
    }
    // Firings, tasks and messages about the record and about the records linking to it
    // that the caller may read (a customer's transactions and holdings).
    let subjects = linking(core, principal, &published, (form, id), now).await?;
    let Fired { items: firings, withheld, .. } =
        fired(core, (&access, &published, now), &subjects, &mut secrets).await?;
    // What a withheld firing did (the task it raised, the message it sent) is withheld too.
    let derived = |item: &Value| item["firing"].as_i64().is_some_and(|f| withheld.contains(&f));
    for firing in firings {
        let at = firing["fired_at"].clone();
        entries.push(tag("firing", &at, firing));
    }
    for task in tasks_about(&core.db.conn, app, &subjects, None, (now, principal.language.as_deref())).await? {
        if !derived(&task) {
            let at = task["created_at"].clone();
            entries.push(tag("task", &at, task));
        }
    }
    for process in processes_of(core, principal, app, &subjects, now).await? {
        let at = process["started_at"].clone();
        entries.push(tag("process", &at, process));
    }
    for message in messages_about(&core.db.conn, app, &subjects).await? {
        if !derived(&message) {
            let at = message["created_at"].clone();
            entries.push(tag("message", &at, message));
        }
    }
    // RFC 3339 instants in UTC with fixed digits sort as text.
    entries.sort_by(|x, y| y["at"].as_str().cmp(&x["at"].as_str()));
    let more = entries.len() > limit;
    entries.truncate(limit);
    let mut body = json!({ "items": entries, "more": more });
    secrets.scrub(&mut body);
    Ok(body)
}

/// The record, then the records of other forms that link to it through a relation and
/// that `principal` may read (a customer's transactions and holdings), by form: what its
/// timeline and page are about (at most [`PER_KIND`] of each form).
async fn linking(
    core: &Core,
    principal: &Principal,
    app: &crate::catalog::PublishedApp,
    (form, id): (&str, i64),
    now: DateTime<Utc>,
) -> Result<Vec<(String, Vec<i64>)>, Error> {
    let mut found = vec![(form.to_owned(), vec![id])];
    for other in app.bundle.forms.iter().filter(|f| f.key != form) {
        let links: Vec<&str> = other
            .fields
            .iter()
            .filter(|f| matches!(&f.kind, engine_form::FieldType::Relation { form: target, .. } if target == form))
            .map(|f| f.key.as_str())
            .collect();
        if links.is_empty() {
            continue;
        }
        let mut ctx = crate::records::FormCtx::new(app, &other.key, core.db.backend(), now)?;
        let access = crate::access::load(&core.db.conn, app, principal, other).await?;
        if !access.allows("read") {
            continue;
        }
        ctx.access = Some(&access);
        let mut any = sea_orm::sea_query::Cond::any();
        for link in links {
            if let Some((column, _)) = ctx.map.column(link) {
                any = any.add(Expr::col((a(&ctx.map.table), a(column))).eq(id));
            }
        }
        let mut stmt = Query::select();
        stmt.column((a(&ctx.map.table), a("id"))).from(a(&ctx.map.table)).cond_where(any).limit(PER_KIND);
        if let Some(rows) = crate::expr_sql::admitted(&ctx, now)? {
            stmt.and_where(rows);
        }
        let ids: Vec<i64> =
            core.db.conn.query_all(&stmt).await?.iter().map(|r| r.try_get_by_index(0)).collect::<Result<_, _>>()?;
        if !ids.is_empty() {
            found.push((other.key.clone(), ids));
        }
    }
    Ok(found)
}

/// The condition that a row's `form_column` and `id_column` name one of `subjects`.
fn about(subjects: &[(String, Vec<i64>)], (form_column, id_column): (Expr, Expr)) -> sea_orm::sea_query::Cond {
    let mut any = sea_orm::sea_query::Cond::any();
    for (form, ids) in subjects {
        any = any.add(form_column.clone().eq(form.as_str()).and(id_column.clone().is_in(ids.clone())));
    }
    any
}

/// The tasks raised or opened about `subjects` (only those of `status`, if given), newest
/// first, with what they recorded.
async fn tasks_about(
    c: &impl ConnectionTrait,
    app: &str,
    subjects: &[(String, Vec<i64>)],
    status: Option<&str>,
    (now, language): (DateTime<Utc>, Option<&str>),
) -> Result<Vec<Value>, Error> {
    let mut stmt = crate::tasks::rows();
    stmt.and_where(Expr::col(a("app")).eq(app))
        .cond_where(about(subjects, (Expr::col(a("subject_form")), Expr::col(a("subject_id")))))
        .order_by(a("id"), Order::Desc)
        .limit(PER_KIND);
    if let Some(status) = status {
        stmt.and_where(Expr::col(a("status")).eq(status));
    }
    let backend = c.get_database_backend();
    c.query_all(&stmt).await?.iter().map(|row| crate::tasks::task_json(row, backend, now, language)).collect()
}

/// The messages rules and processes sent about `subjects` and how their delivery went; recipients of
/// SMS, e-mail and IM masked, as the outbox shows them.
async fn messages_about(
    c: &impl ConnectionTrait,
    app: &str,
    subjects: &[(String, Vec<i64>)],
) -> Result<Vec<Value>, Error> {
    let (o, f) = (Table::Outbox, Table::Firings);
    let stmt = Query::select()
        .columns([(o, a("id")), (o, a("channel")), (o, a("recipient")), (o, a("body")), (o, a("state"))])
        .columns([(o, a("last_error")), (o, a("created_at")), (o, a("firing_id"))])
        .from(o)
        .left_join(f, Expr::col((f, a("id"))).equals((o, a("firing_id"))))
        .and_where(Expr::col((o, a("app"))).eq(app))
        // About one of them: as the message says (a rule's or a process step's), or as the
        // firing that sent it does (messages queued before messages said).
        .cond_where(
            sea_orm::sea_query::Cond::any()
                .add(about(subjects, (Expr::col((o, a("subject_form"))), Expr::col((o, a("subject_id"))))))
                .add(about(subjects, (Expr::col((f, a("form"))), Expr::col((f, a("record_id")))))),
        )
        .order_by((o, a("id")), Order::Desc)
        .limit(PER_KIND)
        .to_owned();
    let backend = c.get_database_backend();
    let text = |s: String| serde_json::from_str::<Value>(&s).unwrap_or(Value::String(s));
    let mut messages = Vec::new();
    for row in c.query_all(&stmt).await? {
        let channel: String = row.try_get_by_index(1)?;
        let recipient = crate::outbox::shown_recipient(&channel, text(row.try_get_by_index(2)?));
        messages.push(json!({
            "id": row.try_get_by_index::<i64>(0)?,
            "channel": channel,
            "recipient": recipient,
            "body": text(row.try_get_by_index(3)?),
            "state": row.try_get_by_index::<String>(4)?,
            "last_error": row.try_get_by_index::<Option<String>>(5)?,
            "created_at": decode(&row, 6, &engine_form::StorageType::DateTime, backend)?.to_json(),
            "firing": row.try_get_by_index::<Option<i64>>(7)?,
        }));
    }
    Ok(messages)
}
