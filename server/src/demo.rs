//! Loading a bundle with its seed records: `trellis app import --publish` and `serve --demo`.
//! Seed records go through the same checks and writes as the record API.

use std::path::Path;

use anyhow::{Context, anyhow};
use chrono::Utc;
use engine_form::{CheckMode, check_record};
use sea_orm::TransactionTrait;
use sea_orm::sea_query::Alias;
use serde_json::{Map, Value};

use crate::api::AppState;
use crate::bundle_dir::{self, resolve_refs};
use crate::publish;
use crate::records::{FormCtx, write};

/// Imports the bundle at `path`, optionally publishes it and inserts its seed records.
/// Returns the app key. With `skip_existing`, an app already present is left alone.
pub async fn import_path(
    state: &AppState,
    path: &Path,
    publish_it: bool,
    skip_existing: bool,
) -> anyhow::Result<String> {
    let loaded = bundle_dir::load(path)?;
    let key = loaded.document.get("key").and_then(Value::as_str).unwrap_or_default().to_owned();
    if skip_existing && crate::meta::find_app(&state.db.conn, &key).await?.is_some() {
        return Ok(key);
    }
    publish::import(&state.db, &loaded.document, &crate::audit::Actor::system(), Utc::now()).await.map_err(describe)?;
    if publish_it {
        publish::publish(&state.db, &key, &crate::audit::Actor::system(), Utc::now()).await.map_err(describe)?;
        if let Some(seed) = loaded.seed {
            seed_records(state, &key, seed).await.context("cannot load the seed records")?;
        }
    }
    Ok(key)
}

/// Inserts seed records in order, in one transaction. Each may name itself with `ref`
/// so later records can link to it with `{"$ref": "name"}`.
pub async fn seed_records(state: &AppState, app_key: &str, seed: Value) -> anyhow::Result<()> {
    let tx = state.db.conn.begin().await?;
    let app = state.catalog.published_for_write(&tx, app_key).await.map_err(describe)?;
    let mut ids = Map::new();
    let records =
        seed.get("records").and_then(Value::as_array).ok_or_else(|| anyhow!("seed.json needs a `records` array"))?;
    for (i, item) in records.iter().enumerate() {
        let form = item.get("form").and_then(Value::as_str).ok_or_else(|| anyhow!("seed record {i} has no `form`"))?;
        let mut values = item.get("values").cloned().unwrap_or(Value::Object(Map::new()));
        resolve_refs(&mut values, &ids)?;
        let values = values.as_object().ok_or_else(|| anyhow!("seed record {i}: `values` must be an object"))?;
        let ctx = FormCtx::new(&app, form, state.db.backend()).map_err(describe)?;
        let checked = check_record(ctx.form, values, CheckMode::Create)
            .map_err(|e| anyhow!("seed record {i} ({form}): {e:?}"))?;
        let row = write::create(&tx, &ctx, &checked, Utc::now(), &[Alias::new("id")])
            .await
            .map_err(|e| anyhow!("seed record {i} ({form}): {}", describe(e)))?;
        let id: i64 = row.try_get_by_index(0)?;
        if let Some(name) = item.get("ref").and_then(Value::as_str) {
            ids.insert(name.to_owned(), Value::from(id));
        }
    }
    tx.commit().await?;
    Ok(())
}

/// An API error as a readable message for the command line, diagnostics included.
pub fn describe(e: crate::api::error::ApiError) -> anyhow::Error {
    if let crate::api::error::ApiError::Internal(inner) = e {
        return inner;
    }
    let problem = e.problem();
    let mut text = problem.detail;
    for item in problem.errors {
        text.push_str(&format!(
            "\n  {} [{}] {}",
            if item.path.is_empty() { "/" } else { &item.path },
            item.code,
            item.message
        ));
    }
    anyhow!(text)
}
