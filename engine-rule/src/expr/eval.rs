//! Evaluation. Numbers are exact decimals; nulls follow SQL: arithmetic and comparisons
//! with null give null, `and`/`or` are three-valued, and a null condition does not hold.
//! Division by zero gives null (as SQL's `x / NULLIF(y, 0)`); other quotients are rounded
//! half away from zero to 10 places (see `decimal`). `&` joins text, reading
//! null as empty text, as spreadsheets do.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::aggregate::{Aggregate, AggregateCall};
use super::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use super::value::Value;
use super::{ExprError, ExprErrorKind};
use super::{decimal, functions};
use crate::calendar::Calendars;

/// The data an expression reads: the value at a field path, `Value::Null` when absent.
pub trait Record {
    fn value(&self, path: &[String]) -> Value;

    /// The rows of the collection at `path` (a sub-table, or the related records of a
    /// form), for aggregates; `None` if `path` is no collection.
    fn rows(&self, _path: &[String]) -> Option<Vec<Box<dyn Record + '_>>> {
        None
    }

    /// The value of the aggregate call `call`, when the caller computed it beforehand
    /// (e.g. in the database, over rows too many to load); `None` computes it from `rows`.
    fn aggregate(&self, _call: &Expr) -> Option<Value> {
        None
    }
}

/// The moment of evaluation. `today` is the date in the zone the caller declares (a
/// rule's zone, the user's zone), so the engine never guesses one. `calendars` are the
/// app's business-day calendars.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub calendars: &'a Calendars,
}

static NO_CALENDARS: Calendars = Calendars::new();

impl Context<'static> {
    /// A moment with no business-day calendars.
    pub fn at(now: DateTime<Utc>, today: NaiveDate) -> Context<'static> {
        Context { now, today, calendars: &NO_CALENDARS }
    }
}

impl<'a> Context<'a> {
    /// The same moment with the app's calendars.
    pub fn with_calendars(self, calendars: &'a Calendars) -> Context<'a> {
        Context { calendars, ..self }
    }
}

pub fn evaluate(expr: &Expr, record: &dyn Record, ctx: &Context) -> Result<Value, ExprError> {
    let mismatch = |message: String| Err(ExprError::new(ExprErrorKind::TypeMismatch, expr.span, message));
    Ok(match &expr.kind {
        ExprKind::Null => Value::Null,
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Integer(i) => Value::Integer(*i),
        ExprKind::Decimal(d) => Value::Decimal(*d),
        ExprKind::Text(s) => Value::Text(s.clone()),
        ExprKind::Path(path) => record.value(path),
        ExprKind::List(items) => Value::List(items.iter().map(|i| evaluate(i, record, ctx)).collect::<Result<_, _>>()?),
        ExprKind::Unary(op, operand) => match (op, evaluate(operand, record, ctx)?) {
            (_, Value::Null) => Value::Null,
            (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
            (UnaryOp::Negate, Value::Integer(i)) => {
                i.checked_neg().map_or_else(|| Value::Decimal(-Decimal::from(i)), Value::Integer)
            }
            (UnaryOp::Negate, Value::Decimal(d)) => Value::Decimal(-d),
            (_, v) => return mismatch(format!("cannot apply the operator to {v:?}")),
        },
        ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), l, r) => {
            // The dominant value (false for `and`, true for `or`) decides alone, whatever
            // the other side is, so the other side is not evaluated.
            let dominant = *op == BinaryOp::Or;
            match evaluate(l, record, ctx)? {
                Value::Bool(b) if b == dominant => Value::Bool(dominant),
                left => binary(*op, left, evaluate(r, record, ctx)?, expr)?,
            }
        }
        ExprKind::Binary(op, l, r) => binary(*op, evaluate(l, record, ctx)?, evaluate(r, record, ctx)?, expr)?,
        ExprKind::Call(name, _) if Aggregate::named(name).is_some() && record.aggregate(expr).is_some() => {
            record.aggregate(expr).unwrap_or(Value::Null)
        }
        ExprKind::Call(name, args) => {
            let mut rows = None;
            if let Some(call) = AggregateCall::of(name, args, |p| {
                rows = record.rows(p);
                rows.is_some()
            }) {
                let call = call.map_err(|wanted| {
                    ExprError::new(
                        ExprErrorKind::ArgumentCount,
                        expr.span,
                        format!("`{name}` takes {wanted} arguments"),
                    )
                })?;
                return call.evaluate(&rows.expect("the collection was found"), ctx, expr);
            }
            let Some(f) = functions::find(name) else {
                return Err(ExprError::new(
                    ExprErrorKind::UnknownFunction,
                    expr.span,
                    format!("there is no function `{name}`"),
                ));
            };
            if args.len() < f.min_args || f.max_args.is_some_and(|m| args.len() > m) {
                return Err(ExprError::new(
                    ExprErrorKind::ArgumentCount,
                    expr.span,
                    format!("wrong number of arguments for `{name}`"),
                ));
            }
            let values: Vec<Value> = args.iter().map(|a| evaluate(a, record, ctx)).collect::<Result<_, _>>()?;
            (f.eval)(&values, ctx)
        }
    })
}

/// `and` (dominant `false`) and `or` (dominant `true`) over true/false/null.
fn three_valued(l: Value, r: Value, dominant: bool) -> Value {
    match (l, r) {
        (Value::Bool(a), _) if a == dominant => Value::Bool(dominant),
        (_, Value::Bool(b)) if b == dominant => Value::Bool(dominant),
        (Value::Bool(_), Value::Bool(_)) => Value::Bool(!dominant),
        _ => Value::Null,
    }
}

pub(crate) fn binary(op: BinaryOp, l: Value, r: Value, at: &Expr) -> Result<Value, ExprError> {
    let overflow = || ExprError::new(ExprErrorKind::Overflow, at.span, "the result is beyond 28 significant digits");
    let numbers = || ExprError::new(ExprErrorKind::TypeMismatch, at.span, format!("`{}` needs numbers", op.symbol()));
    match op {
        BinaryOp::And => Ok(three_valued(l, r, false)),
        BinaryOp::Or => Ok(three_valued(l, r, true)),
        BinaryOp::Concat => Ok(Value::Text(l.to_text() + &r.to_text())),
        BinaryOp::In => match (&l, &r) {
            (Value::Null, _) | (_, Value::Null) => Ok(Value::Null),
            (_, Value::List(items)) => Ok(Value::Bool(items.iter().any(|i| l.equals(i)))),
            _ => Err(ExprError::new(ExprErrorKind::TypeMismatch, at.span, "`in` needs a list on its right")),
        },
        _ if l.is_null() || r.is_null() => Ok(Value::Null),
        BinaryOp::Eq => Ok(Value::Bool(l.equals(&r))),
        BinaryOp::Ne => Ok(Value::Bool(!l.equals(&r))),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let order = l.compare(&r).ok_or_else(|| {
                ExprError::new(ExprErrorKind::TypeMismatch, at.span, format!("cannot compare {l:?} with {r:?}"))
            })?;
            Ok(Value::Bool(match op {
                BinaryOp::Lt => order.is_lt(),
                BinaryOp::Le => order.is_le(),
                BinaryOp::Gt => order.is_gt(),
                _ => order.is_ge(),
            }))
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => {
            if let (Value::Integer(a), Value::Integer(b)) = (&l, &r) {
                let exact = match op {
                    BinaryOp::Add => a.checked_add(*b),
                    BinaryOp::Sub => a.checked_sub(*b),
                    _ => a.checked_mul(*b),
                };
                if let Some(v) = exact {
                    return Ok(Value::Integer(v));
                }
            }
            let (Some(a), Some(b)) = (l.as_decimal(), r.as_decimal()) else { return Err(numbers()) };
            // rust_decimal drops places to fit a result in 96 bits; an exact result keeps
            // them all (or is zero, which it gives without places), so fewer places means
            // the result was rounded: an overflow here.
            let (result, places) = match op {
                BinaryOp::Add => (a.checked_add(b), a.scale().max(b.scale())),
                BinaryOp::Sub => (a.checked_sub(b), a.scale().max(b.scale())),
                _ => (a.checked_mul(b), a.scale() + b.scale()),
            };
            result.filter(|d| d.scale() == places || d.is_zero()).map(Value::Decimal).ok_or_else(overflow)
        }
        BinaryOp::Div => {
            let (Some(a), Some(b)) = (l.as_decimal(), r.as_decimal()) else { return Err(numbers()) };
            if b.is_zero() {
                return Ok(Value::Null);
            }
            decimal::divide(a, b).map(Value::Decimal).ok_or_else(overflow)
        }
    }
}

impl<T: Record + ?Sized> Record for &T {
    fn value(&self, path: &[String]) -> Value {
        (**self).value(path)
    }

    fn rows(&self, path: &[String]) -> Option<Vec<Box<dyn Record + '_>>> {
        (**self).rows(path)
    }

    fn aggregate(&self, call: &Expr) -> Option<Value> {
        (**self).aggregate(call)
    }
}
