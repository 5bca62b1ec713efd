//! Condition cells ("unary tests") turned into ordinary expressions over the input value.

use crate::expr::ast::{BinaryOp, Expr, ExprKind, Span};
use crate::expr::{ExprError, ExprErrorKind, parser};

/// The name the input value goes by inside a condition; no field can be called this,
/// since the lexer never produces it.
pub const INPUT: &str = "?";

fn input(span: Span) -> Expr {
    Expr { kind: ExprKind::Path(vec![INPUT.to_owned()]), span }
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.to(right.span);
    Expr { kind: ExprKind::Binary(op, Box::new(left), Box::new(right)), span }
}

/// Parses `text` (an operand), moving its spans by `delta` so they point into the cell.
fn operand(text: &str, delta: isize) -> Result<Expr, ExprError> {
    let mut expr = parser::parse(text).map_err(|mut e| {
        e.span = moved(e.span, delta);
        e
    })?;
    shift(&mut expr, delta);
    Ok(expr)
}

fn moved(span: Span, delta: isize) -> Span {
    Span { start: span.start.saturating_add_signed(delta), end: span.end.saturating_add_signed(delta) }
}

fn shift(expr: &mut Expr, delta: isize) {
    expr.span = moved(expr.span, delta);
    for child in expr.children_mut() {
        shift(child, delta);
    }
}

/// The condition a cell states, as a boolean expression over the input, or `None` for
/// "anything" (`-` or empty).
pub fn condition(cell: &str) -> Result<Option<Expr>, ExprError> {
    let trimmed = cell.trim();
    let offset = cell.len() - cell.trim_start().len();
    let whole = Span { start: offset, end: offset + trimmed.len() };
    if trimmed.is_empty() || trimmed == "-" {
        return Ok(None);
    }
    for (prefix, op) in [
        (">=", BinaryOp::Ge),
        ("<=", BinaryOp::Le),
        ("!=", BinaryOp::Ne),
        ("<>", BinaryOp::Ne),
        ("==", BinaryOp::Eq),
        (">", BinaryOp::Gt),
        ("<", BinaryOp::Lt),
        ("=", BinaryOp::Eq),
    ] {
        if let Some(rest) = trimmed.strip_prefix(prefix) {
            let right = operand(rest, (offset + prefix.len()) as isize)?;
            return Ok(Some(binary(op, input(whole), right)));
        }
    }
    if let Some(range) = range(trimmed, offset)? {
        return Ok(Some(range));
    }
    // A list of values: `'hnw', 'affluent'`, or a single value.
    // Parsed inside brackets, so positions move back by the `[` added in front.
    let list = operand(&format!("[{trimmed}]"), offset as isize - 1)?;
    match list.kind {
        ExprKind::List(mut items) if items.len() == 1 => Ok(Some(binary(BinaryOp::Eq, input(whole), items.remove(0)))),
        ExprKind::List(_) => Ok(Some(binary(BinaryOp::In, input(whole), list))),
        _ => {
            Err(ExprError::new(ExprErrorKind::Syntax, whole, "expected `-`, a comparison, a range or a list of values"))
        }
    }
}

/// `[a..b]` includes both ends, `(a..b)` neither, and the two may mix: `[a..b)`.
fn range(text: &str, offset: usize) -> Result<Option<Expr>, ExprError> {
    let (Some(open), Some(close)) = (text.chars().next(), text.chars().last()) else { return Ok(None) };
    if !matches!(open, '[' | '(') || !matches!(close, ']' | ')') {
        return Ok(None);
    }
    let inner = &text[1..text.len() - 1];
    let Some((low, high)) = inner.split_once("..") else { return Ok(None) };
    let whole = Span { start: offset, end: offset + text.len() };
    let low = operand(low, (offset + 1) as isize)?;
    let high = operand(high, (offset + 1 + inner.find("..").unwrap_or(0) + 2) as isize)?;
    let lower = binary(if open == '[' { BinaryOp::Ge } else { BinaryOp::Gt }, input(whole), low);
    let upper = binary(if close == ']' { BinaryOp::Le } else { BinaryOp::Lt }, input(whole), high);
    Ok(Some(binary(BinaryOp::And, lower, upper)))
}
