//! Who a task may be handed to: the people a picker offers its holder (or their manager),
//! each one `assign::eligible` would accept, so handing on is choosing, not guessing a
//! user name.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query as Sql};
use serde_json::{Value, json};

use super::{a, reach, task_json, visible};
use crate::auth::Principal;
use crate::core::Core;
use crate::db::Table;
use crate::error::{ConflictCode, Error};

/// At most this many people are weighed for one picker.
const MAX_WEIGHED: u64 = 200;

/// The people `principal` may hand open task `id` to, by name: members (with a role in the
/// task's app) of the units the caller leads and of the holder's unit and those below it,
/// each of whom may work on the task. Refused as handing on is: a task not open, not held,
/// or not the caller's (nor their team's) to hand on.
pub async fn takers(core: &Core, principal: &Principal, id: i64, now: DateTime<Utc>) -> Result<Vec<Value>, Error> {
    let conn = &core.db.conn;
    let reach = reach(conn, principal.clone(), true).await?;
    let task = task_json(&visible(conn, &reach, id).await?, conn.get_database_backend(), now, reach.language())?;
    if task["status"] != "open" {
        return Err(super::assign::closed(&task));
    }
    let Some(holder) = task["assignee"].as_str() else {
        return Err(Error::Conflict {
            code: ConflictCode::not_claimed,
            detail: "claim the task before handing it on".into(),
        });
    };
    if holder != principal.username && !reach.leads(holder) {
        return Err(Error::Conflict {
            code: ConflictCode::not_yours,
            detail: format!("{holder} holds this task: only they, or a manager of their unit, hand it on"),
        });
    }
    let mut units = crate::auth::directory::units_led(conn, &principal.username).await?;
    if let Some(held) = crate::auth::user(conn, crate::auth::Who::Name(holder)).await? {
        units.extend(crate::auth::directory::unit_and_below(conn, held.user_id).await?.into_iter().map(|(id, _)| id));
    }
    let app = task["app"].as_str().unwrap_or_default();
    let people = Sql::select()
        .distinct()
        .columns([(Alias::new("u"), a("username")), (Alias::new("u"), a("display_name"))])
        .from_as(Table::Users, Alias::new("u"))
        .inner_join(Table::UserRoles, Expr::col((Table::UserRoles, a("user_id"))).equals((Alias::new("u"), a("id"))))
        .and_where(Expr::col((Table::UserRoles, a("app"))).eq(app))
        .and_where(Expr::col((Alias::new("u"), a("org_unit_id"))).is_in(units))
        .and_where(Expr::col((Alias::new("u"), a("disabled"))).eq(false))
        .and_where(Expr::col((Alias::new("u"), a("username"))).ne(holder))
        .order_by((Alias::new("u"), a("username")), Order::Asc)
        .limit(MAX_WEIGHED)
        .to_owned();
    let mut takers = Vec::new();
    for row in conn.query_all(&people).await? {
        let (username, display_name): (String, Option<String>) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        if super::assign::eligible(core, &task, &username, now).await.is_ok() {
            takers.push(json!({ "username": username, "display_name": display_name }));
        }
    }
    Ok(takers)
}
