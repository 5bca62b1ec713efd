//! Records of one form updated together with the platform's authority: what rules'
//! firings for records written together set on those records (`actions::update_subjects`).
//! Each is updated as `write` updates one (the record as it was read, checks, the
//! update, conditions, audit with the values before and after and as sent, the rules
//! watching the update, processes), with the reads, the UPDATE, the audit entries and the
//! data version made once for all. Any refusal is an error: the caller rolls back and
//! writes them one by one, so each gets the outcome `write` alone gives it.

use chrono::{DateTime, Utc};
use engine_form::{CheckMode, CheckedRecord, FieldType, check_record};
use engine_rule::TriggerKind;
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde_json::{Map, Value, json};

use super::conditions;
use crate::audit::{self, Actor, Entry};
use crate::catalog::PublishedApp;
use crate::error::Error;
use crate::records::values::field_values;
use crate::records::{FormCtx, columns, read, versions, write_many};
use crate::rules::Change;

/// Updates each record of `items` (who updates it, its id, the values to set) of `form`;
/// `depth` counts the rule-made writes that led here.
pub async fn update_many(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    form: &str,
    items: &[(Actor, i64, &Map<String, Value>)],
    now: DateTime<Utc>,
    depth: usize,
) -> Result<(), Error> {
    let ctx = FormCtx::new(app, form, tx.get_database_backend(), now)?;
    let ids: Vec<i64> = items.iter().map(|(_, id, _)| *id).collect();
    let mut before = read::many_reached(tx, &ctx, &ids, None).await?;
    let mut checked: Vec<CheckedRecord> = Vec::with_capacity(items.len());
    for (_, id, values) in items {
        let values = check_record(ctx.form, values, CheckMode::Patch).map_err(Error::InvalidRecord)?;
        if !before.contains_key(id) || !write_many::batchable(&values) || !plain(&ctx, &values) {
            return Err(Error::Internal(anyhow::anyhow!("record {id} is updated alone")));
        }
        checked.push(values);
    }
    let own_row = columns::OwnRow::of(&ctx);
    let batch: Vec<(i64, &CheckedRecord)> = ids.iter().copied().zip(&checked).collect();
    let rows = write_many::update(tx, &ctx, &batch, now, &own_row.columns).await?;
    let mut written: std::collections::HashMap<i64, Value> = read::written_many(tx, &ctx, &own_row, &rows)
        .await?
        .into_iter()
        .map(|r| (r["id"].as_i64().unwrap_or_default(), r))
        .collect();
    let (app_key, form_key) = (&app.key, &ctx.form.key);
    let mut entries = Vec::with_capacity(items.len());
    let mut changes = Vec::with_capacity(items.len());
    for (actor, id, sent) in items {
        let (was, _) = before.remove(id).unwrap_or_default();
        let record = written.remove(id).unwrap_or_default();
        let version = record["_version"].as_i64().unwrap_or_default();
        // Another writer's change between the read and the update: not this batch's to make.
        if version != was["_version"].as_i64().unwrap_or_default() + 1 {
            return Err(Error::Internal(anyhow::anyhow!("record {id} changed meanwhile")));
        }
        let stored = field_values(ctx.form, record.as_object().unwrap_or(&Map::new()));
        conditions(&ctx, &stored, sent)?;
        let old = field_values(ctx.form, was.as_object().unwrap_or(&Map::new()));
        let detail = json!({ "before": was, "after": record, "sent": sent });
        entries.push((actor, Entry::record("record.update", app_key, form_key, *id, detail)));
        changes.push(Change {
            form: form_key.clone(),
            id: *id,
            version,
            kind: TriggerKind::Updated,
            before: Some(old),
            after: Some(stored),
            by: None,
            about: None,
        });
    }
    audit::write_many(tx, entries, now).await?;
    if crate::rules::watches(app, form_key, TriggerKind::Updated) {
        crate::rules::after_changes(tx, app, changes, now, depth).await?;
    }
    for id in &ids {
        let written = crate::flows::Written { form: form_key, id: *id, created: false, by: None };
        Box::pin(crate::flows::on_record_change(tx, app, written, now, depth)).await?;
    }
    versions::bump_by(tx, app_key, form_key, ids.len() as i64).await?;
    Ok(())
}

/// Whether none of `values` needs the database's checks: no relation, no unique value.
fn plain(ctx: &FormCtx<'_>, values: &CheckedRecord) -> bool {
    values
        .iter()
        .all(|(key, _)| ctx.form.field(key).is_some_and(|f| !f.unique && !matches!(f.kind, FieldType::Relation { .. })))
}
