//! A process's service steps, each a job of the runner, carried out through the same
//! writes and outbox as rules: a record updated or created (audited as the process, and
//! seen by the rules and processes that follow it), a notification or a webhook queued,
//! another process started. Processes act with the platform's authority.

use chrono::{DateTime, Utc};
use engine_form::FieldType;
use engine_rule::{Record, Value as ExprValue};
use sea_orm::DatabaseTransaction;
use serde_json::{Value, json};

use super::Here;
use crate::audit::Actor;
use crate::error::Error;
use crate::records::FormCtx;
use crate::records::values::RecordValues;

/// Runs the service step `action` (as the engine computed it): what the history shows of
/// it (personal data masked).
pub(super) async fn run(
    tx: &DatabaseTransaction,
    at: &Here<'_>,
    action: &Value,
    now: DateTime<Utc>,
    depth: usize,
) -> Result<Value, Error> {
    let app = at.app;
    let object = |key: &str| action[key].as_object().cloned().unwrap_or_default();
    let acting = || (Actor::process(at.id), None);
    match action["type"].as_str().unwrap_or_default() {
        "notify" => {
            let body = json!({ "message": action["message"] });
            let channel = action["channel"].as_str().unwrap_or("in_app");
            crate::rules::queue_message(tx, app, channel, &action["to"], &body, now).await?;
            Ok(action.clone())
        }
        "webhook" => {
            let mut body = object("body");
            for key in action["masked"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if let Some(value) = body.get_mut(key)
                    && !value.is_null()
                {
                    let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                    *value = Value::String(crate::access::mask(&text));
                }
            }
            let body = Value::Object(body);
            crate::rules::queue_message(tx, app, "webhook", &action["url"], &body, now).await?;
            Ok(json!({ "type": "webhook", "url": action["url"], "body": body }))
        }
        "update_fields" => {
            let (form, id) = target(tx, at, action["record"].as_str(), now).await?;
            crate::rules::update_record(tx, app, (&form, id), &object("set"), acting(), now, depth + 1).await?;
            let mut shown = action.clone();
            shown["record"] = json!({ "form": form, "id": id });
            Ok(shown)
        }
        "create_record" => {
            let form = action["form"].as_str().unwrap_or_default();
            let id = crate::rules::create_record(tx, app, form, &object("values"), acting(), now, depth + 1).await?;
            let mut shown = action.clone();
            shown["id"] = json!(id);
            Ok(shown)
        }
        "start_flow" => {
            let flow = action["flow"].as_str().unwrap_or_default();
            let follows = super::flow_at(tx, app, flow, at.version).await?.subject.is_some();
            let subject = at.subject.map(|(_, id)| id).filter(|_| follows);
            let (started, _) =
                super::start_at(tx, app, (flow, at.version), subject, (None, None), Vec::new(), now, depth + 1).await?;
            Ok(json!({ "type": "start_flow", "flow": flow, "instance": started }))
        }
        other => Err(Error::Internal(anyhow::anyhow!("a service step of unknown type {other:?}"))),
    }
}

/// The record an `update_fields` step updates: the subject, or the record its relation
/// path (`customer`, `account.customer`) leads to, read as it is now.
async fn target(
    tx: &DatabaseTransaction,
    at: &Here<'_>,
    path: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(String, i64), Error> {
    let (form, id) = at
        .subject
        .ok_or_else(|| Error::bad_input("flow_service", "a flow that follows no record has no record to update"))?;
    let Some(path) = path else { return Ok((form.to_owned(), id)) };
    let hops: Vec<String> = path.split('.').map(str::to_owned).collect();
    let mut target = at.app.form(form)?;
    for hop in &hops {
        let Some(FieldType::Relation { form: next, .. }) = target.field(hop).map(|f| &f.kind) else {
            return Err(Error::bad_input("flow_service", format!("`{path}` is not a relation")));
        };
        target = at.app.form(next)?;
    }
    let ctx = FormCtx::new(at.app, form, sea_orm::ConnectionTrait::get_database_backend(tx), now)?;
    let values = crate::rules::current_values(tx, &ctx, id).await?.map(|(_, v)| v).unwrap_or_default();
    let mut subject = RecordValues::new(ctx.form, id, values, super::context(at.app, now));
    if hops.len() > 1 {
        let needs = crate::rules::Needs { paths: vec![hops.clone()], aggregates: Vec::new() };
        crate::rules::load_related(tx, at.app, &mut subject, &needs).await?;
    }
    match subject.value(&hops) {
        ExprValue::Integer(related) => Ok((target.key.clone(), related)),
        _ => {
            Err(Error::bad_input("flow_service", format!("the `{form}` record {id} has no `{path}` record to update")))
        }
    }
}
