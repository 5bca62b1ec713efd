//! Expressions of the platform language compiled to SQL for SQLite and PostgreSQL, so list
//! filters, row rules and scheduled scans run inside the database and use its indexes.
//!
//! The compiled SQL computes exactly what `engine_rule::evaluate` computes (a differential
//! test checks it on random expressions). Everything is a sea-query expression: values are
//! bound parameters, and the only SQL text is fixed templates (`template`).
//!
//! Exact decimals: PostgreSQL computes with NUMERIC. SQLite stores a decimal as an integer
//! of minor units, so the compiler tracks the scale of every decimal value and an upper
//! bound on its digits. SQLite turns an integer overflow into a float without a word;
//! wherever a value might exceed 64 bits, `settle` makes the query fail with "integer
//! overflow" instead, so the database never answers with an inexact number.
//!
//! Parts that have no field in them are computed here, by the evaluator itself, and bound
//! as parameters: `today_in('Asia/Shanghai')`, `date('2026-01-01')`, `0.1 + 0.2`.

mod aggregate;
mod functions;
mod numeric;
mod operators;
mod scope;

use chrono::{DateTime, NaiveDate, Utc};
use engine_form::StorageType;
use engine_rule::{AggregateCall, Context, Expr, ExprError, ExprErrorKind, ExprKind, Span, Type, UnaryOp, Value};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr as Sql, Value as DbValue};
use sea_orm::{DbBackend, DbErr, QueryResult};

pub use scope::{FormScope, Operand, Scope, admitted};

use crate::db::codec;

/// How a compiled value is represented in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr {
    /// The `null` literal: takes the type of what it meets.
    Null,
    /// BOOLEAN on PostgreSQL, 0 or 1 on SQLite.
    Bool,
    Int,
    /// A decimal: NUMERIC on PostgreSQL; on SQLite an integer, the value times 10^scale.
    Dec(u32),
    Text,
    /// DATE on PostgreSQL, `YYYY-MM-DD` text on SQLite.
    Date,
    /// TIMESTAMPTZ on PostgreSQL, fixed-width RFC 3339 text on SQLite.
    DateTime,
    /// A multi-select column: a JSON array of option values.
    Choices,
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub expr: Sql,
    pub repr: Repr,
    /// SQLite: an upper bound on the digits of the integer that represents the value.
    digits: u32,
    /// SQLite: the value may have overflowed 64 bits (and become a float).
    unsettled: bool,
    /// The size of the SQL text, in nodes: duplicated parts count each time.
    weight: usize,
}

/// Compiled SQL larger than this is refused: only a pathological expression gets there.
const MAX_WEIGHT: usize = 20_000;
/// Formulas may use formulas only through this many levels.
const MAX_NESTING: usize = 8;

/// Parses an expression to run in the database. `today()` is refused: which day it is
/// depends on a zone, so such expressions name theirs, `today_in('Asia/Shanghai')`.
pub fn parse(text: &str) -> Result<Expr, Vec<ExprError>> {
    let expr = engine_rule::parse(text).map_err(|e| vec![e])?;
    if let Some(call) = engine_form::zoneless_today(&expr) {
        return Err(vec![ExprError::new(
            ExprErrorKind::TypeMismatch,
            call.span,
            "today() depends on a time zone; name it, e.g. today_in('Asia/Shanghai')",
        )]);
    }
    Ok(expr)
}

/// Checks `expr` against `scope` and compiles it, giving its type; every problem found by
/// the checker, or the first reason it cannot run in the database.
pub fn compile(
    expr: &Expr,
    scope: &dyn Scope,
    backend: DbBackend,
    ctx: &Context,
) -> Result<(Type, Compiled), Vec<ExprError>> {
    let ty = engine_rule::check(expr, scope)?;
    let mut compiler = Compiler { backend, ctx, scope, nesting: 0 };
    let compiled = compiler.expr(expr).map_err(|e| vec![e])?;
    Ok((ty, compiler.settle(compiled)))
}

pub(crate) struct Compiler<'a> {
    backend: DbBackend,
    ctx: &'a Context<'a>,
    scope: &'a dyn Scope,
    nesting: usize,
}

/// `expr` cannot be compiled for the reason `message`.
pub(crate) fn not_in_database(span: Span, message: impl Into<String>) -> ExprError {
    ExprError::new(ExprErrorKind::NotInDatabase, span, message)
}

fn has_field(expr: &Expr) -> bool {
    matches!(expr.kind, ExprKind::Path(_)) || expr.children().into_iter().any(has_field)
}

struct NoFields;

impl engine_rule::Record for NoFields {
    fn value(&self, _path: &[String]) -> Value {
        Value::Null
    }
}

impl Compiler<'_> {
    fn pg(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    pub(crate) fn expr(&mut self, expr: &Expr) -> Result<Compiled, ExprError> {
        if !has_field(expr) && !matches!(expr.kind, ExprKind::List(_)) {
            let value = engine_rule::evaluate(expr, &NoFields, self.ctx)?;
            return self.constant(&value, expr.span);
        }
        let compiled = match &expr.kind {
            ExprKind::Path(path) => self.path(path, expr.span)?,
            ExprKind::Unary(UnaryOp::Not, operand) => {
                let operand = self.expr(operand)?;
                self.bool_op("NOT ({})", vec![operand])
            }
            ExprKind::Unary(UnaryOp::Negate, operand) => {
                let operand = self.expr(operand)?;
                numeric::negate(self, operand)
            }
            ExprKind::Binary(op, left, right) => self.binary(*op, left, right, expr.span)?,
            ExprKind::Call(name, args) => {
                let mut rows = None;
                match AggregateCall::of(name, args, |p| {
                    rows = self.scope.rows_sql(p);
                    rows.is_some()
                }) {
                    Some(Ok(call)) => aggregate::aggregate(self, call, rows.expect("found"), expr.span)?,
                    Some(Err(_)) => return Err(not_in_database(expr.span, "wrong number of arguments")),
                    None => functions::call(self, name, args, expr.span)?,
                }
            }
            ExprKind::List(_) => return Err(not_in_database(expr.span, "a list can only stand after `in` here")),
            _ => unreachable!("literals have no fields and are computed above"),
        };
        if compiled.weight > MAX_WEIGHT {
            return Err(not_in_database(expr.span, "the expression is too complex to run in the database"));
        }
        Ok(compiled)
    }

    fn path(&mut self, path: &[String], span: Span) -> Result<Compiled, ExprError> {
        let unknown = || not_in_database(span, format!("`{}` cannot be read in the database", path.join(".")));
        match self.scope.operand(path).ok_or_else(unknown)? {
            Operand::Column { expr, storage } => Ok(self.column(expr, &storage)),
            Operand::Constant(value) => self.constant(&value, span),
            Operand::Formula(formula) => {
                if self.nesting >= MAX_NESTING {
                    return Err(not_in_database(span, "formulas nest too deeply"));
                }
                self.nesting += 1;
                let compiled = self.expr(formula);
                self.nesting -= 1;
                compiled
            }
        }
    }

    fn column(&self, expr: Sql, storage: &StorageType) -> Compiled {
        let (repr, digits) = match storage {
            StorageType::Text => (Repr::Text, 0),
            StorageType::Integer | StorageType::Link(_) => (Repr::Int, 19),
            StorageType::Decimal { precision, scale } => (Repr::Dec(*scale), *precision),
            StorageType::Boolean => (Repr::Bool, 1),
            StorageType::Date => (Repr::Date, 0),
            StorageType::DateTime => (Repr::DateTime, 0),
            StorageType::Json => (Repr::Choices, 0),
        };
        Compiled { expr, repr, digits, unsettled: false, weight: 1 }
    }

    /// A value computed here, bound as a parameter. PostgreSQL is told its type: a bare
    /// parameter in a select list has none it could infer.
    fn constant(&self, value: &Value, span: Span) -> Result<Compiled, ExprError> {
        let leaf = |expr: Sql, repr: Repr, digits: u32| {
            let leaf = Compiled { expr, repr, digits, unsettled: false, weight: 1 };
            let cast = match repr {
                Repr::Bool => "CAST({} AS boolean)",
                Repr::Int => "CAST({} AS bigint)",
                Repr::Dec(_) => "CAST({} AS numeric)",
                Repr::Text | Repr::Choices => "CAST({} AS text)",
                Repr::Date => "CAST({} AS date)",
                Repr::DateTime => "CAST({} AS timestamptz)",
                Repr::Null => return leaf,
            };
            if self.pg() { Compiled { expr: self.template(cast, &[&leaf]), ..leaf } } else { leaf }
        };
        Ok(match value {
            Value::Null => leaf(Sql::cust("NULL"), Repr::Null, 0),
            Value::Bool(b) => leaf(Sql::val(*b), Repr::Bool, 1),
            Value::Integer(i) => leaf(Sql::val(*i), Repr::Int, numeric::digits(i128::from(*i))),
            Value::Decimal(d) => {
                let digits = numeric::digits(d.mantissa());
                if self.pg() {
                    leaf(Sql::val(*d), Repr::Dec(d.scale()), digits)
                } else {
                    let units = i64::try_from(d.mantissa()).map_err(|_| {
                        ExprError::new(ExprErrorKind::Overflow, span, "beyond the 18 digits SQLite holds exactly")
                    })?;
                    leaf(Sql::val(units), Repr::Dec(d.scale()), digits)
                }
            }
            Value::Text(s) => leaf(Sql::val(s.as_str()), Repr::Text, 0),
            Value::Date(d) => leaf(Sql::val(self.date_value(*d)), Repr::Date, 0),
            Value::DateTime(t) => leaf(Sql::val(codec::datetime(*t, self.backend)), Repr::DateTime, 0),
            Value::List(_) => return Err(not_in_database(span, "a list can only stand after `in` here")),
        })
    }

    fn date_value(&self, d: NaiveDate) -> DbValue {
        if self.pg() { DbValue::ChronoDate(Some(d)) } else { DbValue::String(Some(d.format("%Y-%m-%d").to_string())) }
    }

    /// SQL from a fixed template: each `{}` is the next argument. The template is a
    /// constant; arguments are expressions whose values are bound parameters.
    pub(crate) fn template(&self, template: &'static str, args: &[&Compiled]) -> Sql {
        let mut text = String::with_capacity(template.len() + 8);
        for (i, part) in template.split("{}").enumerate() {
            if i > 0 {
                if self.pg() {
                    text.push_str(&format!("${i}"));
                } else {
                    text.push('?');
                }
            }
            text.push_str(part);
        }
        Sql::cust_with_exprs(text, args.iter().map(|a| a.expr.clone()))
    }

    /// A compiled value built by `template`; it may overflow if any argument may.
    pub(crate) fn derive(&self, template: &'static str, args: &[&Compiled], repr: Repr, digits: u32) -> Compiled {
        Compiled {
            expr: self.template(template, args),
            repr,
            digits,
            unsettled: args.iter().any(|a| a.unsettled),
            weight: 1 + args.iter().map(|a| a.weight).sum::<usize>(),
        }
    }

    /// A boolean built from settled arguments.
    fn bool_op(&self, template: &'static str, args: Vec<Compiled>) -> Compiled {
        let args: Vec<Compiled> = args.into_iter().map(|a| self.settle(a)).collect();
        let refs: Vec<&Compiled> = args.iter().collect();
        self.derive(template, &refs, Repr::Bool, 1)
    }

    /// On SQLite, a value that may have overflowed into a float stops the query with an
    /// "integer overflow" error (`abs` of the smallest integer); otherwise it is unchanged.
    /// Values are settled wherever they leave arithmetic (comparisons, functions, results).
    pub(crate) fn settle(&self, c: Compiled) -> Compiled {
        if self.pg() || !c.unsettled {
            return c;
        }
        let mut settled = self.derive(
            "CASE WHEN typeof({}) = 'real' THEN abs(-9223372036854775807 - 1) ELSE {} END",
            &[&c, &c],
            c.repr,
            19,
        );
        settled.unsettled = false;
        settled
    }

    /// A typed NULL, so PostgreSQL can infer the types around it.
    pub(crate) fn null_of(&self, repr: Repr) -> Compiled {
        let text = match (self.pg(), repr) {
            (false, _) | (true, Repr::Null) => "NULL",
            (true, Repr::Bool) => "CAST(NULL AS boolean)",
            (true, Repr::Int) => "CAST(NULL AS bigint)",
            (true, Repr::Dec(_)) => "CAST(NULL AS numeric)",
            (true, Repr::Text | Repr::Choices) => "CAST(NULL AS text)",
            (true, Repr::Date) => "CAST(NULL AS date)",
            (true, Repr::DateTime) => "CAST(NULL AS timestamptz)",
        };
        Compiled { expr: Sql::cust(text), repr, digits: 0, unsettled: false, weight: 1 }
    }

    /// Brings values of one type to one representation: numbers to a common scale, `null`
    /// to the others' type.
    pub(crate) fn unify(&self, values: Vec<Compiled>) -> Vec<Compiled> {
        let target = values.iter().map(|v| v.repr).fold(Repr::Null, |acc, r| match (acc, r) {
            (Repr::Null, r) => r,
            (Repr::Int, Repr::Dec(s)) | (Repr::Dec(s), Repr::Int) => Repr::Dec(s),
            (Repr::Dec(a), Repr::Dec(b)) => Repr::Dec(a.max(b)),
            (acc, _) => acc,
        });
        values
            .into_iter()
            .map(|v| match (v.repr, target) {
                (Repr::Null, t) if t != Repr::Null => self.null_of(t),
                (Repr::Int | Repr::Dec(_), Repr::Dec(scale)) => numeric::rescale(self, v, scale),
                _ => v,
            })
            .collect()
    }
}

/// Reads column `idx` of `row`, the result of a compiled expression, as the evaluator's value.
pub fn decode(row: &QueryResult, idx: usize, repr: Repr, backend: DbBackend) -> Result<Value, DbErr> {
    let pg = backend == DbBackend::Postgres;
    let or_null = |v: Option<Value>| v.unwrap_or(Value::Null);
    Ok(match repr {
        Repr::Null => Value::Null,
        Repr::Bool if pg => or_null(row.try_get_by_index::<Option<bool>>(idx)?.map(Value::Bool)),
        Repr::Bool => or_null(row.try_get_by_index::<Option<i64>>(idx)?.map(|i| Value::Bool(i != 0))),
        Repr::Int => or_null(row.try_get_by_index::<Option<i64>>(idx)?.map(Value::Integer)),
        Repr::Dec(_) if pg => or_null(row.try_get_by_index::<Option<Decimal>>(idx)?.map(Value::Decimal)),
        Repr::Dec(scale) => {
            or_null(row.try_get_by_index::<Option<i64>>(idx)?.map(|units| Value::Decimal(Decimal::new(units, scale))))
        }
        Repr::Text | Repr::Choices => or_null(row.try_get_by_index::<Option<String>>(idx)?.map(Value::Text)),
        Repr::Date if pg => or_null(row.try_get_by_index::<Option<NaiveDate>>(idx)?.map(Value::Date)),
        Repr::DateTime if pg => or_null(row.try_get_by_index::<Option<DateTime<Utc>>>(idx)?.map(Value::DateTime)),
        Repr::Date => match row.try_get_by_index::<Option<String>>(idx)? {
            None => Value::Null,
            Some(s) => Value::Date(
                NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| DbErr::Type(format!("`{s}` is not a date")))?,
            ),
        },
        Repr::DateTime => match row.try_get_by_index::<Option<String>>(idx)? {
            None => Value::Null,
            Some(s) => Value::DateTime(
                DateTime::parse_from_rfc3339(&s)
                    .map_err(|_| DbErr::Type(format!("`{s}` is not a date-time")))?
                    .with_timezone(&Utc),
            ),
        },
    })
}
