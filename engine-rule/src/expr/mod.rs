//! The expression language: lexing, parsing, checking and evaluating.

pub mod aggregate;
pub mod ast;
pub mod check;
pub mod decimal;
pub mod eval;
pub mod format;
pub(crate) mod functions;
pub(crate) mod lexer;
pub mod parser;
pub mod types;
pub mod value;

use ast::Span;

/// A problem in an expression, located in its text so the designer can underline it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at {}..{})", span.start, span.end)]
pub struct ExprError {
    pub kind: ExprErrorKind,
    pub span: Span,
    pub message: String,
}

/// What kind of problem, as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExprErrorKind {
    Syntax,
    TooLong,
    TooDeep,
    UnknownField,
    UnknownFunction,
    ArgumentCount,
    TypeMismatch,
    /// A number left the exact range (28 significant digits).
    Overflow,
    /// Two rows of a `unique` decision table matched.
    Ambiguous,
    /// The expression is valid but cannot run inside the database (e.g. `&` on decimals),
    /// where a list filter, a row rule or a scheduled scan needs it.
    NotInDatabase,
    /// A business-day function names a calendar the app does not have.
    UnknownCalendar,
}

impl ExprErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ExprErrorKind::Syntax => "syntax",
            ExprErrorKind::TooLong => "too_long",
            ExprErrorKind::TooDeep => "too_deep",
            ExprErrorKind::UnknownField => "unknown_field",
            ExprErrorKind::UnknownFunction => "unknown_function",
            ExprErrorKind::ArgumentCount => "argument_count",
            ExprErrorKind::TypeMismatch => "type_mismatch",
            ExprErrorKind::Overflow => "overflow",
            ExprErrorKind::Ambiguous => "ambiguous",
            ExprErrorKind::NotInDatabase => "not_in_database",
            ExprErrorKind::UnknownCalendar => "unknown_calendar",
        }
    }
}

impl ExprError {
    pub fn new(kind: ExprErrorKind, span: Span, message: impl Into<String>) -> Self {
        ExprError { kind, span, message: message.into() }
    }
}
