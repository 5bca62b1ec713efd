//! Walks tests/data: each bundle case lists the diagnostics it must produce (path and
//! code, in order); each record case lists the output or the field errors expected.

use std::path::PathBuf;

use engine_form::{CheckMode, check_record, parse_bundle};
use serde_json::{Value, json};

fn data(dir: &str) -> Vec<(String, Value)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(dir);
    let mut files: Vec<_> =
        std::fs::read_dir(&root).expect("test data folder").map(|e| e.expect("entry").path()).collect();
    files.sort();
    assert!(!files.is_empty(), "no cases in {}", root.display());
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable case");
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                serde_json::from_str(&text).expect("case is JSON"),
            )
        })
        .collect()
}

#[test]
fn bundle_cases() {
    for (name, case) in data("bundles") {
        // Every diagnostic must be there, with its span where the case gives one; their
        // order is not part of the contract.
        let expected_of = |d: &Value| {
            let span = d.get("span").map(|s| format!(" {}..{}", s[0], s[1])).unwrap_or_default();
            format!("{} {}{span}", d["path"].as_str().unwrap_or(""), d["code"].as_str().unwrap_or(""))
        };
        let expected_diags = case["diagnostics"].as_array().expect("diagnostics");
        let mut got: Vec<String> = match parse_bundle(&case["bundle"]) {
            Ok(_) => Vec::new(),
            Err(diags) => diags
                .iter()
                .map(|d| {
                    let spanned =
                        expected_diags.iter().any(|e| e["path"] == d.path.as_str() && e.get("span").is_some());
                    let span =
                        d.span.filter(|_| spanned).map(|s| format!(" {}..{}", s.start, s.end)).unwrap_or_default();
                    format!("{} {}{span}", d.path, d.code)
                })
                .collect(),
        };
        let mut expected: Vec<String> = expected_diags.iter().map(expected_of).collect();
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "case {name}");
    }
}

#[test]
fn record_cases() {
    for (name, suite) in data("records") {
        let bundle = parse_bundle(&suite["bundle"]).unwrap_or_else(|d| panic!("{name}: bundle invalid: {d:?}"));
        let form = bundle.form(suite["form"].as_str().expect("form key")).expect("form exists");
        for case in suite["cases"].as_array().expect("cases") {
            let label = format!("{name} / {}", case["name"]);
            let mode = match case["mode"].as_str() {
                Some("create") => CheckMode::Create,
                Some("patch") => CheckMode::Patch,
                other => panic!("{label}: unknown mode {other:?}"),
            };
            let result = check_record(form, case["input"].as_object().expect("input object"), mode);
            match (result, case.get("output"), case.get("errors")) {
                (Ok(values), Some(expected), None) => {
                    let got: serde_json::Map<String, Value> =
                        values.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
                    assert_eq!(&Value::Object(got), expected, "{label}");
                }
                (Err(errors), None, Some(expected)) => {
                    let got: Vec<Value> = errors.iter().map(|e| json!({ "path": e.path, "code": e.code })).collect();
                    assert_eq!(&Value::Array(got), expected, "{label}");
                }
                (got, _, _) => panic!("{label}: unexpected result {got:?}"),
            }
        }
    }
}

#[test]
fn published_schemas_compile_and_accept_the_demo_shapes() {
    let form = json!({ "key": "x", "label": { "zh-CN": "x", "en": "x" }, "fields": [ { "key": "a", "type": "text", "label": { "zh-CN": "a", "en": "a" } } ] });
    let validator = jsonschema::validator_for(engine_form::form_schema()).expect("form schema compiles");
    assert!(validator.is_valid(&form));
    assert!(!validator.is_valid(&json!({ "key": "x" })));
    let bundle = jsonschema::validator_for(engine_form::bundle_schema()).expect("bundle schema compiles");
    assert!(bundle.is_valid(&json!({ "key": "app", "name": { "zh-CN": "a", "en": "a" }, "forms": [form] })));
}
