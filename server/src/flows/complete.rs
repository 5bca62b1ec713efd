//! Completing a task: its outcome and the values of its form checked (files included),
//! then its process moved on (a task a rule raised is closed with what was done), in one
//! transaction, audited.

use chrono::{DateTime, Utc};
use engine_form::{CheckMode, check_record};
use sea_orm::TransactionTrait;
use serde_json::{Map, Value, json};

use super::Incoming;
use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::core::Core;
use crate::error::{ConflictCode, Error};
use crate::tasks::{self, TaskForm, reach, task_form, task_json, visible};

/// What the one completing a task gives: its outcome, and the values of its form.
pub struct Completion {
    pub outcome: Option<String>,
    pub values: Map<String, Value>,
}

/// Completes task `id` as `principal`; the task as it is then.
pub async fn complete(
    core: &Core,
    (principal, actor): (Principal, Actor),
    id: i64,
    done: Completion,
    now: DateTime<Utc>,
) -> Result<Value, Error> {
    let conn = &core.db.conn;
    // A manager sees their team's task, and is told who holds it (not that there is none).
    let reach = reach(conn, principal.clone(), true).await?;
    let task = task_json(&visible(conn, &reach, id).await?, conn.get_database_backend(), now, reach.language())?;
    if task["status"] != "open" {
        return Err(tasks::closed(&task));
    }
    // A task is completed by whoever holds it: one waiting in a queue is claimed first, and
    // nobody (a manager seeing a team's task, an administrator) completes another's.
    match task["assignee"].as_str() {
        Some(holder) if holder == principal.username => {}
        Some(_) => return Err(tasks::held(&task)),
        None => {
            return Err(Error::Conflict {
                code: ConflictCode::not_claimed,
                detail: "claim the task before completing it".into(),
            });
        }
    }
    let TaskForm { form, outcomes, .. } = task_form(core, &task).await?;
    let Completion { outcome, values: given } = done;
    crate::limits::chars("/outcome", outcome.as_deref().unwrap_or_default(), crate::limits::KEY)?;
    let mut errors = Vec::new();
    match &outcome {
        Some(o) if !outcomes.is_empty() && !outcomes.contains(o) => errors.push(engine_form::FieldError::new(
            "/outcome",
            "option",
            format!("`{o}` is not one of {}", outcomes.join(", ")),
        )),
        None if !outcomes.is_empty() => {
            errors.push(engine_form::FieldError::new(
                "/outcome",
                "required",
                format!("one of {}", outcomes.join(", ")),
            ));
        }
        _ => {}
    }
    let app_key = task["app"].as_str().unwrap_or_default().to_owned();
    let TaskValues { values, files, links } = match checked_values(&form, &given) {
        Ok(checked) => checked,
        Err(found) => {
            errors.extend(found);
            TaskValues::default()
        }
    };
    // Files go with the task: the caller's own uploads, or already this task's.
    let holder = crate::files::Holder {
        app: &app_key,
        form: crate::files::TASK_FILES,
        record_id: Some(id),
        writer: Some(principal.user_id),
    };
    for (field, ids) in &files {
        for (i, file) in ids.iter().enumerate() {
            if let Some(problem) = crate::files::check_attachment(conn, &holder, field, *file).await? {
                errors.push(engine_form::FieldError::new(format!("/values/{}/{i}", field.key), "file", problem));
            }
        }
    }
    // A related record must exist, and be one the completer may read.
    for (field, target, link) in &links {
        match crate::access::reach::read_one(core, &principal, (&app_key, target, *link), None, now).await {
            Ok(_) => {}
            Err(Error::NotFound(_) | Error::Forbidden { .. }) => errors.push(engine_form::FieldError::new(
                format!("/values/{field}"),
                "relation",
                format!("no `{target}` record {link} that you may read"),
            )),
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::InvalidRecord(errors));
    }
    let tx = conn.begin().await?;
    // The first write takes the task; the others are told what became of it.
    if !tasks::store::take(&tx, id, &principal.username).await? {
        return Err(tasks::now_is(&tx, id, now).await?);
    }
    let app = core.catalog.published_for_write(&tx, &app_key).await?;
    let instance = task["instance"].as_i64();
    match (instance, task["token"].as_u64()) {
        (Some(instance), Some(token)) => {
            let event = Incoming::TaskCompleted { token, outcome, values, by: principal.username.clone() };
            super::deliver(&tx, &app, instance, event, now, 0).await?;
        }
        // A task a rule raised has no process to move on: it is closed with what was done.
        _ => {
            let data = Value::Object(given.clone());
            let done = Some((principal.username.as_str(), outcome.as_deref(), &data));
            tasks::store::close_raised(&tx, id, "completed", done, now).await?;
        }
    }
    for (field, ids) in &files {
        crate::files::attach(&tx, crate::files::TASK_FILES, &field.key, id, ids).await?;
    }
    let entry = Entry::app("task.complete", &app_key, json!({ "task": id, "instance": instance, "values": given }));
    audit::write(&tx, &actor, entry, now).await?;
    tx.commit().await?;
    Ok(match visible(conn, &reach, id).await {
        Ok(row) => task_json(&row, conn.get_database_backend(), now, reach.language())?,
        Err(_) => json!({ "id": id, "status": "completed" }),
    })
}

/// A completed task form's values, as its process reads them, and the files given in each
/// attachment field.
#[derive(Default)]
struct TaskValues {
    values: Vec<(String, engine_rule::Value)>,
    files: Vec<(engine_form::Field, Vec<i64>)>,
    /// Each relation field's value: (field, related form, record id).
    links: Vec<(String, String, i64)>,
}

/// The task form's values checked as a form's are (types, required, options); or every
/// problem, under `/values`.
fn checked_values(
    form: &engine_form::Form,
    given: &Map<String, Value>,
) -> Result<TaskValues, Vec<engine_form::FieldError>> {
    if form.fields.is_empty() {
        return Ok(TaskValues::default());
    }
    match check_record(form, given, CheckMode::Create) {
        Ok(values) => {
            let files = values
                .iter()
                .filter_map(|(k, v)| match (form.field(k), v) {
                    (Some(field), engine_form::FieldValue::Files(ids)) => Some((field.clone(), ids.clone())),
                    _ => None,
                })
                .collect();
            let links = values
                .iter()
                .filter_map(|(k, v)| match (form.field(k).map(|f| &f.kind), v) {
                    (Some(engine_form::FieldType::Relation { form, .. }), engine_form::FieldValue::Link(id)) => {
                        Some((k.clone(), form.clone(), *id))
                    }
                    _ => None,
                })
                .collect();
            let values = values.iter().map(|(k, v)| (k.clone(), engine_form::expr_value(v))).collect();
            Ok(TaskValues { values, files, links })
        }
        Err(errors) => Err(errors
            .into_iter()
            .map(|mut e| {
                e.path = format!("/values{}", e.path);
                e
            })
            .collect()),
    }
}
