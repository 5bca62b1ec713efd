//! Many records of one form created at once by one writer (a bulk upsert's new records,
//! an import's batch of rows): each as `write` creates one (access, checks, the write,
//! conditions, audit, rules, processes), with what is the same for all done once: the
//! database checks (a query per field), the INSERT (one per chunk of rows), the audit
//! entries, the data version. The batch's records are all stored before the first of
//! their rules runs, so a rule reading other records of the form sees the whole batch.
//!
//! A record the batch does not take as it is (one a check refuses, one with sub-table
//! rows or files, or any written for a user a rule acts for) is written alone by `write`
//! under a savepoint, which refuses it with its own words. If anything fails once the
//! batch is inserted (a condition, a rule, a process, the writer's rows), the batch is
//! rolled back to its savepoint and its records are written alone the same way, so each
//! record's outcome is the one `write` gives it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use engine_form::{CheckMode, CheckedRecord, check_record};
use engine_rule::TriggerKind;
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde_json::{Map, Value, json};

use super::{Authority, Op, Writer, Written, change, conditions, write};
use crate::access::Access;
use crate::access::enforce::{allowed, out_of_reach, writable};
use crate::audit::{self, Entry};
use crate::catalog::PublishedApp;
use crate::error::Error;
use crate::records::keys::key_text;
use crate::records::values::field_values;
use crate::records::{FormCtx, columns, read, versions, write_many};

/// Creates `records` of `form`, each of which gives its unique text or integer field
/// `key`; answers each record's id, or why it was refused (nothing of it written), in
/// their order.
pub async fn create_many(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    (form, key): (&str, &str),
    records: &[&Map<String, Value>],
    writer: &Writer<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Result<i64, Error>>, Error> {
    let mut ctx = FormCtx::new(app, form, tx.get_database_backend(), now)?;
    ctx.writer = writer.user;
    // What `write` alone must write: everything, when a rule acts for a user.
    let (access, mut rest) = match writer.authority {
        Authority::Caller(access) => (Some(access), Vec::new()),
        Authority::Platform => (None, Vec::new()),
        Authority::ActingFor(_) => (None, (0..records.len()).collect()),
    };
    let mut batch: Vec<(usize, CheckedRecord)> = Vec::new();
    if rest.is_empty() {
        let may = access.is_none_or(|a| allowed(a, "create", form).is_ok());
        for (i, values) in records.iter().enumerate() {
            let fits = may && access.is_none_or(|a| writable(a, values).is_ok());
            match check_record(ctx.form, values, CheckMode::Create) {
                Ok(checked) if fits && write_many::batchable(&checked) => batch.push((i, checked)),
                _ => rest.push(i),
            }
        }
        let checked: Vec<&CheckedRecord> = batch.iter().map(|(_, c)| c).collect();
        let clashes = write_many::clashes(tx, &ctx, &checked).await?;
        let (clashing, kept): (Vec<_>, Vec<_>) = batch.into_iter().enumerate().partition(|(j, _)| clashes.contains(j));
        rest.extend(clashing.into_iter().map(|(_, (i, _))| i));
        batch = kept.into_iter().map(|(_, b)| b).collect();
    }
    let mut outcomes: Vec<Option<Result<i64, Error>>> = (0..records.len()).map(|_| None).collect();
    if !batch.is_empty() {
        let point = tx.begin().await?;
        match together(&point, &ctx, key, (&batch, records), access, writer).await {
            Ok(ids) => {
                point.commit().await?;
                for ((i, _), id) in batch.iter().zip(ids) {
                    outcomes[*i] = Some(Ok(id));
                }
            }
            Err(_) => {
                point.rollback().await?;
                rest.extend(batch.iter().map(|(i, _)| *i));
            }
        }
    }
    rest.sort_unstable();
    for i in rest {
        outcomes[i] = Some(savepointed(tx, app, form, Op::Create(records[i]), writer, now).await.map(|w| w.id));
    }
    Ok(outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| o.unwrap_or_else(|| Err(Error::Internal(anyhow::anyhow!("record {i} was not written")))))
        .collect())
}

/// `write` under a savepoint: refused, it leaves nothing behind and the transaction goes
/// on (a bulk change names every refusal before it gives up).
pub async fn savepointed(
    tx: &DatabaseTransaction,
    app: &PublishedApp,
    form: &str,
    op: Op<'_>,
    writer: &Writer<'_>,
    now: DateTime<Utc>,
) -> Result<Written, Error> {
    let point = tx.begin().await?;
    match write(&point, app, form, op, writer, now, 0).await {
        Ok(written) => {
            point.commit().await?;
            Ok(written)
        }
        Err(e) => {
            point.rollback().await?;
            Err(e)
        }
    }
}

/// The records of a batch: each one's position among those sent, and its checked values.
type Batch = [(usize, CheckedRecord)];

/// The batch written together: the rows, then for each record in order its conditions,
/// then the audit entries, then each record's rules and processes, then the check that
/// the writer's rows admit them all, then the data version. Answers the ids in the
/// batch's order; any error means the caller rolls the batch back.
async fn together(
    tx: &DatabaseTransaction,
    ctx: &FormCtx<'_>,
    key: &str,
    (batch, sent): (&Batch, &[&Map<String, Value>]),
    access: Option<&Access>,
    writer: &Writer<'_>,
) -> Result<Vec<i64>, Error> {
    let own_row = columns::OwnRow::of(ctx);
    let checked: Vec<&CheckedRecord> = batch.iter().map(|(_, c)| c).collect();
    let rows = write_many::insert(tx, ctx, &checked, ctx.now, &own_row.columns).await?;
    // RETURNING gives rows in no set order: each is found again by its key.
    let mut by_key: HashMap<String, Value> = HashMap::new();
    for record in read::written_many(tx, ctx, &own_row, &rows).await? {
        let text = match record.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(unmatched(key)),
        };
        by_key.insert(text, record);
    }
    let mut wrote = Vec::with_capacity(batch.len());
    for (i, values) in batch {
        let given = values.iter().find(|(k, _)| k == key).and_then(|(_, v)| key_text(v));
        let record = given.and_then(|k| by_key.remove(&k)).ok_or_else(|| unmatched(key))?;
        let stored = field_values(ctx.form, record.as_object().unwrap_or(&Map::new()));
        conditions(ctx, &stored, sent[*i])?;
        wrote.push((record, stored));
    }
    let ids: Vec<i64> = wrote.iter().map(|(r, _)| r["id"].as_i64().unwrap_or_default()).collect();
    let versions: Vec<i64> = wrote.iter().map(|(r, _)| r["_version"].as_i64().unwrap_or(1)).collect();
    let (app, form) = (&ctx.app.key, &ctx.form.key);
    let mut entries = Vec::with_capacity(wrote.len());
    let mut after = Vec::with_capacity(wrote.len());
    for ((record, stored), id) in wrote.into_iter().zip(&ids) {
        entries.push((&writer.actor, Entry::record("record.create", app, form, *id, json!({ "after": record }))));
        after.push(stored);
    }
    audit::write_many(tx, entries, ctx.now).await?;
    if writer.rules && crate::rules::watches(ctx.app, form, TriggerKind::Created) {
        let changes =
            ids.iter().zip(versions).zip(after).map(|((id, version), stored)| {
                change(ctx, *id, version, TriggerKind::Created, None, Some(stored), writer)
            });
        crate::rules::after_changes(tx, ctx.app, changes.collect(), ctx.now, 0).await?;
    }
    for id in &ids {
        let written = crate::flows::Written { form, id: *id, created: true, by: writer.user };
        Box::pin(crate::flows::on_record_change(tx, ctx.app, written, ctx.now, 0)).await?;
    }
    // The writer's rows must still admit every record (the rules may have changed it).
    if let Some(reach) = access.filter(|a| a.rows.is_some()) {
        let seen = read::many_reached(tx, ctx, &ids, Some(reach)).await?;
        if ids.iter().any(|id| !seen.get(id).is_some_and(|(_, within)| *within)) {
            return Err(out_of_reach());
        }
    }
    versions::bump_by(tx, app, form, ids.len() as i64).await?;
    Ok(ids)
}

/// A returned row the batch cannot match to its record by `key`.
fn unmatched(key: &str) -> Error {
    Error::Internal(anyhow::anyhow!("a row created in a batch could not be matched by `{key}`"))
}
