//! Who did something, in words: the audit trail names actors by their user name, or as
//! `firing 23` and `process 4` for what rules and processes did; a person reading a
//! record's history reads the user's name (张敏), the rule's or the process's label.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use serde_json::{Value, json};

use crate::catalog::PublishedApp;
use crate::db::Table;
use crate::error::Error;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Gives each audit entry of `items` its `by`: what its actor is called per language (a
/// user's display name, a rule's or a process's label), or null when there is nothing
/// better than the actor's own name.
pub async fn name_actors(c: &impl ConnectionTrait, app: &PublishedApp, items: &mut [Value]) -> Result<(), Error> {
    let mut known: HashMap<String, Value> = HashMap::new();
    for item in items.iter() {
        let actor = item["actor"].as_str().unwrap_or_default();
        if known.contains_key(actor) {
            continue;
        }
        let named = match (item["via"].as_str(), actor.split_once(' ')) {
            (Some("rule"), Some(("firing", id))) => rule_of(c, app, id.parse().unwrap_or_default()).await?,
            (Some("process"), Some(("process", id))) => flow_of(c, app, id.parse().unwrap_or_default()).await?,
            _ => person(c, item["actor_id"].as_i64()).await?,
        };
        known.insert(actor.to_owned(), named);
    }
    for item in items.iter_mut() {
        item["by"] = known.get(item["actor"].as_str().unwrap_or_default()).cloned().unwrap_or(Value::Null);
    }
    Ok(())
}

/// One text in every language.
fn everywhere(text: String) -> Value {
    json!({ "zh-CN": text, "en": text })
}

async fn person(c: &impl ConnectionTrait, id: Option<i64>) -> Result<Value, Error> {
    let Some(id) = id else { return Ok(Value::Null) };
    let stmt =
        Query::select().column(a("display_name")).from(Table::Users).and_where(Expr::col(a("id")).eq(id)).to_owned();
    let name = match c.query_one(&stmt).await? {
        Some(row) => row.try_get_by_index::<Option<String>>(0)?,
        None => None,
    };
    Ok(name.map_or(Value::Null, everywhere))
}

/// The label of the rule whose firing `id` acted.
async fn rule_of(c: &impl ConnectionTrait, app: &PublishedApp, id: i64) -> Result<Value, Error> {
    let key = key_of(c, Table::Firings, "rule", id).await?;
    Ok(app.rules.iter().find(|r| Some(&r.key) == key.as_ref()).map_or(Value::Null, |r| json!(r.label)))
}

/// The label of the flow process `id` runs.
async fn flow_of(c: &impl ConnectionTrait, app: &PublishedApp, id: i64) -> Result<Value, Error> {
    let key = key_of(c, Table::FlowInstances, "flow", id).await?;
    Ok(app.flows.iter().find(|f| Some(&f.key) == key.as_ref()).map_or(Value::Null, |f| json!(f.label)))
}

async fn key_of(c: &impl ConnectionTrait, table: Table, column: &str, id: i64) -> Result<Option<String>, Error> {
    let stmt = Query::select().column(a(column)).from(table).and_where(Expr::col(a("id")).eq(id)).to_owned();
    Ok(match c.query_one(&stmt).await? {
        Some(row) => Some(row.try_get_by_index(0)?),
        None => None,
    })
}
