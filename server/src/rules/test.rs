//! Testing a rule before it is published: the draft rule is evaluated against a stored
//! record or given values, with no side effect, and the answer says whether it fires, what
//! it read (shaped by the caller's field modes) and what it would do.

use chrono::{DateTime, Utc};
use engine_app::{App, check_app};
use engine_form::{CheckMode, FieldValue, Form};
use engine_rule::{Context, EventRule, Trigger, TriggerKind};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::access::{Access, Secrets, reach};
use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::error::{BadInputCode, Error};
use crate::meta;
use crate::records::values::{RecordValues, expr_json, field_values, given, merged};
use crate::records::{FormCtx, read};

/// What to test a rule on.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "id": 42, "record": { "aum": "7100000.00" }, "now": "2026-11-28T01:30:00+08:00" }))]
pub struct RuleTestRequest {
    /// A stored record of the rule's form. With `record`, the stored values are the state
    /// before the change and `record` the change.
    pub id: Option<i64>,
    /// Field values: the whole record, or (with `id`) the fields that change.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub record: Map<String, Value>,
    /// Without `id`, for rules on `updated` or `deleted`: the values before the change.
    #[schema(value_type = Object)]
    pub old: Option<Map<String, Value>>,
    /// The instant the rule sees as now, in RFC 3339; the current time by default.
    pub now: Option<String>,
}

/// The stored values of record `id`, read as the published app stores them and checked
/// against the draft form (fields that no longer fit read as empty).
async fn stored(
    core: &Core,
    published: &PublishedApp,
    form: &Form,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<(String, FieldValue)>, Error> {
    let ctx = FormCtx::new(published, &form.key, core.db.backend(), now)?;
    let record = read::get(&core.db.conn, &ctx, id, None)
        .await?
        .ok_or_else(|| Error::not_found(format!("no `{}` record {id}", form.key)))?;
    Ok(field_values(form, record.as_object().ok_or_else(|| anyhow::anyhow!("a record is an object"))?))
}

/// Test draft rule `rule` of app `app` as `principal` sees the data: whether it fires on the
/// request's record, what it read and what it would do. Nothing is written.
pub async fn test(
    core: &Core,
    principal: &Principal,
    (app, rule): (&str, &str),
    request: &RuleTestRequest,
) -> Result<Value, Error> {
    let now = match &request.now {
        None => core.clock.now(),
        Some(text) => engine_form::parse_instant(text).ok_or_else(|| {
            Error::bad_input(BadInputCode::bad_now, format!("`now` is not an RFC 3339 date-time: `{text}`"))
        })?,
    };
    let found = meta::app(&core.db.conn, app).await?;
    let drafts = drafts_for(meta::draft_bundle(&core.db.conn, &found).await?, rule)?;
    let rule = drafts.rule(rule).ok_or_else(|| Error::not_found(format!("no rule `{rule}`")))?;
    let form = subject(&drafts, rule)?;
    // What the test reads from stored records (the record, related ones) it reads through
    // the caller's access; what the caller gave it, it answers as given.
    let published = core.catalog.published(&core.db.conn, app).await?;
    let access = match rule.form.as_deref().and_then(|f| published.bundle.form(f)) {
        Some(published_form) => Some(crate::access::load(&core.db.conn, &published, principal, published_form).await?),
        None => None,
    };
    let changes = given(form, &request.record, "/record", CheckMode::Patch)?;
    let (before, after) = match (request.id, &request.old) {
        (Some(id), None) => {
            reach::readable(core, principal, (app, &form.key, id), now).await?;
            let stored = stored(core, &published, form, id, now).await?;
            (Some(stored.clone()), merged(stored, changes))
        }
        (None, Some(old)) => {
            let old = given(form, old, "/old", CheckMode::Patch)?;
            (Some(old.clone()), merged(old, changes))
        }
        (None, None) => (None, changes),
        (Some(_), Some(_)) => return Err(Error::bad_input(BadInputCode::bad_test, "give `id` or `old`, not both")),
    };
    let id = request.id.unwrap_or(0);
    // A rule names its zone (`today_in`); `today()` is refused when it is checked.
    let ctx = Context::at(now, now.date_naive()).with_calendars(&drafts.bundle.calendars);
    let mut after = RecordValues::new(form, id, after, ctx);
    let mut before = before.map(|values| RecordValues::new(form, id, values, ctx));
    let paths = crate::rules::related_paths([rule]);
    if !paths.is_empty() {
        // Related records are read as the published app stores them.
        for record in before.iter_mut().chain(std::iter::once(&mut after)) {
            crate::rules::load_related(&core.db.conn, &published, record, &paths).await?;
        }
    }
    let trigger = match (rule.trigger, &before) {
        (TriggerKind::Created, _) => Trigger::Created { id, version: 1, record: &after },
        (TriggerKind::Saved | TriggerKind::Changed, None) => Trigger::Created { id, version: 1, record: &after },
        (TriggerKind::Updated | TriggerKind::Saved | TriggerKind::Changed, Some(before)) => {
            Trigger::Updated { id, version: 2, before, after: &after }
        }
        (TriggerKind::Deleted, Some(before)) => Trigger::Deleted { id, version: 2, before },
        (TriggerKind::Schedule, _) => Trigger::Scheduled { occurrence: now, id, record: &after },
        (TriggerKind::Event, _) => Trigger::Event { name: &form.key, event_id: "test", payload: &after },
        _ => return Err(Error::bad_input(BadInputCode::bad_test, "this rule sees a change: give `id` or `old`")),
    };
    let firing = rule.fire(&trigger, &ctx).map_err(|e| Error::InvalidExpression { param: "rule", errors: vec![e] })?;
    let mut body =
        json!({ "rule": rule.key, "trigger": crate::rules::trigger_name(rule.trigger), "fired": firing.is_some() });
    if let Some(firing) = firing {
        let read: Map<String, Value> = firing.read.iter().map(|(k, v)| (k.clone(), expr_json(v))).collect();
        body["actions"] = Value::Array(firing.actions.iter().map(engine_rule::Action::to_json).collect());
        let read = match &access {
            Some(access) => {
                let secrets = match request.id {
                    Some(id) => reach::secrets_around(&core.db.conn, &published, (&form.key, id), access, now).await?,
                    None => Secrets::default(),
                };
                shape(Shaping { published: &published, form, access, secrets, request }, read, &mut body["actions"])
            }
            None => read,
        };
        body["read"] = Value::Object(read);
    }
    Ok(body)
}

/// The app's drafts checked for testing rule `key`: another draft rule's problems do not
/// stop it (those rules are left out); its own problems, or the forms', are the answer.
fn drafts_for(mut bundle: Value, key: &str) -> Result<App, Error> {
    let diagnostics = match check_app(&bundle, 0) {
        Ok(app) => return Ok(app),
        Err(diagnostics) => diagnostics,
    };
    let rules = bundle["rules"].as_array().map(Vec::as_slice).unwrap_or_default();
    let tested = rules.iter().position(|r| r["key"] == key);
    let rule_of = |path: &str| -> Option<usize> { path.strip_prefix("/rules/")?.split('/').next()?.parse().ok() };
    let others: std::collections::BTreeSet<usize> =
        diagnostics.iter().filter_map(|d| rule_of(&d.path)).filter(|i| Some(*i) != tested).collect();
    let own: Vec<_> =
        diagnostics.iter().filter(|d| rule_of(&d.path).is_none_or(|i| Some(i) == tested)).cloned().collect();
    if !own.is_empty() || others.is_empty() {
        return Err(Error::InvalidMetadata(if own.is_empty() { diagnostics } else { own }));
    }
    if let Some(rules) = bundle["rules"].as_array_mut() {
        let mut i = 0;
        rules.retain(|_| {
            i += 1;
            !others.contains(&(i - 1))
        });
    }
    check_app(&bundle, 0).map_err(Error::InvalidMetadata)
}

/// The form (or event) whose values the rule reads: a rule on an event reads the event's
/// data, so the request's `record` is that data.
fn subject<'a>(drafts: &'a App, rule: &EventRule) -> Result<&'a Form, Error> {
    let event = rule.event.as_deref().and_then(|e| drafts.events.iter().find(|f| f.key == e));
    rule.form
        .as_deref()
        .and_then(|f| drafts.bundle.form(f))
        .or(event)
        .ok_or_else(|| Error::not_found("the rule's form or event is not in the app"))
}

/// What shapes a test's answer to the caller's field modes.
struct Shaping<'a> {
    published: &'a PublishedApp,
    form: &'a Form,
    access: &'a Access,
    secrets: Secrets,
    request: &'a RuleTestRequest,
}

/// What the rule read, shaped by the caller's field modes (values the caller gave in the
/// request stay as given); the actions scrubbed of the secrets around the record.
fn shape(mut s: Shaping, mut read: Map<String, Value>, actions: &mut Value) -> Map<String, Value> {
    let mut shaped = read.clone();
    s.access.shape_paths(&s.published.bundle, s.form, &mut shaped, &mut s.secrets);
    for (path, value) in std::mem::take(&mut read) {
        let given = given_path(&path, &s.request.record, s.request.old.as_ref());
        match shaped.remove(&path) {
            _ if given => read.insert(path, value),
            Some(shaped) => read.insert(path, shaped),
            None => None,
        };
    }
    s.secrets.scrub(actions);
    read
}

/// Whether `path` (`aum`, `old.aum`) reads a value the caller gave in the test itself.
fn given_path(path: &str, record: &Map<String, Value>, old: Option<&Map<String, Value>>) -> bool {
    match path.strip_prefix("old.") {
        Some(field) => old.is_some_and(|o| o.contains_key(field)),
        None => record.contains_key(path),
    }
}
