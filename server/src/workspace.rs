//! What a signed-in user works with, for the browser app's shell: the published apps they
//! have a role in (every one, for an administrator, or where an app defines no roles),
//! in each the forms their roles let them read, in the app's order, as the app's metadata
//! declares them with each field's mode for this user (hidden fields left out) and the
//! operations they have; how many open tasks they have, and how many of those are
//! overdue; the dashboards each app shows them; and whether they lead a team. The metadata is the UI: labels, field order, types and formats come from here.

use serde_json::{Value, json};

use crate::access::{self, Mode, OPERATIONS};
use crate::auth::Principal;
use crate::core::Core;
use crate::error::Error;

pub async fn of(core: &Core, principal: &Principal) -> Result<Value, Error> {
    let conn = &core.db.conn;
    let mut apps = Vec::new();
    for row in crate::meta::list_apps(conn).await?.into_iter().filter(|a| a.published_version > 0) {
        let app = core.catalog.published(conn, &row.key).await?;
        let Some(first) = app.bundle.forms.first() else { continue };
        let Some((document, _)) = crate::meta::version_bundle(conn, &app.key, app.version).await? else { continue };
        let access = access::load(conn, &app, principal, first).await?;
        let mut forms = Vec::new();
        for doc in document["forms"].as_array().into_iter().flatten() {
            let key = doc["key"].as_str().unwrap_or_default();
            let Some(theirs) = access.to_form(key).filter(|a| a.allows("read")) else { continue };
            let fields: Vec<Value> = doc["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|field| {
                    let mode = theirs.mode(field["key"].as_str().unwrap_or_default());
                    let mut field = field.clone();
                    mode.mark(&mut field);
                    (mode != Mode::Hidden).then_some(field)
                })
                .collect();
            let operations: Vec<&str> = OPERATIONS.into_iter().filter(|o| theirs.allows(o)).collect();
            // The record page laid out for the form, if the app has one (a customer 360).
            let page = app.pages.iter().find(|p| p.form == key).map(|p| p.key.clone());
            forms.push(json!({ "key": key, "label": doc["label"], "title_field": doc["title_field"],
                "user_field": doc["user_field"], "fields": fields, "operations": operations, "page": page,
                "layout": doc["layout"] }));
        }
        // An app a designer or an administrator runs is theirs to look after (its outbox)
        // even where no role of theirs reads its records.
        if !forms.is_empty() || principal.at_least("designer").is_ok() {
            // The zone instants are shown in to users who chose none.
            let zone = document["time_zone"].as_str().unwrap_or("UTC");
            let dashboards: Vec<Value> = crate::reports::visible(conn, &app, principal)
                .await?
                .into_iter()
                .map(|d| json!({ "key": d.key, "label": d.label }))
                .collect();
            apps.push(json!({ "key": app.key, "name": document["name"], "time_zone": zone, "forms": forms,
                "dashboards": dashboards }));
        }
    }
    let (open, overdue) = crate::tasks::counts(conn, principal.clone(), core.clock.now()).await?;
    let leads = !crate::auth::directory::units_led(conn, &principal.username).await?.is_empty();
    Ok(json!({ "apps": apps, "tasks": { "open": open, "overdue": overdue, "leads": leads } }))
}
