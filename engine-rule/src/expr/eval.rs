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
    eval(expr, record, ctx).map_err(|e| *e)
}

/// A failed evaluation. Boxed, so the `Result` every node returns stays as small as a
/// value: moving results up the tree is most of the evaluator's work.
pub(crate) type Failed = Box<ExprError>;

/// `evaluate`, with the error boxed.
pub(crate) fn eval(expr: &Expr, record: &dyn Record, ctx: &Context) -> Result<Value, Failed> {
    // The common nodes stay in this small function; the rest are out of line, so the
    // recursion's stack frame stays small.
    Ok(match &expr.kind {
        ExprKind::Null => Value::Null,
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Integer(i) => Value::Integer(*i),
        ExprKind::Decimal(d) => Value::Decimal(*d),
        ExprKind::Text(s) => Value::Text(s.clone()),
        ExprKind::Path(path) => record.value(path),
        ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), l, r) => {
            // The dominant value (false for `and`, true for `or`) decides alone, whatever
            // the other side is, so the other side is not evaluated.
            let dominant = *op == BinaryOp::Or;
            match eval(l, record, ctx)? {
                Value::Bool(b) if b == dominant => Value::Bool(dominant),
                left => binary(*op, left, eval(r, record, ctx)?, expr)?,
            }
        }
        ExprKind::Binary(op, l, r) => {
            let (l, r) = (eval(l, record, ctx)?, eval(r, record, ctx)?);
            match compare_numbers(*op, &l, &r) {
                Some(decided) => Value::Bool(decided),
                None => binary(*op, l, r, expr)?,
            }
        }
        _ => return rare(expr, record, ctx),
    })
}

#[inline(never)]
fn rare(expr: &Expr, record: &dyn Record, ctx: &Context) -> Result<Value, Failed> {
    let mismatch = |message: String| Err(Box::new(ExprError::new(ExprErrorKind::TypeMismatch, expr.span, message)));
    Ok(match &expr.kind {
        ExprKind::List(items) => Value::List(items.iter().map(|i| eval(i, record, ctx)).collect::<Result<_, _>>()?),
        ExprKind::Unary(op, operand) => match (op, eval(operand, record, ctx)?) {
            (_, Value::Null) => Value::Null,
            (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
            (UnaryOp::Negate, Value::Integer(i)) => {
                i.checked_neg().map_or_else(|| Value::Decimal(-Decimal::from(i)), Value::Integer)
            }
            (UnaryOp::Negate, Value::Decimal(d)) => Value::Decimal(-d),
            (_, v) => return mismatch(format!("cannot apply the operator to {v:?}")),
        },
        ExprKind::Call(name, args) => return call(expr, name, args, record, ctx),
        _ => return eval(expr, record, ctx),
    })
}

fn call(expr: &Expr, name: &str, args: &[Expr], record: &dyn Record, ctx: &Context) -> Result<Value, Failed> {
    if Aggregate::named(name).is_some()
        && let Some(value) = record.aggregate(expr)
    {
        return Ok(value);
    }
    let mut rows = None;
    if let Some(call) = AggregateCall::of(name, args, |p| {
        rows = record.rows(p);
        rows.is_some()
    }) {
        let call = call.map_err(|wanted| {
            ExprError::new(ExprErrorKind::ArgumentCount, expr.span, format!("`{name}` takes {wanted} arguments"))
        })?;
        return call.evaluate(&rows.expect("the collection was found"), ctx, expr).map_err(Box::new);
    }
    let Some(f) = functions::find(name) else {
        return Err(Box::new(ExprError::new(
            ExprErrorKind::UnknownFunction,
            expr.span,
            format!("there is no function `{name}`"),
        )));
    };
    if args.len() < f.min_args || f.max_args.is_some_and(|m| args.len() > m) {
        return Err(Box::new(ExprError::new(
            ExprErrorKind::ArgumentCount,
            expr.span,
            format!("wrong number of arguments for `{name}`"),
        )));
    }
    let values: Vec<Value> = args.iter().map(|a| eval(a, record, ctx)).collect::<Result<_, _>>()?;
    Ok((f.eval)(&values, ctx))
}

/// The common case of a comparison, two numbers, decided without `binary`'s general path;
/// `None` for everything else.
#[inline(always)]
fn compare_numbers(op: BinaryOp, l: &Value, r: &Value) -> Option<bool> {
    if !matches!(op, BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne) {
        return None;
    }
    let order = match (l, r) {
        (Value::Decimal(a), Value::Decimal(b)) => a.cmp(b),
        (Value::Integer(a), Value::Integer(b)) => a.cmp(b),
        _ => return None,
    };
    Some(match op {
        BinaryOp::Lt => order.is_lt(),
        BinaryOp::Le => order.is_le(),
        BinaryOp::Gt => order.is_gt(),
        BinaryOp::Ge => order.is_ge(),
        BinaryOp::Eq => order.is_eq(),
        BinaryOp::Ne => order.is_ne(),
        _ => return None,
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

pub(crate) fn binary(op: BinaryOp, l: Value, r: Value, at: &Expr) -> Result<Value, Failed> {
    let overflow = || ExprError::new(ExprErrorKind::Overflow, at.span, "the result is beyond 28 significant digits");
    let numbers = || ExprError::new(ExprErrorKind::TypeMismatch, at.span, format!("`{}` needs numbers", op.symbol()));
    match op {
        BinaryOp::And => Ok(three_valued(l, r, false)),
        BinaryOp::Or => Ok(three_valued(l, r, true)),
        BinaryOp::Concat => Ok(Value::Text(l.to_text() + &r.to_text())),
        BinaryOp::In => match (&l, &r) {
            (Value::Null, _) | (_, Value::Null) => Ok(Value::Null),
            (_, Value::List(items)) => Ok(Value::Bool(items.iter().any(|i| l.equals(i)))),
            _ => Err(Box::new(ExprError::new(ExprErrorKind::TypeMismatch, at.span, "`in` needs a list on its right"))),
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
            let (Some(a), Some(b)) = (l.as_decimal(), r.as_decimal()) else { return Err(Box::new(numbers())) };
            // rust_decimal drops places to fit a result in 96 bits; an exact result keeps
            // them all (or is zero, which it gives without places), so fewer places means
            // the result was rounded: an overflow here.
            let (result, places) = match op {
                BinaryOp::Add => (a.checked_add(b), a.scale().max(b.scale())),
                BinaryOp::Sub => (a.checked_sub(b), a.scale().max(b.scale())),
                _ => (a.checked_mul(b), a.scale() + b.scale()),
            };
            result
                .filter(|d| d.scale() == places || d.is_zero())
                .map(Value::Decimal)
                .ok_or_else(|| Box::new(overflow()))
        }
        BinaryOp::Div => {
            let (Some(a), Some(b)) = (l.as_decimal(), r.as_decimal()) else { return Err(Box::new(numbers())) };
            if b.is_zero() {
                return Ok(Value::Null);
            }
            decimal::divide(a, b).map(Value::Decimal).ok_or_else(|| Box::new(overflow()))
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

/// The value of an expression without fields or functions (a literal, a negated number),
/// if it is one.
pub(crate) fn literal(expr: &Expr) -> Option<Value> {
    Some(match &expr.kind {
        ExprKind::Null => Value::Null,
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Integer(i) => Value::Integer(*i),
        ExprKind::Decimal(d) => Value::Decimal(*d),
        ExprKind::Text(s) => Value::Text(s.clone()),
        ExprKind::Unary(UnaryOp::Negate, inner) => match literal(inner)? {
            Value::Integer(i) => Value::Integer(i.checked_neg()?),
            Value::Decimal(d) => Value::Decimal(-d),
            _ => return None,
        },
        _ => return None,
    })
}
