//! Dashboards for one viewer: which they see (those of no role, or of a role they hold,
//! none for someone without a role in the app; all of them for designers, administrators
//! and everyone in an app without roles), and one computed: every card's report
//! at once, each within the viewer's access and its own time limit, a card that fails
//! failing alone.

use std::collections::BTreeMap;

use engine_report::Dashboard;
use futures_util::future::join_all;
use serde_json::{Value, json};

use super::{compute, find};
use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::error::Error;

/// The dashboards of `app` that `principal` sees in their menu.
pub async fn visible<'a>(
    c: &impl sea_orm::ConnectionTrait,
    app: &'a PublishedApp,
    principal: &Principal,
) -> Result<Vec<&'a Dashboard>, Error> {
    if app.dashboards.is_empty() {
        return Ok(Vec::new());
    }
    let everything = principal.at_least("designer").is_ok() || app.roles.is_empty();
    let held = crate::access::held(c, app, principal).await?;
    // Someone with no role in an app that has roles sees none of its dashboards.
    if !everything && held.is_empty() {
        return Ok(Vec::new());
    }
    Ok(app
        .dashboards
        .iter()
        .filter(|d| everything || d.roles.is_empty() || d.roles.iter().any(|r| held.contains(r)))
        .collect())
}

/// A dashboard computed: what it is, and each card with its answer or why it has none.
pub struct Board {
    pub about: Value,
    pub cards: Vec<(Value, Result<Value, Error>)>,
}

/// Dashboard `key` of `app` as `principal` sees it, its shared parameters `given`.
pub async fn dashboard(
    core: &Core,
    principal: &Principal,
    (app, key): (&str, &str),
    given: &BTreeMap<String, String>,
) -> Result<Board, Error> {
    let published = core.catalog.published(&core.db.conn, app).await?;
    let mine = visible(&core.db.conn, &published, principal).await?;
    let dashboard =
        mine.into_iter().find(|d| d.key == key).ok_or_else(|| Error::not_found(format!("no dashboard `{key}`")))?;
    let shared = only(given, dashboard.parameters.iter().map(|p| p.key.as_str()));
    let answers = join_all(dashboard.cards.iter().map(|card| {
        let shared = &shared;
        let published = &published;
        async move {
            let report = find(published, &card.report)?;
            let mine = only(shared, report.parameters.iter().map(|p| p.key.as_str()));
            compute(core, published, principal, report, &mine).await.map(|a| a.value)
        }
    }))
    .await;
    let cards = dashboard
        .cards
        .iter()
        .zip(answers)
        .map(|(card, answer)| {
            let label =
                card.label.clone().or_else(|| find(&published, &card.report).ok().and_then(|r| r.label.clone()));
            let about = json!({ "report": card.report, "label": label, "x": card.x, "y": card.y, "w": card.w,
                "h": card.h, "drill": card.drill.as_ref().and_then(|d| d.report.clone()) });
            (about, answer)
        })
        .collect();
    // Each shared parameter as the first card's report that takes it describes it.
    let parameters: Vec<Value> = dashboard
        .parameters
        .iter()
        .map(|p| {
            let taken = dashboard.cards.iter().find_map(|c| {
                let report = find(&published, &c.report).ok()?;
                let about = super::about(&published, report, given);
                about["parameters"].as_array()?.iter().find(|q| q["key"] == p.key.as_str()).cloned()
            });
            let mut one = taken.unwrap_or_else(|| json!({ "key": p.key, "type": "text", "options": [] }));
            if p.label.is_some() {
                one["label"] = json!(p.label);
            }
            one
        })
        .collect();
    let about = json!({ "key": dashboard.key, "label": dashboard.label, "parameters": parameters });
    Ok(Board { about, cards })
}

/// The values of `given` whose parameter is one of `keys`.
fn only<'k>(given: &BTreeMap<String, String>, keys: impl Iterator<Item = &'k str>) -> BTreeMap<String, String> {
    let keys: Vec<&str> = keys.collect();
    given.iter().filter(|(k, _)| keys.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}
