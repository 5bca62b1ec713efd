//! An app's published versions: listed with who made and approved each, any version's
//! bundle read back, and what changed between two of them (or between one and the drafts)
//! in business words (`engine_app::diff`).

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use serde_json::{Value, json};

use crate::core::Core;
use crate::db::Table;
use crate::error::{BadInputCode, Error};
use crate::meta::{self, AppRow};

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// The app's published versions, newest first.
pub async fn list(core: &Core, key: &str) -> Result<Vec<Value>, Error> {
    let app = meta::app(&core.db.conn, key).await?;
    let stmt = Query::select()
        .columns(["version", "published_at", "made_by", "approved_by"].map(a))
        .from(Table::AppVersions)
        .and_where(Expr::col(a("app")).eq(app.key.as_str()))
        .order_by(a("version"), Order::Desc)
        .to_owned();
    let mut items = Vec::new();
    for row in core.db.conn.query_all(&stmt).await? {
        items.push(json!({
            "version": row.try_get_by_index::<i64>(0)?,
            "published_at": row.try_get_by_index::<chrono::DateTime<chrono::Utc>>(1)?,
            "made_by": row.try_get_by_index::<String>(2)?,
            "approved_by": row.try_get_by_index::<Option<String>>(3)?,
            "current": row.try_get_by_index::<i64>(0)? == app.published_version,
        }));
    }
    Ok(items)
}

/// The bundle published as `version` of the app.
pub async fn bundle(core: &Core, key: &str, version: i64) -> Result<Value, Error> {
    let app = meta::app(&core.db.conn, key).await?;
    published(core, &app, version).await
}

async fn published(core: &Core, app: &AppRow, version: i64) -> Result<Value, Error> {
    let found = if version > 0 { meta::bundle_at(&core.db.conn, app, version).await? } else { None };
    found.ok_or_else(|| Error::not_found(format!("app `{}` has no version {version}", app.key)))
}

/// One side of a comparison: a published version, or the drafts as they are now.
pub enum Side {
    Version(i64),
    Drafts,
}

impl Side {
    /// `3`, or `draft`; `param` names it in a refusal.
    pub fn parse(text: &str, param: &str) -> Result<Side, Error> {
        match text {
            "draft" => Ok(Side::Drafts),
            _ => text.parse().map(Side::Version).map_err(|_| {
                Error::bad_input_at(
                    BadInputCode::bad_query,
                    &format!("/{param}"),
                    format!("`{param}` is a version number or `draft`"),
                )
            }),
        }
    }
}

/// What changed from `from` to `to` (by default the version published now, and the drafts),
/// each change in business words in both languages.
pub async fn diff(core: &Core, key: &str, (from, to): (Option<Side>, Option<Side>)) -> Result<Value, Error> {
    let app = meta::app(&core.db.conn, key).await?;
    let (from, to) = (from.unwrap_or(Side::Version(app.published_version)), to.unwrap_or(Side::Drafts));
    let name = |side: &Side| match side {
        Side::Version(v) => json!(v),
        Side::Drafts => json!("draft"),
    };
    let (from_name, to_name) = (name(&from), name(&to));
    let before = document(core, &app, &from).await?;
    let after = document(core, &app, &to).await?;
    let changes: Vec<Value> = engine_app::diff(&before, &after).iter().map(engine_app::Change::to_json).collect();
    Ok(json!({ "from": from_name, "to": to_name, "changes": changes }))
}

async fn document(core: &Core, app: &AppRow, side: &Side) -> Result<Value, Error> {
    match side {
        Side::Drafts => Ok(meta::draft_bundle(&core.db.conn, app).await?),
        // Version 0: nothing published yet, an empty app.
        Side::Version(0) => Ok(meta::bundle_at(&core.db.conn, app, 0).await?.unwrap_or_default()),
        Side::Version(v) => published(core, app, *v).await,
    }
}
