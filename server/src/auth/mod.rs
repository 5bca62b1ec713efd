//! Who is calling. Users sign in with a password (hashed with argon2id) and get a session
//! token, sent as `Authorization: Bearer …` on every request; the server keeps only the
//! token's SHA-256, so a copy of the database holds no usable token. Every route but the
//! public ones (`/healthz`, the login, the OpenAPI documents and metadata schemas) refuses
//! a request without a valid token with a 401 problem.
//!
//! Guessing is slowed down: after [`MAX_FAILURES`] wrong passwords in a row a user name is
//! locked for [`LOCKOUT`], counted atomically in the database (`attempts`), known names
//! and unknown alike, so neither the answer nor its timing tells which names exist; and
//! attempts are rate limited per name and per client address (`throttle`).
//!
//! The first start creates the administrator `admin`, with the password in
//! `TRELLIS_ADMIN_PASSWORD` or a random one printed once; there is no default password.

pub mod attempts;
pub mod directory;
mod password;
mod sessions;
pub mod throttle;
pub mod tokens;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use chrono::Utc;

use crate::api::AppState;
use crate::api::error::ApiError;

pub use attempts::{LOCKOUT, MAX_FAILURES};
pub use password::{hash_password, verify_password};
pub use sessions::{SESSION_HOURS, bootstrap_admin, change_password, create_user, login, logout};

/// The signed-in user of a request, put in its extensions by [`require`].
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    /// `administrator`, `designer` or `user`.
    pub platform_role: String,
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
    /// Refuses a request outside the token's app or, for a read token, one that changes
    /// something.
    fn allows(&self, method: &actix_web::http::Method, path: &str) -> Result<(), ApiError> {
        let app_prefix = format!("/api/v1/apps/{}/", self.app);
        if !path.starts_with(&app_prefix) {
            return Err(ApiError::Forbidden {
                code: "token_scope",
                detail: format!("this API token reaches only the app `{}`", self.app),
            });
        }
        if !self.write && !matches!(*method, actix_web::http::Method::GET | actix_web::http::Method::HEAD) {
            return Err(ApiError::Forbidden { code: "token_scope", detail: "this API token only reads".into() });
        }
        Ok(())
    }
}

/// The bearer token of a request, if it sent one.
pub fn bearer(req: &actix_web::HttpRequest) -> Option<String> {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Middleware: lets a request through only with a valid session token; otherwise answers
/// 401 itself.
pub async fn require<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    match principal_of(&req).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(refused) => {
            let response = actix_web::ResponseError::error_response(&refused);
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

async fn principal_of(req: &ServiceRequest) -> Result<Principal, ApiError> {
    let Some(token) = bearer(req.request()) else {
        return Err(ApiError::Unauthorized {
            code: "unauthorized",
            detail: "sign in first: POST /api/v1/auth/login, then send Authorization: Bearer <token>".into(),
        });
    };
    let state = req
        .app_data::<web::Data<Arc<AppState>>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the app state is missing")))?;
    if token.starts_with(tokens::PREFIX) {
        let now = Utc::now();
        let principal = tokens::authenticate(&state.db.conn, &token, now).await?;
        if let Some(scope) = &principal.scope {
            scope.allows(req.method(), req.path())?;
            let actor = crate::audit::Actor {
                user_id: Some(principal.user_id),
                name: principal.username.clone(),
                via: "token",
                ip: req.peer_addr().map(|a| a.ip().to_string()),
            };
            let detail = serde_json::json!({ "method": req.method().as_str(), "path": req.path() });
            let entry = crate::audit::Entry::app("token.use", &scope.app, detail);
            crate::audit::write(&state.db.conn, &actor, entry, now).await?;
        }
        return Ok(principal);
    }
    sessions::authenticate(&state.db.conn, &token, Utc::now()).await
}

/// The platform roles, from most to least: an administrator manages users and reads the
/// audit trail, a designer builds and publishes apps, a user works with records.
pub const PLATFORM_ROLES: [&str; 3] = ["administrator", "designer", "user"];

/// Extracts the caller if it is signed in (not an API token) with at least `role`.
/// Who is calling: the principal `require` put in the request.
pub fn principal(req: &actix_web::HttpRequest) -> Result<Principal, ApiError> {
    req.extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("an authenticated route without a principal")))
}

fn signed_in_as(req: &actix_web::HttpRequest, role: &str) -> Result<Principal, ApiError> {
    let principal = principal(req)?;
    let rank = |r: &str| PLATFORM_ROLES.iter().position(|p| *p == r).unwrap_or(PLATFORM_ROLES.len());
    if principal.scope.is_some() || rank(&principal.platform_role) > rank(role) {
        return Err(ApiError::Forbidden {
            code: "forbidden",
            detail: format!("this needs the platform role {role} (or higher), signed in"),
        });
    }
    Ok(principal)
}

/// A handler argument that admits only administrators.
pub struct Administrator(pub Principal);

/// A handler argument that admits only app designers and administrators.
pub struct Designer(pub Principal);

impl actix_web::FromRequest for Administrator {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(signed_in_as(req, "administrator").map(Administrator))
    }
}

impl actix_web::FromRequest for Designer {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(signed_in_as(req, "designer").map(Designer))
    }
}
