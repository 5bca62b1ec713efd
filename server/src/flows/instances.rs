//! Process instances as people see and steer them: started, read (with what the caller may
//! see of their record's personal data), cancelled, moved to another version, and the
//! processes a record has been through. Each change is audited.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use engine_form::StorageType;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

use super::Incoming;
use crate::access::reach;
use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::core::Core;
use crate::db::Table;
use crate::db::codec::decode;
use crate::error::{BadInputCode, Error};

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Who asks: the principal whose access shapes what they see, and the actor the audit
/// trail names.
pub struct Caller<'a> {
    pub principal: &'a Principal,
    pub actor: &'a Actor,
}

/// Starts flow `flow` of app `app` (on record `subject`, for a flow that follows one) and
/// gives the instance.
pub async fn start(
    core: &Core,
    caller: &Caller<'_>,
    (app, flow): (&str, &str),
    subject: Option<i64>,
) -> Result<Value, Error> {
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    let published = core.catalog.published_for_write(&tx, app).await?;
    let id = super::start(&tx, &published, flow, subject, (Some(caller.principal.user_id), None), now).await?;
    let entry = Entry::app("process.start", app, json!({ "flow": flow, "instance": id, "subject": subject }));
    audit::write(&tx, caller.actor, entry, now).await?;
    tx.commit().await?;
    shaped(core, caller.principal, (app, describe(&core.db.conn, id).await?), now).await
}

/// Instance `id` of app `app`, as `principal` may see it.
pub async fn get(core: &Core, principal: &Principal, (app, id): (&str, i64)) -> Result<Value, Error> {
    let body = describe(&core.db.conn, id).await?;
    if body["app"] != app {
        return Err(Error::not_found(format!("no process {id} in `{app}`")));
    }
    shaped(core, principal, (app, body), core.clock.now()).await
}

/// Cancels running instance `id`: its timers stop and its open tasks are withdrawn.
pub async fn cancel(core: &Core, caller: &Caller<'_>, (app, id): (&str, i64)) -> Result<Value, Error> {
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    let published = core.catalog.published_for_write(&tx, app).await?;
    super::deliver(&tx, &published, id, Incoming::Cancel, now, 0).await?;
    audit::write(&tx, caller.actor, Entry::app("process.cancel", app, json!({ "instance": id })), now).await?;
    tx.commit().await?;
    shaped(core, caller.principal, (app, describe(&core.db.conn, id).await?), now).await
}

/// Moves running instance `id` to version `to` of its app (the current one if `None`),
/// each token to the node `mapping` names or the node with the same id.
pub async fn migrate(
    core: &Core,
    caller: &Caller<'_>,
    (app, id): (&str, i64),
    to: Option<i64>,
    mapping: &BTreeMap<String, String>,
) -> Result<Value, Error> {
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    let published = core.catalog.published_for_write(&tx, app).await?;
    let to = to.unwrap_or(published.version);
    if !(1..=published.version).contains(&to) {
        return Err(Error::bad_input(
            BadInputCode::bad_version,
            format!("versions of `{app}` are 1 to {}", published.version),
        ));
    }
    super::migrate(&tx, &published, id, to, mapping, now).await?;
    let detail = json!({ "instance": id, "version": to, "mapping": mapping });
    audit::write(&tx, caller.actor, Entry::app("process.migrate", app, detail), now).await?;
    tx.commit().await?;
    shaped(core, caller.principal, (app, describe(&core.db.conn, id).await?), now).await
}

/// Runs failed process job `id` of app `app` again now, audited; gives how it went.
pub async fn retry(core: &Core, actor: &Actor, (app, id): (&str, i64)) -> Result<Value, Error> {
    let now = core.clock.now();
    let outcome = super::retry_incident(core, app, id, now).await?;
    audit::write(&core.db.conn, actor, Entry::app("process.retry", app, outcome.clone()), now).await?;
    Ok(outcome)
}

/// The processes that followed record `id` of `form`, oldest first, each with its name
/// (`label`) and history, for a caller who may read the record.
pub async fn of_record(
    core: &Core,
    principal: &Principal,
    (app, form, id): (&str, &str, i64),
) -> Result<Vec<Value>, Error> {
    let now = core.clock.now();
    reach::readable(core, principal, (app, form, id), now).await?;
    let on = sea_orm::sea_query::Cond::all()
        .add(Expr::col(a("subject_form")).eq(form))
        .add(Expr::col(a("subject_id")).eq(id));
    about(core, principal, (app, on), None, now).await
}

/// The processes of `app` that followed the records `on` picks (a condition on the
/// `subject_form` and `subject_id` columns), oldest first, at most `limit` if given, each as
/// [`of_record`] gives it, for a caller who may read those records (the caller checks). The
/// caller's access to each subject form, and the clear texts around each subject, are read
/// once for all the instances.
pub async fn about(
    core: &Core,
    principal: &Principal,
    (app, on): (&str, sea_orm::sea_query::Cond),
    limit: Option<u64>,
    now: DateTime<Utc>,
) -> Result<Vec<Value>, Error> {
    // What a step sent (a message's recipient, a webhook's body) and what tasks and events
    // recorded are for designers; a reader of the record sees where it stands and which
    // steps ran.
    let full = principal.platform_role == "designer" || principal.platform_role == "administrator";
    let mut stmt = Query::select()
        .column(a("id"))
        .from(Table::FlowInstances)
        .and_where(Expr::col(a("app")).eq(app))
        .cond_where(on)
        .order_by(a("id"), Order::Asc)
        .to_owned();
    if let Some(limit) = limit {
        stmt.limit(limit);
    }
    let mut items = Vec::new();
    let published = core.catalog.published(&core.db.conn, app).await?;
    let mut shaper =
        Shaper { core, principal, published: &published, now, accesses: HashMap::new(), secrets: HashMap::new() };
    for row in core.db.conn.query_all(&stmt).await? {
        let mut item = describe(&core.db.conn, row.try_get_by_index(0)?).await?;
        shaper.shape(&mut item).await?;
        // Its name as the app's current version gives it, for the reader's language.
        let flow = published.flows.iter().find(|f| item["flow"].as_str() == Some(f.key.as_str()));
        item["label"] = flow.map_or(Value::Null, |f| json!(f.label));
        if !full {
            summarised(&mut item);
        }
        items.push(item);
    }
    Ok(items)
}

/// What tasks and events recorded may hold data the reader's field modes hide: a reader's
/// view keeps where the instance stands and which steps ran, not what they carried.
fn summarised(item: &mut Value) {
    if let Some(object) = item.as_object_mut() {
        object.remove("outputs");
    }
    for entry in item["history"].as_array_mut().into_iter().flatten() {
        if entry["event"] == "service_done" {
            let (node, kind) = (entry["detail"]["node"].clone(), entry["detail"]["action"]["type"].clone());
            entry["detail"] = json!({ "node": node, "type": kind });
        }
    }
}

/// Instances as the caller may see them: what their steps sent and their tasks recorded may
/// quote their record's personal data (a message's recipient), masked where the caller's
/// roles mask it. The caller's access to each subject form and the clear texts around each
/// subject are read once.
struct Shaper<'a> {
    core: &'a Core,
    principal: &'a Principal,
    published: &'a crate::catalog::PublishedApp,
    now: DateTime<Utc>,
    accesses: HashMap<String, crate::access::Access>,
    secrets: HashMap<(String, i64), crate::access::Secrets>,
}

impl Shaper<'_> {
    async fn shape(&mut self, instance: &mut Value) -> Result<(), Error> {
        let (Some(form), Some(id)) = (instance["subject"]["form"].as_str(), instance["subject"]["id"].as_i64()) else {
            return Ok(());
        };
        let Some(subject) = self.published.bundle.form(form) else { return Ok(()) };
        let conn = &self.core.db.conn;
        if !self.accesses.contains_key(form) {
            let access = crate::access::load(conn, self.published, self.principal, subject).await?;
            self.accesses.insert(form.to_owned(), access);
        }
        let key = (form.to_owned(), id);
        if !self.secrets.contains_key(&key) {
            let access = &self.accesses[form];
            let found = reach::secrets_around(conn, self.published, (form, id), access, self.now).await?;
            self.secrets.insert(key.clone(), found);
        }
        self.secrets[&key].scrub(instance);
        Ok(())
    }
}

/// One instance as `principal` may see it (`Shaper`).
async fn shaped(
    core: &Core,
    principal: &Principal,
    (app, mut instance): (&str, Value),
    now: DateTime<Utc>,
) -> Result<Value, Error> {
    let published = core.catalog.published(&core.db.conn, app).await?;
    let mut shaper =
        Shaper { core, principal, published: &published, now, accesses: HashMap::new(), secrets: HashMap::new() };
    shaper.shape(&mut instance).await?;
    Ok(instance)
}

/// An instance as the API shows it.
async fn describe(c: &impl ConnectionTrait, id: i64) -> Result<Value, Error> {
    let head = Query::select()
        .columns(
            [
                "id",
                "app",
                "flow",
                "version",
                "subject_form",
                "subject_id",
                "status",
                "state",
                "started_at",
                "updated_at",
            ]
            .map(a),
        )
        .from(Table::FlowInstances)
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    let row = c.query_one(&head).await?.ok_or_else(|| Error::not_found(format!("no process {id}")))?;
    let state: String = row.try_get("", "state")?;
    let state: Value = serde_json::from_str(&state).unwrap_or(Value::Null);
    let history = Query::select()
        .columns(["at", "event", "detail"].map(a))
        .from(Table::FlowHistory)
        .and_where(Expr::col(a("instance_id")).eq(id))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    let backend = c.get_database_backend();
    let instant =
        |r: &sea_orm::QueryResult, i: usize| decode(r, i, &StorageType::DateTime, backend).map(|v| v.to_json());
    let mut events = Vec::new();
    for h in c.query_all(&history).await? {
        let detail: String = h.try_get("", "detail")?;
        events.push(json!({ "at": instant(&h, 0)?, "event": h.try_get::<String>("", "event")?,
            "detail": serde_json::from_str::<Value>(&detail).unwrap_or(Value::Null) }));
    }
    Ok(json!({
        "id": id,
        "app": row.try_get::<String>("", "app")?,
        "flow": row.try_get::<String>("", "flow")?,
        "version": row.try_get::<i64>("", "version")?,
        "subject": { "form": row.try_get::<Option<String>>("", "subject_form")?, "id": row.try_get::<Option<i64>>("", "subject_id")? },
        "status": row.try_get::<String>("", "status")?,
        "started_at": instant(&row, 8)?,
        "current": state["tokens"].as_array().map(|t| t.iter().map(|t| t["node"].clone()).collect::<Vec<_>>()),
        "tokens": state["tokens"],
        "outputs": state["outputs"],
        "history": events,
    }))
}
