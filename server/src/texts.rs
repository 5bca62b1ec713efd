//! An app's texts for translation: every label, help, message and title its drafts give in
//! the app's languages, each with where it is and which languages it lacks, so a
//! translation view can list them and flag the missing ones.

use serde_json::{Map, Value, json};

use crate::core::Core;
use crate::error::Error;
use crate::meta;

/// The languages an app's texts are written in.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

/// Every text of app `key`'s drafts, in document order, and how many lack a language.
pub async fn list(core: &Core, key: &str) -> Result<Value, Error> {
    let app = meta::app(&core.db.conn, key).await?;
    let bundle = meta::draft_bundle(&core.db.conn, &app).await?;
    let mut items = Vec::new();
    walk(&bundle, String::new(), &mut items);
    let missing = items.iter().filter(|t| t["missing"].as_array().is_some_and(|m| !m.is_empty())).count();
    Ok(json!({ "languages": LANGUAGES, "items": items, "missing": missing }))
}

/// Collects the texts under `value` at JSON pointer `path`.
fn walk(value: &Value, path: String, out: &mut Vec<Value>) {
    match value {
        Value::Object(map) if is_text(map) => {
            let missing: Vec<&str> = LANGUAGES
                .iter()
                .copied()
                .filter(|l| map.get(*l).and_then(Value::as_str).is_none_or(|t| t.trim().is_empty()))
                .collect();
            // A rule's or a process's titles and messages are expressions per language.
            let last = path.rsplit('/').next().unwrap_or_default();
            let expression =
                (path.starts_with("/rules/") || path.starts_with("/flows/")) && matches!(last, "title" | "message");
            let mut parts = path.split('/').skip(1);
            let (of, index) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            out.push(json!({ "path": path, "of": of, "document": index.parse::<usize>().ok(), "texts": map,
                "missing": missing, "expression": expression }));
        }
        Value::Object(map) => {
            for (k, v) in map {
                walk(v, format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Whether an object is a text: one or more of the app's languages, each a string.
fn is_text(map: &Map<String, Value>) -> bool {
    !map.is_empty() && map.iter().all(|(k, v)| LANGUAGES.contains(&k.as_str()) && v.is_string())
}
