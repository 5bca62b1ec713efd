//! Records created together (`pipeline::many`): what `write::create` checks in the
//! database for one record, asked for the whole batch in one query per field, and the
//! rows inserted with one statement per chunk. Only records without sub-table rows or
//! files come here; the pipeline writes the others one by one.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use engine_form::{CheckedRecord, FieldType, FieldValue};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockType, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use super::FormCtx;
use super::keys::{ids_by_key, key_text};
use super::write::{column_values, unique_violation};
use crate::db::codec::datetime;
use crate::error::Error;

/// The most bound values one statement carries (SQLite allows 32,766).
const MAX_VALUES: usize = 30_000;

/// The columns some records set, and each record's values of them (with what else the
/// statement needs of it): what one statement writes.
type Shape<K> = (Vec<Alias>, Vec<(K, Vec<SimpleExpr>)>);

/// Records grouped by the columns they set, in the order first seen: records that give
/// the same fields share a statement.
fn by_columns<K>(records: Vec<(K, Vec<(Alias, SimpleExpr)>)>) -> Vec<Shape<K>> {
    let mut shapes: Vec<Shape<K>> = Vec::new();
    let mut shape_of: HashMap<Vec<String>, usize> = HashMap::new();
    for (k, assignments) in records {
        let names: Vec<String> = assignments.iter().map(|(column, _)| column.0.clone()).collect();
        let (columns, row): (Vec<Alias>, Vec<SimpleExpr>) = assignments.into_iter().unzip();
        let at = *shape_of.entry(names).or_insert_with(|| {
            shapes.push((columns, Vec::new()));
            shapes.len() - 1
        });
        shapes[at].1.push((k, row));
    }
    shapes
}

/// How many ids one relation check asks for.
const CHUNK: usize = 500;

/// Whether a checked record may be created in a batch: no sub-table rows, no files.
pub fn batchable(values: &CheckedRecord) -> bool {
    !values.iter().any(|(_, v)| matches!(v, FieldValue::Rows(_) | FieldValue::Files(_)))
}

/// The positions in `batch` of the records `write::create` would refuse for what the
/// database holds, or that clash with an earlier record of the batch: a related record
/// that is not there, or a unique value another record holds. The related records found
/// are locked against deletion until the transaction ends, as for a single create.
pub async fn clashes(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    batch: &[&CheckedRecord],
) -> Result<HashSet<usize>, Error> {
    let mut out = HashSet::new();
    for field in &ctx.form.fields {
        let value_of = |i: usize| batch[i].iter().find(|(k, _)| k == &field.key).map(|(_, v)| v);
        match &field.kind {
            FieldType::Relation { form, .. } => {
                let linked: Vec<(usize, i64)> = (0..batch.len())
                    .filter_map(|i| match value_of(i) {
                        Some(FieldValue::Link(id)) => Some((i, *id)),
                        _ => None,
                    })
                    .collect();
                let found = existing(c, ctx.app.table(form, None)?, linked.iter().map(|(_, id)| *id)).await?;
                out.extend(linked.iter().filter(|(_, id)| !found.contains(id)).map(|(i, _)| *i));
            }
            _ if field.unique => {
                let mut first: HashMap<String, usize> = HashMap::new();
                let mut values = Vec::new();
                for i in 0..batch.len() {
                    let Some(value) = value_of(i).filter(|v| !v.is_null()) else { continue };
                    // A unique value the batch cannot compare as text goes the single way.
                    let Some(text) = key_text(value) else {
                        out.insert(i);
                        continue;
                    };
                    match first.entry(text) {
                        Entry::Occupied(_) => {
                            out.insert(i);
                        }
                        Entry::Vacant(new) => {
                            new.insert(i);
                            values.push(value.clone());
                        }
                    }
                }
                let platform = FormCtx { access: None, ..*ctx };
                for text in ids_by_key(c, &platform, &field.key, &values).await?.keys() {
                    out.extend(first.get(text));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Which of `ids` are records of the table `map`, each locked FOR SHARE (PostgreSQL).
async fn existing(
    c: &impl ConnectionTrait,
    map: &crate::schema::TableMap,
    ids: impl Iterator<Item = i64>,
) -> Result<HashSet<i64>, Error> {
    let wanted: Vec<i64> = ids.collect::<HashSet<_>>().into_iter().collect();
    let mut found = HashSet::new();
    for chunk in wanted.chunks(CHUNK) {
        let q = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new(&map.table))
            .and_where(Expr::col(Alias::new("id")).is_in(chunk.iter().copied()))
            .lock(LockType::Share)
            .to_owned();
        for row in c.query_all(&q).await? {
            found.insert(row.try_get_by_index::<i64>(0)?);
        }
    }
    Ok(found)
}

/// Inserts `batch` (records `batchable` and without `clashes`) with as few statements as
/// the bound values allow, and returns the `returning` columns of every row: in no
/// particular order, as RETURNING gives them.
pub async fn insert(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    batch: &[&CheckedRecord],
    now: DateTime<Utc>,
    returning: &[Alias],
) -> Result<Vec<QueryResult>, Error> {
    let stamp = datetime(now, ctx.backend);
    let mut rows = Vec::with_capacity(batch.len());
    for values in batch {
        let mut assignments: Vec<(Alias, SimpleExpr)> = vec![
            (Alias::new("_version"), 1i64.into()),
            (Alias::new("_created_at"), stamp.clone().into()),
            (Alias::new("_updated_at"), stamp.clone().into()),
        ];
        assignments.extend(column_values(ctx.map, values, ctx.backend)?);
        rows.push(((), assignments));
    }
    let shapes = by_columns(rows);
    let mut rows = Vec::with_capacity(batch.len());
    for (columns, values) in shapes {
        for chunk in values.chunks((MAX_VALUES / columns.len().max(1)).max(1)) {
            let mut stmt = Query::insert();
            stmt.into_table(Alias::new(&ctx.map.table)).columns(columns.clone());
            for ((), row) in chunk {
                stmt.values(row.clone()).map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            stmt.returning(Query::returning().columns(returning.to_vec()));
            rows.extend(c.query_all(&stmt).await.map_err(unique_violation)?);
        }
    }
    Ok(rows)
}

/// Updates records together: each of `batch` (id, its checked values: `batchable`, and
/// neither unique nor relation fields among them) set with one statement per chunk of
/// records that set the same fields, its version one more. Returns
/// the `returning` columns of every row updated, in no particular order; a record not at
/// its version is updated all the same, and the caller, finding its version is not one
/// more, refuses the batch.
pub async fn update(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    batch: &[(i64, &CheckedRecord)],
    now: DateTime<Utc>,
    returning: &[Alias],
) -> Result<Vec<QueryResult>, Error> {
    let mut sets = Vec::with_capacity(batch.len());
    for (id, values) in batch {
        sets.push((*id, column_values(ctx.map, values, ctx.backend)?));
    }
    let shapes = by_columns(sets);
    let mut rows = Vec::with_capacity(batch.len());
    for (columns, records) in shapes {
        // SQLite tries a CASE's branches in turn: a thousand rows a statement keeps that short.
        for chunk in records.chunks((MAX_VALUES / (2 * columns.len() + 1)).clamp(1, 1000)) {
            let mut stmt = Query::update();
            stmt.table(Alias::new(&ctx.map.table))
                .value(Alias::new("_version"), Expr::col(Alias::new("_version")).add(1))
                .value(Alias::new("_updated_at"), datetime(now, ctx.backend))
                .and_where(Expr::col(Alias::new("id")).is_in(chunk.iter().map(|(id, _)| *id)));
            for (i, column) in columns.iter().enumerate() {
                let mut case = sea_orm::sea_query::CaseStatement::new();
                for (id, row) in chunk {
                    case = case.case(Expr::col(Alias::new("id")).eq(*id), row[i].clone());
                }
                stmt.value(column.clone(), SimpleExpr::Case(Box::new(case.finally(Expr::col(column.clone())))));
            }
            stmt.returning(Query::returning().columns(returning.to_vec()));
            rows.extend(c.query_all(&stmt).await.map_err(unique_violation)?);
        }
    }
    Ok(rows)
}
