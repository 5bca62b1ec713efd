//! Aggregates in SQL: a scalar subquery over the collection's rows,
//! `(SELECT SUM(value) FROM table AS rows WHERE rows.link = id AND condition)`, computing
//! what `AggregateCall::evaluate` computes: rows whose condition is not true are left
//! out, `SUM`, `MIN`, `MAX`, `COUNT(value)` skip nulls; `count` and `sum` of nothing are 0.

use engine_rule::{Aggregate, AggregateCall, ExprError, Span};
use sea_orm::sea_query::{Alias, Expr as Sql, Query};

use super::scope::{ROWS, RowsSql};
use super::{Compiled, Compiler, Repr, not_in_database, numeric};

pub(super) fn aggregate(
    outer: &Compiler,
    call: AggregateCall<'_>,
    rows: RowsSql<'_>,
    span: Span,
) -> Result<Compiled, ExprError> {
    let mut inner = Compiler { backend: outer.backend, ctx: outer.ctx, scope: &*rows.scope, nesting: outer.nesting };
    let condition = match call.condition {
        Some(e) => {
            let c = inner.expr(e)?;
            Some(inner.settle(c))
        }
        None => None,
    };
    let value = match call.value {
        Some(e) => {
            let v = inner.expr(e)?;
            Some(inner.settle(v))
        }
        None => None,
    };
    let c = &inner;
    let pg = c.pg();
    let leaf = |template: &'static str, v: &Compiled, repr: Repr| c.derive(template, &[v], repr, 19);
    let result = match (call.func, value) {
        (Aggregate::Count, _) => {
            Compiled { expr: Sql::cust("COUNT(*)"), repr: Repr::Int, digits: 19, unsettled: false, weight: 1 }
        }
        (_, None) => unreachable!("checked: only count has no value"),
        // A value that is always null: a sum of nothing, and no type to give the others.
        (Aggregate::Sum, Some(v)) if v.repr == Repr::Null => {
            return outer.constant(&engine_rule::Value::Integer(0), span);
        }
        (_, Some(v)) if v.repr == Repr::Null => {
            return Err(not_in_database(span, "the value aggregated is always null"));
        }
        (Aggregate::Sum, Some(v)) => match (v.repr, pg) {
            (Repr::Int, true) => leaf("CAST(COALESCE(SUM({}), 0) AS bigint)", &v, Repr::Int),
            (repr, _) => leaf("COALESCE(SUM({}), 0)", &v, repr),
        },
        (Aggregate::Avg, Some(v)) => {
            let sum = leaf("SUM({})", &v, v.repr);
            let count = leaf("COUNT({})", &v, Repr::Int);
            numeric::divide(c, sum, count)
        }
        (Aggregate::Min | Aggregate::Max, Some(v)) => {
            let text_order = pg && v.repr == Repr::Text;
            let template = match (call.func, text_order) {
                (Aggregate::Min, false) => "MIN({})",
                (Aggregate::Min, true) => "MIN({} COLLATE \"C\")",
                (_, false) => "MAX({})",
                (_, true) => "MAX({} COLLATE \"C\")",
            };
            let mut m = leaf(template, &v, v.repr);
            m.digits = v.digits;
            m
        }
    };
    if result.repr == Repr::Choices {
        return Err(not_in_database(span, "lists cannot be aggregated in the database"));
    }
    let result = c.settle(result);
    let mut select = Query::select();
    select.expr(result.expr.clone()).from_as(Alias::new(&rows.table), Alias::new(ROWS)).and_where(rows.link);
    if let Some(condition) = &condition {
        select.and_where(condition.expr.clone());
    }
    let weight = result.weight + condition.map_or(0, |c| c.weight);
    Ok(Compiled {
        expr: Sql::SubQuery(None, Box::new(select.into())),
        repr: result.repr,
        digits: result.digits,
        unsettled: false,
        weight,
    })
}
