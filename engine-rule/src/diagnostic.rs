//! A problem in rule metadata (a decision table, a rule), located for the designer.

use serde_json::Value as Json;

use crate::expr::ast::{Expr, Span};
use crate::expr::check::{Schema, check};
use crate::expr::parser;
use crate::expr::types::Type;

/// One problem in metadata, the one kind every engine reports: `path` is a JSON pointer
/// into the document checked (`/forms/2/fields/0/type`, `/rules/1/condition`); `code` is
/// stable and machine-readable; `span`, when there is one, the byte offsets of the wrong
/// part inside the expression or cell text at that path; `node`, the node or flow of a
/// process the problem is about. The designer points at any problem the same way.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub path: String,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

impl Diagnostic {
    pub fn new(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { path: path.into(), code, message: message.into(), span: None, node: None }
    }

    /// The same problem, located inside its expression or cell.
    pub fn at(self, span: Span) -> Diagnostic {
        Diagnostic { span: Some(span), ..self }
    }

    /// The same problem, about node (or flow) `node` of a process.
    pub fn about(self, node: impl Into<String>) -> Diagnostic {
        Diagnostic { node: Some(node.into()), ..self }
    }

    /// The same problem, its path inside the document at `prefix` (`/rules/3`).
    pub fn under(self, prefix: &str) -> Diagnostic {
        Diagnostic { path: format!("{prefix}{}", self.path), ..self }
    }
}

/// Diagnostics being gathered, with the checks every metadata kind makes of its
/// expressions.
pub(crate) struct Diags(pub Vec<Diagnostic>);

impl Diags {
    pub fn push(&mut self, path: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.0.push(Diagnostic::new(path, code, message));
    }

    /// Parses and checks an expression; when `want` is given, its type must fit it.
    pub fn expr(&mut self, path: &str, text: Option<&Json>, schema: &dyn Schema, want: Option<&Type>) -> Option<Expr> {
        let Some(text) = text.and_then(Json::as_str) else {
            self.push(path, "missing", "expected an expression (a string)");
            return None;
        };
        let expr = match parser::parse(text) {
            Ok(expr) => expr,
            Err(e) => {
                self.0.push(Diagnostic::new(path, e.kind.code(), e.message).at(e.span));
                return None;
            }
        };
        match check(&expr, schema) {
            Err(errors) => {
                for e in errors {
                    self.0.push(Diagnostic::new(path, e.kind.code(), e.message).at(e.span));
                }
                None
            }
            Ok(t) if want.is_some_and(|w| !t.fits(w)) => {
                self.push(
                    path,
                    "type_mismatch",
                    format!("this gives {t}, {} is needed", want.map(ToString::to_string).unwrap_or_default()),
                );
                None
            }
            Ok(_) => Some(expr),
        }
    }

    /// `{ "field": "expression", … }` where each field exists in `target` and each
    /// expression, read against `source`, fits its field.
    pub fn assignments(
        &mut self,
        path: &str,
        map: Option<&Json>,
        source: &dyn Schema,
        target: &dyn Schema,
    ) -> Vec<(String, Expr)> {
        let Some(map) = map.and_then(Json::as_object) else {
            self.push(path, "missing", "expected an object of field: expression");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (field, text) in map {
            let field_path = format!("{path}/{field}");
            let Some(t) = target.type_of(std::slice::from_ref(field)) else {
                self.push(field_path, "unknown_field", format!("there is no field `{field}`"));
                continue;
            };
            if let Some(expr) = self.expr(&field_path, Some(text), source, Some(&t)) {
                out.push((field.clone(), expr));
            }
        }
        out
    }
}
