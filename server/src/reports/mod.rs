//! Reports and dashboards answered for one viewer: the dataset read within their access
//! (`dataset`), the answer computed by engine-report off the async executor on a bounded
//! pool, within the report's time limit; the answer carries what it is (label, chart,
//! parameters with the values in effect) and what narrowed its rows, so that a bucket
//! drills to the record list filtered to it.

mod cache;
mod calculated;
mod dashboards;
mod dataset;
mod drill;
mod export;
mod fold;
mod listing;
mod platform;
mod work;

use std::collections::BTreeMap;

use engine_report::Report;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

pub use dashboards::{dashboard, visible};
use dataset::Reader;
pub use export::{Book, CSV, Cell, File, XLSX, file, guarded};
pub use listing::{Rows, csv as list_csv, rows as list_rows};

use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::error::Error;

/// Reports computed at once, server-wide; the rest wait their turn. Two: the cores of the
/// machines this runs on; the database reads before it are not held back.
static POOL: Semaphore = Semaphore::const_new(2);

/// The published report `key` of `app` as `principal` sees it, for the parameters `given`.
pub async fn answer(
    core: &Core,
    principal: &Principal,
    (app, key): (&str, &str),
    given: &BTreeMap<String, String>,
) -> Result<Answer, Error> {
    let published = core.catalog.published(&core.db.conn, app).await?;
    let report = find(&published, key)?;
    compute(core, &published, principal, report, given).await
}

/// A report not yet published (a designer's draft), checked against the published app and
/// answered over its data as `principal` sees it.
pub async fn preview(
    core: &Core,
    principal: &Principal,
    app: &str,
    draft: &Value,
    given: &BTreeMap<String, String>,
) -> Result<Value, Error> {
    let published = core.catalog.published(&core.db.conn, app).await?;
    let mut diags = Vec::new();
    let checked = engine_app::reports::check_reports(&json!({ "reports": [draft] }), &published.bundle, &mut diags);
    let Some(report) = checked.into_iter().next().filter(|_| diags.is_empty()) else {
        let diags =
            diags.into_iter().map(|d| engine_form::Diagnostic { path: d.path.replacen("/reports/0", "", 1), ..d });
        return Err(Error::InvalidMetadata(diags.collect()));
    };
    Ok(compute(core, &published, principal, &report, given).await?.value)
}

pub(crate) fn find<'a>(app: &'a PublishedApp, key: &str) -> Result<&'a Report, Error> {
    app.reports.iter().find(|r| r.key == key).ok_or_else(|| Error::not_found(format!("no report `{key}`")))
}

/// A report's answer, and whether it was kept from an earlier request (`cache`).
pub struct Answer {
    pub value: Value,
    pub kept: bool,
}

/// The answer, or a problem: kept from before while what it read stands, else read and
/// computed within the time limit.
async fn compute(
    core: &Core,
    app: &PublishedApp,
    principal: &Principal,
    report: &Report,
    given: &BTreeMap<String, String>,
) -> Result<Answer, Error> {
    let limit = core.report_limits.time;
    let now = core.clock.now();
    let work = async {
        let key = cache::key(core, app, principal, report, given, now).await?;
        if let Some(kept) = key.and_then(|key| core.answers.get(&key)) {
            return Ok(Answer { value: Value::clone(&kept), kept: true });
        }
        let reader = Reader { core, app, principal, now, max_rows: core.report_limits.rows };
        let (table, base) = reader.read(report, given).await?;
        // How it was read: the database's groups, or rows; and how many.
        let read = json!({ "grouped": table.folded.is_some(), "count": table.rows.len() });
        let permit = POOL.acquire().await.map_err(|e| Error::Internal(e.into()))?;
        let owned = report.clone();
        let computed = tokio::task::spawn_blocking(move || {
            let _held = permit;
            engine_report::run(&owned, &table)
        })
        .await
        .map_err(|e| Error::Internal(e.into()))?;
        let mut answer = computed.map_err(|e| report_error(report, e))?;
        label_options(app, report, &mut answer);
        platform::name_people(&reader, report, &mut answer).await?;
        drill::add_wheres(app, report, &base, &mut answer);
        answer["report"] = about(app, report, given);
        answer["base"] = base.to_json();
        answer["read"] = read;
        if let Some(key) = key {
            core.answers.put(key, std::sync::Arc::new(answer.clone()));
        }
        Ok(Answer { value: answer, kept: false })
    };
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
        Err(Error::TooSlow(format!(
            "report `{}` took longer than its {} s: narrow it with its parameters",
            report.key,
            limit.as_secs_f64()
        )))
    })
}

/// What the report is: its label, dataset, chart, and each parameter with its field's type,
/// its options (a select's) and the value in effect.
fn about(app: &PublishedApp, report: &Report, given: &BTreeMap<String, String>) -> Value {
    let form = engine_app::reports::base(&app.bundle, report).map(|(_, f)| f);
    let parameters: Vec<Value> = report
        .parameters
        .iter()
        .map(|p| {
            let field = form.and_then(|f| f.field(&p.field));
            let options = field.map(|f| options_of(&f.kind)).unwrap_or_default();
            json!({ "key": p.key, "label": p.label.clone().or_else(|| field.map(|f| json!(f.label))),
                "field": p.field, "op": p.op.name(), "type": field.map(|f| f.kind.name()), "options": options,
                "required": p.required, "value": given.get(&p.key).filter(|v| !v.is_empty()).or(p.default.as_ref()) })
        })
        .collect();
    json!({ "key": report.key, "label": report.label, "form": report.dataset.form,
        "platform": report.dataset.platform.map(engine_report::Platform::key), "chart": report.chart,
        "across": report.columns, "parameters": parameters })
}

/// Each select dimension's options (its values' labels), for the answer to be read in words.
pub(super) fn label_options(app: &PublishedApp, report: &Report, answer: &mut Value) {
    let Some((bundle, form)) = engine_app::reports::dataset(&app.bundle, report) else { return };
    let listed = report.list.iter().flat_map(|l| l.fields.iter());
    for (i, path) in report.dimensions.iter().map(|d| &d.field).chain(listed).enumerate() {
        if let Ok(field) = engine_app::reports::resolve(bundle, &form, path) {
            let options = options_of(&field.kind);
            if !options.is_empty() {
                answer["columns"][i]["options"] = Value::Array(options);
            }
        }
    }
}

fn options_of(kind: &engine_form::FieldType) -> Vec<Value> {
    match kind {
        engine_form::FieldType::SingleSelect { options } | engine_form::FieldType::MultiSelect { options } => {
            options.iter().map(|o| json!({ "key": o.value, "label": o.label })).collect()
        }
        _ => Vec::new(),
    }
}

fn report_error(report: &Report, e: engine_report::ReportError) -> Error {
    use engine_report::ReportError as E;
    match e {
        E::Overflow { measure } => Error::Overflow(format!(
            "measure `{measure}` of report `{}` sums past what is computed exactly; nothing was rounded or wrapped",
            report.key
        )),
        other => Error::Internal(anyhow::anyhow!("report `{}`: {other:?}", report.key)),
    }
}
