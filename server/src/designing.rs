//! What the designers ask of a draft while an analyst works: a document checked as it is
//! typed, unsaved, within the app's other drafts (every diagnostic at its path, with its
//! span in an expression) and the names its expressions may use (fields, through relations
//! too, related rows, decision outputs, functions, `$user.`); and a field renamed with
//! every draft that reads it rewritten, in one change.

use sea_orm::TransactionTrait;
use serde_json::{Map, Value, json};

use crate::audit::{self, Actor, Entry};
use crate::core::Core;
use crate::error::Error;
use crate::meta::{self, AppRow, KINDS};

/// Diagnostics of `document` (draft `key` of `kind`, unsaved) among the app's other
/// drafts, with paths relative to it, and the names expressions on `form` may use.
pub async fn check(
    core: &Core,
    app: &AppRow,
    (kind, key): (&str, &str),
    document: Value,
    (form, values): (Option<&str>, Option<&Map<String, Value>>),
) -> Result<Value, Error> {
    let mut bundle = meta::draft_bundle(&core.db.conn, app).await?;
    let about = form.map(str::to_owned).or_else(|| match kind {
        "forms" => Some(key.to_owned()),
        _ => document.get("form").and_then(Value::as_str).map(str::to_owned),
    });
    let Value::Object(mut document) = document else {
        return Err(Error::InvalidMetadata(vec![engine_form::Diagnostic::new(
            "/document",
            "shape",
            "a document is a JSON object",
        )]));
    };
    document.insert("key".into(), Value::from(key));
    let document = Value::Object(document);
    let list = bundle[kind].as_array_mut();
    match list {
        Some(items) => match items.iter_mut().find(|d| d["key"] == key) {
            Some(slot) => *slot = document,
            None => items.push(document),
        },
        None => bundle[kind] = json!([document]),
    }
    let diagnostics = crate::drafts::diagnostics_of(&bundle, kind, key);
    let vocabulary = about.as_deref().map(|form| vocabulary(&bundle, form)).unwrap_or_else(|| json!([]));
    let preview = match (kind, values) {
        ("forms", Some(values)) => preview(&bundle, key, values, core.clock.now()),
        _ => Value::Null,
    };
    Ok(json!({ "diagnostics": diagnostics, "names": vocabulary, "preview": preview }))
}

/// What sample `values` typed into the draft form `form` come to, as the runtime form's
/// check says it of a published one: the fields hidden, the formulas' values, the misfits.
/// Null while the drafts' forms do not lower (their diagnostics say why). Formulas over
/// stored records have no records here: theirs are empty.
fn preview(bundle: &Value, form: &str, values: &Map<String, Value>, now: chrono::DateTime<chrono::Utc>) -> Value {
    let parts = ["key", "name", "time_zone", "language", "forms", "decisions", "calendars"];
    let only: Map<String, Value> =
        parts.iter().filter_map(|k| Some(((*k).to_owned(), bundle.get(*k)?.clone()))).collect();
    let Ok(lowered) = engine_form::parse_bundle(&Value::Object(only)) else { return Value::Null };
    let Some(form) = lowered.form(form) else { return Value::Null };
    let context = engine_form::formula_context(&lowered, now);
    let draft = engine_form::check_draft(form, &[], values, &context);
    let formulas: Map<String, Value> = draft.formulas.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
    json!({ "hidden": draft.hidden, "formulas": formulas, "errors": draft.errors })
}

/// The names an expression on a record of `form` may use, each with its kind and label.
fn vocabulary(bundle: &Value, form: &str) -> Value {
    let forms: Vec<&Value> = bundle["forms"].as_array().into_iter().flatten().collect();
    let find = |key: &str| forms.iter().copied().find(|f| f["key"] == key);
    let fields = |f: &Value| f["fields"].as_array().cloned().unwrap_or_default();
    let mut names = Vec::new();
    let Some(this) = find(form) else { return json!(names) };
    for field in fields(this) {
        let name = field["key"].as_str().unwrap_or_default().to_owned();
        names.push(json!({ "name": name, "kind": "field", "type": field["type"], "label": field["label"] }));
        if field["type"] == "relation"
            && let Some(target) = field["form"].as_str().and_then(find)
        {
            for inner in fields(target) {
                let label = json!({ "outer": field["label"], "inner": inner["label"] });
                let path = format!("{name}.{}", inner["key"].as_str().unwrap_or_default());
                names.push(json!({ "name": path, "kind": "field", "type": inner["type"], "label": label }));
            }
        }
    }
    // The rows of forms that relate to this one, for aggregates (`sum(transaction, amount)`).
    for other in &forms {
        if fields(other).iter().any(|f| f["type"] == "relation" && f["form"] == form) {
            names.push(json!({ "name": other["key"], "kind": "rows", "type": "rows", "label": other["label"] }));
        }
    }
    for decision in bundle["decisions"].as_array().into_iter().flatten().filter(|d| d["form"] == form) {
        for output in decision["outputs"].as_array().into_iter().flatten() {
            let name = format!(
                "{}.{}",
                decision["key"].as_str().unwrap_or_default(),
                output["key"].as_str().unwrap_or_default()
            );
            names.push(json!({ "name": name, "kind": "decision", "type": "decision", "label": decision["label"] }));
        }
    }
    for function in engine_rule::function_names() {
        names.push(json!({ "name": function, "kind": "function", "type": "function", "label": null }));
    }
    for attribute in ["id", "username", "org_unit", "org_units"] {
        names.push(json!({ "name": format!("$user.{attribute}"), "kind": "user", "type": "user", "label": null }));
    }
    json!(names)
}

/// Renames field `field` of form `form` in app `app`'s drafts `to`, rewriting every draft
/// that reads it, in one transaction, each saved only over the revision read; audited.
pub async fn rename(
    core: &Core,
    actor: &Actor,
    app: &AppRow,
    (form, field): (&str, &str),
    to: &str,
) -> Result<Value, Error> {
    let tx = core.db.conn.begin().await?;
    let mut read = Vec::new();
    for kind in KINDS {
        for draft in meta::list_drafts(&tx, &app.key, kind).await? {
            read.push((kind, draft));
        }
    }
    let before = meta::draft_bundle(&tx, app).await?;
    let (after, rewritten) = engine_app::rename(&before, (form, field), to).map_err(Error::InvalidMetadata)?;
    let now = core.clock.now();
    let mut changed = Vec::new();
    for (kind, draft) in &read {
        let Some(doc) = after[*kind].as_array().into_iter().flatten().find(|d| d["key"] == draft.key.as_str()) else {
            continue;
        };
        if *doc != draft.body {
            let revision = meta::put_draft(&tx, (&app.key, kind, &draft.key), doc, Some(draft.revision), now).await?;
            changed.push(json!({ "kind": kind, "key": draft.key, "revision": revision }));
        }
    }
    let places: Vec<Value> = rewritten.iter().map(engine_app::Use::to_json).collect();
    let detail = json!({ "form": form, "field": field, "to": to, "changed": changed, "rewritten": places });
    audit::write(&tx, actor, Entry::app("metadata.rename", &app.key, detail.clone()), now).await?;
    tx.commit().await?;
    Ok(detail)
}

/// An exported app brought into app `app` (another installation's test or production):
/// what would change against its drafts, in business words, and the imported bundle's
/// findings; with `apply`, its drafts become the bundle's documents (those it lacks are
/// deleted), in one transaction, audited. Publishing then goes as ever, with its dry run.
pub async fn import_into(core: &Core, actor: &Actor, app: &AppRow, bundle: Value, apply: bool) -> Result<Value, Error> {
    if bundle.get("key").and_then(Value::as_str) != Some(app.key.as_str()) {
        let message = format!("the file is app `{}`, not `{}`", bundle["key"].as_str().unwrap_or("?"), app.key);
        return Err(Error::InvalidMetadata(vec![engine_form::Diagnostic::new("/key", "key_mismatch", message)]));
    }
    let mut shape = Vec::new();
    for kind in KINDS {
        for (i, doc) in bundle.get(kind).and_then(Value::as_array).into_iter().flatten().enumerate() {
            if !doc.get("key").and_then(Value::as_str).is_some_and(meta::is_key) {
                shape.push(engine_form::Diagnostic::new(
                    format!("/{kind}/{i}/key"),
                    "bad_key",
                    "each document needs a key",
                ));
            }
        }
    }
    if !shape.is_empty() {
        return Err(Error::InvalidMetadata(shape));
    }
    let before = meta::draft_bundle(&core.db.conn, app).await?;
    let changes: Vec<Value> = engine_app::diff(&before, &bundle).iter().map(engine_app::Change::to_json).collect();
    let findings: Vec<Value> = match engine_app::check_app(&bundle, 0) {
        Ok(_) => Vec::new(),
        Err(diags) => diags.iter().map(|d| json!({ "path": d.path, "code": d.code, "message": d.message })).collect(),
    };
    if apply {
        let (tx, now) = (core.db.conn.begin().await?, core.clock.now());
        for kind in KINDS {
            let docs: Vec<&Value> = bundle.get(kind).and_then(Value::as_array).into_iter().flatten().collect();
            for draft in meta::list_drafts(&tx, &app.key, kind).await? {
                if !docs.iter().any(|d| d["key"] == draft.key.as_str()) {
                    meta::delete_draft(&tx, (&app.key, kind, &draft.key), None).await?;
                }
            }
            for doc in docs {
                let key = doc["key"].as_str().unwrap_or_default();
                meta::put_draft(&tx, (&app.key, kind, key), doc, None, now).await?;
            }
        }
        let detail = json!({ "changes": changes.len() });
        audit::write(&tx, actor, Entry::app("metadata.import", &app.key, detail), now).await?;
        tx.commit().await?;
    }
    Ok(json!({ "changes": changes, "findings": findings, "applied": apply }))
}
