//! One change to many records (`POST …/forms/{form}/bulk`): the same values set on every
//! record named, or every one deleted, each through the write pipeline with the caller's
//! roles, all or nothing. Every record that refuses is named with why (not only the
//! first); then nothing of the change remains. Each record is written under a savepoint,
//! so one refusal does not spoil the transaction for the others' checks.
//!
//! `upsert.rs`: many records created or updated by a key of their form, as feeds send
//! them; `relations.rs`: related records named by key (`records::keys`).

mod relations;
pub mod upsert;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::audit::Actor;
use crate::auth::Principal;
use crate::core::Core;
use crate::edit::{Edit, Who};
use crate::error::{BadInputCode, ConflictCode, Error};
use crate::pipeline::Op;
use engine_form::FieldError;

/// The most records one bulk change names.
pub const MAX_BULK: usize = 1000;

/// A bulk change: `update` sets `values` on every record of `ids`; `delete` deletes them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "action": "update", "ids": [3, 5, 8], "values": { "risk_level": "r3" } }))]
pub struct BulkChange {
    /// `update` or `delete`.
    pub action: String,
    /// 1 to 1000 record ids, each once.
    pub ids: Vec<i64>,
    /// For `update`: the fields to set, as a single update would send them.
    #[serde(default)]
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub values: Option<Map<String, Value>>,
}

fn refused(errors: Vec<FieldError>) -> Error {
    Error::InvalidRecord(errors)
}

/// Applies `change` to the records of `form` as `principal`; answers how many changed.
pub async fn apply(
    core: &Core,
    (principal, actor): (&Principal, &Actor),
    (app, form): (&str, &str),
    change: &BulkChange,
) -> Result<Value, Error> {
    let op = change.action.as_str();
    if op != "update" && op != "delete" {
        return Err(Error::bad_input_at(BadInputCode::bad_action, "/action", "`action` is `update` or `delete`"));
    }
    if change.ids.is_empty() || change.ids.len() > MAX_BULK {
        return Err(Error::bad_input_at(BadInputCode::bad_ids, "/ids", format!("name 1 to {MAX_BULK} records")));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(i) = change.ids.iter().position(|id| *id <= 0 || !seen.insert(*id)) {
        return Err(Error::bad_input_at(
            BadInputCode::bad_ids,
            &format!("/ids/{i}"),
            "each id once, a positive integer",
        ));
    }
    let values = match (op, &change.values) {
        ("update", Some(values)) if !values.is_empty() => values.clone(),
        ("update", _) => {
            return Err(Error::bad_input_at(BadInputCode::bad_values, "/values", "an update sets at least one field"));
        }
        (_, Some(_)) => {
            return Err(Error::bad_input_at(BadInputCode::bad_values, "/values", "a delete sets no values"));
        }
        _ => Map::new(),
    };
    // A record another writer changed between reading and writing it is written again
    // (there is no If-Match in a bulk change): the whole change is tried anew.
    for attempt in 0..RETRIES {
        match once(core, (principal, actor), (app, form), op, &change.ids, &values).await? {
            Outcome::Done => return Ok(json!({ "changed": change.ids.len() })),
            Outcome::Refused(errors) => return Err(refused(errors)),
            Outcome::Raced => tokio::time::sleep(std::time::Duration::from_millis(5 * (attempt + 1))).await,
        }
    }
    Err(Error::Conflict {
        code: ConflictCode::busy,
        detail: "the records kept changing under this change; try again".into(),
    })
}

/// How many times a bulk change raced by other writers is tried.
pub(crate) const RETRIES: u64 = 5;

/// Locks the records named, in id order, till the change ends: bulk changes of the same
/// records wait for each other instead of racing. SQLite writes one transaction at a time
/// and has no row locks.
async fn lock(tx: &sea_orm::DatabaseTransaction, map: &crate::schema::TableMap, ids: &[i64]) -> Result<(), Error> {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockType, Order, Query};
    if tx.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let id = Expr::col((Alias::new(&map.table), Alias::new("id")));
    let stmt = Query::select()
        .expr(id.clone())
        .from(Alias::new(&map.table))
        .and_where(id.clone().is_in(ids.iter().copied()))
        .order_by_expr(id, Order::Asc)
        .lock(LockType::Update)
        .to_owned();
    tx.query_all(&stmt).await?;
    Ok(())
}

enum Outcome {
    Done,
    Refused(Vec<FieldError>),
    Raced,
}

async fn once(
    core: &Core,
    (principal, actor): (&Principal, &Actor),
    (app, form): (&str, &str),
    op: &str,
    ids: &[i64],
    values: &Map<String, Value>,
) -> Result<Outcome, Error> {
    let mut edit = Edit::begin(core, Who::Caller(principal, actor), app).await?;
    lock(&edit.tx, edit.app.table(form, None)?, ids).await?;
    let mut errors = Vec::new();
    for (i, id) in ids.iter().copied().enumerate() {
        let op =
            if op == "update" { Op::Update { id, version: None, values } } else { Op::Delete { id, version: None } };
        match edit.try_write(form, op).await {
            Ok(_) => {}
            // Changed meanwhile by someone else: the whole change starts again.
            Err(Error::VersionMismatch { .. }) => return Ok(Outcome::Raced),
            Err(e) => errors.extend(named(i, id, e)?),
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome::Refused(errors));
    }
    edit.commit().await?;
    Ok(Outcome::Done)
}

/// Why record `id` (the `i`th named) refused: its field problems at their `/values/…`
/// path, anything else at `/ids/i`, each message naming the record.
fn named(i: usize, id: i64, e: Error) -> Result<Vec<FieldError>, Error> {
    let mut errors = refusals(e, &format!("/ids/{i}"), &format!("record {id}"))?;
    for error in &mut errors {
        if let Some(field) = error.path.strip_prefix(&format!("/ids/{i}/")) {
            error.path = format!("/values/{field}");
        }
    }
    Ok(errors)
}

/// Why one record of many (`at` its path in the request, `who` how messages name it)
/// refused: its field problems below `at`, anything else at `at`, each message naming the
/// record. A failure of the server itself is not a refusal: it ends the change.
pub(crate) fn refusals(e: Error, at: &str, who: &str) -> Result<Vec<FieldError>, Error> {
    Ok(match e {
        Error::InvalidRecord(fields) => fields
            .into_iter()
            .map(|f| FieldError { path: format!("{at}{}", f.path), message: format!("{who}: {}", f.message), ..f })
            .collect(),
        e @ Error::Internal(_) => return Err(e),
        other => {
            let code = other.code();
            vec![FieldError::new(at, code, format!("{who}: {other}"))]
        }
    })
}
