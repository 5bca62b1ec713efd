//! Previewing an expression on stored records: the designer sees what a formula or a
//! condition gives on real data, computed by the database exactly as list filters, row
//! rules and scheduled scans compute it, within the caller's rows and reading only what
//! they see in clear.

use engine_rule::Value as ExprValue;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::FormCtx;
use super::values::expr_json;
use crate::access::reach;
use crate::auth::Principal;
use crate::core::Core;
use crate::error::{BadInputCode, Error, ForbiddenCode};
use crate::expr_sql::{self, FormScope};

const MAX_PREVIEW: u64 = 1000;

/// An expression to compute for stored records, in id order.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "expression": "outflow_today > aum * 0.3", "limit": 20 }))]
pub struct EvaluateRequest {
    pub expression: String,
    /// Records with a greater id only: the `next` of the previous page.
    #[serde(default)]
    pub after: i64,
    /// At most this many records, 1 to 1000; 100 by default.
    pub limit: Option<u64>,
    /// The instant `now()` and `today_in(zone)` read, in RFC 3339; the current time by
    /// default. Lets a designer ask what a condition will say on a given day.
    pub now: Option<String>,
}

/// `request`'s expression computed for the records of `form` in app `app` that
/// `principal` may read, in id order: its type, each record's value and the next page's
/// `after`.
pub async fn preview(
    core: &Core,
    principal: &Principal,
    (app, form): (&str, &str),
    request: &EvaluateRequest,
) -> Result<Value, Error> {
    let limit = request.limit.unwrap_or(100);
    if !(1..=MAX_PREVIEW).contains(&limit) {
        return Err(Error::bad_input(BadInputCode::bad_limit, format!("`limit` must be between 1 and {MAX_PREVIEW}")));
    }
    let invalid = |errors| Error::InvalidExpression { param: "expression", errors };
    let expr = expr_sql::parse(&request.expression).map_err(invalid)?;
    let now = match &request.now {
        None => core.clock.now(),
        Some(text) => engine_form::parse_instant(text).ok_or_else(|| {
            Error::bad_input(BadInputCode::bad_now, format!("`now` is not an RFC 3339 date-time: `{text}`"))
        })?,
    };
    let published = core.catalog.published(&core.db.conn, app).await?;
    let mut ctx = FormCtx::new(&published, form, core.db.backend(), now)?;
    // A preview reads stored records like a list does: within the caller's rows, and only
    // what they see in clear.
    let access = reach::for_operation(&core.db.conn, &ctx, principal, "read").await?;
    let mut paths = Vec::new();
    crate::records::query::paths_in(&ctx.app.bundle, ctx.form, &expr, &mut paths);
    access
        .check_readable(&ctx.app.bundle, ctx.form, &paths)
        .map_err(|detail| Error::Forbidden { code: ForbiddenCode::not_readable, detail })?;
    ctx.access = Some(&access);
    let (ty, compiled) = compiled_for_reader(&ctx, &access, &expr, now).map_err(invalid)?;
    let id = Expr::col((Alias::new(&ctx.map.table), Alias::new("id")));
    let mut stmt = Query::select();
    stmt.expr(id.clone())
        .expr(compiled.expr.clone())
        .from(Alias::new(&ctx.map.table))
        .and_where(id.clone().gt(request.after))
        .order_by_expr(id, Order::Asc)
        .limit(limit + 1);
    if let Some(rows) = crate::expr_sql::admitted(&ctx, now)? {
        stmt.and_where(rows);
    }
    let rows = core.db.conn.query_all(&stmt).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows.iter().take(limit as usize) {
        let id: i64 = row.try_get_by_index(0)?;
        let value = decoded(row, 1, &ty, &compiled, ctx.backend)?;
        items.push(json!({ "id": id, "value": expr_json(&value) }));
    }
    let next = (rows.len() as u64 > limit).then(|| items.last().map(|i| i["id"].clone())).flatten();
    Ok(json!({ "type": ty.to_string(), "items": items, "next": next }))
}

/// `expr` compiled for the database as `access` reads: aggregates over the related records
/// the reader's rows admit. `parse` refused `today()`, so the context's date is never read.
fn compiled_for_reader(
    ctx: &FormCtx<'_>,
    access: &crate::access::Access,
    expr: &engine_rule::Expr,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(engine_rule::Type, expr_sql::Compiled), Vec<engine_rule::ExprError>> {
    let context = engine_form::formula_context(&ctx.app.bundle, now);
    let scope = FormScope::for_reader(ctx, access);
    expr_sql::compile(expr, &scope, ctx.backend, &context)
}

/// A computed value read back, a whole number where the type is decimal (`if(c, 7, 2.5)`).
fn decoded(
    row: &sea_orm::QueryResult,
    index: usize,
    ty: &engine_rule::Type,
    compiled: &expr_sql::Compiled,
    backend: sea_orm::DbBackend,
) -> Result<ExprValue, Error> {
    Ok(match expr_sql::decode(row, index, compiled.repr, backend)? {
        ExprValue::Integer(i) if *ty == engine_rule::Type::Decimal => ExprValue::Decimal(i.into()),
        value => value,
    })
}

/// A figure of a record as its reader gets it.
#[derive(Debug, Clone, PartialEq)]
pub enum Figure {
    Value(Value),
    /// It reads what the reader sees masked or hidden.
    Unreadable,
    /// Its value is past what the database computes exactly (on SQLite, more than 64 bits
    /// of minor units): said in its own card, the rest of the page still shown.
    Overflow,
}

/// Each of `exprs` computed by the database for record `id`, as `access` reads (`ctx` has
/// it). The record must be within the reader's rows (the caller checked). All in one
/// statement; if one overflows, each again in its own, so only that one says so.
pub async fn values_for_record(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    access: &crate::access::Access,
    id: i64,
    exprs: &[&engine_rule::Expr],
) -> Result<Vec<Figure>, Error> {
    let mut compiled = Vec::new();
    for expr in exprs {
        let mut paths = Vec::new();
        crate::records::query::paths_in(&ctx.app.bundle, ctx.form, expr, &mut paths);
        let readable = access.check_readable(&ctx.app.bundle, ctx.form, &paths).is_ok();
        compiled.push(if readable { compiled_for_reader(ctx, access, expr, ctx.now).ok() } else { None });
    }
    match figures(c, ctx, id, &compiled).await {
        Err(Error::Overflow(_)) => {}
        answer => return answer,
    }
    let mut out = Vec::with_capacity(compiled.len());
    for one in compiled {
        out.push(match figures(c, ctx, id, std::slice::from_ref(&one)).await {
            Ok(mut value) => value.pop().unwrap_or(Figure::Unreadable),
            Err(Error::Overflow(_)) => Figure::Overflow,
            Err(e) => return Err(e),
        });
    }
    Ok(out)
}

type Compiled = Option<(engine_rule::Type, expr_sql::Compiled)>;

/// The compiled figures of record `id`, read in one statement.
async fn figures(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    id: i64,
    compiled: &[Compiled],
) -> Result<Vec<Figure>, Error> {
    let table = Alias::new(&ctx.map.table);
    let mut stmt = Query::select();
    stmt.expr(Expr::col((table.clone(), Alias::new("id"))))
        .from(table.clone())
        .and_where(Expr::col((table, Alias::new("id"))).eq(id));
    for (_, c) in compiled.iter().flatten() {
        stmt.expr(c.expr.clone());
    }
    let Some(row) = c.query_one(&stmt).await? else { return Ok(vec![Figure::Unreadable; compiled.len()]) };
    let mut index = 1;
    let mut out = Vec::with_capacity(compiled.len());
    for one in compiled {
        out.push(match one {
            None => Figure::Unreadable,
            Some((ty, c)) => {
                let value = decoded(&row, index, ty, c, ctx.backend)?;
                index += 1;
                Figure::Value(expr_json(&value))
            }
        });
    }
    Ok(out)
}
