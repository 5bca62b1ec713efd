//! The expression language shared by the whole platform (formulas, conditions, filters,
//! row-level rules) and, later, the rule engine. Pure: expressions, values and `now` in,
//! results out.
//!
//! This version has the language core (parsing with positions, static checking against a
//! schema, exact evaluation), decision tables and event rules, each explaining its
//! results. Compilation to SQL and scheduled rules come next.

mod action;
mod calendar;
mod decision;
mod diagnostic;
mod expr;
mod rule;
mod text;

pub use action::{Action, ActionScope, ActionSpec, Channel, Priority, RecordRef, lower_action, mask};
pub use calendar::{Calendar, Calendars, parse_calendar};
pub use decision::{DecisionResult, DecisionTable, HitPolicy, parse_table};
pub use diagnostic::{Diagnostic, check_expression};
pub use rule::{AppCatalog, EventRule, Firing, Schedule, Trigger, TriggerKind, firing_order, parse_rule};
pub use text::{LANGUAGES, TextSpec, Texts, check_text, in_language};

pub use expr::aggregate::{Aggregate, AggregateCall};
pub use expr::ast::{BinaryOp, Expr, ExprKind, Span, UnaryOp};
pub use expr::check::{Schema, check};
pub use expr::decimal::{DIVISION_PLACES, divide};
pub use expr::eval::{Context, Record, evaluate};
pub use expr::functions::{TRIM_SET, names as function_names, zone};
pub use expr::lexer::token_classes;
pub use expr::parser::{MAX_DEPTH, MAX_LENGTH, parse, within_depth};
pub use expr::types::Type;
pub use expr::value::Value;
pub use expr::{ExprError, ExprErrorKind};
