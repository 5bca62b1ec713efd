//! Persistence of app metadata: apps, drafts of every metadata kind, and published versions.

use crate::db::Table;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Func, LockType, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use serde_json::{Map, Value, json};

/// The metadata kinds. A new kind is added to this list; the API and storage need no
/// other change.
pub const KINDS: [&str; 10] =
    ["forms", "events", "decisions", "rules", "calendars", "roles", "flows", "pages", "reports", "dashboards"];

fn t(name: &str) -> Alias {
    Alias::new(name)
}

pub use engine_app::is_key;

#[derive(Debug, Clone)]
pub struct AppRow {
    pub key: String,
    pub name: Value,
    pub published_version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Maker-checker: publishing needs a second person's approval.
    pub publish_approval: bool,
    /// The app's time zone (IANA), for users who chose none.
    pub time_zone: Option<String>,
    /// The app's language (`zh-CN`, `en`), for users who chose none.
    pub language: Option<String>,
}

fn app_row(r: &QueryResult) -> Result<AppRow, DbErr> {
    let name: String = r.try_get("", "name")?;
    Ok(AppRow {
        key: r.try_get("", "key")?,
        name: serde_json::from_str(&name).unwrap_or(Value::Null),
        published_version: r.try_get("", "published_version")?,
        created_at: r.try_get("", "created_at")?,
        updated_at: r.try_get("", "updated_at")?,
        publish_approval: r.try_get("", "publish_approval")?,
        time_zone: r.try_get("", "time_zone")?,
        language: r.try_get("", "language")?,
    })
}

fn app_columns() -> [Alias; 8] {
    ["key", "name", "published_version", "created_at", "updated_at", "publish_approval", "time_zone", "language"].map(t)
}

/// Whether publishing `app` needs a second person's approval.
pub async fn set_publish_approval(c: &impl ConnectionTrait, app: &str, required: bool) -> Result<bool, DbErr> {
    let q = Query::update()
        .table(Table::Apps)
        .value(t("publish_approval"), required)
        .and_where(Expr::col(t("key")).eq(app))
        .to_owned();
    Ok(c.execute(&q).await?.rows_affected() == 1)
}

pub async fn list_apps(c: &impl ConnectionTrait) -> Result<Vec<AppRow>, DbErr> {
    let q = Query::select().columns(app_columns()).from(Table::Apps).order_by(t("key"), Order::Asc).to_owned();
    c.query_all(&q).await?.iter().map(app_row).collect()
}

/// App `key`, or not found (404).
pub async fn app(c: &impl ConnectionTrait, key: &str) -> Result<AppRow, crate::error::Error> {
    find_app(c, key).await?.ok_or_else(|| crate::error::Error::not_found(format!("no app `{key}`")))
}

pub async fn find_app(c: &impl ConnectionTrait, key: &str) -> Result<Option<AppRow>, DbErr> {
    if !is_key(key) {
        return Ok(None);
    }
    let q = Query::select().columns(app_columns()).from(Table::Apps).and_where(Expr::col(t("key")).eq(key)).to_owned();
    c.query_one(&q).await?.as_ref().map(app_row).transpose()
}

/// The app's time zone (an IANA name), if it names one: what its dates and quiet hours are
/// read in when nothing nearer names a zone.
pub async fn time_zone(c: &impl ConnectionTrait, key: &str) -> Result<Option<String>, DbErr> {
    Ok(find_app(c, key).await?.and_then(|a| a.time_zone))
}

/// The app's published version. With `lock`, the row is read `FOR SHARE` (PostgreSQL;
/// SQLite has one writer anyway), so a publish cannot commit until the caller's
/// transaction ends: a write never lands in a table a publish is changing.
pub async fn published_version(c: &impl ConnectionTrait, key: &str, lock: bool) -> Result<Option<i64>, DbErr> {
    if !is_key(key) {
        return Ok(None);
    }
    let mut q = Query::select();
    q.column(t("published_version")).from(Table::Apps).and_where(Expr::col(t("key")).eq(key));
    if lock {
        q.lock(LockType::Share);
    }
    c.query_one(&q).await?.map(|r| r.try_get_by_index::<i64>(0)).transpose()
}

pub async fn insert_app(
    c: &impl ConnectionTrait,
    (key, name, (time_zone, language)): (&str, &Value, (Option<&str>, Option<&str>)),
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let q = Query::insert()
        .into_table(Table::Apps)
        .columns(app_columns())
        .values_panic([
            key.into(),
            name.to_string().into(),
            0i64.into(),
            now.into(),
            now.into(),
            false.into(),
            time_zone.into(),
            language.into(),
        ])
        .to_owned();
    c.execute(&q).await.map(drop)
}

/// Marks the app changed. On PostgreSQL the row lock it takes also serialises
/// concurrent publishes of the same app across server processes.
pub async fn touch_app(c: &impl ConnectionTrait, key: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let q = Query::update()
        .table(Table::Apps)
        .value(t("updated_at"), now)
        .and_where(Expr::col(t("key")).eq(key))
        .to_owned();
    Ok(c.execute(&q).await?.rows_affected() == 1)
}

/// A draft document of one metadata kind.
#[derive(Debug, Clone)]
pub struct Draft {
    pub key: String,
    pub body: Value,
    pub updated_at: DateTime<Utc>,
    /// Counted up by every save (`put_draft`): what an editor names to save over it.
    pub revision: i64,
}

pub async fn list_drafts(c: &impl ConnectionTrait, app: &str, kind: &str) -> Result<Vec<Draft>, DbErr> {
    let q = Query::select()
        .columns(["key", "body", "updated_at", "revision"].map(t))
        .from(Table::Drafts)
        .and_where(Expr::col(t("app")).eq(app))
        .and_where(Expr::col(t("kind")).eq(kind))
        .order_by(t("position"), Order::Asc)
        .order_by(t("key"), Order::Asc)
        .to_owned();
    c.query_all(&q).await?.iter().map(draft_row).collect()
}

fn draft_row(r: &QueryResult) -> Result<Draft, DbErr> {
    let body: String = r.try_get("", "body")?;
    Ok(Draft {
        key: r.try_get("", "key")?,
        body: serde_json::from_str(&body).map_err(|e| DbErr::Type(format!("stored draft is not JSON: {e}")))?,
        updated_at: r.try_get("", "updated_at")?,
        revision: r.try_get("", "revision")?,
    })
}

pub async fn find_draft(c: &impl ConnectionTrait, app: &str, kind: &str, key: &str) -> Result<Option<Draft>, DbErr> {
    if !is_key(key) {
        return Ok(None);
    }
    let q = Query::select()
        .columns(["key", "body", "updated_at", "revision"].map(t))
        .from(Table::Drafts)
        .and_where(Expr::col(t("app")).eq(app))
        .and_where(Expr::col(t("kind")).eq(kind))
        .and_where(Expr::col(t("key")).eq(key))
        .to_owned();
    c.query_one(&q).await?.as_ref().map(draft_row).transpose()
}

/// Inserts or replaces a draft; a new one goes after the existing drafts of its kind. With
/// `read`, only over that revision (`0`: only if there is none yet), in one conditional
/// write; the draft's revision after it.
pub async fn put_draft(
    c: &impl ConnectionTrait,
    (app, kind, key): (&str, &str, &str),
    body: &Value,
    read: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, crate::error::Error> {
    use crate::limits::{DRAFT_BYTES, DRAFTS_PER_APP, DRAFTS_PER_KIND};
    let text = body.to_string();
    if text.len() > DRAFT_BYTES {
        return Err(crate::error::Error::TooLarge(format!(
            "the {kind} document `{key}` is {} bytes; one document holds at most {DRAFT_BYTES}",
            text.len()
        )));
    }
    let others = Query::select()
        .expr(Func::coalesce([Func::char_length(Expr::col(t("body"))).sum(), Expr::val(0i64)]))
        .from(Table::Drafts)
        .and_where(Expr::col(t("app")).eq(app))
        .cond_where(Cond::any().add(Expr::col(t("kind")).ne(kind)).add(Expr::col(t("key")).ne(key)))
        .to_owned();
    let others: i64 = match c.query_one(&others).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    if others as usize + text.chars().count() > DRAFTS_PER_APP {
        return Err(crate::error::Error::TooLarge(format!(
            "an app's drafts hold at most {DRAFTS_PER_APP} characters together; this one would make {}",
            others as usize + text.chars().count()
        )));
    }
    let of_kind = Cond::all().add(Expr::col(t("app")).eq(app)).add(Expr::col(t("kind")).eq(kind));
    let next = Query::select()
        .expr(Func::coalesce([Expr::col(t("position")).max(), Expr::val(-1i64)]))
        .expr(Expr::col(t("key")).count())
        .from(Table::Drafts)
        .cond_where(of_kind.clone())
        .to_owned();
    let (last, count): (i64, i64) = match c.query_one(&next).await? {
        Some(row) => (row.try_get_by_index(0)?, row.try_get_by_index(1)?),
        None => (-1, 0),
    };
    if count as usize >= DRAFTS_PER_KIND {
        let this = Query::select()
            .column(t("key"))
            .from(Table::Drafts)
            .cond_where(of_kind.clone())
            .and_where(Expr::col(t("key")).eq(key))
            .to_owned();
        if c.query_one(&this).await?.is_none() {
            return Err(crate::error::Error::Conflict {
                code: crate::error::ConflictCode::too_many_drafts,
                detail: format!("an app holds at most {DRAFTS_PER_KIND} {kind}; delete one first"),
            });
        }
    }
    match read {
        Some(read) if read > 0 => {
            let q = Query::update()
                .table(Table::Drafts)
                .value(t("body"), text)
                .value(t("updated_at"), now)
                .value(t("revision"), Expr::col(t("revision")).add(1))
                .cond_where(of_kind)
                .and_where(Expr::col(t("key")).eq(key))
                .and_where(Expr::col(t("revision")).eq(read))
                .to_owned();
            if c.execute(&q).await?.rows_affected() == 1 {
                return Ok(read + 1);
            }
            Err(changed(c, (app, kind, key), read).await?)
        }
        _ => {
            let mut conflict = OnConflict::columns(["app", "kind", "key"].map(t));
            if read.is_some() {
                conflict.do_nothing();
            } else {
                conflict
                    .update_columns(["body", "updated_at"].map(t))
                    .value(t("revision"), Expr::col((Table::Drafts, t("revision"))).add(1));
            }
            let q = Query::insert()
                .into_table(Table::Drafts)
                .columns(["app", "kind", "key", "body", "position", "updated_at", "revision"].map(t))
                .values_panic([
                    app.into(),
                    kind.into(),
                    key.into(),
                    text.into(),
                    (last + 1).into(),
                    now.into(),
                    1.into(),
                ])
                .on_conflict(conflict.to_owned())
                .to_owned();
            if c.execute(&q).await?.rows_affected() == 0 {
                // Only if there was none: someone made it meanwhile.
                return Err(changed(c, (app, kind, key), 0).await?);
            }
            Ok(find_draft(c, app, kind, key).await?.map_or(1, |d| d.revision))
        }
    }
}

/// The refusal of a save over revision `read` of a draft that is no longer at it.
async fn changed(
    c: &impl ConnectionTrait,
    (app, kind, key): (&str, &str, &str),
    read: i64,
) -> Result<crate::error::Error, DbErr> {
    let detail = match find_draft(c, app, kind, key).await? {
        Some(now) => format!(
            "the {kind} draft `{key}` was saved since revision {read}: it is at revision {} (saved {}); read it again, merge and save",
            now.revision,
            now.updated_at.to_rfc3339()
        ),
        None => format!("the {kind} draft `{key}` was deleted since revision {read}"),
    };
    Ok(crate::error::Error::DraftChanged { detail })
}

/// Deletes a draft (with `read`, only at that revision): whether one was; a draft saved
/// since `read` is refused as `put_draft` refuses.
pub async fn delete_draft(
    c: &impl ConnectionTrait,
    (app, kind, key): (&str, &str, &str),
    read: Option<i64>,
) -> Result<bool, crate::error::Error> {
    if !is_key(key) {
        return Ok(false);
    }
    let mut q = Query::delete();
    q.from_table(Table::Drafts)
        .and_where(Expr::col(t("app")).eq(app))
        .and_where(Expr::col(t("kind")).eq(kind))
        .and_where(Expr::col(t("key")).eq(key));
    if let Some(read) = read {
        q.and_where(Expr::col(t("revision")).eq(read));
    }
    if c.execute(&q).await?.rows_affected() > 0 {
        return Ok(true);
    }
    match (read, find_draft(c, app, kind, key).await?) {
        (Some(read), Some(_)) => Err(changed(c, (app, kind, key), read).await?),
        _ => Ok(false),
    }
}

/// Assembles the app's drafts into one bundle document, the form `parse_bundle` checks
/// and `trellis app export` prints.
pub async fn draft_bundle(c: &impl ConnectionTrait, app: &AppRow) -> Result<Value, DbErr> {
    let mut bundle = Map::new();
    bundle.insert("key".into(), Value::from(app.key.clone()));
    bundle.insert("name".into(), app.name.clone());
    if let Some(zone) = &app.time_zone {
        bundle.insert("time_zone".into(), Value::from(zone.clone()));
    }
    if let Some(language) = &app.language {
        bundle.insert("language".into(), Value::from(language.clone()));
    }
    for kind in KINDS {
        let drafts = list_drafts(c, &app.key, kind).await?;
        // A kind the app does not use yet stays out of its bundle (forms always show).
        if drafts.is_empty() && kind != "forms" {
            continue;
        }
        bundle.insert(kind.into(), Value::Array(drafts.into_iter().map(|d| d.body).collect()));
    }
    Ok(Value::Object(bundle))
}

/// Who made a published version, and who approved it (maker-checker).
#[derive(Debug, Clone)]
pub struct Signoff {
    pub made_by: String,
    pub approved_by: Option<String>,
}

pub async fn insert_version(
    c: &impl ConnectionTrait,
    app: &str,
    version: i64,
    bundle: &Value,
    signoff: &Signoff,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let q = Query::insert()
        .into_table(Table::AppVersions)
        .columns(["app", "version", "bundle", "published_at", "made_by", "approved_by"].map(t))
        .values_panic([
            app.into(),
            version.into(),
            bundle.to_string().into(),
            now.into(),
            signoff.made_by.as_str().into(),
            signoff.approved_by.clone().into(),
        ])
        .to_owned();
    c.execute(&q).await?;
    let q = Query::update()
        .table(Table::Apps)
        .value(t("published_version"), version)
        .and_where(Expr::col(t("key")).eq(app))
        .to_owned();
    c.execute(&q).await.map(drop)
}

/// The bundle of a published version, with when it was published.
pub async fn version_bundle(
    c: &impl ConnectionTrait,
    app: &str,
    version: i64,
) -> Result<Option<(Value, DateTime<Utc>)>, DbErr> {
    let q = Query::select()
        .columns(["bundle", "published_at"].map(t))
        .from(Table::AppVersions)
        .and_where(Expr::col(t("app")).eq(app))
        .and_where(Expr::col(t("version")).eq(version))
        .to_owned();
    let Some(row) = c.query_one(&q).await? else {
        return Ok(None);
    };
    let text: String = row.try_get("", "bundle")?;
    let bundle = serde_json::from_str(&text).map_err(|e| DbErr::Type(format!("stored bundle is not JSON: {e}")))?;
    Ok(Some((bundle, row.try_get("", "published_at")?)))
}

/// The bundle of `version` of `app`; version 0 (nothing published yet) is the empty app.
pub async fn bundle_at(c: &impl ConnectionTrait, app: &AppRow, version: i64) -> Result<Option<Value>, DbErr> {
    if version == 0 {
        return Ok(Some(json!({ "key": app.key, "name": app.name })));
    }
    Ok(version_bundle(c, &app.key, version).await?.map(|(bundle, _)| bundle))
}

/// The app's summary as the API shows it.
pub fn app_json(app: &AppRow) -> Value {
    json!({
        "key": app.key,
        "name": app.name,
        "published_version": app.published_version,
        "created_at": app.created_at,
        "updated_at": app.updated_at,
        "publish_approval": app.publish_approval,
        "time_zone": app.time_zone,
        "language": app.language,
    })
}
