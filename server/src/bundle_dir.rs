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

/// A bundle folder's JSON files, by their path in it (`app.json`, `forms/03_customer.json`):
/// read from disk, or the demo embedded in the binary.
pub type Files = std::collections::BTreeMap<String, String>;

pub fn load(path: &Path) -> anyhow::Result<LoadedBundle> {
    if path.is_file() {
        return Ok(LoadedBundle { document: read_json(path)?, seed: None });
    }
    assemble(&read_folder(path)?, &path.display().to_string())
}

/// The JSON files of bundle folder `path`, its kinds' folders included.
pub fn read_folder(path: &Path) -> anyhow::Result<Files> {
    if !path.is_dir() {
        bail!("{} is neither a bundle file nor a bundle folder", path.display());
    }
    let mut files = Files::new();
    for name in ["app.json", "seed.json", "people.json"] {
        if path.join(name).is_file() {
            files.insert(name.into(), read_text(&path.join(name))?);
        }
    }
    for kind in crate::meta::KINDS {
        let dir = path.join(kind);
        if !dir.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?.flatten() {
            let file = entry.path();
            if file.extension().is_some_and(|e| e == "json") {
                let name = format!("{kind}/{}", entry.file_name().to_string_lossy());
                files.insert(name, read_text(&file)?);
            }
        }
    }
    Ok(files)
}

/// The bundle document a folder's `files` make (`app.json`, then each kind's files in
/// file-name order), and its seed records; `origin` names the folder in errors.
pub fn assemble(files: &Files, origin: &str) -> anyhow::Result<LoadedBundle> {
    let json = |name: &str| -> anyhow::Result<Option<Value>> {
        files
            .get(name)
            .map(|text| serde_json::from_str(text).with_context(|| format!("{origin}/{name} is not valid JSON")))
            .transpose()
    };
    let Some(Value::Object(mut app)) = json("app.json")? else {
        bail!("{origin}: app.json must hold a JSON object");
    };
    for kind in crate::meta::KINDS {
        let prefix = format!("{kind}/");
        // The files map is sorted: each kind's files come in file-name order.
        let docs = files
            .keys()
            .filter(|name| name.starts_with(&prefix))
            .map(|name| json(name).map(Option::unwrap_or_default))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if !docs.is_empty() {
            app.insert(kind.into(), Value::Array(docs));
        }
    }
    Ok(LoadedBundle { document: Value::Object(app), seed: json("seed.json")? })
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
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
