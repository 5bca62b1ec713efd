//! Problems found in a flow, each at its JSON path and naming the node or flow it is about,
//! so the designer can highlight it.

use engine_rule::{Expr, Schema, Type};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// A JSON pointer into the flow document.
    pub path: String,
    /// The node the problem is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The flow (edge) the problem is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    pub code: &'static str,
    pub message: String,
}

impl Diagnostic {
    /// A problem about node `id` as a whole.
    pub fn at_node(
        nodes: &[crate::model::Node],
        id: &str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Diagnostic {
        let i = nodes.iter().position(|n| n.id == id).unwrap_or(0);
        Diagnostic { path: format!("/nodes/{i}"), node: Some(id.to_owned()), flow: None, code, message: message.into() }
    }
}

/// Collects diagnostics for one document, naming the node or flow of each path.
pub(crate) struct Diagnostics<'d> {
    doc: &'d Value,
    found: Vec<Diagnostic>,
}

impl<'d> Diagnostics<'d> {
    pub fn new(doc: &'d Value) -> Self {
        Diagnostics { doc, found: Vec::new() }
    }

    pub fn push(&mut self, path: impl Into<String>, code: &'static str, message: impl Into<String>) {
        let path = path.into();
        let mut segments = path.split('/').skip(1);
        let (kind, index) = (segments.next(), segments.next().and_then(|i| i.parse::<usize>().ok()));
        let item = |list: &str| index.and_then(|i| self.doc[list].get(i));
        let (node, flow) = match kind {
            Some("nodes") => (item("nodes").and_then(|n| n["id"].as_str()).map(str::to_owned), None),
            Some("flows") => {
                let f = item("flows");
                let id = f.and_then(|f| {
                    f.get("id").and_then(Value::as_str).map(str::to_owned).or_else(|| {
                        Some(format!("{}_to_{}", f["from"].as_str().unwrap_or(""), f["to"].as_str().unwrap_or("")))
                    })
                });
                (None, id)
            }
            _ => (None, None),
        };
        self.found.push(Diagnostic { path, node, flow, code, message: message.into() });
    }

    pub fn extend(&mut self, found: impl IntoIterator<Item = Diagnostic>) {
        for d in found {
            if d.node.is_some() || d.flow.is_some() {
                self.found.push(d);
            } else {
                self.push(d.path, d.code, d.message);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    pub fn finish(self) -> Vec<Diagnostic> {
        self.found
    }

    /// Parses and checks the expression `raw` (a string) at `path`; `None` after reporting
    /// why it is not one of type `want` (`Type::Any`: any type).
    pub fn expr(&mut self, path: &str, raw: &Value, schema: &dyn Schema, want: &Type) -> Option<Expr> {
        let Some(text) = raw.as_str() else {
            self.push(path, "shape", "an expression is a string");
            return None;
        };
        let checked = engine_rule::parse(text).map_err(|e| vec![e]).and_then(|expr| {
            let t = engine_rule::check(&expr, schema)?;
            Ok((expr, t))
        });
        match checked {
            Ok((expr, t)) if t.fits(want) => Some(expr),
            Ok((_, t)) => {
                self.push(path, "type_mismatch", format!("{want} is needed here, not {t}"));
                None
            }
            Err(errors) => {
                for e in errors {
                    self.push(path, "bad_expression", format!("{} (at {}..{})", e.message, e.span.start, e.span.end));
                }
                None
            }
        }
    }
}
