//! Checking a record as it is being typed (`POST …/forms/{form}/check`): which fields the
//! form shows for it, what its formulas come to and which typed values do not fit, decided
//! by the engine that checks the record when it is saved (`engine_form::check_draft`).
//! Nothing is written; the caller's roles decide what the answer may say.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::values::field_values;
use super::{FormCtx, read};
use crate::access::enforce::allowed;
use crate::auth::Principal;
use crate::core::Core;
use crate::error::Error;

/// A draft: the values typed so far and, when editing, the record they change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// The typed values, as a create or an update would send them.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub values: Map<String, Value>,
    /// The record being edited; its stored values stand where nothing was typed.
    pub id: Option<i64>,
}

/// What the draft comes to, as the caller may see it: `hidden` fields, `formulas` shaped
/// by the caller's field modes (a hidden formula left out, a masked one masked), and the
/// typed values that do not fit (`errors`, each with its `path`).
pub async fn check(
    core: &Core,
    principal: &Principal,
    (app, form): (&str, &str),
    request: &CheckRequest,
    now: DateTime<Utc>,
) -> Result<Value, Error> {
    let (c, app) = (&core.db.conn, core.catalog.published(&core.db.conn, app).await?);
    let ctx = &FormCtx::new(&app, form, core.db.backend(), now)?;
    let access = crate::access::load(c, ctx.app, principal, ctx.form).await?;
    allowed(&access, if request.id.is_some() { "update" } else { "create" }, &ctx.form.key)?;
    let stored = match request.id {
        None => Vec::new(),
        Some(id) => {
            // A record out of the caller's reach is, to them, not there.
            let reach = Some(&access).filter(|a| a.rows.is_some());
            match read::get_reached(c, ctx, id, reach).await? {
                Some((record, true)) => field_values(ctx.form, record.as_object().unwrap_or(&Map::new())),
                _ => return Err(Error::not_found(format!("no `{}` record {id}", ctx.form.key))),
            }
        }
    };
    let context = engine_form::formula_context(&ctx.app.bundle, ctx.now);
    let draft = engine_form::check_draft(ctx.form, &stored, &request.values, &context);
    let mut formulas: Map<String, Value> = draft.formulas.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
    access.shape(&mut formulas);
    Ok(json!({ "hidden": draft.hidden, "formulas": formulas, "errors": draft.errors }))
}
