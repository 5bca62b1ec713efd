//! The published JSON Schema of flow documents, and checking a document's shape against it.

use std::sync::LazyLock;

use serde_json::Value;

use crate::diagnostic::Diagnostic;

static SCHEMA: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../schema/flow.schema.json"))
        .unwrap_or_else(|e| panic!("flow.schema.json is part of the build and must parse: {e}"))
});

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    jsonschema::validator_for(&SCHEMA).unwrap_or_else(|e| panic!("the built-in flow schema must compile: {e}"))
});

/// The JSON Schema of a flow document.
pub fn flow_schema() -> &'static Value {
    &SCHEMA
}

/// Every way `doc` departs from the schema, at its path.
pub(crate) fn check_shape(doc: &Value) -> Vec<Diagnostic> {
    VALIDATOR.iter_errors(doc).map(|e| Diagnostic::new(e.instance_path().as_str(), "schema", e.to_string())).collect()
}
