//! The expression language shared by the whole platform (formulas, conditions, filters,
//! row-level rules) and, later, the rule engine. Pure: expressions, values and `now` in,
//! results out.
//!
//! This version has the language core (parsing with positions, static checking against a
//! schema, exact evaluation) and decision tables with explanations. Compilation to SQL,
//! event and scheduled rules come next.

mod decision;
mod expr;

pub use decision::{DecisionResult, DecisionTable, HitPolicy, TableDiagnostic, parse_table};

pub use expr::ast::{BinaryOp, Expr, ExprKind, Span, UnaryOp};
pub use expr::check::{Schema, check};
pub use expr::eval::{Context, Record, evaluate};
pub use expr::parser::{MAX_DEPTH, MAX_LENGTH, parse};
pub use expr::types::Type;
pub use expr::value::Value;
pub use expr::{ExprError, ExprErrorKind};
