//! SQL conditions on a form's table, built with sea-query so every value is a bound
//! parameter: list filters, `where` expressions, the rows a role admits, sort keys and the
//! keyset cursor.

use chrono::{DateTime, Utc};
use engine_form::{FieldType, FieldValue, StorageType};
use engine_rule::Type;
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{DbBackend, DbErr};

use super::FormCtx;
use super::query::{Filter, Op, Search, SortKey, Target};
use crate::db::codec::encode;
use crate::error::{BadInputCode, Error};
use crate::expr_sql::{self, FormScope};
use crate::schema::TableMap;

/// The column expression and storage of a filter or sort target.
pub fn target_column(map: &TableMap, target: &Target) -> Result<(SimpleExpr, StorageType), DbErr> {
    let table = Alias::new(&map.table);
    let (column, storage) = match target {
        Target::Id => ("id".to_owned(), StorageType::Integer),
        Target::CreatedAt => ("_created_at".to_owned(), StorageType::DateTime),
        Target::UpdatedAt => ("_updated_at".to_owned(), StorageType::DateTime),
        Target::Field(key) => {
            map.column(key).cloned().ok_or_else(|| DbErr::Custom(format!("field `{key}` has no column")))?
        }
    };
    Ok((Expr::col((table, Alias::new(column))), storage))
}

/// `instr` on SQLite and `strpos` on PostgreSQL: both find a substring, case-sensitively.
fn position(backend: DbBackend, haystack: SimpleExpr, needle: String) -> SimpleExpr {
    let name = if backend == DbBackend::Postgres { "strpos" } else { "instr" };
    Func::cust(Alias::new(name)).arg(haystack).arg(needle).into()
}

/// A search's text in any of its fields, ignoring ASCII case (the text is lower-cased
/// already); no field to look in finds nothing.
pub fn search_condition(map: &TableMap, search: &Search, backend: DbBackend) -> Result<Cond, DbErr> {
    let mut any = Cond::any();
    for key in &search.fields {
        let (col, _) = target_column(map, &Target::Field(key.clone()))?;
        let lowered: SimpleExpr = Func::lower(col).into();
        any = any.add(position(backend, lowered, search.text.clone()).gt(0));
    }
    if search.fields.is_empty() {
        any = any.add(Expr::val(1).eq(0));
    }
    Ok(any)
}

pub fn filter_condition(map: &TableMap, filter: &Filter, backend: DbBackend) -> Result<Cond, DbErr> {
    let (col, storage) = target_column(map, &filter.target)?;
    let value = |v: &FieldValue| encode(v, &storage, backend);
    let first = || filter.values.first().ok_or_else(|| DbErr::Custom("filter without a value".into()));
    let text = |v: &FieldValue| match v {
        FieldValue::Text(s) => s.clone(),
        other => other.to_json().to_string(),
    };
    let expr: SimpleExpr = match filter.op {
        Op::Eq => col.eq(value(first()?)?),
        // A record without a value is "not equal" too: `ne` is the complement of `eq`.
        Op::Ne => {
            return Ok(Cond::any().add(col.clone().is_null()).add(col.ne(value(first()?)?)));
        }
        Op::Lt => col.lt(value(first()?)?),
        Op::Lte => col.lte(value(first()?)?),
        Op::Gt => col.gt(value(first()?)?),
        Op::Gte => col.gte(value(first()?)?),
        Op::In => col.is_in(filter.values.iter().map(value).collect::<Result<Vec<_>, _>>()?),
        Op::Contains => position(backend, col, text(first()?)).gt(0),
        Op::Starts => {
            let prefix = text(first()?);
            // int4 arguments: PostgreSQL has no substr(text, int, bigint).
            let length = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
            Func::cust(Alias::new("substr")).arg(col).arg(1i32).arg(length).eq(prefix)
        }
        // Choices are stored as a JSON array of strings; option values cannot contain a
        // quote, so the quoted value occurs in the text exactly when it is chosen.
        Op::Has => position(backend, col, serde_json::Value::from(text(first()?)).to_string()).gt(0),
        Op::Null => col.is_null(),
        Op::NotNull => col.is_not_null(),
    };
    Ok(Cond::all().add(expr))
}

/// Rows strictly after `after` in the order `sort`, where NULLs sort last in both
/// directions. For keys k1..kn this is OR over i of (k1 = v1 AND … AND k(i-1) = v(i-1)
/// AND ki beyond vi). "Beyond" includes NULL only for a key that can be NULL: a branch
/// `OR id IS NULL` would stop the database seeking the key (SQLite scanned the whole
/// table for a page deep in a list sorted by id). With `first_has_value` the rows read
/// are those whose first key has a value (`read::list` reads those with none apart): its
/// NULL branch is left out and `k1 >= v1` (`<=` descending) added, a range the database
/// seeks in the key's index.
pub fn after_condition(
    columns: &[(SimpleExpr, StorageType)],
    sort: &[SortKey],
    after: &[FieldValue],
    (backend, first_has_value): (DbBackend, bool),
) -> Result<Cond, DbErr> {
    let mut any = Cond::any();
    let mut equal_so_far = Cond::all();
    let mut bound = None;
    for (i, ((key, value), (col, storage))) in sort.iter().zip(after).zip(columns).enumerate() {
        let (col, storage) = (col.clone(), storage.clone());
        let beyond: Option<Cond> = if value.is_null() {
            None
        } else {
            let v = encode(value, &storage, backend)?;
            let strictly = if key.descending { col.clone().lt(v.clone()) } else { col.clone().gt(v.clone()) };
            let has_value = i == 0 && first_has_value;
            if has_value {
                bound = Some(if key.descending { col.clone().lte(v) } else { col.clone().gte(v) });
            }
            Some(if key.target.nullable() && !has_value {
                Cond::any().add(strictly).add(col.clone().is_null())
            } else {
                Cond::all().add(strictly)
            })
        };
        if let Some(beyond) = beyond {
            any = any.add(equal_so_far.clone().add(beyond));
        }
        let equal = if value.is_null() { col.is_null() } else { col.eq(encode(value, &storage, backend)?) };
        equal_so_far = equal_so_far.add(equal);
    }
    Ok(match bound {
        Some(bound) => Cond::all().add(bound).add(any),
        None => any,
    })
}

/// A list's `where` condition as SQL on the form's table.
pub(super) fn compile_condition(
    ctx: &FormCtx<'_>,
    condition: &engine_rule::Expr,
    now: DateTime<Utc>,
) -> Result<Expr, Error> {
    let invalid = |errors| Error::InvalidExpression { param: "where", errors };
    // A signed-in caller's filter may read `$user.…` too.
    let scope = match ctx.access {
        Some(access) => FormScope::for_reader(ctx, access),
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
pub(super) fn sort_column(
    ctx: &FormCtx<'_>,
    target: &Target,
    now: DateTime<Utc>,
) -> Result<(Expr, StorageType), Error> {
    let Target::Field(key) = target else { return Ok(target_column(ctx.map, target)?) };
    let Some(FieldType::Formula { expr, .. }) = ctx.form.field(key).map(|f| &f.kind) else {
        return Ok(target_column(ctx.map, target)?);
    };
    let context = engine_form::formula_context(&ctx.app.bundle, now);
    let (_, compiled) = expr_sql::compile(expr, &FormScope::new(ctx), ctx.backend, &context).map_err(|errors| {
        let why = errors.first().map_or(String::new(), |e| format!(": {}", e.message));
        Error::bad_input(BadInputCode::bad_sort, format!("`{key}` cannot be sorted on in the database{why}"))
    })?;
    let storage = match compiled.repr {
        expr_sql::Repr::Bool => StorageType::Boolean,
        expr_sql::Repr::Int => StorageType::Integer,
        expr_sql::Repr::Dec(scale) => StorageType::Decimal { precision: 28, scale },
        expr_sql::Repr::Date => StorageType::Date,
        expr_sql::Repr::DateTime => StorageType::DateTime,
        expr_sql::Repr::Text | expr_sql::Repr::Null => StorageType::Text,
        expr_sql::Repr::Choices => {
            return Err(Error::bad_input(
                BadInputCode::bad_sort,
                format!("`{key}` is a list; lists cannot be sorted on"),
            ));
        }
    };
    Ok((compiled.expr, storage))
}
