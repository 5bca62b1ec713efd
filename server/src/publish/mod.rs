//! Importing bundles and publishing an app: validate every draft, plan every table, and
//! apply the plan, the data checks and the new version in one transaction; or all of it
//! as a dry run, rolled back, saying what publishing would do (`dry_run`).

mod tables;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::core::Core;
use crate::db::Db;
use crate::error::{ConflictCode, Error};
use crate::meta::{self, AppRow};
use engine_app::check_app;
use tables::{migrate, plan};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"app": "bank_crm", "version": 2, "changes": ["customer: add column f_wechat"]}))]
pub struct Published {
    pub app: String,
    pub version: i64,
    pub made_by: String,
    pub approved_by: Option<String>,
    /// What changed in the tables, one line per step.
    pub changes: Vec<String>,
}

/// Stores a new app from a bundle document as drafts. The bundle must be valid.
pub async fn import(db: &Db, doc: &Value, actor: &Actor, now: DateTime<Utc>) -> Result<AppRow, Error> {
    let bundle = check_app(doc, 0).map_err(Error::InvalidMetadata)?.bundle;
    let tx = db.conn.begin().await?;
    if meta::find_app(&tx, &bundle.key).await?.is_some() {
        return Err(Error::Conflict {
            code: ConflictCode::app_exists,
            detail: format!("an app `{}` already exists", bundle.key),
        });
    }
    let settings = (doc["time_zone"].as_str(), doc["language"].as_str());
    meta::insert_app(&tx, (&bundle.key, &doc["name"], settings), now).await?;
    for kind in meta::KINDS {
        for item in doc.get(kind).and_then(Value::as_array).into_iter().flatten() {
            let key = item.get("key").and_then(Value::as_str).unwrap_or_default();
            meta::put_draft(&tx, (&bundle.key, kind, key), item, None, now).await?;
        }
    }
    let app = meta::find_app(&tx, &bundle.key)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("imported app vanished")))?;
    let entry = Entry::app("app.import", &bundle.key, doc.clone());
    audit::write(&tx, actor, entry, now).await?;
    tx.commit().await?;
    Ok(app)
}

/// Publishes the app's drafts as the next version, made by `actor`, with no approval.
pub async fn publish(db: &Db, app_key: &str, actor: &Actor, now: DateTime<Utc>) -> Result<Published, Error> {
    let signoff = meta::Signoff { made_by: actor.name.clone(), approved_by: None };
    let tx = db.conn.begin().await?;
    let published = publish_in(&tx, app_key, None, &signoff, actor, now).await?;
    tx.commit().await?;
    Ok(published)
}

/// Publishes `bundle` (the drafts when `None`) as the next version, signed off as
/// `signoff`, within `tx`: the caller commits (an approval marks its request approved in
/// the same transaction, so two approvals of one request cannot both publish).
pub async fn publish_in(
    tx: &DatabaseTransaction,
    app_key: &str,
    bundle: Option<&Value>,
    signoff: &meta::Signoff,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Published, Error> {
    let (app, doc) = taken(tx, app_key, bundle, now).await?;
    let bundle = check_app(&doc, 0).map_err(Error::InvalidMetadata)?.bundle;

    let plans = plan(tx, app_key, &bundle.forms).await?;
    let mut changes = Vec::new();
    let mut problems = Vec::new();
    for plan in &plans {
        let mut report = migrate(tx, app_key, plan).await?;
        changes.append(&mut report.changes);
        problems.append(&mut report.problems);
    }
    if !problems.is_empty() {
        return Err(Error::InvalidMetadata(problems));
    }
    // Saved views follow the fields renamed.
    let renames: Vec<(String, String, String)> = plans.iter().flat_map(|p| p.renames()).collect();
    if !renames.is_empty() {
        let previous = meta::bundle_at(tx, &app, app.published_version).await?.unwrap_or(Value::Null);
        crate::views::follow_renames(tx, app_key, &previous, &renames).await?;
    }
    let version = app.published_version + 1;
    meta::insert_version(tx, app_key, version, &doc, signoff, now).await?;
    let detail = serde_json::json!({ "version": version, "changes": changes.len(), "made_by": signoff.made_by,
        "approved_by": signoff.approved_by });
    audit::write(tx, actor, Entry::app("app.publish", app_key, detail), now).await?;
    Ok(Published {
        app: app_key.to_owned(),
        version,
        made_by: signoff.made_by.clone(),
        approved_by: signoff.approved_by.clone(),
        changes,
    })
}

/// App `app_key` with its row taken for this transaction (which serialises concurrent
/// publishes of one app), and the bundle to publish: `bundle`, or the drafts.
async fn taken(
    tx: &DatabaseTransaction,
    app_key: &str,
    bundle: Option<&Value>,
    now: DateTime<Utc>,
) -> Result<(AppRow, Value), Error> {
    if !meta::touch_app(tx, app_key, now).await? {
        return Err(Error::not_found(format!("no app `{app_key}`")));
    }
    let app = meta::app(tx, app_key).await?;
    let doc = match bundle {
        Some(doc) => doc.clone(),
        None => meta::draft_bundle(tx, &app).await?,
    };
    Ok((app, doc))
}

/// What publishing the drafts would do, found by doing it in a transaction that is rolled
/// back: every check, every table's steps, and for each conversion or check of stored
/// values how many fit (with examples) and which records would be refused and why; the
/// diagnostics that would refuse it, and the changes in business words. Nothing stays.
/// Stored values are shown (examples, reasons quoting them) only where the caller's roles
/// show the field in clear: elsewhere a conversion says its counts, record ids and codes.
/// `bundle`: what a publish request holds; `None`, the drafts.
pub async fn dry_run(
    core: &Core,
    principal: &Principal,
    (app_key, bundle): (&str, Option<&Value>),
    now: DateTime<Utc>,
) -> Result<Value, Error> {
    let tx = core.db.conn.begin().await?;
    let found = rehearse(&tx, (app_key, bundle), now).await;
    tx.rollback().await?;
    let mut found = found?;
    let published = core.catalog.published(&core.db.conn, app_key).await.ok();
    for table in found["tables"].as_array_mut().into_iter().flatten() {
        let form = table["form"].as_str().unwrap_or_default().to_owned();
        let access = match published.as_ref().and_then(|p| p.bundle.form(&form).map(|f| (p, f))) {
            Some((p, f)) => Some(crate::access::load(&core.db.conn, p, principal, f).await?),
            None => None,
        };
        let sub_table = table["sub_table"].as_str().map(str::to_owned);
        for conversion in table["conversions"].as_array_mut().into_iter().flatten() {
            let field = conversion["field"].as_str().unwrap_or_default().to_owned();
            // A sub-table's column is read as its table's field is.
            let key = sub_table.clone().unwrap_or(field);
            let key = key.as_str();
            let clear = access.as_ref().is_some_and(|a| {
                a.allows("read") && !a.mode(key).masked() && a.mode(key) != crate::access::Mode::Hidden
            });
            if !clear {
                conversion["examples"] = json!([]);
                for refused in conversion["refused_records"].as_array_mut().into_iter().flatten() {
                    refused["why"] = refused["code"].clone();
                }
            }
        }
    }
    Ok(found)
}

async fn rehearse(
    tx: &DatabaseTransaction,
    (app_key, bundle): (&str, Option<&Value>),
    now: DateTime<Utc>,
) -> Result<Value, Error> {
    let (app, doc) = taken(tx, app_key, bundle, now).await?;
    let published = meta::bundle_at(tx, &app, app.published_version).await?.unwrap_or(Value::Null);
    let words: Vec<Value> = engine_app::diff(&published, &doc).iter().map(engine_app::Change::to_json).collect();
    let refused = |diagnostics: Vec<engine_form::Diagnostic>, tables: Vec<Value>| {
        json!({ "version": app.published_version + 1, "publishable": false, "diagnostics": diagnostics,
            "tables": tables, "changes": words })
    };
    let bundle = match check_app(&doc, 0) {
        Ok(checked) => checked.bundle,
        Err(diagnostics) => return Ok(refused(diagnostics, Vec::new())),
    };
    let plans = match plan(tx, app_key, &bundle.forms).await {
        Ok(plans) => plans,
        Err(Error::InvalidMetadata(diagnostics)) => return Ok(refused(diagnostics, Vec::new())),
        Err(e) => return Err(e),
    };
    let (mut tables, mut problems) = (Vec::new(), Vec::new());
    for plan in &plans {
        let mut report = migrate(tx, app_key, plan).await?;
        tables.push(report.to_json(plan));
        problems.append(&mut report.problems);
    }
    Ok(json!({ "version": app.published_version + 1, "publishable": problems.is_empty(), "diagnostics": problems,
        "tables": tables, "changes": words }))
}
