//! Maker-checker for publishing: when an app requires approval, a publish becomes a
//! request holding the exact bundle to be published; a second person (a designer or an
//! administrator, not the one who asked) approves it, and that bundle is published, the
//! version recording who made it and who approved it; or rejects it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Value, json};

use crate::audit::{self, Actor, Entry};
use crate::core::Core;
use crate::db::Table;
use crate::db::codec::{datetime, decode};
use crate::error::{ConflictCode, Error, ForbiddenCode};
use crate::meta;
use crate::publish::{self, Published};

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Files a request to publish `bundle` of `app`; its id.
pub async fn request(
    c: &impl ConnectionTrait,
    app: &str,
    bundle: &Value,
    requested_by: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let stmt = Query::insert()
        .into_table(Table::PublishRequests)
        .columns(["app", "bundle", "requested_by", "requested_at", "state"].map(a))
        .values([
            app.into(),
            bundle.to_string().into(),
            requested_by.into(),
            datetime(now, c.get_database_backend()).into(),
            "pending".into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .returning_col(a("id"))
        .to_owned();
    let row = c.query_one(&stmt).await?.ok_or_else(|| DbErr::Custom("INSERT returned no id".into()))?;
    row.try_get_by_index(0)
}

/// A pending request of `app`: its bundle and who asked.
pub async fn pending(c: &impl ConnectionTrait, app: &str, id: i64) -> Result<Option<(Value, String)>, DbErr> {
    let stmt = Query::select()
        .columns(["bundle", "requested_by"].map(a))
        .from(Table::PublishRequests)
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("state")).eq("pending"))
        .to_owned();
    let Some(row) = c.query_one(&stmt).await? else { return Ok(None) };
    let text: String = row.try_get_by_index(0)?;
    let bundle = serde_json::from_str(&text).map_err(|e| DbErr::Type(format!("stored bundle: {e}")))?;
    Ok(Some((bundle, row.try_get_by_index(1)?)))
}

/// Records the decision on a pending request; whether it was still pending.
pub async fn decide(
    c: &impl ConnectionTrait,
    id: i64,
    state: &str,
    decided_by: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let stmt = Query::update()
        .table(Table::PublishRequests)
        .value(a("state"), state)
        .value(a("decided_by"), decided_by)
        .value(a("decided_at"), datetime(now, c.get_database_backend()))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("state")).eq("pending"))
        .to_owned();
    Ok(c.execute(&stmt).await?.rows_affected() == 1)
}

/// The app's requests, newest first, without their bundles.
pub async fn list(c: &impl ConnectionTrait, app: &str) -> Result<Vec<Value>, DbErr> {
    let backend = c.get_database_backend();
    let stmt = Query::select()
        .columns(["id", "requested_by", "requested_at", "state", "decided_by", "decided_at"].map(a))
        .from(Table::PublishRequests)
        .and_where(Expr::col(a("app")).eq(app))
        .order_by(a("id"), Order::Desc)
        .to_owned();
    let instant = |row: &sea_orm::QueryResult, i| decode(row, i, &engine_form::StorageType::DateTime, backend);
    c.query_all(&stmt)
        .await?
        .iter()
        .map(|row| {
            Ok(json!({
                "id": row.try_get_by_index::<i64>(0)?,
                "requested_by": row.try_get_by_index::<String>(1)?,
                "requested_at": instant(row, 2)?.to_json(),
                "state": row.try_get_by_index::<String>(3)?,
                "decided_by": row.try_get_by_index::<Option<String>>(4)?,
                "decided_at": instant(row, 5)?.to_json(),
            }))
        })
        .collect()
}

/// What publishing an app came to: a new version, or (maker-checker on) a request.
pub enum Publishing {
    Published(Published),
    Requested(i64),
}

/// Publishes `app`'s drafts as `actor`, or, when the app requires approval, files a request
/// holding the drafts as they are now; audited.
pub async fn publish_or_request(core: &Core, actor: &Actor, app: &str) -> Result<Publishing, Error> {
    use sea_orm::TransactionTrait;
    let now = core.clock.now();
    let found = meta::app(&core.db.conn, app).await?;
    if !found.publish_approval {
        return Ok(Publishing::Published(publish::publish(&core.db, app, actor, now).await?));
    }
    let tx = core.db.conn.begin().await?;
    let bundle = meta::draft_bundle(&tx, &found).await?;
    engine_app::check_app(&bundle, 0).map_err(Error::InvalidMetadata)?;
    let id = request(&tx, &found.key, &bundle, &actor.name, now).await?;
    audit::write(&tx, actor, Entry::app("publish.request", &found.key, json!({ "request": id })), now).await?;
    tx.commit().await?;
    Ok(Publishing::Requested(id))
}

/// Turns maker-checker on or off for `app`; audited.
pub async fn set_required(core: &Core, actor: &Actor, app: &str, required: bool) -> Result<(), Error> {
    use sea_orm::TransactionTrait;
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    if !meta::set_publish_approval(&tx, app, required).await? {
        return Err(Error::not_found(format!("no app `{app}`")));
    }
    audit::write(&tx, actor, Entry::app("app.settings", app, json!({ "publish_approval": required })), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Approves request `id` of `app` as `checker`, who must not be who asked (four eyes):
/// the bundle it holds is published, made by the one who asked and approved by them.
pub async fn approve(
    core: &Core,
    (checker, actor): (&str, &Actor),
    (app, id): (&str, i64),
) -> Result<Published, Error> {
    let (bundle, maker) = pending(&core.db.conn, app, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("no pending publish request {id}")))?;
    if maker == checker {
        return Err(Error::Forbidden {
            code: ForbiddenCode::four_eyes,
            detail: "a publish is approved by someone else than who asked".into(),
        });
    }
    let signoff = meta::Signoff { made_by: maker, approved_by: Some(checker.to_owned()) };
    let now = core.clock.now();
    let tx = sea_orm::TransactionTrait::begin(&core.db.conn).await?;
    let published = publish::publish_in(&tx, app, Some(&bundle), &signoff, actor, now).await?;
    if !decide(&tx, id, "approved", checker, now).await? {
        return Err(Error::Conflict {
            code: ConflictCode::request_decided,
            detail: format!("publish request {id} was decided meanwhile"),
        });
    }
    tx.commit().await?;
    Ok(published)
}

/// Rejects request `id` of `app` as `checker`; audited.
pub async fn reject(core: &Core, (checker, actor): (&str, &Actor), (app, id): (&str, i64)) -> Result<(), Error> {
    use sea_orm::TransactionTrait;
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    if pending(&tx, app, id).await?.is_none() || !decide(&tx, id, "rejected", checker, now).await? {
        return Err(Error::not_found(format!("no pending publish request {id}")));
    }
    audit::write(&tx, actor, Entry::app("publish.reject", app, json!({ "request": id })), now).await?;
    tx.commit().await?;
    Ok(())
}
