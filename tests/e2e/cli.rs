//! The `trellis app` commands: validate, import, export.

use std::process::Command;

use crate::process::{repo_root, trellis};

#[test]
fn validate_lists_every_problem_and_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.json");
    let label = serde_json::json!({ "zh-CN": "x", "en": "x" });
    let bundle = serde_json::json!({ "key": "bad", "name": label, "forms": [{ "key": "f", "label": label, "fields": [
        { "key": "a", "type": "decimal", "label": label },
        { "key": "b", "type": "relation", "form": "ghost", "label": label }
    ]}]});
    std::fs::write(&bad, bundle.to_string()).expect("write");
    let out = Command::new(trellis()).args(["app", "validate"]).arg(&bad).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("/forms/0/fields/0/scale [missing]"), "{stdout}");
    assert!(stdout.contains("/forms/0/fields/1/form [unknown_form]"), "{stdout}");

    let ok = Command::new(trellis())
        .args(["app", "validate", "examples/bank-crm"])
        .current_dir(repo_root())
        .output()
        .expect("runs");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
}

#[test]
fn import_then_export_round_trips_the_bundle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let import = Command::new(trellis())
        .args(["app", "import", "examples/bank-crm", "--publish", "--db", &db])
        .current_dir(repo_root())
        .output()
        .expect("runs");
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    let export = Command::new(trellis()).args(["app", "export", "bank_crm", "--db", &db]).output().expect("runs");
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let exported: serde_json::Value = serde_json::from_slice(&export.stdout).expect("JSON");
    let app: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("examples/bank-crm/app.json")).expect("app.json"),
    )
    .expect("JSON");
    assert_eq!(exported["name"], app["name"]);
    assert_eq!(exported["forms"].as_array().map(Vec::len), Some(9));
    assert_eq!(exported["forms"][2]["key"], "customer");
    let again = Command::new(trellis())
        .args(["app", "import", "examples/bank-crm", "--db", &db])
        .current_dir(repo_root())
        .output()
        .expect("runs");
    assert!(!again.status.success(), "importing the same app twice is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}
