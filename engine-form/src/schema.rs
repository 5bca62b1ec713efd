//! The published JSON Schemas of metadata documents and structural validation against them.

use std::sync::LazyLock;

use serde_json::{Value, json};

use crate::diagnostic::Diagnostic;

const BUNDLE_SCHEMA: &str = include_str!("../schema/bundle.schema.json");

static BUNDLE: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(BUNDLE_SCHEMA)
        .unwrap_or_else(|e| panic!("bundle.schema.json is part of the build and must parse: {e}"))
});

static FORM: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://trellis.dev/schema/form.json",
        "title": "Trellis form",
        "$ref": "#/$defs/form",
        "$defs": BUNDLE["$defs"].clone(),
    })
});

static BUNDLE_VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| compile(&BUNDLE));
static FORM_VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| compile(&FORM));

fn compile(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).unwrap_or_else(|e| panic!("the built-in schema must compile: {e}"))
}

/// The JSON Schema of a whole app bundle.
pub fn bundle_schema() -> &'static Value {
    &BUNDLE
}

/// The JSON Schema of one form document.
pub fn form_schema() -> &'static Value {
    &FORM
}

pub(crate) fn check_bundle_shape(doc: &Value) -> Vec<Diagnostic> {
    collect(&BUNDLE_VALIDATOR, doc)
}

pub(crate) fn check_form_shape(doc: &Value) -> Vec<Diagnostic> {
    collect(&FORM_VALIDATOR, doc)
}

fn collect(validator: &jsonschema::Validator, doc: &Value) -> Vec<Diagnostic> {
    validator.iter_errors(doc).map(|e| Diagnostic::new(e.instance_path().as_str(), "schema", e.to_string())).collect()
}
