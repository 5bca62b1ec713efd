//! Instances waiting for a message, keyed by the correlation they wait for.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};

use super::a;
use crate::db::Table;

/// Token `token` of instance `id` waits for `event` (whose field `key.0` has the value
/// `key.1`, if keyed); again: its key is updated.
pub async fn add_wait(
    c: &impl ConnectionTrait,
    (app, event): (&str, &str),
    (id, token): (i64, u64),
    key: Option<(String, String)>,
) -> Result<(), DbErr> {
    let (path, value) = key.unzip();
    let stmt = Query::insert()
        .into_table(Table::FlowWaits)
        .columns(["app", "event", "instance_id", "token", "match_path", "match_value"].map(a))
        .values_panic([app.into(), event.into(), id.into(), (token as i64).into(), path.into(), value.into()])
        .on_conflict(
            OnConflict::columns(["instance_id", "token"].map(a))
                .update_columns(["match_path", "match_value"].map(a))
                .to_owned(),
        )
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

/// Token `token` of instance `id` no longer waits.
pub async fn remove_wait(c: &impl ConnectionTrait, id: i64, token: u64) -> Result<(), DbErr> {
    let stmt = Query::delete()
        .from_table(Table::FlowWaits)
        .and_where(Expr::col(a("instance_id")).eq(id))
        .and_where(Expr::col(a("token")).eq(token as i64))
        .to_owned();
    c.execute(&stmt).await.map(drop)
}

/// The instances of `app` with a token that may take `event`: waiting for it unkeyed, or
/// keyed on a field whose value in this event (`value_of`) is the one waited for. Each
/// once, oldest first.
pub async fn waiting_for(
    c: &impl ConnectionTrait,
    app: &str,
    event: &str,
    value_of: impl Fn(&str) -> Option<String>,
) -> Result<Vec<i64>, DbErr> {
    let paths = Query::select()
        .distinct()
        .column(a("match_path"))
        .from(Table::FlowWaits)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("event")).eq(event))
        .and_where(Expr::col(a("match_path")).is_not_null())
        .to_owned();
    let mut any = sea_orm::sea_query::Cond::any().add(Expr::col(a("match_path")).is_null());
    for row in c.query_all(&paths).await? {
        let path: String = row.try_get_by_index(0)?;
        if let Some(value) = value_of(&path) {
            any = any.add(Expr::col(a("match_path")).eq(path.as_str()).and(Expr::col(a("match_value")).eq(value)));
        }
    }
    let stmt = Query::select()
        .distinct()
        .column(a("instance_id"))
        .from(Table::FlowWaits)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("event")).eq(event))
        .cond_where(any)
        .order_by(a("instance_id"), Order::Asc)
        .to_owned();
    c.query_all(&stmt).await?.iter().map(|r| r.try_get_by_index(0)).collect()
}

/// Whether anything of `app` waits for `event`.
pub async fn any_waiting(c: &impl ConnectionTrait, app: &str, event: &str) -> Result<bool, DbErr> {
    let stmt = Query::select()
        .column(a("id"))
        .from(Table::FlowWaits)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("event")).eq(event))
        .limit(1)
        .to_owned();
    Ok(c.query_one(&stmt).await?.is_some())
}
