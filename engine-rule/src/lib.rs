//! The expression language shared by the whole platform (formulas, conditions, filters,
//! row-level rules) and, later, the rule engine. Pure: expressions, values and `now` in,
//! results out.
//!
//! This version has the language core: parsing with positions, static checking against
//! a schema, and exact evaluation. Compilation to SQL, rules, decision tables and
//! explanations come next.

mod expr;

pub use expr::ast::{BinaryOp, Expr, ExprKind, Span, UnaryOp};
pub use expr::check::{Schema, check};
pub use expr::eval::{Context, Record, evaluate};
pub use expr::parser::{MAX_DEPTH, MAX_LENGTH, parse};
pub use expr::types::Type;
pub use expr::value::Value;
pub use expr::{ExprError, ExprErrorKind};
