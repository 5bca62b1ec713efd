//! Users, sign-in and sessions, stored in `trellis_users` and `trellis_sessions`.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};

use super::Principal;
use super::attempts::{self, Reserved};
use super::password::{hash_password, verify_password};
use crate::db::Table;
use crate::db::codec::datetime;
use crate::error::{BadInputCode, Error, UnauthorizedCode};

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// The stored form of a token: its SHA-256, in hex.
pub(super) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(super) fn random_text(bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(raw)
}

fn refused() -> Error {
    Error::Unauthorized { code: UnauthorizedCode::wrong_credentials, detail: "wrong user name or password".into() }
}

/// Creates a user; `None` if the name is taken.
pub async fn create_user(
    c: &impl ConnectionTrait,
    username: &str,
    password: &str,
    platform_role: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, Error> {
    let hash = hash_password(password)?;
    let stmt = Query::insert()
        .into_table(Table::Users)
        .columns(["username", "password_hash", "platform_role", "disabled", "created_at"].map(a))
        .values([
            username.into(),
            hash.into(),
            platform_role.into(),
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
pub async fn bootstrap_admin(c: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Option<String>, Error> {
    let any = Query::select().expr(Expr::val(1)).from(Table::Users).limit(1).to_owned();
    if c.query_one(&any).await?.is_some() {
        return Ok(None);
    }
    let (password, generated) = match std::env::var("TRELLIS_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (random_text(18), true),
    };
    // The same rule as every other password: a short one is refused, not stored.
    if password.chars().count() < super::directory::MIN_PASSWORD {
        return Err(Error::bad_input(
            BadInputCode::weak_password,
            format!("TRELLIS_ADMIN_PASSWORD has at least {} characters", super::directory::MIN_PASSWORD),
        ));
    }
    let created = create_user(c, "admin", &password, "administrator", now).await?;
    Ok(created.filter(|_| generated).map(|_| password))
}

/// A hash to verify unknown users against, so they cost what known ones do.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password").unwrap_or_default())
}

/// A sign-in that succeeded: the session's token, when it ends, and the wrong passwords
/// typed for the name since the user's last sign-in, which they are told of now.
#[derive(Debug)]
pub struct SignedIn {
    pub token: String,
    pub expires: DateTime<Utc>,
    pub failures: Option<Failures>,
}

/// Wrong passwords typed for a user's name since they last signed in.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Failures {
    pub count: i64,
    /// When the last one was typed.
    pub last_at: String,
    /// The client address it came from, if known.
    pub last_address: Option<String>,
}

/// Signs `username` in from the client `address` (`None` when not known): a new session.
/// The attempt is counted first (`attempts::reserve`), so a locked name is refused without
/// its password being checked; unknown and disabled names are checked against a decoy hash
/// and answer like a wrong password. A known user's failures are kept to tell them.
pub async fn sign_in(
    c: &impl ConnectionTrait,
    username: &str,
    password: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<SignedIn, Error> {
    let backend = c.get_database_backend();
    let from = address.unwrap_or_default();
    if let Reserved::Locked(until) = attempts::reserve(c, username, from, now).await? {
        failed(c, username, address, now).await?;
        return Err(locked(until));
    }
    let stmt = Query::select()
        .columns(["id", "password_hash", "disabled"].map(a))
        .from(Table::Users)
        .and_where(Expr::col(a("username")).eq(username))
        .to_owned();
    let user = match c.query_one(&stmt).await? {
        Some(row) => Some((
            row.try_get_by_index::<i64>(0)?,
            row.try_get_by_index::<String>(1)?,
            row.try_get_by_index::<bool>(2)?,
        )),
        None => None,
    };
    let hash = user.as_ref().map_or_else(|| decoy().to_owned(), |(_, hash, _)| hash.clone());
    let attempt = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&attempt, &hash))
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("verifying a password: {e}")))?;
    let id = match user {
        Some((id, _, false)) if matches => id,
        _ => {
            failed(c, username, address, now).await?;
            return Err(refused());
        }
    };
    attempts::succeeded(c, username, from, now).await?;
    let failures = told_failures(c, id, backend).await?;
    let token = random_text(32);
    let expires = now + Duration::hours(SESSION_HOURS);
    let session = Query::insert()
        .into_table(Table::Sessions)
        .columns(["token_hash", "user_id", "created_at", "expires_at", "address"].map(a))
        .values([
            token_hash(&token).into(),
            id.into(),
            datetime(now, backend).into(),
            datetime(expires, backend).into(),
            address.map(str::to_owned).into(),
        ])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    c.execute(&session).await?;
    Ok(SignedIn { token, expires, failures })
}

/// `sign_in` from no known address: the token and when it expires (tests, tools).
pub async fn login(
    c: &impl ConnectionTrait,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), Error> {
    sign_in(c, username, password, None, now).await.map(|s| (s.token, s.expires))
}

/// A wrong password (or an attempt refused while locked) for `username`: if a user has
/// that name, they will be told at their next sign-in. Names nobody has change nothing.
async fn failed(
    c: &impl ConnectionTrait,
    username: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let stmt = Query::update()
        .table(Table::Users)
        .value(a("unseen_failures"), Expr::col(a("unseen_failures")).add(1i64))
        .value(a("last_failure_at"), datetime(now, c.get_database_backend()))
        .value(a("last_failure_address"), address.map(str::to_owned))
        .and_where(Expr::col(a("username")).eq(username))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// The failures user `id` has not been told of, which they are now (the count starts again).
async fn told_failures(
    c: &impl ConnectionTrait,
    id: i64,
    backend: sea_orm::DbBackend,
) -> Result<Option<Failures>, Error> {
    let stmt = Query::select()
        .columns(["unseen_failures", "last_failure_at", "last_failure_address"].map(a))
        .from(Table::Users)
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("unseen_failures")).gt(0i64))
        .to_owned();
    let Some(row) = c.query_one(&stmt).await? else { return Ok(None) };
    let last_at = crate::db::codec::decode(&row, 1, &engine_form::StorageType::DateTime, backend)?;
    let failures = Failures {
        count: row.try_get_by_index(0)?,
        last_at: last_at.to_json().as_str().unwrap_or_default().to_owned(),
        last_address: row.try_get_by_index(2)?,
    };
    let seen = Query::update()
        .table(Table::Users)
        .value(a("unseen_failures"), 0i64)
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    c.execute(&seen).await?;
    Ok(Some(failures))
}

fn locked(until: DateTime<Utc>) -> Error {
    Error::Unauthorized {
        code: UnauthorizedCode::locked,
        detail: format!(
            "too many wrong attempts for this user name from here; try again after {}",
            until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    }
}

/// Changes the signed-in user's own password after checking the current one (counted
/// like a sign-in, so a stolen session cannot guess it); their other sessions end and the
/// API tokens other sessions made are suspended until they confirm them
/// (`credentials::changed`). What ended.
pub async fn change_password(
    c: &impl ConnectionTrait,
    principal: &Principal,
    current: &str,
    new: &str,
    now: DateTime<Utc>,
) -> Result<super::credentials::Ended, Error> {
    if new.chars().count() < super::directory::MIN_PASSWORD {
        return Err(Error::InvalidRecord(vec![engine_form::FieldError::new(
            "/new_password",
            "weak_password",
            format!("a password has at least {} characters", super::directory::MIN_PASSWORD),
        )]));
    }
    if let Reserved::Locked(until) = attempts::reserve(c, &principal.username, "", now).await? {
        return Err(locked(until));
    }
    let stmt = Query::select()
        .column(a("password_hash"))
        .from(Table::Users)
        .and_where(Expr::col(a("id")).eq(principal.user_id))
        .to_owned();
    let hash: String = match c.query_one(&stmt).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => decoy().to_owned(),
    };
    let attempt = current.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&attempt, &hash))
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("verifying a password: {e}")))?;
    if !matches {
        return Err(Error::InvalidRecord(vec![engine_form::FieldError::new(
            "/current_password",
            "wrong_password",
            "this is not your current password",
        )]));
    }
    attempts::clear(c, &principal.username).await?;
    let new_hash = hash_password(new)?;
    let update = Query::update()
        .table(Table::Users)
        .value(a("password_hash"), new_hash)
        .and_where(Expr::col(a("id")).eq(principal.user_id))
        .to_owned();
    c.execute(&update).await?;
    super::credentials::changed(c, principal.user_id, Some(principal.session.as_str()), now).await
}

/// The user a session token belongs to, if the session is live.
pub(super) async fn authenticate(
    c: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Principal, Error> {
    let hash = token_hash(token);
    let stmt = Query::select()
        .column((a("u"), a("id")))
        .column((a("u"), a("username")))
        .column((a("u"), a("platform_role")))
        .column((a("u"), a("org_unit_id")))
        .column((a("u"), a("language")))
        .from_as(Table::Sessions, a("s"))
        .join_as(
            sea_orm::sea_query::JoinType::InnerJoin,
            Table::Users,
            a("u"),
            Expr::col((a("u"), a("id"))).equals((a("s"), a("user_id"))),
        )
        .and_where(Expr::col((a("s"), a("token_hash"))).eq(hash.as_str()))
        .and_where(Expr::col((a("s"), a("revoked_at"))).is_null())
        .and_where(Expr::col((a("s"), a("expires_at"))).gt(datetime(now, c.get_database_backend())))
        .and_where(Expr::col((a("u"), a("disabled"))).eq(false))
        .to_owned();
    let Some(row) = c.query_one(&stmt).await? else {
        return Err(Error::Unauthorized {
            code: UnauthorizedCode::invalid_token,
            detail: "the token is unknown, expired or revoked; sign in again".into(),
        });
    };
    Ok(Principal {
        user_id: row.try_get_by_index(0)?,
        username: row.try_get_by_index(1)?,
        platform_role: row.try_get_by_index(2)?,
        org_unit_id: row.try_get_by_index(3)?,
        language: row.try_get_by_index(4)?,
        session: hash,
        scope: None,
    })
}

/// Ends the session whose token hash is `session`.
pub async fn logout(c: &impl ConnectionTrait, session: &str, now: DateTime<Utc>) -> Result<(), Error> {
    let stmt = Query::update()
        .table(Table::Sessions)
        .value(a("revoked_at"), datetime(now, c.get_database_backend()))
        .and_where(Expr::col(a("token_hash")).eq(session))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}
