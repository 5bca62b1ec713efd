//! Draft metadata of every kind: found, saved and deleted through one pattern, each change
//! audited. Drafts may be incomplete while a designer works; saving answers with the
//! document's diagnostics (paths relative to it), and publishing refuses while any remain.

use sea_orm::TransactionTrait;
use serde_json::{Map, Value, json};

use crate::audit::{self, Actor, Entry};
use crate::core::Core;
use crate::error::Error;
use crate::meta::{self, AppRow, KINDS};

/// App `app` and metadata kind `kind` (one of [`KINDS`]), or not found.
pub async fn app_and_kind(core: &Core, app: &str, kind: &str) -> Result<(AppRow, &'static str), Error> {
    let kind = KINDS
        .iter()
        .find(|k| **k == kind)
        .ok_or_else(|| Error::not_found(format!("no metadata kind `{kind}`; known: {}", KINDS.join(", "))))?;
    let app = meta::app(&core.db.conn, app).await?;
    Ok((app, kind))
}

/// Saves `doc` as draft `key` of `kind` in `app` (its `key`, if any, must be `key`), audited
/// as `actor`'s; with `read`, only over that revision (`0`: only a new one); gives its
/// revision now and this document's diagnostics within the whole draft bundle.
pub async fn save(
    core: &Core,
    actor: &Actor,
    (app, kind, key): (&AppRow, &str, &str),
    (mut doc, read): (Map<String, Value>, Option<i64>),
) -> Result<(i64, Vec<Value>), Error> {
    if !meta::is_key(key) {
        return Err(Error::InvalidMetadata(vec![engine_form::Diagnostic::new(
            "/key",
            "bad_key",
            "a key is a lower-case letter followed by up to 31 lower-case letters, digits or _",
        )]));
    }
    match doc.get("key") {
        None => {
            doc.insert("key".into(), Value::from(key));
        }
        Some(Value::String(k)) if k == key => {}
        Some(_) => {
            return Err(Error::InvalidMetadata(vec![engine_form::Diagnostic::new(
                "/key",
                "key_mismatch",
                format!("the document's key must be `{key}`, as in the path"),
            )]));
        }
    }
    let doc = Value::Object(doc);
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    let revision = meta::put_draft(&tx, (&app.key, kind, key), &doc, read, now).await?;
    let detail = json!({ "kind": kind, "key": key, "revision": revision, "document": doc });
    audit::write(&tx, actor, Entry::app("metadata.put", &app.key, detail), now).await?;
    tx.commit().await?;
    let bundle = meta::draft_bundle(&core.db.conn, app).await?;
    Ok((revision, diagnostics_of(&bundle, kind, key)))
}

/// The diagnostics of document `key` of `kind` when the whole `bundle` is checked, with
/// paths relative to the document.
pub(crate) fn diagnostics_of(bundle: &Value, kind: &str, key: &str) -> Vec<Value> {
    let index = bundle[kind]
        .as_array()
        .and_then(|items| items.iter().position(|d| d.get("key").and_then(Value::as_str) == Some(key)));
    match (engine_app::check_app(bundle, 0), index) {
        (Err(diags), Some(i)) => {
            let prefix = format!("/{kind}/{i}");
            diags
                .into_iter()
                .filter_map(|d| {
                    let rest = d.path.strip_prefix(&prefix)?;
                    (rest.is_empty() || rest.starts_with('/')).then(|| {
                        // Its span in an expression as a problem's errors give it
                        // (`[start, end]`), and the process node it is about.
                        let mut item = json!({ "path": rest, "code": d.code, "message": d.message });
                        if let Some(span) = d.span {
                            item["span"] = json!([span.start, span.end]);
                        }
                        if let Some(node) = &d.node {
                            item["node"] = json!(node);
                        }
                        item
                    })
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Deletes draft `key` of `kind` in `app` (with `read`, only at that revision), audited as
/// `actor`'s.
pub async fn delete(
    core: &Core,
    actor: &Actor,
    (app, kind, key): (&AppRow, &str, &str),
    read: Option<i64>,
) -> Result<(), Error> {
    let tx = core.db.conn.begin().await?;
    if !meta::delete_draft(&tx, (&app.key, kind, key), read).await? {
        return Err(Error::not_found(format!("no {kind} draft `{key}`")));
    }
    let detail = json!({ "kind": kind, "key": key });
    audit::write(&tx, actor, Entry::app("metadata.delete", &app.key, detail), core.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}
