//! Loading a bundle with its seed records: `trellis app import --publish` and `serve --demo`.
//! Seed records go through the write pipeline with the platform's authority, like any
//! other write: checked, audited, and seen by the rules and processes that watch them.
//!
//! A seed's dates are written as of one day (`"dates_as_of": "2026-12-01"`) and placed
//! relative to the clock when they are loaded: every date and instant moves by the days
//! from that day to today in the app's zone, so a customer "silent for 42 days" or a
//! holding "maturing in 12 days" is so whichever day the demo (or a test) starts. A record
//! with `"dates": "months"` (a month-end snapshot) moves by whole calendar months instead,
//! so that its month stays a month of its own.
//!
//! A seed record with `"rules": false` is an initial load (`Edit::load`): it came with what
//! other systems derived from it (the bank's customers come with their AUM, which the
//! rules keep from then on), so the rules that would derive it again do not run for it.

use std::path::Path;

use anyhow::{Context, anyhow};
use chrono::Datelike;
use serde_json::{Map, Value};

use crate::audit::Actor;
use crate::bundle_dir::{self, resolve_refs};
use crate::core::Core;
use crate::edit::{Edit, Who};
use crate::pipeline::Op;
use crate::publish;

/// Imports the bundle at `path`, optionally publishes it and inserts its seed records.
/// Returns the app key. With `skip_existing`, an app already present is left alone.
pub async fn import_path(state: &Core, path: &Path, publish_it: bool, skip_existing: bool) -> anyhow::Result<String> {
    import_loaded(state, bundle_dir::load(path)?, publish_it, skip_existing).await
}

/// `import_path` for a bundle already read.
pub async fn import_loaded(
    state: &Core,
    loaded: bundle_dir::LoadedBundle,
    publish_it: bool,
    skip_existing: bool,
) -> anyhow::Result<String> {
    let key = loaded.document.get("key").and_then(Value::as_str).unwrap_or_default().to_owned();
    if skip_existing && crate::meta::find_app(&state.db.conn, &key).await?.is_some() {
        return Ok(key);
    }
    let now = state.clock.now();
    publish::import(&state.db, &loaded.document, &Actor::system(), now).await.map_err(describe)?;
    if publish_it {
        publish::publish(&state.db, &key, &Actor::system(), now).await.map_err(describe)?;
        if let Some(seed) = loaded.seed {
            let zone = loaded.document.get("time_zone").and_then(Value::as_str).unwrap_or("UTC");
            let zone: chrono_tz::Tz = zone.parse().map_err(|_| anyhow!("the app's time zone `{zone}` is unknown"))?;
            seed_records(state, &key, seed, zone).await.context("cannot load the seed records")?;
        }
    }
    Ok(key)
}

/// Inserts seed records in order, in one transaction. Each may name itself with `ref`
/// so later records can link to it with `{"$ref": "name"}`. With `dates_as_of`, their
/// dates and instants move to the clock's today in `zone` (see the module's comment).
pub async fn seed_records(state: &Core, app_key: &str, seed: Value, zone: chrono_tz::Tz) -> anyhow::Result<()> {
    let mut edit = Edit::begin(state, Who::Platform, app_key).await.map_err(describe)?;
    let (app, now) = (edit.app.clone(), edit.now);
    let mut ids = Map::new();
    let records =
        seed.get("records").and_then(Value::as_array).ok_or_else(|| anyhow!("seed.json needs a `records` array"))?;
    let shift = match seed.get("dates_as_of") {
        None => Shift::default(),
        Some(day) => {
            let day = day.as_str().and_then(|d| d.parse::<chrono::NaiveDate>().ok());
            let day = day.ok_or_else(|| anyhow!("seed.json's `dates_as_of` is a date, YYYY-MM-DD"))?;
            let today = now.with_timezone(&zone).date_naive();
            let month = |d: chrono::NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
            Shift { days: (today - day).num_days(), months: month(today) - month(day) }
        }
    };
    for (i, item) in records.iter().enumerate() {
        let form = item.get("form").and_then(Value::as_str).ok_or_else(|| anyhow!("seed record {i} has no `form`"))?;
        let mut values = item.get("values").cloned().unwrap_or(Value::Object(Map::new()));
        resolve_refs(&mut values, &ids)?;
        let values = values.as_object_mut().ok_or_else(|| anyhow!("seed record {i}: `values` must be an object"))?;
        // `"dates": "months"`: a record of a month (a month-end snapshot) moves by whole months.
        let by = match item.get("dates").and_then(Value::as_str) {
            None => By::Days(shift.days),
            Some("months") => By::Months(shift.months),
            Some(other) => return Err(anyhow!("seed record {i}: `dates` is `months`, not `{other}`")),
        };
        if let Some(schema) = app.bundle.form(form) {
            shift_dates(&schema.fields, values, by).map_err(|e| anyhow!("seed record {i} ({form}): {e}"))?;
        }
        let values = &*values;
        // `"rules": false`: loaded with what other systems derived (see `Edit::load`).
        let written = match item.get("rules") {
            Some(Value::Bool(false)) => edit.load(form, values).await,
            None | Some(Value::Bool(true)) => edit.write(form, Op::Create(values)).await,
            Some(_) => return Err(anyhow!("seed record {i}: `rules` is true or false")),
        };
        let id = written.map_err(|e| anyhow!("seed record {i} ({form}): {}", e.describe()))?.id;
        if let Some(name) = item.get("ref").and_then(Value::as_str) {
            ids.insert(name.to_owned(), Value::from(id));
        }
    }
    edit.commit().await.map_err(describe)?;
    Ok(())
}

/// How far a seed's dates move: the days, and the calendar months, from its `dates_as_of`
/// to today.
#[derive(Debug, Clone, Copy, Default)]
struct Shift {
    days: i64,
    months: i64,
}

/// How one record's dates move.
#[derive(Debug, Clone, Copy)]
enum By {
    Days(i64),
    Months(i64),
}

impl By {
    fn date(self, date: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        match self {
            By::Days(days) => date.checked_add_signed(chrono::Duration::days(days)),
            By::Months(months) => {
                let moved = chrono::Months::new(u32::try_from(months.unsigned_abs()).ok()?);
                if months < 0 { date.checked_sub_months(moved) } else { date.checked_add_months(moved) }
            }
        }
    }
}

/// Moves the dates and instants of `values` (and of their sub-table rows) `by` so much.
fn shift_dates(fields: &[engine_form::Field], values: &mut Map<String, Value>, by: By) -> Result<(), String> {
    use engine_form::FieldType;
    if matches!(by, By::Days(0) | By::Months(0)) {
        return Ok(());
    }
    for field in fields {
        let Some(value) = values.get_mut(&field.key) else { continue };
        match (&field.kind, value) {
            (FieldType::Date { .. }, Value::String(text)) => {
                let date: chrono::NaiveDate = text.parse().map_err(|_| format!("`{}` is not a date", field.key))?;
                *text = by.date(date).ok_or_else(|| format!("`{}` moves out of range", field.key))?.to_string();
            }
            (FieldType::DateTime, Value::String(text)) => {
                let at = chrono::DateTime::parse_from_rfc3339(text)
                    .map_err(|_| format!("`{}` is not an instant", field.key))?;
                let day = by.date(at.date_naive()).ok_or_else(|| format!("`{}` moves out of range", field.key))?;
                *text = (at + (day - at.date_naive())).to_rfc3339();
            }
            (FieldType::SubTable { fields }, Value::Array(rows)) => {
                for row in rows.iter_mut().filter_map(Value::as_object_mut) {
                    shift_dates(fields, row, by)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The demo's people (`people.json` in the bundle: org units and users, no passwords),
/// made on the first start only: each user gets a random password, returned with their
/// name to be shown once. Nothing when the bundle has no people or they exist already.
pub async fn people(core: &Core, files: &bundle_dir::Files) -> anyhow::Result<Vec<(String, String)>> {
    let Some(text) = files.get("people.json") else {
        return Ok(Vec::new());
    };
    let mut import: crate::auth::directory::Import =
        serde_json::from_str(text).context("the demo's people.json is not a directory")?;
    let known = crate::auth::directory::users(&core.db.conn).await?;
    if import.users.iter().any(|u| known.iter().any(|k| k["username"] == u.username.as_str())) {
        return Ok(Vec::new());
    }
    let mut shown = Vec::new();
    for user in &mut import.users {
        let password = crate::auth::new_password();
        user.password = Some(password.clone());
        shown.push((user.username.clone(), password));
    }
    crate::auth::directory::save(core, &Actor::system(), import, "directory.import").await.map_err(describe)?;
    Ok(shown)
}

include!(concat!(env!("OUT_DIR"), "/demo_bundle.rs"));

/// Where the demo bundle is looked for when none is named: the repository's folder from
/// where Trellis runs, then one beside the binary.
const DEMO_FOLDER: &str = "examples/bank-crm";

/// The demo bundle's files: from the folder `named` (`--demo-bundle`,
/// `TRELLIS_DEMO_BUNDLE`), which must be one; else `examples/bank-crm` here or beside the
/// binary; else the copy built into the binary. What was read, and from where.
pub fn demo_files(named: Option<&Path>) -> anyhow::Result<(bundle_dir::Files, String)> {
    if let Some(path) = named {
        if !path.is_dir() {
            anyhow::bail!(
                "no demo bundle at {}: set TRELLIS_DEMO_BUNDLE (or --demo-bundle) to a bundle folder, or leave it unset for the built-in demo",
                path.display()
            );
        }
        return Ok((bundle_dir::read_folder(path)?, path.display().to_string()));
    }
    let beside = std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join(DEMO_FOLDER)));
    for folder in [Some(Path::new(DEMO_FOLDER).to_path_buf()), beside].into_iter().flatten() {
        if folder.join("app.json").is_file() {
            return Ok((bundle_dir::read_folder(&folder)?, folder.display().to_string()));
        }
    }
    let files = DEMO.iter().map(|(name, text)| ((*name).to_owned(), (*text).to_owned())).collect();
    Ok((files, "the built-in demo".into()))
}

/// A domain error as a readable message for the command line, diagnostics included.
pub fn describe(e: crate::error::Error) -> anyhow::Error {
    match e {
        crate::error::Error::Internal(inner) => inner,
        other => anyhow!(other.describe()),
    }
}
