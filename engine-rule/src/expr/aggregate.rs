//! Aggregates over rows: a record's sub-table rows, or the records of another form that
//! relate to it (`transaction` records whose `customer` is this customer).
//!
//! `count(rows [, condition])`, `sum(rows, value [, condition])`, and likewise `avg`,
//! `min`, `max`. The value and the condition are read in each row: `sum(transaction,
//! amount, direction == 'out')`. Rows whose condition is false or null are left out, as
//! are null values. `count` and `sum` of no rows are 0; `avg`, `min` and `max` of no
//! values are null. `avg` divides as `/` does. `min` and `max` with a first argument that
//! is not a collection are the ordinary functions of their arguments.

use super::ast::{BinaryOp, Expr, ExprKind};
use super::check::Schema;
use super::eval::{Context, Record, binary, evaluate};
use super::types::Type;
use super::value::Value;
use super::{ExprError, ExprErrorKind, decimal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

impl Aggregate {
    pub fn named(name: &str) -> Option<Aggregate> {
        Some(match name {
            "count" => Aggregate::Count,
            "sum" => Aggregate::Sum,
            "avg" => Aggregate::Avg,
            "min" => Aggregate::Min,
            "max" => Aggregate::Max,
            _ => return None,
        })
    }

    /// Whether the name is only an aggregate (no ordinary function shares it).
    pub fn only_aggregate(self) -> bool {
        !matches!(self, Aggregate::Min | Aggregate::Max)
    }
}

/// An aggregate call taken apart: what it computes, over which rows, reading what.
#[derive(Debug, Clone, Copy)]
pub struct AggregateCall<'a> {
    pub func: Aggregate,
    pub rows: &'a [String],
    pub value: Option<&'a Expr>,
    pub condition: Option<&'a Expr>,
}

impl<'a> AggregateCall<'a> {
    /// `name(args)` as an aggregate, when its first argument is a path that
    /// `is_rows` recognises as a collection. Wrong argument counts give `Err` with the
    /// count wanted.
    pub fn of(
        name: &str,
        args: &'a [Expr],
        is_rows: impl FnOnce(&[String]) -> bool,
    ) -> Option<Result<AggregateCall<'a>, &'static str>> {
        let func = Aggregate::named(name)?;
        let ExprKind::Path(rows) = &args.first()?.kind else { return None };
        if !is_rows(rows) {
            return None;
        }
        let rest = &args[1..];
        Some(match (func, rest.len()) {
            (Aggregate::Count, 0 | 1) => Ok(AggregateCall { func, rows, value: None, condition: rest.first() }),
            (Aggregate::Count, _) => Err("1 to 2"),
            (_, 1 | 2) => Ok(AggregateCall { func, rows, value: rest.first(), condition: rest.get(1) }),
            _ => Err("2 to 3"),
        })
    }

    /// The aggregate's type, with the value and condition checked in the rows' schema.
    pub fn check(
        &self,
        rows: &dyn Schema,
        type_of: &mut dyn FnMut(&Expr, &dyn Schema) -> Type,
    ) -> Result<Type, String> {
        if let Some(condition) = self.condition {
            let t = type_of(condition, rows);
            if !t.fits(&Type::Bool) {
                return Err(format!("the condition must be a boolean, not {t}"));
            }
        }
        let Some(value) = self.value else { return Ok(Type::Integer) };
        let t = type_of(value, rows);
        match self.func {
            Aggregate::Count => Ok(Type::Integer),
            Aggregate::Sum if matches!(t, Type::Integer | Type::Null) => Ok(Type::Integer),
            Aggregate::Sum | Aggregate::Avg if t.is_numeric() => Ok(Type::Decimal),
            Aggregate::Min | Aggregate::Max
                if matches!(
                    t,
                    Type::Integer | Type::Decimal | Type::Text | Type::Date | Type::DateTime | Type::Null | Type::Any
                ) =>
            {
                Ok(t)
            }
            Aggregate::Sum | Aggregate::Avg => Err(format!("the value must be a number, not {t}")),
            _ => Err(format!("the value must be a number, text, date or datetime, not {t}")),
        }
    }

    /// Computes the aggregate over `rows`.
    pub fn evaluate(&self, rows: &[Box<dyn Record + '_>], ctx: &Context, at: &Expr) -> Result<Value, ExprError> {
        let mut count: i64 = 0;
        let mut acc = match self.func {
            Aggregate::Count | Aggregate::Sum | Aggregate::Avg => Value::Integer(0),
            Aggregate::Min | Aggregate::Max => Value::Null,
        };
        for row in rows {
            if let Some(condition) = self.condition
                && evaluate(condition, &**row, ctx)? != Value::Bool(true)
            {
                continue;
            }
            let Some(value) = self.value else {
                count += 1;
                continue;
            };
            let v = evaluate(value, &**row, ctx)?;
            if v.is_null() {
                continue;
            }
            count += 1;
            acc = match self.func {
                Aggregate::Min | Aggregate::Max if acc.is_null() => v,
                Aggregate::Min | Aggregate::Max => {
                    let order = v.compare(&acc).ok_or_else(|| {
                        ExprError::new(ExprErrorKind::TypeMismatch, at.span, "the values cannot be compared")
                    })?;
                    let better = if self.func == Aggregate::Min { order.is_lt() } else { order.is_gt() };
                    if better { v } else { acc }
                }
                _ => binary(BinaryOp::Add, acc, v, at).map_err(|e| *e)?,
            };
        }
        Ok(match self.func {
            Aggregate::Count => Value::Integer(count),
            Aggregate::Avg if count == 0 => Value::Null,
            Aggregate::Avg => {
                let total = acc.as_decimal().unwrap_or_default();
                let quotient = decimal::divide(total, count.into()).ok_or_else(|| {
                    ExprError::new(ExprErrorKind::Overflow, at.span, "the average is beyond 28 significant digits")
                })?;
                Value::Decimal(quotient)
            }
            _ => acc,
        })
    }
}
