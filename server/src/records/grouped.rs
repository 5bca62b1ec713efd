//! Records grouped by the database: the rows a list query asks for (its filters and
//! `where`, within the rows the viewer's roles admit), grouped by some fields' stored values,
//! with each group's row count and, for each measured field, the count of its values and —
//! for a number — their sum, least and greatest, exact: SQLite sums its integers of minor
//! units and refuses one past 64 bits ("integer overflow"), PostgreSQL sums `NUMERIC`
//! exactly; a sum past what a decimal holds is refused, never rounded.

use engine_form::{FieldValue, StorageType};
use engine_report::{Part, minor_units};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};

use super::FormCtx;
use super::page::matching;
use super::query::{ListQuery, Target};
use super::sql::target_column;
use crate::error::Error;

/// One group: the grouped fields' values, how many records, and a part per measured field.
pub struct Group {
    pub keys: Vec<FieldValue>,
    pub rows: i64,
    pub parts: Vec<Part>,
}

/// Whether a field stored so can be grouped on (a value compared whole; an instant is not,
/// being bucketed in a zone the database does not know).
pub fn groupable(storage: &StorageType) -> bool {
    matches!(
        storage,
        StorageType::Text
            | StorageType::Integer
            | StorageType::Link(_)
            | StorageType::Boolean
            | StorageType::Decimal { .. }
            | StorageType::Date
    )
}

fn numeric(storage: &StorageType) -> Option<u32> {
    match storage {
        StorageType::Integer => Some(0),
        StorageType::Decimal { scale, .. } => Some(*scale),
        _ => None,
    }
}

/// The groups of the records `q` asks for by the fields `by`, measuring `measured`; at most
/// `limit` of them (one more than a caller takes tells it there are more).
pub async fn grouped(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    q: &ListQuery,
    (by, measured): (&[String], &[String]),
    limit: u64,
) -> Result<Vec<Group>, Error> {
    let column = |key: &String| target_column(ctx.map, &Target::Field(key.clone()));
    let keys: Vec<(SimpleExpr, StorageType)> = by.iter().map(column).collect::<Result<_, _>>()?;
    let values: Vec<(SimpleExpr, StorageType)> = measured.iter().map(column).collect::<Result<_, _>>()?;
    let mut stmt = Query::select();
    stmt.from(Alias::new(&ctx.map.table));
    for (col, _) in &keys {
        stmt.expr(col.clone()).add_group_by([col.clone()]);
    }
    stmt.expr(Expr::col(Asterisk).count());
    for (col, storage) in &values {
        stmt.expr(Func::count(col.clone()));
        if numeric(storage).is_some() {
            stmt.expr(Func::sum(col.clone())).expr(Func::min(col.clone())).expr(Func::max(col.clone()));
        }
    }
    stmt.cond_where(matching(ctx, q)?).limit(limit);
    let mut groups = Vec::new();
    for row in c.query_all(&stmt).await? {
        let mut at = 0;
        let mut next = || {
            at += 1;
            at - 1
        };
        let mut group = Group { keys: Vec::with_capacity(keys.len()), rows: 0, parts: Vec::new() };
        for (_, storage) in &keys {
            group.keys.push(crate::db::codec::decode(&row, next(), storage, ctx.backend)?);
        }
        group.rows = row.try_get_by_index(next())?;
        for (_, storage) in &values {
            let mut part = Part { count: row.try_get_by_index(next())?, ..Part::default() };
            if let Some(scale) = numeric(storage) {
                part.sum = sum(&row, next(), scale, ctx.backend)?;
                let extreme = |v: FieldValue| minor_units(&v, scale).map_err(|_| overflow());
                part.min = extreme(crate::db::codec::decode(&row, next(), storage, ctx.backend)?)?;
                part.max = extreme(crate::db::codec::decode(&row, next(), storage, ctx.backend)?)?;
            }
            group.parts.push(part);
        }
        groups.push(group);
    }
    Ok(groups)
}

/// A sum in minor units at `scale`: SQLite's is an integer of them already, PostgreSQL's a
/// `NUMERIC` (of a `BIGINT` column too).
fn sum(row: &QueryResult, at: usize, scale: u32, backend: DbBackend) -> Result<Option<i128>, Error> {
    if backend != DbBackend::Postgres {
        return Ok(row.try_get_by_index::<Option<i64>>(at)?.map(i128::from));
    }
    // A sum past a decimal's 28 digits does not read as one.
    let total: Option<Decimal> = row.try_get_by_index(at).map_err(|_| overflow())?;
    total.map(|d| minor_units(&FieldValue::Decimal(d), scale).map_err(|_| overflow())?.ok_or_else(overflow)).transpose()
}

fn overflow() -> Error {
    Error::Overflow("a sum is beyond what is computed exactly; nothing was rounded or wrapped".into())
}
