//! Impact before a field is deleted or renamed: every place of an app's drafts that reads
//! it (`engine_app::uses`: expressions, lookups, columns, sorts, layouts, roles, through
//! relations and aggregates) and every saved view whose filter, sort or columns name it.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use serde_json::{Value, json};

use crate::core::Core;
use crate::db::Table;
use crate::error::Error;
use crate::meta;

/// The places that read field `field` of form `form` in app `key`'s drafts and its users'
/// saved views.
pub async fn of_field(core: &Core, key: &str, (form, field): (&str, &str)) -> Result<Value, Error> {
    let conn = &core.db.conn;
    let app = meta::app(conn, key).await?;
    let bundle = meta::draft_bundle(conn, &app).await?;
    let known = bundle["forms"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["key"] == form)
        .is_some_and(|f| f["fields"].as_array().into_iter().flatten().any(|x| x["key"] == field));
    if !known {
        return Err(Error::not_found(format!("the drafts of `{key}` have no field `{field}` in a form `{form}`")));
    }
    let target = (form, field);
    let mut items: Vec<Value> = engine_app::uses(&bundle, target).iter().map(engine_app::Use::to_json).collect();
    let views = Query::select()
        .columns(["id", "form", "name", "definition"].map(Alias::new))
        .from(Table::Views)
        .and_where(Expr::col(Alias::new("app")).eq(app.key.as_str()))
        .order_by(Alias::new("id"), Order::Asc)
        .to_owned();
    for row in conn.query_all(&views).await? {
        let (id, on, name): (i64, String, String) =
            (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        let definition: String = row.try_get_by_index(3)?;
        let definition: Value = serde_json::from_str(&definition).unwrap_or(Value::Null);
        // Its filter whole, each field it sorts by, each column.
        let mut texts: Vec<(&str, String)> = Vec::new();
        texts.extend(definition["where"].as_str().map(|w| ("where", w.to_owned())));
        let sort = definition["sort"].as_str().unwrap_or_default();
        texts.extend(sort.split(',').filter(|s| !s.is_empty()).map(|s| ("sort", s.to_owned())));
        texts.extend(
            definition["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|c| ("columns", c.to_owned())),
        );
        for (part, text) in texts {
            if engine_app::reads(&bundle, &on, &text, target) {
                items.push(json!({ "path": format!("/views/{id}/{part}"), "of": "views", "key": name, "text": text }));
                break;
            }
        }
    }
    Ok(json!({ "form": form, "field": field, "count": items.len(), "items": items }))
}
