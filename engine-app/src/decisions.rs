//! Decision tables, each evaluated on the records of one form.

use engine_form::{Bundle, Diagnostic, FormSchema};
use engine_rule::DecisionTable;
use serde_json::Value;

/// A decision table evaluated on records of `form`: rules read its outputs as
/// `table.output` (`customer_tier.tier`).
#[derive(Debug)]
pub struct Decision {
    pub form: String,
    pub table: DecisionTable,
    /// Each output as one expression (`DecisionTable::as_expression`), for the database:
    /// `customer_tier.tier` in a list filter or a scheduled scan.
    pub expressions: Vec<(String, engine_rule::Expr)>,
}

impl Decision {
    pub(crate) fn new(form: String, table: DecisionTable) -> Decision {
        let expressions =
            table.output_keys().filter_map(|output| Some((output.to_owned(), table.as_expression(output)?))).collect();
        Decision { form, table, expressions }
    }

    /// `output` as one expression, if the table has one for it.
    pub fn expression(&self, output: &str) -> Option<&engine_rule::Expr> {
        self.expressions.iter().find(|(k, _)| k == output).map(|(_, e)| e)
    }
}

/// Checks each decision table against the fields of the form it names (`form`).
pub(crate) fn check_decisions(doc: &Value, bundle: &Bundle, diags: &mut Vec<Diagnostic>) -> Vec<Decision> {
    let mut decisions: Vec<Decision> = Vec::new();
    for (i, table) in doc.get("decisions").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let base = format!("/decisions/{i}");
        let form_key = table.get("form").and_then(Value::as_str).unwrap_or("");
        let Some(form) = bundle.form(form_key) else {
            diags.push(Diagnostic::new(
                format!("{base}/form"),
                "unknown_form",
                format!("there is no form `{form_key}`"),
            ));
            continue;
        };
        let mut table = table.clone();
        if let Some(fields) = table.as_object_mut() {
            fields.remove("form");
        }
        match engine_rule::parse_table(&table, &FormSchema { bundle, form }) {
            Ok(parsed) if decisions.iter().any(|d| d.table.key == parsed.key) => diags.push(Diagnostic::new(
                format!("{base}/key"),
                "duplicate",
                format!("two decision tables are called `{}`", parsed.key),
            )),
            Ok(parsed) => decisions.push(Decision::new(form.key.clone(), parsed)),
            Err(found) => diags.extend(found.into_iter().map(|d| d.under(&base))),
        }
    }
    decisions
}
