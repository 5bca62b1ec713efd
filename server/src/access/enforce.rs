//! What a caller's access means for one write or read of one record: the fields they may
//! write, and whether their rows admit the record. Used by the record API and by rules
//! that act for a user (`"run_as": "user"`).

use serde_json::{Map, Value};

use super::Access;
use crate::error::{Error, ForbiddenCode};
use crate::records::{FormCtx, read};

/// Refuses an operation the caller's roles do not grant (403).
pub fn allowed(access: &Access, operation: &str, form: &str) -> Result<(), Error> {
    if access.allows(operation) {
        return Ok(());
    }
    Err(Error::Forbidden {
        code: ForbiddenCode::forbidden,
        detail: format!("your roles do not allow you to {operation} `{form}` records"),
    })
}

/// Refuses values sent for fields the caller may not write.
pub fn writable(access: &Access, input: &Map<String, Value>) -> Result<(), Error> {
    let errors: Vec<engine_form::FieldError> = input
        .keys()
        .filter(|k| !access.mode(k).writable())
        .map(|k| {
            engine_form::FieldError::new(format!("/{k}"), "read_only", format!("your roles do not let you write `{k}`"))
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(Error::InvalidRecord(errors)) }
}

/// Whether the caller's roles admit record `id` (it exists and their rows take it in).
pub async fn reachable(
    c: &impl sea_orm::ConnectionTrait,
    ctx: &FormCtx<'_>,
    access: &Access,
    id: i64,
) -> Result<bool, Error> {
    let scoped = FormCtx { access: Some(access), ..*ctx };
    Ok(read::get(c, &scoped, id, Some(&[])).await?.is_some())
}

/// Refuses with `refusal` unless the caller's roles admit record `id`.
pub async fn within_reach(
    c: &impl sea_orm::ConnectionTrait,
    ctx: &FormCtx<'_>,
    access: &Access,
    id: i64,
    refusal: impl FnOnce() -> Error,
) -> Result<(), Error> {
    if access.rows.is_some() && !reachable(c, ctx, access, id).await? {
        return Err(refusal());
    }
    Ok(())
}

/// A write that would leave the record outside the caller's records (the transaction
/// then rolls back).
pub fn out_of_reach() -> Error {
    Error::Forbidden {
        code: ForbiddenCode::out_of_reach,
        detail: "the record would not be one of yours: your roles' rows do not admit it".into(),
    }
}
