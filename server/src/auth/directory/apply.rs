//! Applying a checked import: units added or renamed, users created or updated, their
//! roles in apps replaced, in the caller's transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};

use super::check::check;
use super::read::unit_ids;
use super::{AppRoles, Import, OrgUnit, UserEntry, a};
use crate::auth::credentials;
use crate::auth::password::hash_password;
use crate::auth::sessions::random_text;
use crate::db::Table;
use crate::db::codec::datetime;
use crate::error::Error;

/// Applies a checked import in `c` (a transaction): units added or renamed, users
/// created or updated, their roles in apps (which `app_roles` must define) replaced.
/// A user whose password is reset loses their sessions and has their API tokens
/// suspended; a user disabled loses both for good (`credentials`). Returns how many units
/// and users it wrote, and what ended for whom.
pub async fn import(
    c: &impl ConnectionTrait,
    import: &Import,
    app_roles: &AppRoles,
    now: DateTime<Utc>,
) -> Result<Written, Error> {
    let errors = check(import, &unit_ids(c).await?, app_roles);
    if !errors.is_empty() {
        return Err(Error::InvalidRecord(errors));
    }
    for unit in &import.org_units {
        put_unit(c, unit).await?;
    }
    let units = unit_ids(c).await?;
    let mut ended = Vec::new();
    for user in &import.users {
        let unit = user.org_unit.as_ref().and_then(|u| units.get(u)).copied();
        match user_id(c, &user.username).await? {
            Some(id) => {
                update_user(c, user, unit).await?;
                let what = match (user.disabled, &user.password) {
                    (Some(true), _) => credentials::end_all(c, id, now).await?,
                    (_, Some(_)) => credentials::changed(c, id, None, now).await?,
                    _ => continue,
                };
                ended.push((user.username.clone(), what));
            }
            None => insert_user(c, user, unit, now).await?,
        }
    }
    for user in import.users.iter().filter(|u| u.app_roles.is_some()) {
        if let Some(id) = user_id(c, &user.username).await? {
            grant_roles(c, id, user).await?;
        }
    }
    Ok(Written { units: import.org_units.len(), users: import.users.len(), ended })
}

/// What an import wrote.
pub struct Written {
    pub units: usize,
    pub users: usize,
    /// The users whose credentials it changed, and what of theirs ended.
    pub ended: Vec<(String, credentials::Ended)>,
}

/// Adds `unit`, or renames and moves the unit of its key (its parent already written).
async fn put_unit(c: &impl ConnectionTrait, unit: &OrgUnit) -> Result<(), Error> {
    let parent = match &unit.parent {
        Some(p) => unit_ids(c).await?.get(p).copied(),
        None => None,
    };
    let stmt = Query::insert()
        .into_table(Table::OrgUnits)
        .columns(["key", "name", "parent_id", "manager"].map(a))
        .values([unit.key.as_str().into(), unit.name.as_str().into(), parent.into(), unit.manager.clone().into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::column(a("key")).update_columns(["name", "parent_id", "manager"].map(a)).to_owned())
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// The id of the user named `username`, if there is one.
pub async fn user_id(c: &impl ConnectionTrait, username: &str) -> Result<Option<i64>, Error> {
    let stmt =
        Query::select().column(a("id")).from(Table::Users).and_where(Expr::col(a("username")).eq(username)).to_owned();
    Ok(match c.query_one(&stmt).await? {
        Some(row) => Some(row.try_get_by_index(0)?),
        None => None,
    })
}

/// Sets what the entry gives of an existing user; what it leaves out stays.
async fn update_user(c: &impl ConnectionTrait, user: &UserEntry, unit: Option<i64>) -> Result<(), Error> {
    let mut stmt = Query::update();
    stmt.table(Table::Users).and_where(Expr::col(a("username")).eq(user.username.as_str()));
    // A unit left out stays (a password reset keeps the user where they are).
    if user.org_unit.is_some() {
        stmt.value(a("org_unit_id"), unit);
    }
    if let Some(name) = &user.display_name {
        stmt.value(a("display_name"), name.as_str());
    }
    if let Some(role) = &user.platform_role {
        stmt.value(a("platform_role"), role.as_str());
    }
    if let Some(password) = &user.password {
        stmt.value(a("password_hash"), hash_password(password)?);
    }
    if let Some(disabled) = user.disabled {
        stmt.value(a("disabled"), disabled);
    }
    if let Some(language) = &user.language {
        stmt.value(a("language"), language.as_str());
    }
    // Only roles may be given: the user's own row stays as it is.
    if !stmt.get_values().is_empty() {
        c.execute(&stmt).await?;
    }
    Ok(())
}

async fn insert_user(
    c: &impl ConnectionTrait,
    user: &UserEntry,
    unit: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    // Without a password, one nobody knows: the user waits for an administrator.
    let password = user.password.clone().unwrap_or_else(|| random_text(32));
    let columns = [
        "username",
        "password_hash",
        "platform_role",
        "disabled",
        "created_at",
        "display_name",
        "org_unit_id",
        "language",
    ];
    let stmt = Query::insert()
        .into_table(Table::Users)
        .columns(columns.map(a))
        .values([
            user.username.as_str().into(),
            hash_password(&password)?.into(),
            user.platform_role.as_deref().unwrap_or("user").into(),
            user.disabled.unwrap_or(false).into(),
            datetime(now, c.get_database_backend()).into(),
            user.display_name.clone().into(),
            unit.into(),
            user.language.clone().into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// Replaces user `id`'s roles in each app the entry names.
async fn grant_roles(c: &impl ConnectionTrait, id: i64, user: &UserEntry) -> Result<(), Error> {
    for (app, roles) in user.app_roles.iter().flatten() {
        let clear = Query::delete()
            .from_table(Table::UserRoles)
            .and_where(Expr::col(a("user_id")).eq(id))
            .and_where(Expr::col(a("app")).eq(app.as_str()))
            .to_owned();
        c.execute(&clear).await?;
        for role in roles {
            let grant = Query::insert()
                .into_table(Table::UserRoles)
                .columns(["user_id", "app", "role"].map(a))
                .values([id.into(), app.as_str().into(), role.as_str().into()])
                .map_err(|e| DbErr::Custom(e.to_string()))?
                .on_conflict(OnConflict::columns(["user_id", "app", "role"].map(a)).do_nothing().to_owned())
                .to_owned();
            c.execute(&grant).await?;
        }
    }
    Ok(())
}
