//! Users, sign-in and sessions, stored in `trellis_users` and `trellis_sessions`.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};

use super::Principal;
use super::password::{hash_password, verify_password};
use crate::api::error::ApiError;
use crate::records::codec::{datetime, decode};

/// Wrong passwords in a row before a user is locked.
pub const MAX_FAILURES: i64 = 5;
/// How long a locked user waits.
pub const LOCKOUT: Duration = Duration::minutes(15);
/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// The stored form of a token: its SHA-256, in hex.
pub(super) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn random_text(bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(raw)
}

fn refused() -> ApiError {
    ApiError::Unauthorized { code: "wrong_credentials", detail: "wrong user name or password".into() }
}

/// Creates a user; `None` if the name is taken.
pub async fn create_user(
    c: &impl ConnectionTrait,
    username: &str,
    password: &str,
    platform_role: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, ApiError> {
    let hash = hash_password(password)?;
    let stmt = Query::insert()
        .into_table(a("trellis_users"))
        .columns(["username", "password_hash", "platform_role", "failed_logins", "disabled", "created_at"].map(a))
        .values([
            username.into(),
            hash.into(),
            platform_role.into(),
            0i64.into(),
            false.into(),
            datetime(now, c.get_database_backend()).into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::column(a("username")).do_nothing().to_owned())
        .returning_col(a("id"))
        .to_owned();
    Ok(match c.query_one(&stmt).await? {
        Some(row) => Some(row.try_get_by_index(0)?),
        None => None,
    })
}

/// On the first start, creates the administrator `admin` with the password from
/// `TRELLIS_ADMIN_PASSWORD`, or a random one, which is returned to be shown once.
pub async fn bootstrap_admin(c: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Option<String>, ApiError> {
    let any = Query::select().expr(Expr::val(1)).from(a("trellis_users")).limit(1).to_owned();
    if c.query_one(&any).await?.is_some() {
        return Ok(None);
    }
    let (password, generated) = match std::env::var("TRELLIS_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (random_text(18), true),
    };
    let created = create_user(c, "admin", &password, "administrator", now).await?;
    Ok(created.filter(|_| generated).map(|_| password))
}

/// A hash to verify unknown users against, so they cost what known ones do.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password").unwrap_or_default())
}

/// Signs `username` in: a new session token and when it expires.
pub async fn login(
    c: &impl ConnectionTrait,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), ApiError> {
    let backend = c.get_database_backend();
    let stmt = Query::select()
        .columns(["id", "password_hash", "failed_logins", "locked_until", "disabled"].map(a))
        .from(a("trellis_users"))
        .and_where(Expr::col(a("username")).eq(username))
        .to_owned();
    let user = c.query_one(&stmt).await?;
    let (id, hash, failures, locked_until, disabled) = match &user {
        Some(row) => (
            row.try_get_by_index::<i64>(0)?,
            row.try_get_by_index::<String>(1)?,
            row.try_get_by_index::<i64>(2)?,
            match decode(row, 3, &engine_form::StorageType::DateTime, backend)? {
                engine_form::FieldValue::DateTime(t) => Some(t),
                _ => None,
            },
            row.try_get_by_index::<bool>(4)?,
        ),
        None => (0, decoy().to_owned(), 0, None, false),
    };
    if let Some(until) = locked_until.filter(|t| *t > now) {
        return Err(ApiError::Unauthorized {
            code: "locked",
            detail: format!(
                "too many wrong passwords; try again after {}",
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        });
    }
    let attempt = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&attempt, &hash))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("verifying a password: {e}")))?;
    if user.is_none() || disabled {
        return Err(refused());
    }
    if !matches {
        let failures = failures + 1;
        let mut update = Query::update();
        update.table(a("trellis_users")).and_where(Expr::col(a("id")).eq(id));
        if failures >= MAX_FAILURES {
            update.value(a("failed_logins"), 0i64).value(a("locked_until"), datetime(now + LOCKOUT, backend));
        } else {
            update.value(a("failed_logins"), failures);
        }
        c.execute(&update).await?;
        return Err(refused());
    }
    let reset = Query::update()
        .table(a("trellis_users"))
        .value(a("failed_logins"), 0i64)
        .value(a("locked_until"), Expr::cust("NULL"))
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    c.execute(&reset).await?;
    let token = random_text(32);
    let expires = now + Duration::hours(SESSION_HOURS);
    let session = Query::insert()
        .into_table(a("trellis_sessions"))
        .columns(["token_hash", "user_id", "created_at", "expires_at"].map(a))
        .values([
            token_hash(&token).into(),
            id.into(),
            datetime(now, backend).into(),
            datetime(expires, backend).into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    c.execute(&session).await?;
    Ok((token, expires))
}

/// The user a session token belongs to, if the session is live.
pub(super) async fn authenticate(
    c: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Principal, ApiError> {
    let hash = token_hash(token);
    let stmt = Query::select()
        .column((a("u"), a("id")))
        .column((a("u"), a("username")))
        .column((a("u"), a("platform_role")))
        .from_as(a("trellis_sessions"), a("s"))
        .join_as(
            sea_orm::sea_query::JoinType::InnerJoin,
            a("trellis_users"),
            a("u"),
            Expr::col((a("u"), a("id"))).equals((a("s"), a("user_id"))),
        )
        .and_where(Expr::col((a("s"), a("token_hash"))).eq(hash.as_str()))
        .and_where(Expr::col((a("s"), a("revoked_at"))).is_null())
        .and_where(Expr::col((a("s"), a("expires_at"))).gt(datetime(now, c.get_database_backend())))
        .and_where(Expr::col((a("u"), a("disabled"))).eq(false))
        .to_owned();
    let Some(row) = c.query_one(&stmt).await? else {
        return Err(ApiError::Unauthorized {
            code: "invalid_token",
            detail: "the token is unknown, expired or revoked; sign in again".into(),
        });
    };
    Ok(Principal {
        user_id: row.try_get_by_index(0)?,
        username: row.try_get_by_index(1)?,
        platform_role: row.try_get_by_index(2)?,
        session: hash,
        scope: None,
    })
}

/// Ends the session whose token hash is `session`.
pub async fn logout(c: &impl ConnectionTrait, session: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let stmt = Query::update()
        .table(a("trellis_sessions"))
        .value(a("revoked_at"), datetime(now, c.get_database_backend()))
        .and_where(Expr::col(a("token_hash")).eq(session))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}
