//! Evaluation. Numbers are exact decimals; nulls follow SQL: arithmetic and comparisons
//! with null give null, `and`/`or` are three-valued, and a null condition does not hold.
//! Division by zero gives null (as SQL's `x / NULLIF(y, 0)`). `&` joins text, reading
//! null as empty text, as spreadsheets do.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use super::functions;
use super::value::Value;
use super::{ExprError, ExprErrorKind};

/// The data an expression reads: the value at a field path, `Value::Null` when absent.
pub trait Record {
    fn value(&self, path: &[String]) -> Value;
}

/// The moment of evaluation. `today` is the date in the zone the caller declares (a
/// rule's zone, the user's zone), so the engine never guesses one.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
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
        ExprKind::Binary(BinaryOp::And, l, r) => {
            three_valued(evaluate(l, record, ctx)?, evaluate(r, record, ctx)?, false)
        }
        ExprKind::Binary(BinaryOp::Or, l, r) => {
            three_valued(evaluate(l, record, ctx)?, evaluate(r, record, ctx)?, true)
        }
        ExprKind::Binary(op, l, r) => binary(*op, evaluate(l, record, ctx)?, evaluate(r, record, ctx)?, expr)?,
        ExprKind::Call(name, args) => {
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

fn binary(op: BinaryOp, l: Value, r: Value, at: &Expr) -> Result<Value, ExprError> {
    let overflow = || ExprError::new(ExprErrorKind::Overflow, at.span, "the result is beyond 28 significant digits");
    if op == BinaryOp::Concat {
        let text = |v: &Value| match v {
            Value::Null => String::new(),
            Value::Text(s) => s.clone(),
            Value::Integer(i) => i.to_string(),
            Value::Decimal(d) => d.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::DateTime(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            Value::List(_) => String::new(),
        };
        return Ok(Value::Text(text(&l) + &text(&r)));
    }
    if op == BinaryOp::In {
        return Ok(match (&l, &r) {
            (Value::Null, _) | (_, Value::Null) => Value::Null,
            (_, Value::List(items)) => Value::Bool(items.iter().any(|i| l.equals(i))),
            _ => return Err(ExprError::new(ExprErrorKind::TypeMismatch, at.span, "`in` needs a list on its right")),
        });
    }
    if l.is_null() || r.is_null() {
        return Ok(Value::Null);
    }
    let cmp = |want: fn(std::cmp::Ordering) -> bool| -> Result<Value, ExprError> {
        l.compare(&r).map(|o| Value::Bool(want(o))).ok_or_else(|| {
            ExprError::new(ExprErrorKind::TypeMismatch, at.span, format!("cannot compare {l:?} with {r:?}"))
        })
    };
    match op {
        BinaryOp::Eq => Ok(Value::Bool(l.equals(&r))),
        BinaryOp::Ne => Ok(Value::Bool(!l.equals(&r))),
        BinaryOp::Lt => cmp(|o| o.is_lt()),
        BinaryOp::Le => cmp(|o| o.is_le()),
        BinaryOp::Gt => cmp(|o| o.is_gt()),
        BinaryOp::Ge => cmp(|o| o.is_ge()),
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
            let (Some(a), Some(b)) = (l.as_decimal(), r.as_decimal()) else {
                return Err(ExprError::new(
                    ExprErrorKind::TypeMismatch,
                    at.span,
                    format!("`{}` needs numbers", op.symbol()),
                ));
            };
            let result = match op {
                BinaryOp::Add => a.checked_add(b),
                BinaryOp::Sub => a.checked_sub(b),
                _ => a.checked_mul(b),
            };
            result.map(Value::Decimal).ok_or_else(overflow)
        }
        BinaryOp::Div => {
            let (Some(a), Some(b)) = (l.as_decimal(), r.as_decimal()) else {
                return Err(ExprError::new(ExprErrorKind::TypeMismatch, at.span, "`/` needs numbers"));
            };
            if b.is_zero() {
                return Ok(Value::Null);
            }
            a.checked_div(b).map(|d| Value::Decimal(d.normalize())).ok_or_else(overflow)
        }
        BinaryOp::And | BinaryOp::Or | BinaryOp::In | BinaryOp::Concat => unreachable_op(op, at),
    }
}

/// These operators are handled before `binary` is reached; answer with an error rather
/// than a panic should that ever change.
fn unreachable_op(op: BinaryOp, at: &Expr) -> Result<Value, ExprError> {
    Err(ExprError::new(ExprErrorKind::Syntax, at.span, format!("`{}` was not evaluated", op.symbol())))
}
