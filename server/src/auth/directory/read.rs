//! The directory as administrators list it, the units below a user's, and the units a
//! manager leads.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Value, json};

use super::a;
use crate::db::Table;

/// The org units' ids by key.
pub(super) async fn unit_ids(c: &impl ConnectionTrait) -> Result<HashMap<String, i64>, DbErr> {
    let stmt = Query::select().columns(["key", "id"].map(a)).from(Table::OrgUnits).to_owned();
    let mut out = HashMap::new();
    for row in c.query_all(&stmt).await? {
        out.insert(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    }
    Ok(out)
}

/// `SELECT … FROM table AS t LEFT JOIN trellis_org_units AS o ON o.id = t.unit_column`,
/// ordered by `t.id`: rows with the key of the org unit they point at.
fn with_unit_key(table: Table, unit_column: &str) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .from_as(table, a("t"))
        .join_as(
            sea_orm::sea_query::JoinType::LeftJoin,
            Table::OrgUnits,
            a("o"),
            Expr::col((a("o"), a("id"))).equals((a("t"), a(unit_column))),
        )
        .order_by((a("t"), a("id")), Order::Asc)
        .to_owned()
}

/// The org units, each with its parent's key.
pub async fn org_units(c: &impl ConnectionTrait) -> Result<Vec<Value>, DbErr> {
    let stmt = with_unit_key(Table::OrgUnits, "parent_id")
        .column((a("t"), a("key")))
        .column((a("t"), a("name")))
        .column((a("o"), a("key")))
        .column((a("t"), a("manager")))
        .to_owned();
    c.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(json!({ "key": r.try_get_by_index::<String>(0)?, "name": r.try_get_by_index::<String>(1)?,
                "parent": r.try_get_by_index::<Option<String>>(2)?, "manager": r.try_get_by_index::<Option<String>>(3)? }))
        })
        .collect()
}

/// The users, without their password hashes.
pub async fn users(c: &impl ConnectionTrait) -> Result<Vec<Value>, DbErr> {
    let stmt = with_unit_key(Table::Users, "org_unit_id")
        .column((a("t"), a("id")))
        .column((a("t"), a("username")))
        .column((a("t"), a("display_name")))
        .column((a("t"), a("platform_role")))
        .column((a("o"), a("key")))
        .column((a("t"), a("disabled")))
        .to_owned();
    // Each user's roles, per app.
    let grants = Query::select().columns(["user_id", "app", "role"].map(a)).from(Table::UserRoles).to_owned();
    let mut roles: HashMap<i64, serde_json::Map<String, Value>> = HashMap::new();
    for row in c.query_all(&grants).await? {
        let (user, app, role): (i64, String, String) =
            (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        let of_app = roles.entry(user).or_default().entry(app).or_insert_with(|| json!([]));
        if let Some(list) = of_app.as_array_mut() {
            list.push(Value::from(role));
        }
    }
    c.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            let id = r.try_get_by_index::<i64>(0)?;
            Ok(json!({ "id": id, "username": r.try_get_by_index::<String>(1)?,
                "display_name": r.try_get_by_index::<Option<String>>(2)?, "platform_role": r.try_get_by_index::<String>(3)?,
                "org_unit": r.try_get_by_index::<Option<String>>(4)?, "disabled": r.try_get_by_index::<bool>(5)?,
                "app_roles": roles.remove(&id).unwrap_or_default() }))
        })
        .collect()
}

/// Whether the directory has an org unit `key`.
pub async fn unit_exists(c: &impl ConnectionTrait, key: &str) -> Result<bool, DbErr> {
    let found = Query::select().column(a("id")).from(Table::OrgUnits).and_where(Expr::col(a("key")).eq(key)).to_owned();
    Ok(c.query_one(&found).await?.is_some())
}

/// The org unit of user `user_id` and every unit below it, as (id, key), theirs first;
/// empty for a user in no unit.
pub async fn unit_and_below(c: &impl ConnectionTrait, user_id: i64) -> Result<Vec<(i64, String)>, DbErr> {
    let own = Query::select()
        .column(a("org_unit_id"))
        .from(Table::Users)
        .and_where(Expr::col(a("id")).eq(user_id))
        .to_owned();
    match c.query_one(&own).await?.map(|row| row.try_get_by_index::<Option<i64>>(0)).transpose()?.flatten() {
        Some(unit) => units_from(c, unit).await,
        None => Ok(Vec::new()),
    }
}

/// The display name of each of `usernames` that has a user (`None`: one without a display
/// name), as people know them: for lists of who holds what.
pub async fn display_names(
    c: &impl ConnectionTrait,
    usernames: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, Option<String>>, DbErr> {
    let stmt = Query::select()
        .columns(["username", "display_name"].map(a))
        .from(Table::Users)
        .and_where(Expr::col(a("username")).is_in(usernames))
        .to_owned();
    let mut known = HashMap::new();
    for row in c.query_all(&stmt).await? {
        known.insert(row.try_get_by_index::<String>(0)?, row.try_get_by_index::<Option<String>>(1)?);
    }
    Ok(known)
}

/// Org unit `unit` (first) and every unit below it, as (id, key).
pub async fn units_from(c: &impl ConnectionTrait, unit: i64) -> Result<Vec<(i64, String)>, DbErr> {
    Ok(below(&tree(c, None).await?.0, unit))
}

/// The ids of the org units `username` leads (is the manager of) and of every unit below
/// them: their team's units. Empty for one who leads none.
pub async fn units_led(c: &impl ConnectionTrait, username: &str) -> Result<Vec<i64>, DbErr> {
    let (tree, led) = tree(c, Some(username)).await?;
    let mut ids: Vec<i64> = led.into_iter().flat_map(|unit| below(&tree, unit)).map(|(id, _)| id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The tree of org units, and the ids of those `manager` leads.
async fn tree(c: &impl ConnectionTrait, manager: Option<&str>) -> Result<(Vec<UnitNode>, Vec<i64>), DbErr> {
    let units = Query::select().columns(["id", "key", "parent_id", "manager"].map(a)).from(Table::OrgUnits).to_owned();
    let (mut tree, mut led) = (Vec::new(), Vec::new());
    for row in c.query_all(&units).await? {
        let id = row.try_get_by_index(0)?;
        if manager.is_some() && row.try_get_by_index::<Option<String>>(3)?.as_deref() == manager {
            led.push(id);
        }
        tree.push(UnitNode { id, key: row.try_get_by_index(1)?, parent: row.try_get_by_index(2)? });
    }
    Ok((tree, led))
}

/// An org unit as the tree of units holds it.
pub struct UnitNode {
    pub id: i64,
    pub key: String,
    pub parent: Option<i64>,
}

/// Unit `unit` (first) of `tree` and every unit below it, as (id, key).
pub fn below(tree: &[UnitNode], unit: i64) -> Vec<(i64, String)> {
    let mut found = vec![unit];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(tree.iter().filter(|u| u.parent == Some(parent)).map(|u| u.id));
        i += 1;
    }
    found.into_iter().filter_map(|id| tree.iter().find(|u| u.id == id).map(|u| (u.id, u.key.clone()))).collect()
}
