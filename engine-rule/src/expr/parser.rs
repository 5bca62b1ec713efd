//! A Pratt parser. Bounded: expressions longer than [`MAX_LENGTH`] characters, or whose
//! tree is more than [`MAX_DEPTH`] nodes high, are refused, so any accepted expression is
//! cheap to check and evaluate, and no pass over it (checking, evaluation, compiling to
//! SQL, the database's own parser) can exhaust a stack. Chains of one associative
//! operator (`a or b or c …`, `and`, `&`) are built as balanced trees, so a long list of
//! alternatives stays low (2,000 terms are 11 levels) while every other operator chain
//! counts a level per operator.

use super::ast::{BinaryOp, Expr, ExprKind, Span, UnaryOp};
use super::lexer::{Tok, lex};
use super::{ExprError, ExprErrorKind};

pub const MAX_LENGTH: usize = 4000;
pub const MAX_DEPTH: usize = 64;

/// Parses an expression. Keywords (`and or not in true false null`) and function names
/// are case-insensitive; `=`/`==`, `!=`/`<>`, `and`/`&&`, `or`/`||`, `not`/`!` are synonyms.
pub fn parse(text: &str) -> Result<Expr, ExprError> {
    if text.chars().count() > MAX_LENGTH {
        return Err(ExprError::new(
            ExprErrorKind::TooLong,
            Span { start: 0, end: text.len() },
            format!("an expression has at most {MAX_LENGTH} characters"),
        ));
    }
    let tokens = lex(text)?;
    let mut parser = Parser { tokens, pos: 0, depth: 0 };
    let expr = parser.expr(0)?;
    match parser.peek() {
        (Tok::End, _) => {
            within_depth(&expr)?;
            Ok(expr)
        }
        (_, span) => {
            Err(ExprError::new(ExprErrorKind::Syntax, span, "expected an operator or the end of the expression"))
        }
    }
}

/// Refuses a tree more than [`MAX_DEPTH`] nodes high, pointing at the first node below
/// the limit. Walks with a stack of its own, so the check itself cannot overflow.
pub fn within_depth(expr: &Expr) -> Result<(), ExprError> {
    let mut pending = vec![(expr, 1usize)];
    while let Some((node, depth)) = pending.pop() {
        if depth > MAX_DEPTH {
            return Err(ExprError::new(
                ExprErrorKind::TooDeep,
                node.span,
                format!(
                    "expressions nest at most {MAX_DEPTH} deep (each operator of a chain of `+`, `-`, `*`, `/` or comparisons is a level)"
                ),
            ));
        }
        pending.extend(node.children().into_iter().map(|child| (child, depth + 1)));
    }
    Ok(())
}

/// Whether chains of `op` may be regrouped: `and` and `or` (three-valued logic is
/// associative, and evaluation still goes left to right) and `&` (text joining). The
/// arithmetic operators are not: regrouping could move where an overflow happens.
fn associative(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::And | BinaryOp::Or | BinaryOp::Concat)
}

/// `operands` joined by `op` as a balanced tree, in their order.
fn balanced(op: BinaryOp, mut operands: Vec<Expr>) -> Expr {
    if operands.len() == 1 {
        return operands.pop().expect("one operand");
    }
    let right = operands.split_off(operands.len() / 2);
    let (left, right) = (balanced(op, operands), balanced(op, right));
    let span = left.span.to(right.span);
    Expr { kind: ExprKind::Binary(op, Box::new(left), Box::new(right)), span }
}

struct Parser {
    tokens: Vec<(Tok, Span)>,
    pos: usize,
    depth: usize,
}

fn keyword(tok: &Tok) -> Option<String> {
    match tok {
        Tok::Ident(name) => Some(name.to_ascii_lowercase()),
        _ => None,
    }
}

/// The binary operator a token stands for, with its binding power.
fn binary(tok: &Tok) -> Option<(BinaryOp, u8)> {
    let op = match tok {
        Tok::Op("||") => BinaryOp::Or,
        Tok::Op("&&") => BinaryOp::And,
        Tok::Op("=" | "==") => BinaryOp::Eq,
        Tok::Op("!=" | "<>") => BinaryOp::Ne,
        Tok::Op("<") => BinaryOp::Lt,
        Tok::Op("<=") => BinaryOp::Le,
        Tok::Op(">") => BinaryOp::Gt,
        Tok::Op(">=") => BinaryOp::Ge,
        Tok::Op("&") => BinaryOp::Concat,
        Tok::Op("+") => BinaryOp::Add,
        Tok::Op("-") => BinaryOp::Sub,
        Tok::Op("*") => BinaryOp::Mul,
        Tok::Op("/") => BinaryOp::Div,
        other => match keyword(other).as_deref() {
            Some("or") => BinaryOp::Or,
            Some("and") => BinaryOp::And,
            Some("in") => BinaryOp::In,
            _ => return None,
        },
    };
    let power = match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::In => 4,
        BinaryOp::Concat => 5,
        BinaryOp::Add | BinaryOp::Sub => 6,
        BinaryOp::Mul | BinaryOp::Div => 7,
    };
    Some((op, power))
}

/// `not` binds looser than comparisons (`not a == b` is `not (a == b)`); unary minus tighter than `*`.
const NOT_POWER: u8 = 3;
const NEGATE_POWER: u8 = 8;

impl Parser {
    fn peek(&self) -> (Tok, Span) {
        self.tokens[self.pos.min(self.tokens.len() - 1)].clone()
    }

    fn advance(&mut self) -> (Tok, Span) {
        let token = self.peek();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    fn expect(&mut self, want: &Tok, what: &str) -> Result<Span, ExprError> {
        let (tok, span) = self.advance();
        if &tok == want {
            Ok(span)
        } else {
            Err(ExprError::new(ExprErrorKind::Syntax, span, format!("expected {what}")))
        }
    }

    fn expr(&mut self, min_power: u8) -> Result<Expr, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let (_, span) = self.peek();
            return Err(ExprError::new(
                ExprErrorKind::TooDeep,
                span,
                format!("expressions nest at most {MAX_DEPTH} deep"),
            ));
        }
        let mut left = self.prefix()?;
        while let Some((op, power)) = binary(&self.peek().0) {
            if power <= min_power {
                break;
            }
            self.advance();
            if associative(op) {
                let mut operands = vec![left, self.expr(power)?];
                while binary(&self.peek().0).is_some_and(|(next, _)| next == op) {
                    self.advance();
                    operands.push(self.expr(power)?);
                }
                left = balanced(op, operands);
                continue;
            }
            let right = self.expr(power)?;
            let span = left.span.to(right.span);
            left = Expr { kind: ExprKind::Binary(op, Box::new(left), Box::new(right)), span };
        }
        self.depth -= 1;
        Ok(left)
    }

    fn prefix(&mut self) -> Result<Expr, ExprError> {
        let (tok, span) = self.advance();
        let unary = |parser: &mut Parser, op: UnaryOp, power: u8| -> Result<Expr, ExprError> {
            let operand = parser.expr(power)?;
            let span = span.to(operand.span);
            Ok(Expr { kind: ExprKind::Unary(op, Box::new(operand)), span })
        };
        let kind = match &tok {
            Tok::Integer(i) => ExprKind::Integer(*i),
            Tok::Decimal(d) => ExprKind::Decimal(*d),
            Tok::Text(s) => ExprKind::Text(s.clone()),
            Tok::Op("-") => return unary(self, UnaryOp::Negate, NEGATE_POWER),
            Tok::Op("!") => return unary(self, UnaryOp::Not, NOT_POWER),
            Tok::LParen => {
                let inner = self.expr(0)?;
                let close = self.expect(&Tok::RParen, "`)`")?;
                return Ok(Expr { kind: inner.kind, span: span.to(close) });
            }
            Tok::LBracket => {
                let items = self.list(&Tok::RBracket, "`,` or `]`")?;
                let close = self.tokens[self.pos - 1].1;
                return Ok(Expr { kind: ExprKind::List(items), span: span.to(close) });
            }
            Tok::Ident(name) => match name.to_ascii_lowercase().as_str() {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "null" => ExprKind::Null,
                "not" => return unary(self, UnaryOp::Not, NOT_POWER),
                "and" | "or" | "in" => {
                    return Err(ExprError::new(
                        ExprErrorKind::Syntax,
                        span,
                        format!("`{name}` needs a value before it"),
                    ));
                }
                _ => return self.name(name.clone(), span),
            },
            Tok::End => return Err(ExprError::new(ExprErrorKind::Syntax, span, "the expression ends too early")),
            _ => return Err(ExprError::new(ExprErrorKind::Syntax, span, "expected a value, a field or a function")),
        };
        Ok(Expr { kind, span })
    }

    /// A field path (`a.b.c`, `$user.id`) or a function call (`round(x, 2)`).
    fn name(&mut self, first: String, span: Span) -> Result<Expr, ExprError> {
        if self.peek().0 == Tok::LParen {
            self.advance();
            let args = self.list(&Tok::RParen, "`,` or `)`")?;
            let close = self.tokens[self.pos - 1].1;
            return Ok(Expr { kind: ExprKind::Call(first.to_ascii_lowercase(), args), span: span.to(close) });
        }
        let mut path = vec![first];
        let mut end = span;
        while self.peek().0 == Tok::Dot {
            self.advance();
            match self.advance() {
                (Tok::Ident(part), part_span) if !part.starts_with('$') => {
                    path.push(part);
                    end = part_span;
                }
                (_, bad) => return Err(ExprError::new(ExprErrorKind::Syntax, bad, "expected a field name after `.`")),
            }
        }
        Ok(Expr { kind: ExprKind::Path(path), span: span.to(end) })
    }

    /// Comma-separated expressions up to `close` (already past the opening token).
    fn list(&mut self, close: &Tok, what: &str) -> Result<Vec<Expr>, ExprError> {
        let mut items = Vec::new();
        if &self.peek().0 == close {
            self.advance();
            return Ok(items);
        }
        loop {
            items.push(self.expr(0)?);
            match self.advance() {
                (Tok::Comma, _) => {}
                (tok, _) if &tok == close => return Ok(items),
                (_, span) => return Err(ExprError::new(ExprErrorKind::Syntax, span, format!("expected {what}"))),
            }
        }
    }
}
