//! Importing bundles and publishing an app: validate every draft, plan every table, and
//! apply the plan, the data checks and the new version in one transaction.

use chrono::{DateTime, Utc};
use engine_form::{
    Diagnostic, Field, FieldType, Form, MigrationStep, StorageType, check_value, child_table_name, main_table_name,
    plan_table,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, TransactionTrait};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Entry};
use crate::db::Db;
use crate::db::codec::{decode, encode};
use crate::error::{ConflictCode, Error};
use crate::meta::{self, AppRow};
use crate::schema::{TableTarget, apply_ddl, registry};
use engine_app::check_app;

/// Values are converted and checked in batches of this many rows, so memory stays flat
/// however large the table.
const BATCH: u64 = 1000;

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
    // Taking the app row first serialises concurrent publishes of one app.
    if !meta::touch_app(tx, app_key, now).await? {
        return Err(Error::not_found(format!("no app `{app_key}`")));
    }
    let app = meta::find_app(tx, app_key).await?.ok_or_else(|| Error::not_found(format!("no app `{app_key}`")))?;
    let doc = match bundle {
        Some(doc) => doc.clone(),
        None => meta::draft_bundle(tx, &app).await?,
    };
    let bundle = check_app(&doc, 0).map_err(Error::InvalidMetadata)?.bundle;

    let plans = plan(tx, app_key, &bundle.forms).await?;
    let mut changes = Vec::new();
    for plan in &plans {
        changes.extend(migrate(tx, app_key, plan).await?);
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

/// One table's migration: a form's table or one of its sub-tables, the fields it holds,
/// where they are in the bundle, and the steps that bring it to them.
struct Planned<'b> {
    table: String,
    form: &'b str,
    /// The sub-table field and its parent's table.
    sub: Option<(&'b str, String)>,
    fields: &'b [Field],
    path: String,
    steps: Vec<MigrationStep>,
}

/// Plans every table of `forms` against what is stored; every unsafe step of every table
/// is refused together.
async fn plan<'b>(tx: &DatabaseTransaction, app_key: &str, forms: &'b [Form]) -> Result<Vec<Planned<'b>>, Error> {
    let mut plans = Vec::new();
    let mut diags = Vec::new();
    for (i, form) in forms.iter().enumerate() {
        let table = main_table_name(app_key, &form.key);
        let mut targets = vec![(table.clone(), None, form.fields.as_slice(), format!("/forms/{i}/fields"))];
        for (j, field) in form.fields.iter().enumerate() {
            if let FieldType::SubTable { fields } = &field.kind {
                let child = child_table_name(app_key, &form.key, &field.key);
                let sub = Some((field.key.as_str(), table.clone()));
                targets.push((child, sub, fields.as_slice(), format!("/forms/{i}/fields/{j}/fields")));
            }
        }
        for (table, sub, fields, path) in targets {
            let (exists, columns) = registry(tx, &table).await?;
            match plan_table(&table, exists, &columns, fields, &path) {
                Ok(steps) => plans.push(Planned { table, form: &form.key, sub, fields, path, steps }),
                Err(mut d) => diags.append(&mut d),
            }
        }
    }
    if diags.is_empty() { Ok(plans) } else { Err(Error::InvalidMetadata(diags)) }
}

/// Carries out one table's plan: its DDL, then every stored value converted (or checked)
/// against the new definition; refused with the records whose values do not fit. The
/// changes made, described.
async fn migrate(tx: &DatabaseTransaction, app_key: &str, plan: &Planned<'_>) -> Result<Vec<String>, Error> {
    let target = TableTarget {
        app: app_key,
        form: plan.form,
        table: &plan.table,
        sub: plan.sub.as_ref().map(|(f, p)| (*f, p.as_str())),
    };
    let at = |e: DbErr| {
        Error::InvalidMetadata(vec![Diagnostic::new(
            &plan.path,
            "migration_failed",
            format!("table {}: {e}", plan.table),
        )])
    };
    apply_ddl(tx, &target, &plan.steps).await.map_err(at)?;
    let mut changes = Vec::new();
    let mut problems = Vec::new();
    for step in &plan.steps {
        changes.push(format!("{}: {}", plan.table, describe(step)));
        let (field_key, read_column, write) = match step {
            MigrationStep::Convert { field, from_column, column, storage, .. } => {
                (field, from_column, Some((column.as_str(), storage)))
            }
            MigrationStep::Verify { field, column } => (field, column, None),
            _ => continue,
        };
        let (index, field) = plan
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| &f.key == field_key)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("planned field `{field_key}` is not in the form")))?;
        let read_storage = match step {
            MigrationStep::Convert { from, .. } => from.clone(),
            _ => {
                StorageType::of(field).ok_or_else(|| Error::Internal(anyhow::anyhow!("`{field_key}` has no column")))?
            }
        };
        let bad = convert_column(tx, &plan.table, field, read_column, &read_storage, write).await.map_err(at)?;
        if !bad.is_empty() {
            problems.push(Diagnostic::new(
                format!("{}/{index}/type", plan.path),
                "stored_values_do_not_fit",
                format!(
                    "stored values of `{field_key}` do not fit the new definition, e.g. record {}",
                    bad.join(", record ")
                ),
            ));
        }
    }
    if problems.is_empty() { Ok(changes) } else { Err(Error::InvalidMetadata(problems)) }
}

/// Reads every stored value of `read_column`, checks it against the new `field` and,
/// when `write` is given, stores the converted value there. Returns up to five ids of
/// records whose values do not fit.
async fn convert_column(
    c: &impl ConnectionTrait,
    table: &str,
    field: &Field,
    read_column: &str,
    read_storage: &StorageType,
    write: Option<(&str, &StorageType)>,
) -> Result<Vec<String>, DbErr> {
    let backend = c.get_database_backend();
    let mut bad = Vec::new();
    let mut last_id = 0i64;
    loop {
        let q = Query::select()
            .columns([Alias::new("id"), Alias::new(read_column)])
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new("id")).gt(last_id))
            .and_where(Expr::col(Alias::new(read_column)).is_not_null())
            .order_by(Alias::new("id"), Order::Asc)
            .limit(BATCH)
            .to_owned();
        let rows = c.query_all(&q).await?;
        for row in &rows {
            let id: i64 = row.try_get_by_index(0)?;
            last_id = id;
            let old = decode(row, 1, read_storage, backend)?;
            match check_value(field, &old.to_json(), "") {
                Ok(new) => {
                    if let Some((column, storage)) = write {
                        let u = Query::update()
                            .table(Alias::new(table))
                            .value(Alias::new(column), encode(&new, storage, backend)?)
                            .and_where(Expr::col(Alias::new("id")).eq(id))
                            .to_owned();
                        c.execute(&u).await?;
                    }
                }
                Err(_) if bad.len() < 5 => bad.push(id.to_string()),
                Err(_) => {}
            }
        }
        if (rows.len() as u64) < BATCH {
            return Ok(bad);
        }
    }
}

fn describe(step: &MigrationStep) -> String {
    match step {
        MigrationStep::CreateTable => "create table".into(),
        MigrationStep::AddColumn { column, storage, .. } => format!("add column {column} ({})", storage.signature()),
        MigrationStep::Reactivate { column, .. } => {
            format!("restore column {column} with its data")
        }
        MigrationStep::Convert { from_column, column, storage, .. } => {
            format!("convert {from_column} into {column} ({}); {from_column} is kept", storage.signature())
        }
        MigrationStep::Verify { column, .. } => format!("check stored values of {column}"),
        MigrationStep::Retire { column, .. } => format!("retire column {column}; its data is kept"),
        MigrationStep::CreateIndex { name, unique: true, .. } => format!("create unique index {name}"),
        MigrationStep::CreateIndex { name, .. } => format!("create index {name}"),
        MigrationStep::DropIndex { name, .. } => format!("drop index {name}"),
    }
}
