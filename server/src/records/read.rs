//! Reading records: one by id, or a filtered, sorted page with a stable cursor. Related
//! records' lookup fields come in one query through LEFT JOINs; sub-table rows in one
//! more query per sub-table for the whole page.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use engine_form::{Field, FieldType};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use serde_json::{Map, Value};

use super::FormCtx;
use super::columns::{Col, OwnRow, Selection, build_select, included, row_to_json};
use super::page::{PageReads, page_reads};
use super::query::{ListQuery, encode_cursor};
use crate::db::codec::decode;
use crate::error::Error;
use crate::expr_sql::admitted;

/// A page of records.
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
    pub total: Option<u64>,
}

/// The record a write just stored, from the row it returned (`OwnRow::columns`) and its
/// sub-table rows; formulas computed.
pub async fn written(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    own: &OwnRow,
    row: &QueryResult,
) -> Result<Value, Error> {
    let mut records = written_many(c, ctx, own, std::slice::from_ref(row)).await?;
    Ok(records.pop().unwrap_or_default())
}

/// [`written`] for the rows of many records written together: their sub-tables read in
/// one query each.
pub async fn written_many(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    own: &OwnRow,
    rows: &[QueryResult],
) -> Result<Vec<Value>, Error> {
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        records.push(row_to_json(ctx, row, &own.cols, ctx.now)?.0);
    }
    let mut by_id: Vec<(i64, &mut Map<String, Value>)> =
        records.iter_mut().map(|r| (r.get("id").and_then(Value::as_i64).unwrap_or_default(), r)).collect();
    attach_sub_tables(c, ctx, &own.sub_tables, &mut by_id).await?;
    finish(ctx, None, &mut by_id, ctx.now);
    Ok(records.into_iter().map(Value::Object).collect())
}

/// One record by id, or `None`.
pub async fn get(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    id: i64,
    fields: Option<&[String]>,
) -> Result<Option<Value>, Error> {
    let Selection { mut stmt, cols, sub_tables } = build_select(ctx, fields, ctx.now)?;
    stmt.and_where(Expr::col((Alias::new(&ctx.map.table), Alias::new("id"))).eq(id));
    if let Some(admitted) = admitted(ctx, ctx.now)? {
        stmt.and_where(admitted);
    }
    let Some(row) = c.query_one(&stmt).await? else {
        return Ok(None);
    };
    let (mut record, _) = row_to_json(ctx, &row, &cols, ctx.now)?;
    let mut records = vec![(id, &mut record)];
    attach_sub_tables(c, ctx, &sub_tables, &mut records).await?;
    finish(ctx, fields, &mut records, ctx.now);
    Ok(Some(Value::Object(record)))
}

/// Record `id` as the platform reads it (every lookup, no rows left out), and whether the
/// rows of `reach` admit it: one query for a write's "before" and its reach check.
pub async fn get_reached(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    id: i64,
    reach: Option<&crate::access::Access>,
) -> Result<Option<(Value, bool)>, Error> {
    Ok(many_reached(c, ctx, &[id], reach).await?.remove(&id))
}

/// Records `ids` as [`get_reached`] reads one, in one query (those that exist): what a
/// bulk upsert compares its records with.
pub async fn many_reached(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    ids: &[i64],
    reach: Option<&crate::access::Access>,
) -> Result<HashMap<i64, (Value, bool)>, Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let platform = FormCtx { access: None, ..*ctx };
    let Selection { mut stmt, cols, sub_tables } = build_select(&platform, None, ctx.now)?;
    stmt.and_where(Expr::col((Alias::new(&ctx.map.table), Alias::new("id"))).is_in(ids.iter().copied()));
    let reached = FormCtx { access: reach, ..*ctx };
    let admitted = admitted(&reached, ctx.now)?;
    if let Some(condition) = &admitted {
        stmt.expr(Expr::case(condition.clone(), true).finally(false));
    }
    let selected = cols.iter().filter(|c| !matches!(c, Col::Formula(_))).count();
    let mut records = Vec::new();
    let mut within = HashMap::new();
    for row in c.query_all(&stmt).await? {
        let (record, _) = row_to_json(&platform, &row, &cols, ctx.now)?;
        let id = record.get("id").and_then(Value::as_i64).unwrap_or_default();
        let admits = match admitted {
            Some(_) => row.try_get_by_index::<bool>(selected)?,
            None => true,
        };
        within.insert(id, admits);
        records.push(record);
    }
    let mut by_id: Vec<(i64, &mut Map<String, Value>)> =
        records.iter_mut().map(|r| (r.get("id").and_then(Value::as_i64).unwrap_or(0), r)).collect();
    attach_sub_tables(c, &platform, &sub_tables, &mut by_id).await?;
    finish(&platform, None, &mut by_id, ctx.now);
    Ok(records
        .into_iter()
        .map(|r| {
            let id = r.get("id").and_then(Value::as_i64).unwrap_or(0);
            (id, (Value::Object(r), within.get(&id).copied().unwrap_or(false)))
        })
        .collect())
}

/// A page of records matching `q`.
pub async fn list(c: &impl ConnectionTrait, ctx: &FormCtx<'_>, q: &ListQuery) -> Result<Page, Error> {
    let now = ctx.now;
    // One row more than the page tells whether there is a next page.
    let limit = q.limit + 1;
    let PageReads { cols, sub_tables, count, reads } = page_reads(ctx, q, limit)?;
    let total = match count {
        Some(count) => {
            let row = c.query_one(&count).await?.ok_or_else(|| DbErr::Custom("COUNT returned no row".into()))?;
            Some(u64::try_from(row.try_get_by_index::<i64>(0)?).unwrap_or(0))
        }
        None => None,
    };
    let mut rows = Vec::new();
    for mut read in reads {
        if rows.len() as u64 >= limit {
            break;
        }
        rows.extend(c.query_all(&*read.limit(limit - rows.len() as u64)).await?);
    }
    let has_more = rows.len() as u64 > q.limit;
    let mut records = Vec::with_capacity(rows.len());
    let mut last_sort = Vec::new();
    for row in rows.iter().take(q.limit as usize) {
        let (record, sort_values) = row_to_json(ctx, row, &cols, now)?;
        last_sort = sort_values;
        records.push(record);
    }
    let mut by_id: Vec<(i64, &mut Map<String, Value>)> =
        records.iter_mut().map(|r| (r.get("id").and_then(Value::as_i64).unwrap_or(0), r)).collect();
    attach_sub_tables(c, ctx, &sub_tables, &mut by_id).await?;
    finish(ctx, q.fields.as_deref(), &mut by_id, now);
    let next = has_more.then(|| encode_cursor(&q.sort, &last_sort));
    Ok(Page { items: records.into_iter().map(Value::Object).collect(), next, total })
}

/// Computes the formulas that aggregate sub-table rows, now that the rows are attached, and
/// drops the sub-tables read only for them.
fn finish(
    ctx: &FormCtx<'_>,
    fields: Option<&[String]>,
    records: &mut [(i64, &mut Map<String, Value>)],
    now: DateTime<Utc>,
) {
    let formulas: Vec<&Field> =
        included(ctx, fields).filter(|f| !engine_form::rows_read(ctx.form, f).is_empty()).collect();
    if formulas.is_empty() {
        return;
    }
    // Fields read only for these formulas (inputs, sub-tables) are not returned.
    let unasked: Vec<&str> = match fields {
        Some(wanted) => {
            ctx.form.fields.iter().map(|f| f.key.as_str()).filter(|k| !wanted.iter().any(|w| w == k)).collect()
        }
        None => Vec::new(),
    };
    for (_, record) in records.iter_mut() {
        let values = super::values::field_values(ctx.form, record);
        for field in &formulas {
            let context = engine_form::formula_context(&ctx.app.bundle, now);
            record.insert(field.key.clone(), engine_form::compute_formula(field, &values, &context).to_json());
        }
        for key in &unasked {
            record.remove(*key);
        }
    }
}

/// Fills each record's sub-table fields with its rows, in their stored order.
async fn attach_sub_tables(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    sub_tables: &[String],
    records: &mut [(i64, &mut Map<String, Value>)],
) -> Result<(), Error> {
    if records.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = records.iter().map(|(id, _)| *id).collect();
    for key in sub_tables {
        let Some(FieldType::SubTable { fields }) = ctx.form.field(key).map(|f| &f.kind) else {
            continue;
        };
        let child = ctx.app.table(&ctx.form.key, Some(key))?;
        let table = Alias::new(&child.table);
        let mut stmt = Query::select();
        stmt.from(table.clone()).column(Alias::new("_parent_id"));
        let mut columns = Vec::new();
        for f in fields {
            if let Some((column, storage)) = child.column(&f.key) {
                stmt.column(Alias::new(column));
                columns.push((f.key.clone(), storage.clone()));
            }
        }
        stmt.and_where(Expr::col(Alias::new("_parent_id")).is_in(ids.clone()))
            .order_by(Alias::new("_parent_id"), Order::Asc)
            .order_by(Alias::new("_position"), Order::Asc);
        let mut rows_of: HashMap<i64, Vec<Value>> = HashMap::new();
        for row in c.query_all(&stmt).await? {
            let parent: i64 = row.try_get_by_index(0)?;
            let mut obj = Map::new();
            for (i, (k, storage)) in columns.iter().enumerate() {
                obj.insert(k.clone(), decode(&row, i + 1, storage, ctx.backend)?.to_json());
            }
            rows_of.entry(parent).or_default().push(Value::Object(obj));
        }
        for (id, record) in records.iter_mut() {
            record.insert(key.clone(), Value::Array(rows_of.remove(id).unwrap_or_default()));
        }
    }
    Ok(())
}

/// The values of record `id` as it is now (in `tx`), or `None` if there is none.
pub async fn current_values(
    c: &impl sea_orm::ConnectionTrait,
    ctx: &super::FormCtx<'_>,
    id: i64,
) -> Result<Option<(i64, Vec<(String, engine_form::FieldValue)>)>, Error> {
    let Some(record) = get(c, ctx, id, None).await? else { return Ok(None) };
    Ok(Some(values_of(ctx, &record)))
}

/// A record's version and values, from its JSON as the API returns it.
fn values_of(ctx: &super::FormCtx<'_>, record: &Value) -> (i64, Vec<(String, engine_form::FieldValue)>) {
    let version = record.get("_version").and_then(Value::as_i64).unwrap_or(0);
    (version, record.as_object().map(|r| super::values::field_values(ctx.form, r)).unwrap_or_default())
}
