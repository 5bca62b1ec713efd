//! A problem in rule metadata (a decision table, a rule), located for the designer.

use crate::expr::ast::Span;

/// `path` is a JSON pointer into the document; `span`, when there is one, the position
/// inside the cell or expression text at that path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    pub code: &'static str,
    pub message: String,
    pub span: Option<Span>,
}
