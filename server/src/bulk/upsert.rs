//! Many records created or updated at once, matched on a unique key of their form
//! (`POST …/forms/{form}/records/bulk`): what another system's feed sends. Each record
//! whose key no record holds is created; one whose key a record holds updates it with the
//! fields sent; one whose sent values equal the stored ones writes nothing (no version, no
//! audit entry, no firing, no process), so a feed sent twice changes nothing the second
//! time. A relation may name its record by that record's key (`{"customer_no": "C001"}`).
//! Every write goes through the pipeline with the caller's roles: the new records created
//! together (`pipeline::create_many`), then each update under a savepoint; all or nothing
//! unless `atomic` is false, when the records that fit are kept and the others reported.

use std::collections::HashMap;

use engine_form::{CheckMode, FieldError, check_record};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::relations::by_key;
use crate::access::Access;
use crate::access::enforce::{allowed, writable};
use crate::audit::Actor;
use crate::auth::Principal;
use crate::core::Core;
use crate::edit::{Edit, Who};
use crate::error::{BadInputCode, ConflictCode, Error};
use crate::pipeline::Op;
use crate::records::FormCtx;
use crate::records::keys::{key_field, key_text};
use crate::records::values::field_values;

/// The most records one upsert sends.
pub const MAX_UPSERT: usize = 10_000;

/// The largest upsert body: 10,000 records of about 3 KiB each.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// Records to create or update, matched on the unique field `key`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "key": "customer_no", "records": [
    { "customer_no": "C000123", "name": "王芳", "risk_level": "r3", "relationship_manager": { "employee_no": "E001" } }
] }))]
pub struct Upsert {
    /// A unique text or integer field of the form; every record gives it.
    pub key: String,
    /// 1 to 10,000 records, each as a create would send it; a relation may be given by
    /// its record's id or as `{"<unique field>": value}` of the related form.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<Value>,
    /// All or nothing (the default); `false` keeps the records that fit and reports the
    /// others.
    #[serde(default = "all_or_nothing")]
    pub atomic: bool,
}

fn all_or_nothing() -> bool {
    true
}

/// What became of one record sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct Outcome {
    pub index: usize,
    /// `created`, `updated`, `unchanged` or `refused`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
}

/// An upsert's answer: how many records of each outcome, and each record's.
#[derive(Debug, Serialize, ToSchema)]
pub struct Upserted {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub refused: usize,
    pub results: Vec<Outcome>,
}

/// Creates or updates the records of `upsert` in `form` as `principal`.
pub async fn upsert(
    core: &Core,
    (principal, actor): (&Principal, &Actor),
    (app, form): (&str, &str),
    upsert: &Upsert,
) -> Result<Upserted, Error> {
    if upsert.records.is_empty() || upsert.records.len() > MAX_UPSERT {
        let detail = format!("send 1 to {MAX_UPSERT} records");
        return Err(Error::bad_input_at(BadInputCode::bad_records, "/records", detail));
    }
    if let Some(i) = upsert.records.iter().position(|r| !r.is_object()) {
        let at = format!("/records/{i}");
        return Err(Error::bad_input_at(BadInputCode::bad_records, &at, "each record is a JSON object"));
    }
    // A record another writer created or changed meanwhile (the same key sent at once by
    // two feeds) makes the whole upsert start again: it then finds that record.
    for attempt in 0..super::RETRIES {
        let mut edit = Edit::begin(core, Who::Caller(principal, actor), app).await?;
        if let Some(done) = within(&mut edit, form, upsert).await? {
            edit.commit().await?;
            return Ok(done);
        }
        tokio::time::sleep(std::time::Duration::from_millis(5 * (attempt + 1))).await;
    }
    Err(Error::Conflict {
        code: ConflictCode::busy,
        detail: "the records kept changing under this upsert; try again".into(),
    })
}

/// The upsert written in `edit` (which its caller commits, with whatever else it writes:
/// an import its progress). `None` when raced by another writer: the edit is to be
/// dropped and the upsert tried again. Atomic, a refusal is an error.
pub async fn within(edit: &mut Edit<'_>, form: &str, upsert: &Upsert) -> Result<Option<Upserted>, Error> {
    let app = edit.app.clone();
    let backend = sea_orm::ConnectionTrait::get_database_backend(&edit.tx);
    let ctx = FormCtx::new(&app, form, backend, edit.now)?;
    let access = edit.access(form).await?.cloned();
    if let Some(access) = access.as_ref().filter(|a| !a.allows("create")) {
        allowed(access, "update", form)?;
    }
    let key = key_field(&ctx, &upsert.key).filter(|f| access.as_ref().is_none_or(|a| a.mode(&f.key).in_clear()));
    let Some(key) = key else {
        let detail = format!("`{}` is not a unique text or integer field of `{form}` you read", upsert.key);
        return Err(Error::bad_input_at(BadInputCode::bad_key, "/key", detail));
    };
    let mut refusals: Vec<Vec<FieldError>> = vec![Vec::new(); upsert.records.len()];
    let mut records: Vec<Map<String, Value>> =
        upsert.records.iter().map(|r| r.as_object().cloned().unwrap_or_default()).collect();
    by_key(edit, &ctx, &mut records, &mut refusals).await?;
    // Each record's key, checked as the field checks it; the same key twice is refused.
    let mut keys: Vec<Option<String>> = vec![None; records.len()];
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut wanted = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let path = format!("/records/{i}/{}", key.key);
        let value = match record.get(&key.key).map(|raw| engine_form::check_value(key, raw, &path)) {
            None => Err(vec![FieldError::new(&path, "required", format!("each record gives its `{}`", key.key))]),
            Some(Ok(value)) if value.is_null() => Err(vec![FieldError::new(&path, "required", "the key is empty")]),
            Some(checked) => checked,
        };
        match value {
            Err(errors) => refusals[i].extend(errors),
            Ok(value) => {
                let text = key_text(&value).unwrap_or_default();
                if let Some(j) = first.get(&text) {
                    refusals[i].push(FieldError::new(path, "duplicate", format!("the same key as record {j}")));
                } else {
                    first.insert(text.clone(), i);
                    keys[i] = Some(text);
                    wanted.push(value);
                }
            }
        }
    }
    let existing = crate::records::keys::ids_by_key(&edit.tx, &ctx, &key.key, &wanted).await?;
    let mut ids: Vec<i64> = existing.values().copied().collect();
    ids.sort_unstable();
    super::lock(&edit.tx, ctx.map, &ids).await?;
    let reach = access.as_ref().filter(|a| a.rows.is_some());
    let stored = crate::records::read::many_reached(&edit.tx, &ctx, &ids, reach).await?;
    // The new records are created together, before the others are updated.
    let new: Vec<usize> = (0..records.len())
        .filter(|&i| refusals[i].is_empty() && keys[i].as_ref().is_some_and(|k| !existing.contains_key(k)))
        .collect();
    let sent: Vec<&Map<String, Value>> = new.iter().map(|&i| &records[i]).collect();
    let mut created: HashMap<usize, Result<i64, Error>> =
        new.iter().copied().zip(edit.try_create_many((form, &key.key), &sent).await?).collect();
    let mut results = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let id = keys[i].as_ref().and_then(|k| existing.get(k)).copied();
        let mut outcome = Outcome { index: i, outcome: "refused", id, errors: std::mem::take(&mut refusals[i]) };
        if !outcome.errors.is_empty() {
            // Refused for its key or a relation: its other fields' problems told with them.
            outcome.errors.extend(other_problems(ctx.form, record, i, &outcome.errors));
        } else {
            let written = match (created.remove(&i), id.and_then(|id| stored.get(&id).map(|s| (id, s)))) {
                (Some(result), _) => result.map(|id| ("created", id)),
                (None, Some(stored)) => update(edit, &ctx, access.as_ref(), record, stored).await,
                // Its key's record was there when looked up, and is gone: start again.
                (None, None) => return Ok(None),
            };
            match written {
                Ok((what, id)) => (outcome.outcome, outcome.id) = (what, Some(id)),
                Err(Error::VersionMismatch { .. }) => return Ok(None),
                Err(e) if raced(&e, &key.key) => return Ok(None),
                Err(e) => outcome.errors = super::refusals(e, &format!("/records/{i}"), &format!("record {i}"))?,
            }
        }
        // A refused record's id is not told: the key may name one outside the caller's rows.
        if outcome.outcome == "refused" {
            outcome.id = None;
        }
        results.push(outcome);
    }
    let count = |what: &str| results.iter().filter(|o| o.outcome == what).count();
    let refused = count("refused");
    if refused > 0 && upsert.atomic {
        return Err(Error::InvalidRecord(results.into_iter().flat_map(|o| o.errors).collect()));
    }
    let done = Upserted {
        created: count("created"),
        updated: count("updated"),
        unchanged: count("unchanged"),
        refused,
        results,
    };
    Ok(Some(done))
}

/// Updates a stored record unless every value sent equals the stored one. Answers the
/// outcome and the record's id.
async fn update(
    edit: &mut Edit<'_>,
    ctx: &FormCtx<'_>,
    access: Option<&Access>,
    record: &Map<String, Value>,
    (id, (before, within)): (i64, &(Value, bool)),
) -> Result<(&'static str, i64), Error> {
    let form = ctx.form.key.as_str();
    // What the pipeline would refuse is refused before comparing: the comparison must not
    // tell a caller anything about a record they could not update.
    if let Some(access) = access {
        if !within {
            return Err(Error::not_found(format!("no `{form}` record with this key within your records")));
        }
        allowed(access, "update", form)?;
        writable(access, record)?;
    }
    let sent = check_record(ctx.form, record, CheckMode::Patch).map_err(Error::InvalidRecord)?;
    let now = field_values(ctx.form, before.as_object().unwrap_or(&Map::new()));
    let same = sent.iter().all(|(k, v)| now.iter().any(|(n, stored)| n == k && stored == v));
    if same {
        return Ok(("unchanged", id));
    }
    edit.try_write(form, Op::Update { id, version: None, values: record }).await?;
    Ok(("updated", id))
}

/// The problems of record `i`'s fields other than those already refused (`known`).
fn other_problems(
    form: &engine_form::Form,
    record: &Map<String, Value>,
    i: usize,
    known: &[FieldError],
) -> Vec<FieldError> {
    let Err(errors) = check_record(form, record, CheckMode::Patch) else { return Vec::new() };
    errors
        .into_iter()
        .map(|e| FieldError { path: format!("/records/{i}{}", e.path), ..e })
        .filter(|e| !known.iter().any(|k| e.path.starts_with(&k.path)))
        .collect()
}

/// Whether `e` says another writer took the key meanwhile.
fn raced(e: &Error, key: &str) -> bool {
    match e {
        Error::Conflict { code: ConflictCode::unique_violation, .. } => true,
        Error::InvalidRecord(errors) => errors.iter().any(|f| f.code == "unique" && f.path == format!("/{key}")),
        _ => false,
    }
}
