//! Problems found in a flow, each at its JSON path and naming the node or flow it is about,
//! so the designer can highlight it.

use engine_rule::{Expr, Schema, Type};
use serde_json::Value;

/// A problem in a flow: the platform's one kind of diagnostic, its `node` naming the node
/// or flow (edge) the problem is about.
pub use engine_rule::Diagnostic;

/// A problem about node `id` as a whole.
pub fn at_node(nodes: &[crate::model::Node], id: &str, code: &'static str, message: impl Into<String>) -> Diagnostic {
    let i = nodes.iter().position(|n| n.id == id).unwrap_or(0);
    Diagnostic::new(format!("/nodes/{i}"), code, message).about(id)
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
        self.add(Diagnostic::new(path, code, message));
    }

    /// Adds `d`, naming the node or flow its path is in when it names none.
    pub fn add(&mut self, mut d: Diagnostic) {
        if d.node.is_none() {
            d.node = self.about(&d.path);
        }
        self.found.push(d);
    }

    /// The id of the node or flow (edge) a path points into.
    fn about(&self, path: &str) -> Option<String> {
        let mut segments = path.split('/').skip(1);
        let (kind, index) = (segments.next(), segments.next().and_then(|i| i.parse::<usize>().ok()));
        let item = |list: &str| index.and_then(|i| self.doc[list].get(i));
        match kind {
            Some("nodes") => item("nodes").and_then(|n| n["id"].as_str()).map(str::to_owned),
            Some("flows") => item("flows").map(|f| {
                f.get("id").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| {
                    format!("{}_to_{}", f["from"].as_str().unwrap_or(""), f["to"].as_str().unwrap_or(""))
                })
            }),
            _ => None,
        }
    }

    pub fn extend(&mut self, found: impl IntoIterator<Item = Diagnostic>) {
        for d in found {
            self.add(d);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    pub fn finish(self) -> Vec<Diagnostic> {
        self.found
    }

    /// Checks a text people read at `path`: an expression, or one per language.
    pub fn text(&mut self, path: &str, raw: &Value, schema: &dyn Schema) -> Option<engine_rule::TextSpec> {
        engine_rule::check_text(path, raw, schema).map_err(|found| self.extend(found)).ok()
    }

    /// Parses and checks the expression `raw` (a string) at `path`; `None` after reporting
    /// why it is not one of type `want` (`Type::Any`: any type).
    pub fn expr(&mut self, path: &str, raw: &Value, schema: &dyn Schema, want: &Type) -> Option<Expr> {
        let Some(text) = raw.as_str() else {
            self.push(path, "shape", "an expression is a string");
            return None;
        };
        match engine_rule::check_expression(path, text, schema, Some(want)) {
            Ok((expr, _)) => Some(expr),
            Err(found) => {
                self.extend(found);
                None
            }
        }
    }
}
