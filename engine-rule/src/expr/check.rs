//! Static checking against a schema: unknown fields, type mismatches and argument counts
//! are reported, all of them, each with its position in the text.

use super::aggregate::{Aggregate, AggregateCall};
use super::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use super::functions;
use super::types::Type;
use super::{ExprError, ExprErrorKind};

/// What the checker knows about the data: the type of each field path (`aum`,
/// `customer.tier`, `$user.branch`), or `None` if there is no such field.
pub trait Schema {
    fn type_of(&self, path: &[String]) -> Option<Type>;

    /// The schema of each row of the collection at `path` (a sub-table, or the records of
    /// a form related to this one), for aggregates; `None` if `path` is no collection.
    fn rows(&self, _path: &[String]) -> Option<Box<dyn Schema + '_>> {
        None
    }

    /// Whether the app has the business-day calendar `name`; `None` if this schema does
    /// not know the app's calendars (the name is then checked when evaluated).
    fn has_calendar(&self, _name: &str) -> Option<bool> {
        None
    }

    /// Whether the field at `path` holds personal data (an ID number, a phone number),
    /// which leaves the platform masked unless an action says otherwise.
    fn is_personal(&self, _path: &[String]) -> bool {
        false
    }
}

/// The type of `expr`, or every problem found in it.
pub fn check(expr: &Expr, schema: &dyn Schema) -> Result<Type, Vec<ExprError>> {
    let mut errors = Vec::new();
    let t = type_of(expr, schema, &mut errors);
    if errors.is_empty() { Ok(t) } else { Err(errors) }
}

fn type_of(expr: &Expr, schema: &dyn Schema, errors: &mut Vec<ExprError>) -> Type {
    match &expr.kind {
        ExprKind::Null => Type::Null,
        ExprKind::Bool(_) => Type::Bool,
        ExprKind::Integer(_) => Type::Integer,
        ExprKind::Decimal(_) => Type::Decimal,
        ExprKind::Text(_) => Type::Text,
        ExprKind::Path(path) => schema.type_of(path).unwrap_or_else(|| {
            errors.push(ExprError::new(
                ExprErrorKind::UnknownField,
                expr.span,
                format!("there is no field `{}`", path.join(".")),
            ));
            Type::Any
        }),
        ExprKind::List(items) => {
            let types: Vec<Type> = items.iter().map(|i| type_of(i, schema, errors)).collect();
            match types.iter().try_fold(Type::Null, |acc, t| acc.unify(t)) {
                Some(t) => Type::List(Box::new(t)),
                None => {
                    errors.push(ExprError::new(
                        ExprErrorKind::TypeMismatch,
                        expr.span,
                        "a list holds values of one type",
                    ));
                    Type::Any
                }
            }
        }
        ExprKind::Unary(op, operand) => {
            let t = type_of(operand, schema, errors);
            match op {
                UnaryOp::Not if t.fits(&Type::Bool) => Type::Bool,
                UnaryOp::Negate if t.is_numeric() => t,
                UnaryOp::Not => mismatch(errors, expr, format!("`not` needs a boolean, not {t}")),
                UnaryOp::Negate => mismatch(errors, expr, format!("`-` needs a number, not {t}")),
            }
        }
        ExprKind::Binary(op, left, right) => {
            let (l, r) = (type_of(left, schema, errors), type_of(right, schema, errors));
            match binary_type(*op, &l, &r) {
                Some(t) => t,
                None => mismatch(errors, expr, format!("`{}` does not apply to {l} and {r}", op.symbol())),
            }
        }
        ExprKind::Call(name, args) => {
            let mut rows = None;
            if let Some(call) = AggregateCall::of(name, args, |p| {
                rows = schema.rows(p);
                rows.is_some()
            }) {
                let rows = rows.expect("the collection was found");
                let call = match call {
                    Ok(call) => call,
                    Err(wanted) => {
                        errors.push(ExprError::new(
                            ExprErrorKind::ArgumentCount,
                            expr.span,
                            format!("`{name}` over rows takes {wanted} arguments, not {}", args.len()),
                        ));
                        return Type::Any;
                    }
                };
                let mut inner = |e: &Expr, s: &dyn Schema| type_of(e, s, errors);
                return match call.check(&*rows, &mut inner) {
                    Ok(t) => t,
                    Err(message) => mismatch(errors, expr, format!("`{name}`: {message}")),
                };
            }
            if Aggregate::named(name).is_some_and(Aggregate::only_aggregate) {
                let at = args.first().map_or(expr.span, |a| a.span);
                errors.push(ExprError::new(
                    ExprErrorKind::UnknownField,
                    at,
                    format!("`{name}` needs a sub-table or a related form first, e.g. {name}(transaction, amount)"),
                ));
                return Type::Any;
            }
            let types: Vec<Type> = args.iter().map(|a| type_of(a, schema, errors)).collect();
            let Some(f) = functions::find(name) else {
                let known: Vec<&str> = functions::names().collect();
                errors.push(ExprError::new(
                    ExprErrorKind::UnknownFunction,
                    expr.span,
                    format!("there is no function `{name}`; known: {}", known.join(", ")),
                ));
                return Type::Any;
            };
            if types.len() < f.min_args || f.max_args.is_some_and(|m| types.len() > m) {
                let wanted = match f.max_args {
                    Some(max) if max == f.min_args => format!("{max}"),
                    Some(max) => format!("{} to {max}", f.min_args),
                    None => format!("at least {}", f.min_args),
                };
                errors.push(ExprError::new(
                    ExprErrorKind::ArgumentCount,
                    expr.span,
                    format!("`{name}` takes {wanted} arguments, not {}", types.len()),
                ));
                return Type::Any;
            }
            if let Some(arg) = f.zone_arg.and_then(|i| args.get(i))
                && let ExprKind::Text(name) = &arg.kind
                && functions::zone(name).is_none()
            {
                errors.push(ExprError::new(
                    ExprErrorKind::TypeMismatch,
                    arg.span,
                    format!("`{name}` is not a time zone, e.g. Asia/Shanghai"),
                ));
            }
            if let Some(arg) = f.calendar_arg.and_then(|i| args.get(i)) {
                match &arg.kind {
                    ExprKind::Text(name) if schema.has_calendar(name) == Some(false) => {
                        errors.push(ExprError::new(
                            ExprErrorKind::UnknownCalendar,
                            arg.span,
                            format!("the app has no calendar `{name}`"),
                        ));
                    }
                    ExprKind::Text(_) => {}
                    _ => errors.push(ExprError::new(
                        ExprErrorKind::TypeMismatch,
                        arg.span,
                        "a calendar is named by its key in quotes, e.g. 'cn_bank'",
                    )),
                }
            }
            (f.check)(&types).unwrap_or_else(|message| mismatch(errors, expr, format!("`{name}`: {message}")))
        }
    }
}

/// Records a type mismatch at `expr`; the node's type becomes unknown so one mistake is
/// reported once, not again by every node above it.
fn mismatch(errors: &mut Vec<ExprError>, expr: &Expr, message: String) -> Type {
    errors.push(ExprError::new(ExprErrorKind::TypeMismatch, expr.span, message));
    Type::Any
}

/// The result type of a binary operator, or `None` if it does not apply.
fn binary_type(op: BinaryOp, l: &Type, r: &Type) -> Option<Type> {
    match op {
        BinaryOp::And | BinaryOp::Or => (l.fits(&Type::Bool) && r.fits(&Type::Bool)).then_some(Type::Bool),
        BinaryOp::Eq | BinaryOp::Ne => l.unify(r).map(|_| Type::Bool),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let t = l.unify(r)?;
            matches!(
                t,
                Type::Integer | Type::Decimal | Type::Text | Type::Date | Type::DateTime | Type::Null | Type::Any
            )
            .then_some(Type::Bool)
        }
        BinaryOp::In => match r {
            Type::List(item) => l.unify(item).map(|_| Type::Bool),
            Type::Null | Type::Any => Some(Type::Bool),
            _ => None,
        },
        BinaryOp::Concat => Some(Type::Text).filter(|_| !matches!(l, Type::List(_)) && !matches!(r, Type::List(_))),
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => {
            if !(l.is_numeric() && r.is_numeric()) {
                return None;
            }
            Some(if matches!((l, r), (Type::Integer | Type::Null, Type::Integer | Type::Null)) {
                Type::Integer
            } else {
                Type::Decimal
            })
        }
        BinaryOp::Div => (l.is_numeric() && r.is_numeric()).then_some(Type::Decimal),
    }
}

impl<T: Schema + ?Sized> Schema for &T {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        (**self).type_of(path)
    }

    fn rows(&self, path: &[String]) -> Option<Box<dyn Schema + '_>> {
        (**self).rows(path)
    }

    fn has_calendar(&self, name: &str) -> Option<bool> {
        (**self).has_calendar(name)
    }

    fn is_personal(&self, path: &[String]) -> bool {
        (**self).is_personal(path)
    }
}
