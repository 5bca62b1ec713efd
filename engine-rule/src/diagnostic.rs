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

/// The one check of an expression every engine makes, for every kind of metadata that
/// holds one (a formula, a `visible_when`, a validation, a row rule, a rule's condition, a
/// gateway's, a figure): `text` parsed and checked against `schema`, and, when `want` is
/// given, its type fits it. Every problem is a [`Diagnostic`] at `path` with the error's own
/// code (`syntax`, `unknown_field`, `type_mismatch`…) and its byte span within the text,
/// so a designer underlines the wrong characters wherever the expression stands.
pub fn check_expression(
    path: &str,
    text: &str,
    schema: &dyn Schema,
    want: Option<&Type>,
) -> Result<(Expr, Type), Vec<Diagnostic>> {
    let located = |e: crate::ExprError| Diagnostic::new(path, e.kind.code(), e.message).at(e.span);
    let expr = parser::parse(text).map_err(|e| vec![located(e)])?;
    let t = check(&expr, schema).map_err(|errors| errors.into_iter().map(located).collect::<Vec<_>>())?;
    match want {
        Some(w) if !t.fits(w) => {
            let whole = crate::Span { start: 0, end: text.len() };
            Err(vec![Diagnostic::new(path, "type_mismatch", format!("this gives {t}, {w} is needed")).at(whole)])
        }
        _ => Ok((expr, t)),
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
        match check_expression(path, text, schema, want) {
            Ok((expr, _)) => Some(expr),
            Err(found) => {
                self.0.extend(found);
                None
            }
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
