//! Saved views: a user's own ways of looking at a form's records (a `where` condition, a
//! search, an order, the columns shown), kept by the server. A view is checked as the list
//! it stands for would be, with the user's roles: one that filters on what they see masked
//! is refused when saved, as the list would refuse it. A user sees and changes only their
//! own views.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::access::reach;
use crate::auth::Principal;
use crate::core::Core;
use crate::db::Table;
use crate::db::codec::{datetime, decode};
use crate::error::{BadInputCode, ConflictCode, Error};
use crate::limits;
use crate::records::FormCtx;
use crate::records::query::ListParams;

/// The most views a user keeps for one form.
pub const MAX_VIEWS: usize = 100;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// A view as it is saved: its name and the list parameters it stands for.
#[derive(Debug, Deserialize, serde::Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "高净值 · 资产降序", "where": "tier == 'hnw'", "sort": "-aum", "columns": ["name", "tier", "aum"] }))]
pub struct ViewSpec {
    /// 1 to 100 characters.
    pub name: String,
    /// A condition in the expression language, as the list's `where`.
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// The list's `search`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// The list's `sort`, e.g. `-aum,name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// The fields shown, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
}

/// Refuses a view its owner's list would refuse, each problem at its place in the view.
async fn checked(
    core: &Core,
    principal: &Principal,
    (app, form): (&str, &str),
    spec: &ViewSpec,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let name = spec.name.trim();
    if name.is_empty() || spec.name.chars().count() > limits::NAME || limits::has_hidden_characters(name) {
        return Err(Error::bad_input_at(
            BadInputCode::bad_name,
            "/name",
            format!("a view's name has 1 to {} characters, without control characters", limits::NAME),
        ));
    }
    // What is stored is what was sent: each part bounded as it came, not once trimmed.
    limits::chars("/where", spec.condition.as_deref().unwrap_or_default(), engine_rule::MAX_LENGTH)?;
    limits::chars("/search", spec.search.as_deref().unwrap_or_default(), crate::records::query::MAX_SEARCH)?;
    limits::chars("/sort", spec.sort.as_deref().unwrap_or_default(), limits::SORT)?;
    if let Some(columns) = &spec.columns {
        let unique: std::collections::BTreeSet<&String> = columns.iter().collect();
        if columns.len() > limits::VIEW_COLUMNS || unique.len() != columns.len() {
            let detail = format!("at most {} columns, each once", limits::VIEW_COLUMNS);
            return Err(Error::bad_input_at(BadInputCode::bad_columns, "/columns", detail));
        }
    }
    let published = core.catalog.published(&core.db.conn, app).await?;
    let ctx = FormCtx::new(&published, form, core.db.backend(), now)?;
    let params = ListParams {
        condition: spec.condition.clone(),
        search: spec.search.clone(),
        sort: spec.sort.clone(),
        fields: spec.columns.as_ref().map(|c| c.join(",")),
        ..Default::default()
    };
    if spec.columns.as_ref().is_some_and(|c| c.is_empty() || c.iter().any(|k| k.contains(','))) {
        return Err(Error::bad_input_at(
            BadInputCode::bad_columns,
            "/columns",
            "name at least one field of the form, each once",
        ));
    }
    reach::list_query(&core.db.conn, &ctx, principal, &params, "read").await?;
    Ok(())
}

fn view_json(row: &sea_orm::QueryResult, backend: sea_orm::DbBackend) -> Result<Value, Error> {
    let definition: String = row.try_get_by_index(2)?;
    let mut view: Value = serde_json::from_str(&definition).unwrap_or_else(|_| json!({}));
    view["id"] = json!(row.try_get_by_index::<i64>(0)?);
    view["name"] = json!(row.try_get_by_index::<String>(1)?);
    view["updated_at"] = decode(row, 3, &engine_form::StorageType::DateTime, backend)?.to_json();
    Ok(view)
}

/// The caller's views of a form, oldest first.
pub async fn list(core: &Core, principal: &Principal, (app, form): (&str, &str)) -> Result<Value, Error> {
    let published = core.catalog.published(&core.db.conn, app).await?;
    let ctx = FormCtx::new(&published, form, core.db.backend(), core.clock.now())?;
    reach::for_operation(&core.db.conn, &ctx, principal, "read").await?;
    let stmt = Query::select()
        .columns(["id", "name", "definition", "updated_at"].map(a))
        .from(Table::Views)
        .and_where(Expr::col(a("user_id")).eq(principal.user_id))
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("form")).eq(form))
        .order_by(a("id"), Order::Asc)
        .to_owned();
    let backend = core.db.backend();
    let items: Vec<Value> =
        core.db.conn.query_all(&stmt).await?.iter().map(|r| view_json(r, backend)).collect::<Result<_, _>>()?;
    Ok(json!({ "items": items }))
}

/// Saves a new view of the caller's (`id` none) or replaces one of theirs.
pub async fn save(
    core: &Core,
    principal: &Principal,
    (app, form): (&str, &str),
    id: Option<i64>,
    spec: &ViewSpec,
) -> Result<Value, Error> {
    let now = core.clock.now();
    checked(core, principal, (app, form), spec, now).await?;
    let backend = core.db.backend();
    let definition =
        json!({ "where": spec.condition, "search": spec.search, "sort": spec.sort, "columns": spec.columns })
            .to_string();
    let name = spec.name.trim();
    let id = match id {
        Some(id) => {
            let stmt = Query::update()
                .table(Table::Views)
                .values([
                    (a("name"), name.into()),
                    (a("definition"), definition.into()),
                    (a("updated_at"), datetime(now, backend).into()),
                ])
                .cond_where(own(principal, (app, form, id)))
                .to_owned();
            if core.db.conn.execute(&stmt).await?.rows_affected() == 0 {
                return Err(Error::not_found(format!("you have no view {id} of `{form}`")));
            }
            id
        }
        None => insert(core, principal, (app, form), name, definition, now).await?,
    };
    let stmt = Query::select()
        .columns(["id", "name", "definition", "updated_at"].map(a))
        .from(Table::Views)
        .cond_where(own(principal, (app, form, id)))
        .to_owned();
    let row = core.db.conn.query_one(&stmt).await?;
    row.map(|row| view_json(&row, backend))
        .ok_or_else(|| Error::not_found(format!("you have no view {id} of `{form}`")))?
}

/// Adds a view of the caller's unless they have [`MAX_VIEWS`] of the form already, in one
/// statement that counts and inserts (SQLite writes one at a time); on PostgreSQL the
/// caller's user row is locked first, so that parallel saves count one after another.
async fn insert(
    core: &Core,
    principal: &Principal,
    (app, form): (&str, &str),
    name: &str,
    definition: String,
    now: DateTime<Utc>,
) -> Result<i64, Error> {
    use sea_orm::TransactionTrait;
    let backend = core.db.backend();
    let tx = core.db.conn.begin().await?;
    if backend == sea_orm::DbBackend::Postgres {
        let me = Query::select()
            .column(a("id"))
            .from(Table::Users)
            .and_where(Expr::col(a("id")).eq(principal.user_id))
            .lock(sea_orm::sea_query::LockType::Update)
            .to_owned();
        tx.query_one(&me).await?;
    }
    let theirs = Query::select()
        .expr(Expr::col(a("id")).count())
        .from(Table::Views)
        .and_where(Expr::col(a("user_id")).eq(principal.user_id))
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("form")).eq(form))
        .to_owned();
    let values = Query::select()
        .exprs([
            Expr::val(principal.user_id),
            Expr::val(app),
            Expr::val(form),
            Expr::val(name),
            Expr::val(definition),
            Expr::val(datetime(now, backend)),
            Expr::val(datetime(now, backend)),
        ])
        .and_where(Expr::SubQuery(None, Box::new(theirs.into())).lt(MAX_VIEWS as i64))
        .to_owned();
    let stmt = Query::insert()
        .into_table(Table::Views)
        .columns(["user_id", "app", "form", "name", "definition", "created_at", "updated_at"].map(a))
        .select_from(values)
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?
        .returning_col(a("id"))
        .to_owned();
    let Some(row) = tx.query_one(&stmt).await? else {
        return Err(Error::Conflict {
            code: ConflictCode::too_many_views,
            detail: format!("at most {MAX_VIEWS} views of one form; delete one first"),
        });
    };
    tx.commit().await?;
    Ok(row.try_get_by_index(0)?)
}

/// View `id` of `form`, if it is the caller's.
fn own(principal: &Principal, (app, form, id): (&str, &str, i64)) -> sea_orm::sea_query::Cond {
    sea_orm::sea_query::Cond::all()
        .add(Expr::col(a("id")).eq(id))
        .add(Expr::col(a("user_id")).eq(principal.user_id))
        .add(Expr::col(a("app")).eq(app))
        .add(Expr::col(a("form")).eq(form))
}

/// Deletes one of the caller's views.
pub async fn delete(core: &Core, principal: &Principal, (app, form, id): (&str, &str, i64)) -> Result<(), Error> {
    let stmt = Query::delete().from_table(Table::Views).cond_where(own(principal, (app, form, id))).to_owned();
    if core.db.conn.execute(&stmt).await?.rows_affected() == 0 {
        return Err(Error::not_found(format!("you have no view {id} of `{form}`")));
    }
    Ok(())
}

/// Saved views follow the fields a publish renamed: each view of app `app` whose filter,
/// sort or columns read a renamed field (through relations too, as `previous`, the
/// bundle they were saved against, reads them) is rewritten to the new key, within the
/// publish's transaction. `renames`: (form, old key, new key).
pub async fn follow_renames(
    c: &impl ConnectionTrait,
    app: &str,
    previous: &Value,
    renames: &[(String, String, String)],
) -> Result<usize, Error> {
    let q = Query::select()
        .columns(["id", "form", "definition"].map(a))
        .from(Table::Views)
        .and_where(Expr::col(a("app")).eq(app))
        .to_owned();
    let mut changed = 0;
    for row in c.query_all(&q).await? {
        let (id, form, text): (i64, String, String) =
            (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        let Ok(before @ Value::Object(_)) = serde_json::from_str::<Value>(&text) else { continue };
        let mut view = before.clone();
        let mut bundle = previous.clone();
        for (of, from, to) in renames {
            let target = (of.as_str(), from.as_str());
            let again =
                |t: &str| engine_app::rewrite_text(&bundle, &form, t, target, to).unwrap_or_else(|| t.to_owned());
            if let Some(condition) = view["where"].as_str().map(again) {
                view["where"] = Value::from(condition);
            }
            if let Some(sort) = view["sort"].as_str().map(|s| s.split(',').map(again).collect::<Vec<_>>().join(",")) {
                view["sort"] = Value::from(sort);
            }
            if let Some(columns) = view["columns"].as_array_mut() {
                for column in columns.iter_mut() {
                    if let Some(text) = column.as_str().map(again) {
                        *column = Value::from(text);
                    }
                }
            }
            bundle = engine_app::rename(&bundle, target, to).map(|(b, _)| b).unwrap_or(bundle);
        }
        let rewritten = view.to_string();
        if view != before {
            let update = Query::update()
                .table(Table::Views)
                .value(a("definition"), rewritten)
                .and_where(Expr::col(a("id")).eq(id))
                .to_owned();
            c.execute(&update).await?;
            changed += 1;
        }
    }
    Ok(changed)
}
