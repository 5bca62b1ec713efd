//! The one record-write pipeline. Every create, update and delete (from the record API, a
//! rule's action, a process step, demo seeding, and bulk changes) goes through `write`,
//! with one order of steps, in the caller's transaction:
//!
//! access → checks → write → conditions → audit → rules → processes → the written record.
//!
//! The caller states whose authority it writes with (`Authority`): a caller's roles, the
//! roles of the user a rule acts for, or the platform's own. A record's own row is read at
//! most twice: once before an update or delete (with whether the writer's rows admit it),
//! and once after the rules, when they may have changed it or the writer's rows must
//! still admit it.
//!
//! `many.rs`: many records created at once, each as `write` creates it, with the
//! statements that can serve them all made once; `updates.rs`: the updates rules' firings
//! make to such records, made together the same way.

use chrono::{DateTime, Utc};
use engine_form::{CheckMode, FieldValue, check_record};
use engine_rule::TriggerKind;
use sea_orm::DatabaseTransaction;
use serde_json::{Map, Value, json};

use crate::access::Access;
use crate::access::enforce::{allowed, out_of_reach, writable};
use crate::audit::{self, Actor, Entry};
use crate::catalog::PublishedApp;
use crate::error::Error;
use crate::records::values::field_values;
use crate::records::{FormCtx, columns, enforce_conditions, read, write as sql};
use crate::rules::{self, Change};

mod many;
mod updates;
pub use many::{create_many, savepointed};
pub use updates::update_many;

/// Whose authority a write is made with.
#[derive(Clone, Copy)]
pub enum Authority<'a> {
    /// The caller's own roles, loaded for this request (`access::load`).
    Caller(&'a Access),
    /// The roles of the user a rule acts for (`"run_as": "user"`), loaded here.
    ActingFor(i64),
    /// The platform's own: demo seeding, rules and processes acting on their own.
    Platform,
}

/// Who writes: how the audit trail names them, with whose authority, and the user behind
/// it (who the rules see as having made the change; whose uploads may be attached).
pub struct Writer<'a> {
    pub actor: Actor,
    pub authority: Authority<'a>,
    pub user: Option<i64>,
    /// Whether the rules watching the write run; not for an initial load of records whose
    /// derived values came with them (`Edit::load`).
    pub rules: bool,
}

/// What to write.
pub enum Op<'v> {
    Create(&'v Map<String, Value>),
    /// The fields that change; `version`: the version the writer last saw (If-Match), or
    /// `None` to update the record as it now is.
    Update {
        id: i64,
        version: Option<i64>,
        values: &'v Map<String, Value>,
    },
    Delete {
        id: i64,
        version: Option<i64>,
    },
}

/// A write done: the record's id and, unless deleted, the record as it stands after the
/// rules (unshaped: the caller shapes it by its own field modes).
pub struct Written {
    pub id: i64,
    pub record: Option<Value>,
}

/// The one way a record is written. `depth` counts the rule- and process-made writes that
/// led to this one (cascades stop at `rules::MAX_CASCADE`).
pub async fn write(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    form: &str,
    op: Op<'_>,
    writer: &Writer<'_>,
    now: DateTime<Utc>,
    depth: usize,
) -> Result<Written, Error> {
    let mut ctx = FormCtx::new(app, form, sea_orm::ConnectionTrait::get_database_backend(tx), now)?;
    ctx.writer = writer.user;
    // Access: whose roles, and whether they allow this.
    let loaded;
    let access: Option<&Access> = match writer.authority {
        Authority::Caller(access) => Some(access),
        Authority::ActingFor(user) => {
            loaded = crate::access::load_for_user(tx, app, user, ctx.form).await?;
            Some(&loaded)
        }
        Authority::Platform => None,
    };
    let operation = match op {
        Op::Create(_) => "create",
        Op::Update { .. } => "update",
        Op::Delete { .. } => "delete",
    };
    if let Some(access) = access {
        allowed(access, operation, form)?;
    }
    let written = match op {
        Op::Create(values) => create(tx, &ctx, values, access, writer, depth).await,
        Op::Update { id, version, values } => update(tx, &ctx, (id, version), values, access, writer, depth).await,
        Op::Delete { id, version } => delete(tx, &ctx, (id, version), access, writer, depth).await,
    }?;
    // Last, so that the row it locks until the commit is held as briefly as it can be.
    crate::records::versions::bump(tx, &app.key, form).await?;
    Ok(written)
}

async fn create(
    tx: &DatabaseTransaction,
    ctx: &FormCtx<'_>,
    values: &Map<String, Value>,
    access: Option<&Access>,
    writer: &Writer<'_>,
    depth: usize,
) -> Result<Written, Error> {
    if let Some(access) = access {
        writable(access, values)?;
    }
    let checked = check_record(ctx.form, values, CheckMode::Create).map_err(Error::InvalidRecord)?;
    let own_row = columns::OwnRow::of(ctx);
    let row = sql::create(tx, ctx, &checked, ctx.now, &own_row.columns).await?;
    let record = read::written(tx, ctx, &own_row, &row).await?;
    let id = record["id"].as_i64().unwrap_or_default();
    let stored = field_values(ctx.form, record.as_object().unwrap_or(&Map::new()));
    conditions(ctx, &stored, values)?;
    let detail = json!({ "after": record });
    let wrote = Wrote { id, record, stored, before: None, trigger: TriggerKind::Created, detail };
    follow_up(tx, ctx, wrote, access, writer, depth).await
}

async fn update(
    tx: &DatabaseTransaction,
    ctx: &FormCtx<'_>,
    (id, version): (i64, Option<i64>),
    values: &Map<String, Value>,
    access: Option<&Access>,
    writer: &Writer<'_>,
    depth: usize,
) -> Result<Written, Error> {
    // A record the writer cannot reach is, to them, not there.
    let before_json = reached(tx, ctx, id, access).await?;
    if let Some(access) = access {
        writable(access, values)?;
    }
    let checked = check_record(ctx.form, values, CheckMode::Patch).map_err(Error::InvalidRecord)?;
    let current = before_json["_version"].as_i64().unwrap_or_default();
    let own_row = columns::OwnRow::of(ctx);
    let row = sql::update(tx, ctx, id, version.unwrap_or(current), &checked, ctx.now, &own_row.columns).await?;
    let record = read::written(tx, ctx, &own_row, &row).await?;
    let stored = field_values(ctx.form, record.as_object().unwrap_or(&Map::new()));
    conditions(ctx, &stored, values)?;
    let detail = json!({ "before": before_json, "after": record, "sent": values });
    let wrote = Wrote { id, record, stored, before: Some(before_json), trigger: TriggerKind::Updated, detail };
    follow_up(tx, ctx, wrote, access, writer, depth).await
}

/// What a create or an update wrote, for the steps after it.
struct Wrote {
    id: i64,
    /// The record as written.
    record: Value,
    /// Its field values, as rules read them.
    stored: Vec<(String, FieldValue)>,
    /// An update's record before it.
    before: Option<Value>,
    trigger: TriggerKind,
    /// What the audit entry says.
    detail: Value,
}

/// The steps after a create or an update: audit → rules → processes → the written record.
async fn follow_up(
    tx: &DatabaseTransaction,
    ctx: &FormCtx<'_>,
    wrote: Wrote,
    access: Option<&Access>,
    writer: &Writer<'_>,
    depth: usize,
) -> Result<Written, Error> {
    let Wrote { id, record, stored, before, trigger, detail } = wrote;
    let created = trigger == TriggerKind::Created;
    let action = if created { "record.create" } else { "record.update" };
    audited(tx, ctx, (action, id), detail, writer).await?;
    let ran = writer.rules && rules::watches(ctx.app, &ctx.form.key, trigger);
    if ran {
        // The values before an update are read only for rules that see them.
        let before = before.map(|b| field_values(ctx.form, b.as_object().unwrap_or(&Map::new())));
        let version = record["_version"].as_i64().unwrap_or(1);
        let change = change(ctx, id, version, trigger, before, Some(stored), writer);
        rules::after_change(tx, ctx.app, change, ctx.now, depth).await?;
    }
    let written = crate::flows::Written { form: &ctx.form.key, id, created, by: writer.user };
    Box::pin(crate::flows::on_record_change(tx, ctx.app, written, ctx.now, depth)).await?;
    settle(tx, ctx, id, record, ran, access).await
}

async fn delete(
    tx: &DatabaseTransaction,
    ctx: &FormCtx<'_>,
    (id, version): (i64, Option<i64>),
    access: Option<&Access>,
    writer: &Writer<'_>,
    depth: usize,
) -> Result<Written, Error> {
    let before_json = reached(tx, ctx, id, access).await?;
    sql::delete(tx, ctx, id, version).await?;
    audited(tx, ctx, ("record.delete", id), json!({ "before": before_json }), writer).await?;
    if writer.rules && rules::watches(ctx.app, &ctx.form.key, TriggerKind::Deleted) {
        let version = before_json["_version"].as_i64().unwrap_or_default();
        let before = field_values(ctx.form, before_json.as_object().unwrap_or(&Map::new()));
        let change = change(ctx, id, version, TriggerKind::Deleted, Some(before), None, writer);
        rules::after_change(tx, ctx.app, change, ctx.now, depth).await?;
    }
    crate::flows::on_record_deleted(tx, ctx.app, (&ctx.form.key, id), ctx.now).await?;
    Ok(Written { id, record: None })
}

/// The record before a change, refused as not there when the writer's rows do not admit it.
async fn reached(
    tx: &DatabaseTransaction,
    ctx: &FormCtx<'_>,
    id: i64,
    access: Option<&Access>,
) -> Result<Value, Error> {
    let reach = access.filter(|a| a.rows.is_some());
    match read::get_reached(tx, ctx, id, reach).await? {
        Some((record, true)) => Ok(record),
        _ => Err(Error::not_found(format!("no `{}` record {id}", ctx.form.key))),
    }
}

/// The form's conditions over the record as stored, the fields sent named as sent.
fn conditions(ctx: &FormCtx<'_>, stored: &[(String, FieldValue)], sent: &Map<String, Value>) -> Result<(), Error> {
    let keys: Vec<&str> = sent.keys().map(String::as_str).collect();
    enforce_conditions(ctx, stored, &keys, ctx.now)
}

/// The record after the rules: read again when they may have changed it, when the
/// writer's rows must still admit it (else the write is refused and rolls back), or for
/// its relations' lookup fields.
async fn settle(
    tx: &DatabaseTransaction,
    ctx: &FormCtx<'_>,
    id: i64,
    record: Value,
    rules_ran: bool,
    access: Option<&Access>,
) -> Result<Written, Error> {
    let limited = access.filter(|a| a.rows.is_some() || a.limits_lookups());
    if !rules_ran && limited.is_none() && !columns::shows_lookups(ctx) {
        return Ok(Written { id, record: Some(record) });
    }
    let scoped = FormCtx { access: limited, ..*ctx };
    match read::get(tx, &scoped, id, None).await? {
        Some(record) => Ok(Written { id, record: Some(record) }),
        None if limited.is_some() => Err(out_of_reach()),
        None => Err(Error::not_found(format!("no `{}` record {id}", ctx.form.key))),
    }
}

fn change(
    ctx: &FormCtx<'_>,
    id: i64,
    version: i64,
    kind: TriggerKind,
    before: Option<Vec<(String, FieldValue)>>,
    after: Option<Vec<(String, FieldValue)>>,
    writer: &Writer<'_>,
) -> Change {
    Change { form: ctx.form.key.clone(), id, version, kind, before, after, by: writer.user, about: None }
}

/// Audits a change to record `id`: `detail` holds its values, and the user a rule acts
/// for (`"run_as": "user"`) is named beside them.
async fn audited(
    tx: &DatabaseTransaction,
    ctx: &FormCtx<'_>,
    (action, id): (&str, i64),
    mut detail: Value,
    writer: &Writer<'_>,
) -> Result<(), Error> {
    if let (Authority::ActingFor(user), Some(map)) = (writer.authority, detail.as_object_mut()) {
        map.insert("acting_for".into(), json!(user));
    }
    let entry = Entry::record(action, &ctx.app.key, &ctx.form.key, id, detail);
    Ok(audit::write(tx, &writer.actor, entry, ctx.now).await?)
}
