//! The tables of a publish: each form's table and sub-tables planned against what is
//! stored (`plan`), then carried out (`migrate`): the DDL, then every stored value
//! converted or checked against the new definition, with a report of what converted (a
//! count and examples) and what would not (the records and why).

use engine_form::{
    Diagnostic, Field, FieldType, Form, MigrationStep, StorageType, check_value, child_table_name, main_table_name,
    plan_table,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use serde_json::{Value, json};

use crate::db::codec::{decode, encode};
use crate::error::Error;
use crate::schema::{TableTarget, apply_ddl, registry};

/// Values are converted and checked in batches of this many rows, so memory stays flat
/// however large the table.
const BATCH: u64 = 1000;
/// At most this many converted values are shown as examples, and refused records named.
const EXAMPLES: usize = 3;
const NAMED: usize = 20;

/// One table's migration: a form's table or one of its sub-tables, the fields it holds,
/// where they are in the bundle, and the steps that bring it to them.
pub(super) struct Planned<'b> {
    table: String,
    form: &'b str,
    /// The sub-table field and its parent's table.
    sub: Option<(&'b str, String)>,
    fields: &'b [Field],
    path: String,
    steps: Vec<MigrationStep>,
}

impl Planned<'_> {
    /// The fields of a form's own table this plan renames: (form, old key, new key).
    pub(super) fn renames(&self) -> Vec<(String, String, String)> {
        let steps = self.steps.iter().filter(|_| self.sub.is_none());
        steps
            .filter_map(|s| match s {
                MigrationStep::Rename { from, field, .. } => Some((self.form.to_owned(), from.clone(), field.clone())),
                _ => None,
            })
            .collect()
    }
}

/// Plans every table of `forms` against what is stored; every unsafe step of every table
/// is refused together.
pub(super) async fn plan<'b>(
    tx: &DatabaseTransaction,
    app_key: &str,
    forms: &'b [Form],
) -> Result<Vec<Planned<'b>>, Error> {
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

/// What carrying out one table's plan did: its steps described, each conversion or check
/// of stored values (what converted, what was refused), and the problems that refuse the
/// publish.
pub(super) struct TableReport {
    pub changes: Vec<String>,
    pub conversions: Vec<Value>,
    pub problems: Vec<Diagnostic>,
}

impl TableReport {
    /// The report as a dry run shows it.
    pub fn to_json(&self, plan: &Planned<'_>) -> Value {
        json!({ "form": plan.form, "sub_table": plan.sub.as_ref().map(|(f, _)| f), "table": plan.table,
            "steps": self.changes, "conversions": self.conversions })
    }
}

/// Carries out one table's plan: its DDL, then every stored value converted (or checked)
/// against the new definition, reporting what converted and which records do not fit.
pub(super) async fn migrate(tx: &DatabaseTransaction, app_key: &str, plan: &Planned<'_>) -> Result<TableReport, Error> {
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
    let mut report = TableReport { changes: Vec::new(), conversions: Vec::new(), problems: Vec::new() };
    for step in &plan.steps {
        report.changes.push(format!("{}: {}", plan.table, describe(step)));
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
        let done = convert_column(tx, &plan.table, field, read_column, &read_storage, write).await.map_err(at)?;
        if done.refused > 0 {
            let ids: Vec<String> = done.named.iter().take(5).map(|(id, ..)| id.to_string()).collect();
            report.problems.push(Diagnostic::new(
                format!("{}/{index}/type", plan.path),
                "stored_values_do_not_fit",
                format!(
                    "{} stored values of `{field_key}` do not fit the new definition, e.g. record {}",
                    done.refused,
                    ids.join(", record ")
                ),
            ));
        }
        report.conversions.push(json!({
            "field": field_key,
            "converts": write.is_some(),
            "fit": done.fit,
            "examples": done.examples.iter().map(|(id, old, new)| json!({ "id": id, "from": old, "to": new })).collect::<Vec<_>>(),
            "refused": done.refused,
            "refused_records": done.named.iter().map(|(id, why, code)| json!({ "id": id, "code": code, "why": why })).collect::<Vec<_>>(),
        }));
    }
    Ok(report)
}

/// What reading one column's stored values against a new definition found.
struct Converted {
    /// Values that fit (converted, when written).
    fit: u64,
    /// A few of them: the record, the stored value, the value as the new field holds it.
    examples: Vec<(i64, Value, Value)>,
    /// Values that do not fit, and the first of their records with why.
    refused: u64,
    named: Vec<(i64, String, &'static str)>,
}

/// Reads every stored value of `read_column`, checks it against the new `field` and,
/// when `write` is given, stores the converted value there.
async fn convert_column(
    c: &impl ConnectionTrait,
    table: &str,
    field: &Field,
    read_column: &str,
    read_storage: &StorageType,
    write: Option<(&str, &StorageType)>,
) -> Result<Converted, DbErr> {
    let backend = c.get_database_backend();
    let mut done = Converted { fit: 0, examples: Vec::new(), refused: 0, named: Vec::new() };
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
            let old = decode(row, 1, read_storage, backend)?.to_json();
            match check_value(field, &old, "") {
                Ok(new) => {
                    done.fit += 1;
                    if done.examples.len() < EXAMPLES {
                        done.examples.push((id, old.clone(), new.to_json()));
                    }
                    if let Some((column, storage)) = write {
                        let u = Query::update()
                            .table(Alias::new(table))
                            .value(Alias::new(column), encode(&new, storage, backend)?)
                            .and_where(Expr::col(Alias::new("id")).eq(id))
                            .to_owned();
                        c.execute(&u).await?;
                    }
                }
                Err(errors) => {
                    done.refused += 1;
                    if done.named.len() < NAMED {
                        let (why, code) = errors.first().map(|e| (e.message.clone(), e.code)).unwrap_or_default();
                        done.named.push((id, why, code));
                    }
                }
            }
        }
        if (rows.len() as u64) < BATCH {
            return Ok(done);
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
        MigrationStep::Rename { from, field, column } => {
            format!("column {column} of `{from}` is now `{field}`'s, with its data")
        }
        MigrationStep::Retire { column, .. } => format!("retire column {column}; its data is kept"),
        MigrationStep::CreateIndex { name, unique: true, .. } => format!("create unique index {name}"),
        MigrationStep::CreateIndex { name, .. } => format!("create index {name}"),
        MigrationStep::DropIndex { name, .. } => format!("drop index {name}"),
    }
}
