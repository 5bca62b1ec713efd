//! Relations named by the related record's key (`"customer": {"customer_no": "C001"}`)
//! turned into its id before an upsert writes: per relation field, the keys of every
//! record in one query, within the rows the caller reads of the related form, the key
//! field one they read in clear (else naming by it would tell what they may not see).

use engine_form::{FieldError, FieldType, FieldValue};
use serde_json::{Map, Value};

use crate::edit::Edit;
use crate::error::Error;
use crate::records::FormCtx;
use crate::records::keys::{ids_by_key, key_field, key_text};

/// One relation value given by key: which record sent it, and the key's value.
struct Named {
    index: usize,
    key: String,
    value: FieldValue,
}

/// Replaces each relation of `records` given by key with the id of its record; what
/// names no record the caller reads is refused at its path in `refusals`.
pub async fn by_key(
    edit: &mut Edit<'_>,
    ctx: &FormCtx<'_>,
    records: &mut [Map<String, Value>],
    refusals: &mut [Vec<FieldError>],
) -> Result<(), Error> {
    for field in &ctx.form.fields {
        let FieldType::Relation { form: target, .. } = &field.kind else { continue };
        let named = named(edit, ctx, (&field.key, target), records, refusals).await?;
        if named.is_empty() {
            continue;
        }
        let key = named[0].key.clone();
        let mut scoped = FormCtx::new(ctx.app, target, ctx.backend, ctx.now)?;
        let access = edit.access(target).await?.cloned();
        scoped.access = access.as_ref();
        let values: Vec<FieldValue> = named.iter().map(|n| n.value.clone()).collect();
        let found = ids_by_key(&edit.tx, &scoped, &key, &values).await?;
        for n in named {
            let text = key_text(&n.value).unwrap_or_default();
            match found.get(&text) {
                Some(id) => {
                    records[n.index].insert(field.key.clone(), Value::from(*id));
                }
                None => refusals[n.index].push(FieldError::new(
                    format!("/records/{}/{}", n.index, field.key),
                    "not_found",
                    format!("no `{target}` record you read has {key} {text}"),
                )),
            }
        }
    }
    Ok(())
}

/// The values of relation `field` given by key, checked: one key of the related form,
/// the same for every record (one query reads them all), that the caller reads in clear.
async fn named(
    edit: &mut Edit<'_>,
    ctx: &FormCtx<'_>,
    (field, target): (&str, &str),
    records: &[Map<String, Value>],
    refusals: &mut [Vec<FieldError>],
) -> Result<Vec<Named>, Error> {
    let scoped = FormCtx::new(ctx.app, target, ctx.backend, ctx.now)?;
    let mut named: Vec<Named> = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let Some(Value::Object(given)) = record.get(field) else { continue };
        let path = format!("/records/{index}/{field}");
        let mut refuse = |message: String| refusals[index].push(FieldError::new(path.clone(), "relation_key", message));
        let Some((key, raw)) = given.iter().next().filter(|_| given.len() == 1) else {
            refuse(format!("name the `{target}` record by its id or as {{\"<unique field>\": value}}"));
            continue;
        };
        let Some(key_field) = key_field(&scoped, key) else {
            refuse(format!("`{key}` is not a unique text or integer field of `{target}`"));
            continue;
        };
        if named.first().is_some_and(|n| &n.key != key) {
            refuse(format!("name every `{target}` record by the same field, `{}`", named[0].key));
            continue;
        }
        let readable = edit.access(target).await?.is_none_or(|a| a.allows("read") && a.mode(key).in_clear());
        if !readable {
            refusals[index].push(FieldError::new(
                path,
                "relation_key",
                format!("you do not read `{target}` by `{key}`"),
            ));
            continue;
        }
        match engine_form::check_value(key_field, raw, &format!("{path}/{key}")) {
            Ok(value) if !value.is_null() => named.push(Named { index, key: key.clone(), value }),
            Ok(_) => refusals[index].push(FieldError::new(path, "relation_key", "the key is empty")),
            Err(errors) => refusals[index].extend(errors),
        }
    }
    Ok(named)
}
