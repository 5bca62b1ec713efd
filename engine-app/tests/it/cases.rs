//! Walks `tests/data`: each case adds documents to the bank CRM's bundle (`add`, by kind)
//! and lists the diagnostics checking the whole app must give: path, code and, for an
//! expression, the span of the wrong characters. With `ENGINE_APP_WRITE_CASES=1` the
//! diagnostics found are written into the cases instead (to be read before committing).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The bank CRM as one bundle document: `app.json` with each kind's folder, in file order.
pub(crate) fn bank_crm() -> Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/bank-crm");
    let mut app = read(&root.join("app.json"));
    for kind in
        ["forms", "events", "decisions", "rules", "calendars", "roles", "flows", "pages", "reports", "dashboards"]
    {
        let Ok(entries) = std::fs::read_dir(root.join(kind)) else { continue };
        let mut files: Vec<PathBuf> = entries.map(|e| e.expect("an entry").path()).collect();
        files.sort();
        app[kind] = Value::Array(files.iter().map(|f| read(f)).collect());
    }
    app
}

/// What checking `bundle` reports, one object per diagnostic.
fn diagnostics(bundle: &Value) -> Vec<Value> {
    let Err(found) = engine_app::check_app(bundle, 1) else { return Vec::new() };
    found
        .iter()
        .map(|d| {
            let mut item = Map::new();
            item.insert("path".into(), json!(d.path));
            item.insert("code".into(), json!(d.code));
            if let Some(span) = d.span {
                item.insert("span".into(), json!([span.start, span.end]));
            }
            Value::Object(item)
        })
        .collect()
}

#[test]
fn cases() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&root).expect("tests/data").map(|e| e.expect("entry").path()).collect();
    files.sort();
    assert!(files.len() >= 8, "a case for every kind");
    let write = std::env::var_os("ENGINE_APP_WRITE_CASES").is_some();
    for file in files {
        let mut case = read(&file);
        let mut bundle = bank_crm();
        for (kind, documents) in case["add"].as_object().into_iter().flatten() {
            let list = bundle[kind.as_str()].as_array_mut().expect("a kind the bank CRM has");
            list.extend(documents.as_array().expect("documents").iter().cloned());
        }
        let mut got = diagnostics(&bundle);
        if write {
            case["diagnostics"] = Value::Array(got);
            std::fs::write(&file, serde_json::to_string_pretty(&case).expect("JSON") + "\n").expect("written");
            continue;
        }
        let mut expected = case["diagnostics"].as_array().expect("diagnostics").clone();
        let key = |d: &Value| d.to_string();
        got.sort_by_key(key);
        expected.sort_by_key(key);
        assert_eq!(got, expected, "{}", file.display());
    }
}
