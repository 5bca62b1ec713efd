//! Records named by a unique key of their form rather than by id, as other systems name
//! them (`customer_no` from core banking): which field may serve as a key, and the ids of
//! the records that hold given key values, read in one query per few hundred values.

use std::collections::HashMap;

use engine_form::{Field, FieldValue};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

use super::FormCtx;
use crate::db::codec::{decode, encode};
use crate::error::Error;
use crate::expr_sql::admitted;

/// How many key values one query asks for.
const CHUNK: usize = 500;

/// The field `key` of `ctx`'s form if it can name records: a unique text or integer field.
pub fn key_field<'a>(ctx: &FormCtx<'a>, key: &str) -> Option<&'a Field> {
    ctx.form.key_fields().find(|f| f.key == key)
}

/// A key value as the text it is matched by (`None`: no key, a null).
pub fn key_text(value: &FieldValue) -> Option<String> {
    match value {
        FieldValue::Text(s) => Some(s.clone()),
        FieldValue::Integer(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The ids of the records of `ctx`'s form whose field `key` holds one of `values`, by
/// their key text; only the records `ctx.access`'s rows admit when it has rows.
pub async fn ids_by_key(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    key: &str,
    values: &[FieldValue],
) -> Result<HashMap<String, i64>, Error> {
    let Some((column, storage)) = ctx.map.column(key) else {
        return Ok(HashMap::new());
    };
    let table = Alias::new(&ctx.map.table);
    let condition = admitted(ctx, ctx.now)?;
    let mut found = HashMap::new();
    for chunk in values.chunks(CHUNK) {
        let encoded = chunk.iter().map(|v| encode(v, storage, ctx.backend)).collect::<Result<Vec<_>, _>>()?;
        let mut stmt = Query::select();
        stmt.expr(Expr::col((table.clone(), Alias::new("id"))))
            .expr(Expr::col((table.clone(), Alias::new(column))))
            .from(table.clone())
            .and_where(Expr::col((table.clone(), Alias::new(column))).is_in(encoded));
        if let Some(condition) = &condition {
            stmt.and_where(condition.clone());
        }
        for row in c.query_all(&stmt).await? {
            let id = row.try_get_by_index::<i64>(0)?;
            if let Some(text) = key_text(&decode(&row, 1, storage, ctx.backend)?) {
                found.insert(text, id);
            }
        }
    }
    Ok(found)
}
