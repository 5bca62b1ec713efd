//! Who is calling. Users sign in with a password (hashed with argon2id) and get a session
//! token, sent as `Authorization: Bearer …` on every request; the server keeps only the
//! token's SHA-256, so a copy of the database holds no usable token. Every route but the
//! public ones (`/healthz`, the login, the OpenAPI documents and metadata schemas) refuses
//! a request without a valid token with a 401 problem.
//!
//! Guessing is slowed down: after [`MAX_FAILURES`] wrong passwords in a row a user name is
//! locked for [`LOCKOUT`] from the address they came from, and after [`MAX_NAME_FAILURES`]
//! from addresses it never signed in from, for all of those (`attempts`: a guesser cannot
//! lock the user out of their own machine); counted atomically in the database, known names
//! and unknown alike, so neither the answer nor its timing tells which names exist; and
//! attempts are rate limited per name and per client address (`throttle`). The user is told
//! of the wrong passwords typed for their name at their next sign-in.
//!
//! Credentials changing ends what they granted (`credentials`): sessions end, API tokens
//! are suspended until their owner confirms them, a disabled user's end for good.
//!
//! The first start creates the administrator `admin`, with the password in
//! `TRELLIS_ADMIN_PASSWORD` or a random one printed once; there is no default password.

pub mod account;
pub mod attempts;
pub mod credentials;
pub mod directory;
mod password;
mod sessions;
pub mod throttle;
pub mod tokens;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::error::{Error, ForbiddenCode};

pub use attempts::{LOCKOUT, MAX_FAILURES, MAX_NAME_FAILURES};
pub use password::{hash_password, verify_password};
pub use sessions::{
    Failures, SESSION_HOURS, SignedIn, bootstrap_admin, change_password, create_user, login, logout, sign_in,
};

/// Who is calling: a signed-in user, or an API token acting for one.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    /// `administrator`, `designer` or `user`.
    pub platform_role: String,
    /// The user's org unit, if they have one.
    pub org_unit_id: Option<i64>,
    /// The language they read Trellis in (`zh-CN`, `en`); `None`: the app's texts as written.
    pub language: Option<String>,
    /// The SHA-256 of the session token, so the session can be ended.
    pub session: String,
    /// For an API token, what it may reach; `None` for a signed-in session.
    pub scope: Option<Scope>,
}

/// What an API token may reach: one app's routes, and only reading unless `write`.
#[derive(Debug, Clone)]
pub struct Scope {
    pub app: String,
    pub write: bool,
}

impl Scope {
    /// Refuses a request (`method`, `path`) outside the token's app or, for a read
    /// token, one that changes something.
    pub fn allows(&self, method: &str, path: &str) -> Result<(), Error> {
        let app_prefix = format!("/api/v1/apps/{}/", self.app);
        if !path.starts_with(&app_prefix) {
            return Err(Error::Forbidden {
                code: ForbiddenCode::token_scope,
                detail: format!("this API token reaches only the app `{}`", self.app),
            });
        }
        if !self.write && !matches!(method, "GET" | "HEAD") {
            return Err(Error::Forbidden {
                code: ForbiddenCode::token_scope,
                detail: "this API token only reads".into(),
            });
        }
        Ok(())
    }
}

/// The platform roles, from most to least: an administrator manages users and reads the
/// audit trail, a designer builds and publishes apps, a user works with records.
pub const PLATFORM_ROLES: [&str; 3] = ["administrator", "designer", "user"];

/// A new random password, for users made without one (the demo's people).
pub fn new_password() -> String {
    sessions::random_text(12)
}

impl Principal {
    /// Refuses unless signed in (not an API token) with at least the platform role `role`.
    pub fn at_least(&self, role: &str) -> Result<(), Error> {
        let rank = |r: &str| PLATFORM_ROLES.iter().position(|p| *p == r).unwrap_or(PLATFORM_ROLES.len());
        if self.scope.is_some() || rank(&self.platform_role) > rank(role) {
            return Err(Error::Forbidden {
                code: ForbiddenCode::forbidden,
                detail: format!("this needs the platform role {role} (or higher), signed in"),
            });
        }
        Ok(())
    }
}

/// A user named by their id or their user name.
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    Id(i64),
    Name(&'a str),
}

/// The principal of an enabled user, for work done on their behalf or checked as them (a
/// rule acting for them, whether a task may be handed to them); `None` if there is no
/// such user or they are disabled.
pub async fn user(c: &impl ConnectionTrait, who: Who<'_>) -> Result<Option<Principal>, sea_orm::DbErr> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let a = Alias::new;
    let mut stmt = Query::select();
    stmt.columns(["id", "username", "platform_role", "disabled", "org_unit_id", "language"].map(a))
        .from(crate::db::Table::Users);
    match who {
        Who::Id(id) => stmt.and_where(Expr::col(a("id")).eq(id)),
        Who::Name(name) => stmt.and_where(Expr::col(a("username")).eq(name)),
    };
    let Some(row) = c.query_one(&stmt).await? else { return Ok(None) };
    if row.try_get_by_index::<bool>(3)? {
        return Ok(None);
    }
    Ok(Some(Principal {
        user_id: row.try_get_by_index(0)?,
        username: row.try_get_by_index(1)?,
        platform_role: row.try_get_by_index(2)?,
        org_unit_id: row.try_get_by_index(4)?,
        language: row.try_get_by_index(5)?,
        session: String::new(),
        scope: None,
    }))
}

/// The instant credentials are measured by: sessions, API tokens and lockouts live on the
/// wall clock, the business on the server's clock (`Clock`), so a virtual clock moved on by
/// days signs no one out, and one standing still holds no lock for ever.
pub fn wall_now() -> DateTime<Utc> {
    Utc::now()
}

/// The principal a bearer token stands for: an API token (`trt_…`) or a session token.
pub async fn authenticate(c: &impl ConnectionTrait, token: &str, now: DateTime<Utc>) -> Result<Principal, Error> {
    if token.starts_with(tokens::PREFIX) {
        tokens::authenticate(c, token, now).await
    } else {
        sessions::authenticate(c, token, now).await
    }
}
