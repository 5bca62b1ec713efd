//! The statements that read a page of a list: the caller's filters, `where`, search and
//! rows, the sort keys selected for the cursor, and the order.
//!
//! A field's column may hold NULL, and NULLs sort last in both directions. One condition
//! `k > v OR k IS NULL` and an order `NULLS LAST` would stop either database walking the
//! key's index: a page deep in the list would cost a scan and a sort of all that is left.
//! So when the first sort key is a field's, a page is read in two parts: the rows whose
//! first key has a value, bounded by `k >= v` and in the index's own order; then, only if
//! they do not fill the page, the rows with none, in the order of the other keys.

use engine_form::{FieldValue, StorageType};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, NullOrdering, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend};

use super::FormCtx;
use super::columns::{Col, Selection, build_select};
use super::query::ListQuery;
use super::sql::{after_condition, compile_condition, filter_condition, search_condition, sort_column};
use crate::error::Error;
use crate::expr_sql::admitted;

/// How a page is read.
pub(super) struct PageReads {
    /// What each row holds, in the order selected (the sort keys last).
    pub cols: Vec<Col>,
    pub sub_tables: Vec<String>,
    /// The count of every matching row, when asked for.
    pub count: Option<SelectStatement>,
    /// Read in turn, each only while the page is not full, with the limit left.
    pub reads: Vec<SelectStatement>,
}

/// The statements that read at most `limit` rows of the page `q` asks for.
pub(super) fn page_reads(ctx: &FormCtx<'_>, q: &ListQuery, limit: u64) -> Result<PageReads, Error> {
    let now = ctx.now;
    let Selection { mut stmt, mut cols, sub_tables } = build_select(ctx, q.fields.as_deref(), now)?;
    let where_all = matching(ctx, q)?;
    let count = q.count.then(|| {
        Query::select()
            .expr(Expr::col(sea_orm::sea_query::Asterisk).count())
            .from(Alias::new(&ctx.map.table))
            .cond_where(where_all.clone())
            .to_owned()
    });
    let columns: Vec<(Expr, StorageType)> =
        q.sort.iter().map(|key| sort_column(ctx, &key.target, now)).collect::<Result<_, _>>()?;
    for (col, storage) in &columns {
        stmt.expr(col.clone());
        cols.push(Col::Sort(storage.clone()));
    }
    stmt.cond_where(where_all);
    stmt.limit(limit);
    let reads = ordered(ctx.backend, stmt, (q, &columns))?;
    Ok(PageReads { cols, sub_tables, count, reads })
}

/// The rows `q` asks for: its filters, `where` and search, within the rows the viewer's
/// roles admit.
pub(super) fn matching(ctx: &FormCtx<'_>, q: &ListQuery) -> Result<Cond, Error> {
    let mut where_all = Cond::all();
    for filter in &q.filters {
        where_all = where_all.add(filter_condition(ctx.map, filter, ctx.backend)?);
    }
    if let Some(condition) = &q.condition {
        where_all = where_all.add(compile_condition(ctx, condition, ctx.now)?);
    }
    if let Some(search) = &q.search {
        where_all = where_all.add(search_condition(ctx.map, search, ctx.backend)?);
    }
    if let Some(admitted) = admitted(ctx, ctx.now)? {
        where_all = where_all.add(admitted);
    }
    Ok(where_all)
}

/// `stmt` after the cursor in the list's order: one statement, or two when the first
/// sort key is a field's (see the module's text).
fn ordered(
    backend: DbBackend,
    stmt: SelectStatement,
    (q, columns): (&ListQuery, &[(Expr, StorageType)]),
) -> Result<Vec<SelectStatement>, Error> {
    // From key `from` on; with `first_has_value`, the first key's order is the index's own.
    let order = |stmt: &mut SelectStatement, from: usize, first_has_value: bool| {
        for (i, (key, (col, _))) in q.sort.iter().zip(columns).enumerate().skip(from) {
            let order = if key.descending { Order::Desc } else { Order::Asc };
            if key.target.nullable() && !(i == 0 && first_has_value) {
                stmt.order_by_expr_with_nulls(col.clone(), order, NullOrdering::Last);
            } else {
                stmt.order_by_expr(col.clone(), order);
            }
        }
    };
    let after = |has_value: bool| match &q.after {
        Some(after) => after_condition(columns, &q.sort, after, (backend, has_value)).map(Some),
        None => Ok(None),
    };
    let first = match (q.sort.first(), columns.first()) {
        (Some(key), Some((col, _))) if key.target.nullable() => col.clone(),
        _ => {
            let mut stmt = stmt;
            if let Some(after) = after(false)? {
                stmt.cond_where(after);
            }
            order(&mut stmt, 0, false);
            return Ok(vec![stmt]);
        }
    };
    let mut reads = Vec::new();
    // A cursor whose first key has no value is past every row that has one.
    let past_values = q.after.as_ref().is_some_and(|after| after.first().is_some_and(FieldValue::is_null));
    if !past_values {
        let mut with_value = stmt.clone();
        with_value.and_where(first.clone().is_not_null());
        if let Some(after) = after(true)? {
            with_value.cond_where(after);
        }
        order(&mut with_value, 0, true);
        reads.push(with_value);
    }
    let mut without = stmt;
    without.and_where(first.is_null());
    if past_values && let Some(after) = after(false)? {
        without.cond_where(after);
    }
    order(&mut without, 1, false);
    reads.push(without);
    Ok(reads)
}

/// How the database means to read the page `q` asks for: the plan of each statement
/// (SQLite's `EXPLAIN QUERY PLAN`, PostgreSQL's `EXPLAIN`), one line a step. For tests and
/// benchmarks that hold the reads to the plan they are written for.
pub async fn plans(c: &impl ConnectionTrait, ctx: &FormCtx<'_>, q: &ListQuery) -> Result<Vec<String>, Error> {
    let PageReads { reads, .. } = page_reads(ctx, q, q.limit + 1)?;
    let mut plans = Vec::new();
    for read in reads {
        let (sql, values) = match ctx.backend {
            DbBackend::Postgres => read.build(sea_orm::sea_query::PostgresQueryBuilder),
            _ => read.build(sea_orm::sea_query::SqliteQueryBuilder),
        };
        let explain = match ctx.backend {
            DbBackend::Postgres => format!("EXPLAIN {sql}"),
            _ => format!("EXPLAIN QUERY PLAN {sql}"),
        };
        let statement = sea_orm::Statement::from_sql_and_values(ctx.backend, explain, values);
        let column = if ctx.backend == DbBackend::Postgres { "QUERY PLAN" } else { "detail" };
        let lines: Vec<String> = c
            .query_all_raw(statement)
            .await?
            .iter()
            .map(|row| row.try_get::<String>("", column))
            .collect::<Result<_, _>>()?;
        plans.push(lines.join("\n"));
    }
    Ok(plans)
}
