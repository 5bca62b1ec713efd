//! API tokens for integrators: named, scoped to one app and to `read` (GET only) or
//! `write`, expiring, revocable. The token (`trt_…`) is shown once, when it is made; the
//! server keeps its SHA-256. A token acts for the user who made it, within its scope.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Value, json};

use super::sessions::{random_text, token_hash};
use super::{Principal, Scope};
use crate::db::Table;
use crate::db::codec::{datetime, decode};
use crate::error::{BadInputCode, Error, UnauthorizedCode};

/// What marks an API token, as against a session token.
pub const PREFIX: &str = "trt_";
/// The longest a token may live.
pub const MAX_DAYS: i64 = 366;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Makes a token for `user`: its id and the token itself, to be shown once.
pub async fn create(
    c: &impl ConnectionTrait,
    user: &Principal,
    name: &str,
    app: &str,
    access: &str,
    days: i64,
    now: DateTime<Utc>,
) -> Result<(i64, String, DateTime<Utc>), Error> {
    let bad = |detail: String| Error::bad_input(BadInputCode::bad_token, detail);
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(bad("`name` is 1 to 100 characters".into()));
    }
    if !matches!(access, "read" | "write") {
        return Err(bad(format!("`access` is read or write, not `{access}`")));
    }
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(bad(format!("`expires_in_days` is 1 to {MAX_DAYS}")));
    }
    if crate::meta::find_app(c, app).await?.is_none() {
        return Err(Error::not_found(format!("no app `{app}`")));
    }
    let token = format!("{PREFIX}{}", random_text(32));
    let expires = now + Duration::days(days);
    let backend = c.get_database_backend();
    let stmt = Query::insert()
        .into_table(Table::ApiTokens)
        .columns(["name", "token_hash", "user_id", "app", "access", "created_at", "expires_at", "session_hash"].map(a))
        .values([
            name.into(),
            token_hash(&token).into(),
            user.user_id.into(),
            app.into(),
            access.into(),
            datetime(now, backend).into(),
            datetime(expires, backend).into(),
            // The session that made it: a password change from that session keeps it.
            user.session.as_str().into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .returning_col(a("id"))
        .to_owned();
    let row = c.query_one(&stmt).await?.ok_or_else(|| DbErr::Custom("INSERT returned no id".into()))?;
    Ok((row.try_get_by_index(0)?, token, expires))
}

/// How often a token's `last_used_at` is written at most.
pub const LAST_USED_GRAIN: chrono::Duration = chrono::Duration::minutes(1);

/// The user an API token acts for, with its scope, if the token is live.
pub async fn authenticate(c: &impl ConnectionTrait, token: &str, now: DateTime<Utc>) -> Result<Principal, Error> {
    let backend = c.get_database_backend();
    let hash = token_hash(token);
    let stmt = Query::select()
        .column((a("u"), a("id")))
        .column((a("u"), a("username")))
        .column((a("u"), a("platform_role")))
        .column((a("t"), a("app")))
        .column((a("t"), a("access")))
        .column((a("t"), a("id")))
        .column((a("t"), a("last_used_at")))
        .column((a("u"), a("org_unit_id")))
        .column((a("u"), a("language")))
        .column((a("t"), a("suspended_at")))
        .from_as(Table::ApiTokens, a("t"))
        .join_as(JoinType::InnerJoin, Table::Users, a("u"), Expr::col((a("u"), a("id"))).equals((a("t"), a("user_id"))))
        .and_where(Expr::col((a("t"), a("token_hash"))).eq(hash.as_str()))
        .and_where(Expr::col((a("t"), a("revoked_at"))).is_null())
        .and_where(Expr::col((a("t"), a("expires_at"))).gt(datetime(now, backend)))
        .and_where(Expr::col((a("u"), a("disabled"))).eq(false))
        .to_owned();
    let Some(row) = c.query_one(&stmt).await? else {
        return Err(Error::Unauthorized {
            code: UnauthorizedCode::invalid_token,
            detail: "the API token is unknown, expired or revoked".into(),
        });
    };
    let id: i64 = row.try_get_by_index(5)?;
    if let engine_form::FieldValue::DateTime(_) = decode(&row, 9, &engine_form::StorageType::DateTime, backend)? {
        return Err(Error::Unauthorized {
            code: UnauthorizedCode::token_suspended,
            detail: format!(
                "API token {id} is suspended: its owner's password changed; its owner, signed in, confirms it \
                 (POST /api/v1/tokens/{id}/confirm)"
            ),
        });
    }
    // When a token was last used is kept to the minute, so a read stays a read: the
    // audit trail records what a token changes, under its actor.
    let last_used = match decode(&row, 6, &engine_form::StorageType::DateTime, backend)? {
        engine_form::FieldValue::DateTime(t) => Some(t),
        _ => None,
    };
    if last_used.is_none_or(|t| now - t >= LAST_USED_GRAIN || t > now) {
        let used = Query::update()
            .table(Table::ApiTokens)
            .value(a("last_used_at"), datetime(now, backend))
            .and_where(Expr::col(a("id")).eq(id))
            .to_owned();
        c.execute(&used).await?;
    }
    Ok(Principal {
        user_id: row.try_get_by_index(0)?,
        username: row.try_get_by_index(1)?,
        platform_role: row.try_get_by_index(2)?,
        org_unit_id: row.try_get_by_index(7)?,
        language: row.try_get_by_index(8)?,
        session: hash,
        scope: Some(Scope { app: row.try_get_by_index(3)?, write: row.try_get_by_index::<String>(4)? == "write" }),
    })
}

/// The tokens user `owner` made (everyone's for `None`), newest first; never the tokens
/// themselves.
pub async fn list(c: &impl ConnectionTrait, owner: Option<i64>) -> Result<Vec<Value>, Error> {
    let backend = c.get_database_backend();
    let mut stmt = Query::select();
    stmt.columns(
        [
            "id",
            "name",
            "app",
            "access",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "user_id",
            "suspended_at",
        ]
        .map(a),
    )
    .from(Table::ApiTokens)
    .order_by(a("id"), Order::Desc);
    if let Some(owner) = owner {
        stmt.and_where(Expr::col(a("user_id")).eq(owner));
    }
    let instant = |row: &sea_orm::QueryResult, i: usize| -> Result<Value, DbErr> {
        Ok(decode(row, i, &engine_form::StorageType::DateTime, backend)?.to_json())
    };
    let mut out = Vec::new();
    for row in c.query_all(&stmt).await? {
        out.push(json!({
            "id": row.try_get_by_index::<i64>(0)?,
            "name": row.try_get_by_index::<String>(1)?,
            "app": row.try_get_by_index::<String>(2)?,
            "access": row.try_get_by_index::<String>(3)?,
            "created_at": instant(&row, 4)?,
            "expires_at": instant(&row, 5)?,
            "revoked_at": instant(&row, 6)?,
            "last_used_at": instant(&row, 7)?,
            "user_id": row.try_get_by_index::<i64>(8)?,
            "suspended_at": instant(&row, 9)?,
        }));
    }
    Ok(out)
}

/// Revokes token `id`, if `user` made it (or is an administrator).
pub async fn revoke(c: &impl ConnectionTrait, user: &Principal, id: i64, now: DateTime<Utc>) -> Result<(), Error> {
    let mut stmt = Query::update();
    stmt.table(Table::ApiTokens)
        .value(a("revoked_at"), datetime(now, c.get_database_backend()))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("revoked_at")).is_null());
    if user.platform_role != "administrator" {
        stmt.and_where(Expr::col(a("user_id")).eq(user.user_id));
    }
    if c.execute(&stmt).await?.rows_affected() == 1 {
        Ok(())
    } else {
        Err(Error::not_found(format!("no live token {id} of yours")))
    }
}
