//! The platform's datasets read for a viewer: tasks as their inbox reaches them (their
//! own, their queues', and their teams' when they lead one; what is derived from a value
//! they see masked left out, as the inbox leaves it), every status, every page; processes,
//! firings and messages as `work` reads them. The
//! report's filter and parameters are applied here, in the expression language over each
//! row, as the database applies them to a form's records.

use engine_report::{Platform, Report};
use engine_rule::Value as ExprValue;
use serde_json::{Map, Value, json};

use super::dataset::{Base, Reader};
use crate::error::{BadInputCode, Error};
use crate::tasks::{MAX_PAGE, TaskQuery};

/// The rows of `platform` the viewer reaches that the report's filter and parameters keep.
pub async fn rows(
    reader: &Reader<'_>,
    platform: Platform,
    report: &Report,
    base: &Base,
) -> Result<Vec<Map<String, Value>>, Error> {
    let mut rows = match platform {
        Platform::Tasks => tasks(reader).await?,
        _ => reader.work(platform).await?,
    };
    let conditions = conditions(platform, report, base)?;
    let form = platform.form();
    let bundle = engine_report::platform_bundle();
    let context = engine_form::formula_context(bundle, reader.now);
    rows.retain(|row| {
        let values = super::calculated::Joined { bundle, form, row };
        conditions.iter().all(|c| matches!(engine_rule::evaluate(c, &values, &context), Ok(ExprValue::Bool(true))))
    });
    Ok(rows)
}

/// Every task the viewer's inbox reaches, of every status and page.
async fn tasks(reader: &Reader<'_>) -> Result<Vec<Map<String, Value>>, Error> {
    let mut rows = Vec::new();
    for status in ["open", "completed", "cancelled"] {
        let mut after = None;
        loop {
            let query = TaskQuery {
                app: Some(reader.app.key.clone()),
                status: Some(status.to_owned()),
                team: true,
                limit: MAX_PAGE,
                after,
                ..Default::default()
            };
            let page = crate::tasks::list(reader.core, reader.principal.clone(), &query, reader.now).await?;
            rows.extend(page.items.iter().map(task_row));
            if rows.len() as u64 > reader.max_rows {
                return Err(Error::TooManyRows(format!(
                    "more than the {} tasks a report reads: narrow it with its parameters",
                    reader.max_rows
                )));
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    Ok(rows)
}

/// A task as the tasks dataset's row. `handled_in_time`: 1 for a task completed by its due
/// time (or with none), else 0, so that a sum over tasks counts those handled within their SLA.
fn task_row(task: &Value) -> Map<String, Value> {
    let instant = |key: &str| task[key].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    let in_time = task["status"] == "completed"
        && match (instant("completed_at"), instant("due_at")) {
            (Some(done), Some(due)) => done <= due,
            (Some(_), None) => true,
            _ => false,
        };
    let row = json!({ "handled_in_time": i64::from(in_time), "id": task["id"], "title": task["title"], "status": task["status"], "priority": task["priority"],
        "assignee": task["assignee"], "unit": task["candidate_unit"], "role": task["candidate_role"],
        "form": task["subject"]["form"], "record": task["subject"]["id"], "created_at": task["created_at"],
        "due_at": task["due_at"], "completed_at": task["completed_at"], "outcome": task["outcome"],
        "overdue": task["overdue"], "alert": !task["firing"].is_null() });
    row.as_object().cloned().unwrap_or_default()
}

/// The report's filter and each parameter in effect, parsed.
fn conditions(platform: Platform, report: &Report, base: &Base) -> Result<Vec<engine_rule::Expr>, Error> {
    let form = platform.form();
    let mut texts: Vec<String> = report.filter.iter().cloned().collect();
    for (field, op, value) in &base.given {
        let Some(f) = form.field(field) else { continue };
        let text = super::drill::compare(field, *op, value, &f.kind).ok_or_else(|| {
            Error::bad_input_at(
                BadInputCode::bad_query,
                &format!("/{field}"),
                format!("`{value}` cannot be compared here"),
            )
        })?;
        texts.push(text);
    }
    texts
        .iter()
        .map(|t| engine_rule::parse(t).map_err(|e| Error::InvalidExpression { param: "filter", errors: vec![e] }))
        .collect()
}

/// The tasks' assignees by the names people know them by: the `assignee` column's options,
/// each user name with its display name (a user without one is shown by their user name).
pub async fn name_people(reader: &Reader<'_>, report: &Report, answer: &mut Value) -> Result<(), Error> {
    if report.dataset.platform != Some(Platform::Tasks) {
        return Ok(());
    }
    let Some(at) = answer["columns"].as_array().and_then(|c| c.iter().position(|c| c["key"] == "assignee")) else {
        return Ok(());
    };
    let mut names: Vec<String> = Vec::new();
    let keys = answer["rows"].as_array().into_iter().flatten().map(|r| &r["keys"]);
    let across = ["rows", "columns"].into_iter().flat_map(|p| answer["pivot"][p].as_array().into_iter().flatten());
    for key in keys.chain(across).flat_map(|k| k.as_array().into_iter().flatten()).filter_map(Value::as_str) {
        if !names.iter().any(|n| n == key) {
            names.push(key.to_owned());
        }
    }
    if names.is_empty() {
        return Ok(());
    }
    let known = crate::auth::directory::display_names(&reader.core.db.conn, names).await?;
    let mut options = Vec::new();
    for (username, shown) in known {
        let shown = shown.unwrap_or_else(|| username.clone());
        options.push(json!({ "key": username, "label": { "zh-CN": shown, "en": shown } }));
    }
    options.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
    answer["columns"][at]["options"] = Value::Array(options);
    Ok(())
}
