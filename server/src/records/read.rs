//! Reading records: one by id, or a filtered, sorted page with a stable cursor. Related
//! records' lookup fields come in one query through LEFT JOINs; sub-table rows in one
//! more query per sub-table for the whole page.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use engine_form::{Field, FieldType, FieldValue, StorageType};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, NullOrdering, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use serde_json::{Map, Value};

use super::FormCtx;
use super::codec::decode;
use super::query::{ListQuery, Target, encode_cursor};
use super::sql::{after_condition, filter_condition, target_column};
use crate::error::Error;
use crate::expr_sql::{self, FormScope};
use engine_rule::Type;

/// What each selected column is, in select order.
enum Col {
    System(&'static str, StorageType),
    /// A field's own column; `lookup` when its related record's fields follow as `Lookup`s.
    Field {
        key: String,
        storage: StorageType,
        lookup: bool,
    },
    /// The related record's id: null when the caller may not see it, or there is none.
    Reached(String),
    Lookup {
        relation: String,
        field: String,
        storage: StorageType,
    },
    Sort(StorageType),
    /// A field a formula reads that the caller did not ask for: read, not returned.
    Input(String, StorageType),
    /// A formula field: no column; computed from the fields read.
    Formula(String),
}

/// A page of records.
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
    pub total: Option<u64>,
}

fn included<'f>(ctx: &'f FormCtx<'_>, fields: Option<&[String]>) -> impl Iterator<Item = &'f Field> {
    let wanted: Option<Vec<String>> = fields.map(<[String]>::to_vec);
    ctx.form.fields.iter().filter(move |f| wanted.as_ref().is_none_or(|w| w.contains(&f.key)))
}

/// The system columns every record has, in the order reads select them.
const SYSTEM_COLUMNS: [(&str, StorageType); 4] = [
    ("id", StorageType::Integer),
    ("_version", StorageType::Integer),
    ("_created_at", StorageType::DateTime),
    ("_updated_at", StorageType::DateTime),
];

/// A record as its own row holds it: what a write returns with `RETURNING`, so the row
/// is not read back. Its sub-table rows are read from their own tables; its relations'
/// lookup fields (other records' values) are not part of it.
pub struct OwnRow {
    /// The columns to return, `id` first.
    pub columns: Vec<Alias>,
    cols: Vec<Col>,
    sub_tables: Vec<String>,
}

impl OwnRow {
    pub fn of(ctx: &FormCtx<'_>) -> OwnRow {
        let mut row = OwnRow { columns: Vec::new(), cols: Vec::new(), sub_tables: Vec::new() };
        for (name, storage) in SYSTEM_COLUMNS {
            row.columns.push(Alias::new(name));
            row.cols.push(Col::System(name, storage));
        }
        for field in &ctx.form.fields {
            match field.kind {
                FieldType::Formula { .. } => row.cols.push(Col::Formula(field.key.clone())),
                FieldType::SubTable { .. } => row.sub_tables.push(field.key.clone()),
                _ => {
                    if let Some((column, storage)) = ctx.map.column(&field.key) {
                        row.columns.push(Alias::new(column));
                        row.cols.push(Col::Field { key: field.key.clone(), storage: storage.clone(), lookup: false });
                    }
                }
            }
        }
        row
    }
}

/// The record a write just stored, from the row it returned (`OwnRow::columns`) and its
/// sub-table rows; formulas computed.
pub async fn written(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    own: &OwnRow,
    row: &QueryResult,
) -> Result<Value, Error> {
    let (mut record, _) = row_to_json(ctx, row, &own.cols, ctx.now)?;
    let id = record.get("id").and_then(Value::as_i64).unwrap_or_default();
    let mut records = vec![(id, &mut record)];
    attach_sub_tables(c, ctx, &own.sub_tables, &mut records).await?;
    finish(ctx, None, &mut records, ctx.now);
    Ok(Value::Object(record))
}

/// Whether reading the form's records joins other records (relation lookups).
pub fn shows_lookups(ctx: &FormCtx<'_>) -> bool {
    ctx.form.fields.iter().any(|f| lookups_of(ctx, &f.key))
}

fn build_select(
    ctx: &FormCtx<'_>,
    fields: Option<&[String]>,
    now: DateTime<Utc>,
) -> Result<(SelectStatement, Vec<Col>, Vec<String>), Error> {
    let table = Alias::new(&ctx.map.table);
    let mut stmt = Query::select();
    stmt.from(table.clone());
    let mut cols = Vec::new();
    for (name, storage) in SYSTEM_COLUMNS {
        stmt.column((table.clone(), Alias::new(name)));
        cols.push(Col::System(name, storage));
    }
    let mut sub_tables = Vec::new();
    // Sub-tables that formulas aggregate are read with the record, asked for or not.
    for field in included(ctx, fields) {
        for key in engine_form::rows_read(ctx.form, field) {
            if !sub_tables.iter().any(|k| k == key) {
                sub_tables.push(key.to_owned());
            }
        }
    }
    for (n, field) in included(ctx, fields).enumerate() {
        if let FieldType::SubTable { .. } = field.kind {
            if !sub_tables.contains(&field.key) {
                sub_tables.push(field.key.clone());
            }
            continue;
        }
        if let FieldType::Formula { .. } = field.kind {
            cols.push(Col::Formula(field.key.clone()));
            continue;
        }
        let Some((column, storage)) = ctx.map.column(&field.key) else {
            continue;
        };
        stmt.column((table.clone(), Alias::new(column)));
        // The caller's access to the related form: lookups show only records it admits.
        let related = match &field.kind {
            FieldType::Relation { form: target, .. } => ctx.access.and_then(|a| a.to_form(target)),
            _ => None,
        };
        let shown = lookups_of(ctx, &field.key) && related.is_none_or(|a| a.allows("read"));
        cols.push(Col::Field { key: field.key.clone(), storage: storage.clone(), lookup: shown });
        if let FieldType::Relation { form: target, lookup } = &field.kind
            && shown
        {
            let target_map = ctx.app.table(target, None)?;
            let alias = Alias::new(format!("l{n}"));
            let on = Expr::col((alias.clone(), Alias::new("id"))).equals((table.clone(), Alias::new(column)));
            let target_ctx = FormCtx { form: ctx.app.form(target)?, map: target_map, access: related, ..*ctx };
            match admitted(&target_ctx, now)? {
                // The related records the caller may see, as a derived table.
                Some(condition) => {
                    let mut admitted_rows = Query::select();
                    admitted_rows
                        .column(sea_orm::sea_query::Asterisk)
                        .from(Alias::new(&target_map.table))
                        .and_where(condition);
                    stmt.join_subquery(JoinType::LeftJoin, admitted_rows, alias.clone(), on);
                }
                None => {
                    stmt.join_as(JoinType::LeftJoin, Alias::new(&target_map.table), alias.clone(), on);
                }
            }
            stmt.column((alias.clone(), Alias::new("id")));
            cols.push(Col::Reached(field.key.clone()));
            for key in lookup {
                if let Some((lcol, lstorage)) = target_map.column(key) {
                    stmt.column((alias.clone(), Alias::new(lcol)));
                    cols.push(Col::Lookup {
                        relation: field.key.clone(),
                        field: key.clone(),
                        storage: lstorage.clone(),
                    });
                }
            }
        }
    }
    // Formulas read the record's other fields, asked for or not.
    if cols.iter().any(|c| matches!(c, Col::Formula(_))) {
        for field in &ctx.form.fields {
            let asked = cols.iter().any(|c| matches!(c, Col::Field { key, .. } if key == &field.key));
            if let (false, Some((column, storage))) = (asked, ctx.map.column(&field.key)) {
                stmt.column((table.clone(), Alias::new(column)));
                cols.push(Col::Input(field.key.clone(), storage.clone()));
            }
        }
    }
    Ok((stmt, cols, sub_tables))
}

fn row_to_json(
    ctx: &FormCtx<'_>,
    row: &QueryResult,
    cols: &[Col],
    now: DateTime<Utc>,
) -> Result<(Map<String, Value>, Vec<FieldValue>), DbErr> {
    // Field values are kept for formulas only when there are formulas to compute.
    let with_formulas = cols.iter().any(|c| matches!(c, Col::Formula(_)));
    let deferred = cols.iter().any(|c| {
        matches!(c, Col::Formula(key) if ctx.form.field(key).is_some_and(|f| !engine_form::rows_read(ctx.form, f).is_empty()))
    });
    let mut record = Map::new();
    let mut lookups: Map<String, Value> = Map::new();
    let mut sort_values = Vec::new();
    let mut stored: Vec<(String, FieldValue)> = Vec::new();
    let mut formulas = Vec::new();
    let mut i = 0;
    for col in cols {
        if let Col::Formula(key) = col {
            // A placeholder keeps the formula's place among the fields until it is computed.
            record.insert(key.clone(), Value::Null);
            formulas.push(key);
            continue;
        }
        match col {
            Col::System(name, storage) => {
                record.insert((*name).into(), decode(row, i, storage, ctx.backend)?.to_json());
            }
            Col::Field { key, storage, lookup } => {
                let value = decode(row, i, storage, ctx.backend)?;
                if *lookup {
                    lookups.insert(key.clone(), if value.is_null() { Value::Null } else { Value::Object(Map::new()) });
                }
                record.insert(key.clone(), value.to_json());
                if with_formulas {
                    stored.push((key.clone(), value));
                }
            }
            Col::Input(key, storage) => {
                let value = decode(row, i, storage, ctx.backend)?;
                if deferred {
                    // Kept for `finish`, which computes the formulas over rows and drops it.
                    record.insert(key.clone(), value.to_json());
                }
                stored.push((key.clone(), value));
            }
            Col::Reached(relation) => {
                if decode(row, i, &StorageType::Integer, ctx.backend)?.is_null() {
                    lookups.insert(relation.clone(), Value::Null);
                }
            }
            Col::Lookup { relation, field, storage } => {
                let value = decode(row, i, storage, ctx.backend)?.to_json();
                if let Some(Value::Object(obj)) = lookups.get_mut(relation) {
                    obj.insert(field.clone(), value);
                }
            }
            Col::Sort(storage) => sort_values.push(decode(row, i, storage, ctx.backend)?),
            Col::Formula(_) => {}
        }
        i += 1;
    }
    for key in formulas {
        // Formulas over sub-table rows wait for the rows (`finish`).
        if let Some(field) = ctx.form.field(key).filter(|f| engine_form::rows_read(ctx.form, f).is_empty()) {
            let context = engine_form::formula_context(&ctx.app.bundle, now);
            record.insert(key.clone(), engine_form::compute_formula(field, &stored, &context).to_json());
        }
    }
    if !lookups.is_empty() {
        record.insert("_lookup".into(), Value::Object(lookups));
    }
    Ok((record, sort_values))
}

fn lookups_of(ctx: &FormCtx<'_>, key: &str) -> bool {
    matches!(ctx.form.field(key).map(|f| &f.kind), Some(FieldType::Relation { lookup, .. }) if !lookup.is_empty())
}

/// The records the caller's access admits, as SQL on the form's table; `None` for all.
pub(crate) fn admitted(ctx: &FormCtx<'_>, now: DateTime<Utc>) -> Result<Option<Expr>, Error> {
    let Some(access) = ctx.access else { return Ok(None) };
    let Some(conditions) = &access.rows else { return Ok(None) };
    let scope = FormScope::for_user(ctx, &access.user);
    let context = engine_form::formula_context(&ctx.app.bundle, now);
    let mut any = sea_orm::sea_query::Cond::any();
    for condition in conditions {
        let (_, compiled) = expr_sql::compile(condition, &scope, ctx.backend, &context)
            .map_err(|e| Error::Internal(anyhow::anyhow!("a role's rows do not compile: {e:?}")))?;
        any = any.add(compiled.expr);
    }
    // No condition at all admits nothing.
    Ok(Some(if conditions.is_empty() { Expr::val(false).eq(true) } else { Expr::expr(any) }))
}

/// A list's `where` condition as SQL on the form's table.
fn compile_condition(ctx: &FormCtx<'_>, condition: &engine_rule::Expr, now: DateTime<Utc>) -> Result<Expr, Error> {
    let invalid = |errors| Error::InvalidExpression { param: "where", errors };
    // A signed-in caller's filter may read `$user.…` too.
    let scope = match ctx.access {
        Some(access) => FormScope::for_user(ctx, &access.user),
        None => FormScope::new(ctx),
    };
    // `today()` was refused when the query was parsed, so this date is never read.
    let context = engine_form::formula_context(&ctx.app.bundle, now);
    let (ty, compiled) = expr_sql::compile(condition, &scope, ctx.backend, &context).map_err(invalid)?;
    if !matches!(ty, Type::Bool | Type::Null | Type::Any) {
        return Err(invalid(vec![engine_rule::ExprError::new(
            engine_rule::ExprErrorKind::TypeMismatch,
            condition.span,
            "`where` must be a condition: true or false",
        )]));
    }
    Ok(compiled.expr)
}

/// What a list sorts on: a column, or a formula compiled into the SQL.
fn sort_column(ctx: &FormCtx<'_>, target: &Target, now: DateTime<Utc>) -> Result<(Expr, StorageType), Error> {
    let Target::Field(key) = target else { return Ok(target_column(ctx.map, target)?) };
    let Some(FieldType::Formula { expr, .. }) = ctx.form.field(key).map(|f| &f.kind) else {
        return Ok(target_column(ctx.map, target)?);
    };
    let context = engine_form::formula_context(&ctx.app.bundle, now);
    let (_, compiled) = expr_sql::compile(expr, &FormScope::new(ctx), ctx.backend, &context).map_err(|errors| {
        let why = errors.first().map_or(String::new(), |e| format!(": {}", e.message));
        Error::bad_input("bad_sort", format!("`{key}` cannot be sorted on in the database{why}"))
    })?;
    let storage = match compiled.repr {
        expr_sql::Repr::Bool => StorageType::Boolean,
        expr_sql::Repr::Int => StorageType::Integer,
        expr_sql::Repr::Dec(scale) => StorageType::Decimal { precision: 28, scale },
        expr_sql::Repr::Date => StorageType::Date,
        expr_sql::Repr::DateTime => StorageType::DateTime,
        expr_sql::Repr::Text | expr_sql::Repr::Null => StorageType::Text,
        expr_sql::Repr::Choices => {
            return Err(Error::bad_input("bad_sort", format!("`{key}` is a list; lists cannot be sorted on")));
        }
    };
    Ok((compiled.expr, storage))
}

/// One record by id, or `None`.
pub async fn get(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    id: i64,
    fields: Option<&[String]>,
) -> Result<Option<Value>, Error> {
    let (mut stmt, cols, sub_tables) = build_select(ctx, fields, ctx.now)?;
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
    let platform = FormCtx { access: None, ..*ctx };
    let (mut stmt, cols, sub_tables) = build_select(&platform, None, ctx.now)?;
    stmt.and_where(Expr::col((Alias::new(&ctx.map.table), Alias::new("id"))).eq(id));
    let reached = FormCtx { access: reach, ..*ctx };
    let admitted = admitted(&reached, ctx.now)?;
    if let Some(condition) = &admitted {
        stmt.expr(Expr::case(condition.clone(), true).finally(false));
    }
    let Some(row) = c.query_one(&stmt).await? else {
        return Ok(None);
    };
    let selected = cols.iter().filter(|c| !matches!(c, Col::Formula(_))).count();
    let within = match admitted {
        Some(_) => row.try_get_by_index::<bool>(selected)?,
        None => true,
    };
    let (mut record, _) = row_to_json(&platform, &row, &cols, ctx.now)?;
    let mut records = vec![(id, &mut record)];
    attach_sub_tables(c, &platform, &sub_tables, &mut records).await?;
    finish(&platform, None, &mut records, ctx.now);
    Ok(Some((Value::Object(record), within)))
}

/// A page of records matching `q`.
pub async fn list(c: &impl ConnectionTrait, ctx: &FormCtx<'_>, q: &ListQuery) -> Result<Page, Error> {
    let now = ctx.now;
    let (mut stmt, mut cols, sub_tables) = build_select(ctx, q.fields.as_deref(), now)?;
    let mut where_all = sea_orm::sea_query::Cond::all();
    for filter in &q.filters {
        where_all = where_all.add(filter_condition(ctx.map, filter, ctx.backend)?);
    }
    if let Some(condition) = &q.condition {
        where_all = where_all.add(compile_condition(ctx, condition, now)?);
    }
    if let Some(admitted) = admitted(ctx, now)? {
        where_all = where_all.add(admitted);
    }
    let total = if q.count {
        let count = Query::select()
            .expr(Expr::col(sea_orm::sea_query::Asterisk).count())
            .from(Alias::new(&ctx.map.table))
            .cond_where(where_all.clone())
            .to_owned();
        let row = c.query_one(&count).await?.ok_or_else(|| DbErr::Custom("COUNT returned no row".into()))?;
        Some(u64::try_from(row.try_get_by_index::<i64>(0)?).unwrap_or(0))
    } else {
        None
    };
    let sort_columns: Vec<(Expr, StorageType)> =
        q.sort.iter().map(|key| sort_column(ctx, &key.target, now)).collect::<Result<_, _>>()?;
    if let Some(after) = &q.after {
        where_all = where_all.add(after_condition(&sort_columns, &q.sort, after, ctx.backend)?);
    }
    stmt.cond_where(where_all);
    for (key, (col, storage)) in q.sort.iter().zip(sort_columns) {
        stmt.expr(col.clone());
        cols.push(Col::Sort(storage));
        let order = if key.descending { Order::Desc } else { Order::Asc };
        if key.target == Target::Id {
            stmt.order_by_expr(col, order);
        } else {
            stmt.order_by_expr_with_nulls(col, order, NullOrdering::Last);
        }
    }
    // One row more than the page tells whether there is a next page.
    stmt.limit(q.limit + 1);
    let rows = c.query_all(&stmt).await?;
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
