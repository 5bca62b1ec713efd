//! The directory: org units (head office → branch → team) and users, managed by
//! administrators one by one or imported whole from a bank's existing directory (JSON, or
//! CSV for users). An import is checked completely first, every problem with its path,
//! and applied in one transaction: all of it or nothing. Users already there are updated.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use engine_form::FieldError;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde::Deserialize;
use serde_json::{Value, json};

use super::password::hash_password;
use super::{PLATFORM_ROLES, sessions::random_text};
use crate::db::Table;
use crate::error::Error;
use crate::records::codec::datetime;

/// The shortest password a user may be given.
pub const MIN_PASSWORD: usize = 12;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// An org unit: `parent` is the key of the unit above it (none for the head office);
/// `manager` the user name of who leads it (tasks escalate to them).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgUnit {
    pub key: String,
    pub name: String,
    pub parent: Option<String>,
    #[serde(default)]
    pub manager: Option<String>,
}

/// A user as the directory describes them. Without a password, a new user cannot sign
/// in until an administrator sets one.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub username: String,
    pub display_name: Option<String>,
    /// administrator, designer or user (default).
    pub platform_role: Option<String>,
    /// The key of the user's org unit.
    pub org_unit: Option<String>,
    pub password: Option<String>,
    pub disabled: Option<bool>,
    /// The user's roles per app (`{"bank_crm": ["relationship_manager"]}`); given for an
    /// app, they replace the user's roles in it.
    #[serde(default)]
    pub app_roles: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

/// A user's details as `PUT /api/v1/users/{username}` sets them: the path names the user.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub display_name: Option<String>,
    /// administrator, designer or user (default).
    pub platform_role: Option<String>,
    /// The key of the user's org unit.
    pub org_unit: Option<String>,
    /// A new password, at least 12 characters.
    pub password: Option<String>,
    pub disabled: Option<bool>,
    /// The user's roles per app; given for an app, they replace the user's roles in it.
    #[serde(default)]
    pub app_roles: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

impl UserChange {
    pub fn of(self, username: &str) -> UserEntry {
        UserEntry {
            username: username.to_owned(),
            display_name: self.display_name,
            platform_role: self.platform_role,
            org_unit: self.org_unit,
            password: self.password,
            disabled: self.disabled,
            app_roles: self.app_roles,
        }
    }
}

/// A directory to import.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Import {
    #[serde(default)]
    pub org_units: Vec<OrgUnit>,
    #[serde(default)]
    pub users: Vec<UserEntry>,
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && text.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'))
}

/// Reads users from CSV with a header row naming the columns (`username`, and any of
/// `display_name`, `platform_role`, `org_unit`, `password`); fields may be quoted, with
/// `""` for a quote inside.
pub fn users_from_csv(text: &str) -> Result<Vec<UserEntry>, Error> {
    let rows = parse_csv(text);
    let Some((header, body)) = rows.split_first() else { return Ok(Vec::new()) };
    let known = ["username", "display_name", "platform_role", "org_unit", "password"];
    let mut errors = Vec::new();
    for (i, name) in header.iter().enumerate() {
        if !known.contains(&name.as_str()) {
            errors.push(FieldError::new(format!("/0/{i}"), "unknown_column", format!("`{name}` is not a column")));
        }
    }
    if !header.iter().any(|h| h == "username") {
        errors.push(FieldError::new("/0", "missing", "the header names no `username` column"));
    }
    if !errors.is_empty() {
        return Err(Error::BadInput { code: "bad_csv", detail: "the CSV header is wrong".into(), errors });
    }
    let column = |row: &[String], name: &str| {
        header.iter().position(|h| h == name).and_then(|i| row.get(i)).filter(|v| !v.is_empty()).cloned()
    };
    Ok(body
        .iter()
        .filter(|row| row.iter().any(|f| !f.is_empty()))
        .map(|row| UserEntry {
            username: column(row, "username").unwrap_or_default(),
            display_name: column(row, "display_name"),
            platform_role: column(row, "platform_role"),
            org_unit: column(row, "org_unit"),
            password: column(row, "password"),
            disabled: None,
            app_roles: None,
        })
        .collect())
}

/// Rows of fields; quotes as RFC 4180 writes them.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// The org units' ids by key.
async fn unit_ids(c: &impl ConnectionTrait) -> Result<HashMap<String, i64>, DbErr> {
    let stmt = Query::select().columns(["key", "id"].map(a)).from(Table::OrgUnits).to_owned();
    let mut out = HashMap::new();
    for row in c.query_all(&stmt).await? {
        out.insert(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    }
    Ok(out)
}

/// Checks `import` against itself and the units already there, with every problem.
fn check(import: &Import, existing: &HashMap<String, i64>, app_roles: &AppRoles) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut keys: HashSet<&str> = existing.keys().map(String::as_str).collect();
    let mut new_keys = HashSet::new();
    for (i, unit) in import.org_units.iter().enumerate() {
        if !is_name(&unit.key) {
            errors.push(FieldError::new(
                format!("/org_units/{i}/key"),
                "bad_key",
                "a key is lower-case letters, digits, _ . -",
            ));
        }
        if !new_keys.insert(unit.key.as_str()) {
            errors.push(FieldError::new(
                format!("/org_units/{i}/key"),
                "duplicate",
                format!("`{}` is listed twice", unit.key),
            ));
        }
        if unit.name.trim().is_empty() {
            errors.push(FieldError::new(format!("/org_units/{i}/name"), "required", "a unit has a name"));
        }
        // A parent comes before its children, so the tree has no cycle.
        if let Some(parent) = &unit.parent
            && !keys.contains(parent.as_str())
        {
            errors.push(FieldError::new(
                format!("/org_units/{i}/parent"),
                "unknown_unit",
                format!("no org unit `{parent}` above it (list parents first)"),
            ));
        }
        keys.insert(&unit.key);
    }
    let mut names = HashSet::new();
    for (i, user) in import.users.iter().enumerate() {
        let at = |field: &str| format!("/users/{i}/{field}");
        if !is_name(&user.username) {
            errors.push(FieldError::new(
                at("username"),
                "bad_username",
                "a user name is lower-case letters, digits, _ . -",
            ));
        }
        if !names.insert(user.username.as_str()) {
            errors.push(FieldError::new(at("username"), "duplicate", format!("`{}` is listed twice", user.username)));
        }
        if let Some(role) = &user.platform_role
            && !PLATFORM_ROLES.contains(&role.as_str())
        {
            errors.push(FieldError::new(
                at("platform_role"),
                "bad_role",
                format!("`{role}` is not {}", PLATFORM_ROLES.join(", ")),
            ));
        }
        if let Some(unit) = &user.org_unit
            && !keys.contains(unit.as_str())
        {
            errors.push(FieldError::new(at("org_unit"), "unknown_unit", format!("no org unit `{unit}`")));
        }
        for (app, roles) in user.app_roles.iter().flatten() {
            let Some(known) = app_roles.get(app) else {
                errors.push(FieldError::new(
                    format!("/users/{i}/app_roles/{app}"),
                    "unknown_app",
                    format!("no published app `{app}`"),
                ));
                continue;
            };
            for (j, role) in roles.iter().enumerate() {
                if !known.contains(role) {
                    errors.push(FieldError::new(
                        format!("/users/{i}/app_roles/{app}/{j}"),
                        "unknown_role",
                        format!("`{app}` defines no role `{role}` (published roles: {})", known.join(", ")),
                    ));
                }
            }
        }
        if user.password.as_ref().is_some_and(|p| p.chars().count() < MIN_PASSWORD) {
            errors.push(FieldError::new(
                at("password"),
                "weak_password",
                format!("at least {MIN_PASSWORD} characters"),
            ));
        }
    }
    errors
}

/// The roles of each published app, by app key.
pub type AppRoles = std::collections::BTreeMap<String, Vec<String>>;

/// Applies a checked import in `c` (a transaction): units added or renamed, users
/// created or updated, their roles in apps (which `app_roles` must define) replaced.
/// Returns how many units and users it wrote.
pub async fn import(
    c: &impl ConnectionTrait,
    import: &Import,
    app_roles: &AppRoles,
    now: DateTime<Utc>,
) -> Result<(usize, usize), Error> {
    let errors = check(import, &unit_ids(c).await?, app_roles);
    if !errors.is_empty() {
        return Err(Error::InvalidRecord(errors));
    }
    let backend = c.get_database_backend();
    for unit in &import.org_units {
        let parent = match &unit.parent {
            Some(p) => unit_ids(c).await?.get(p).copied(),
            None => None,
        };
        let stmt = Query::insert()
            .into_table(Table::OrgUnits)
            .columns(["key", "name", "parent_id", "manager"].map(a))
            .values([unit.key.as_str().into(), unit.name.as_str().into(), parent.into(), unit.manager.clone().into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .on_conflict(
                OnConflict::column(a("key")).update_columns(["name", "parent_id", "manager"].map(a)).to_owned(),
            )
            .to_owned();
        c.execute(&stmt).await?;
    }
    let units = unit_ids(c).await?;
    for user in &import.users {
        let unit = user.org_unit.as_ref().and_then(|u| units.get(u)).copied();
        let exists = Query::select()
            .column(a("id"))
            .from(Table::Users)
            .and_where(Expr::col(a("username")).eq(user.username.as_str()))
            .to_owned();
        if c.query_one(&exists).await?.is_some() {
            let mut stmt = Query::update();
            stmt.table(Table::Users).and_where(Expr::col(a("username")).eq(user.username.as_str()));
            stmt.value(a("org_unit_id"), unit);
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
            c.execute(&stmt).await?;
        } else {
            // Without a password, one nobody knows: the user waits for an administrator.
            let password = user.password.clone().unwrap_or_else(|| random_text(32));
            let stmt = Query::insert()
                .into_table(Table::Users)
                .columns(
                    [
                        "username",
                        "password_hash",
                        "platform_role",
                        "disabled",
                        "created_at",
                        "display_name",
                        "org_unit_id",
                    ]
                    .map(a),
                )
                .values([
                    user.username.as_str().into(),
                    hash_password(&password)?.into(),
                    user.platform_role.as_deref().unwrap_or("user").into(),
                    user.disabled.unwrap_or(false).into(),
                    datetime(now, backend).into(),
                    user.display_name.clone().into(),
                    unit.into(),
                ])
                .map_err(|e| DbErr::Custom(e.to_string()))?
                .to_owned();
            c.execute(&stmt).await?;
        }
    }
    for user in import.users.iter().filter(|u| u.app_roles.is_some()) {
        let id_of = Query::select()
            .column(a("id"))
            .from(Table::Users)
            .and_where(Expr::col(a("username")).eq(user.username.as_str()))
            .to_owned();
        let Some(row) = c.query_one(&id_of).await? else { continue };
        let id: i64 = row.try_get_by_index(0)?;
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
    }
    Ok((import.org_units.len(), import.users.len()))
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
    c.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(json!({ "id": r.try_get_by_index::<i64>(0)?, "username": r.try_get_by_index::<String>(1)?,
                "display_name": r.try_get_by_index::<Option<String>>(2)?, "platform_role": r.try_get_by_index::<String>(3)?,
                "org_unit": r.try_get_by_index::<Option<String>>(4)?, "disabled": r.try_get_by_index::<bool>(5)? }))
        })
        .collect()
}

/// The org unit of user `user_id` and every unit below it, as (id, key), theirs first;
/// empty for a user in no unit.
pub async fn unit_and_below(c: &impl ConnectionTrait, user_id: i64) -> Result<Vec<(i64, String)>, DbErr> {
    let units = Query::select().columns(["id", "key", "parent_id"].map(a)).from(Table::OrgUnits).to_owned();
    let mut tree: Vec<(i64, String, Option<i64>)> = Vec::new();
    for row in c.query_all(&units).await? {
        tree.push((row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?));
    }
    let own = Query::select()
        .column(a("org_unit_id"))
        .from(Table::Users)
        .and_where(Expr::col(a("id")).eq(user_id))
        .to_owned();
    let mut below: Vec<i64> = match c.query_one(&own).await? {
        Some(row) => row.try_get_by_index::<Option<i64>>(0)?.into_iter().collect(),
        None => Vec::new(),
    };
    let mut i = 0;
    while i < below.len() {
        let parent = below[i];
        below.extend(tree.iter().filter(|(_, _, p)| *p == Some(parent)).map(|(id, _, _)| *id));
        i += 1;
    }
    Ok(below
        .into_iter()
        .filter_map(|id| tree.iter().find(|(u, _, _)| *u == id).map(|(u, k, _)| (*u, k.clone())))
        .collect())
}
