//! Reads an app bundle from disk: one JSON document, or a folder with `app.json`,
//! `forms/*.json`, `events/*.json`, `decisions/*.json`, `rules/*.json`, `calendars/*.json`, `roles/*.json` and `flows/*.json` (each in file-name order) and an optional `seed.json`
//! of demo records.

use std::path::Path;

use anyhow::{Context, bail};
use serde_json::{Map, Value};

/// The bundle document, plus its seed records if the folder has any.
pub struct LoadedBundle {
    pub document: Value,
    pub seed: Option<Value>,
}

pub fn load(path: &Path) -> anyhow::Result<LoadedBundle> {
    if path.is_file() {
        return Ok(LoadedBundle { document: read_json(path)?, seed: None });
    }
    if !path.is_dir() {
        bail!("{} is neither a bundle file nor a bundle folder", path.display());
    }
    let Value::Object(mut app) = read_json(&path.join("app.json"))? else {
        bail!("{}: app.json must hold a JSON object", path.display());
    };
    for kind in crate::meta::KINDS {
        let dir = path.join(kind);
        if !dir.is_dir() {
            continue;
        }
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        let docs = files.iter().map(|f| read_json(f)).collect::<anyhow::Result<Vec<_>>>()?;
        app.insert(kind.into(), Value::Array(docs));
    }
    let seed_path = path.join("seed.json");
    let seed = if seed_path.is_file() { Some(read_json(&seed_path)?) } else { None };
    Ok(LoadedBundle { document: Value::Object(app), seed })
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// Replaces `{"$ref": "name"}` anywhere in `value` with the id recorded for `name`.
pub fn resolve_refs(value: &mut Value, ids: &Map<String, Value>) -> anyhow::Result<()> {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("$ref") => {
            let name = map["$ref"].as_str().unwrap_or_default().to_owned();
            *value = ids
                .get(&name)
                .cloned()
                .with_context(|| format!("seed reference `{name}` is not defined before its use"))?;
        }
        Value::Object(map) => {
            for v in map.values_mut() {
                resolve_refs(v, ids)?;
            }
        }
        Value::Array(items) => {
            for v in items {
                resolve_refs(v, ids)?;
            }
        }
        _ => {}
    }
    Ok(())
}
