//! Who a request comes from, as HTTP says it: the bearer token (`require` turns it into
//! the `Principal` every handler reads), the platform roles a handler demands
//! (`Administrator`, `Designer`), the client's address and the audit trail's actor.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};

use super::AppState;
use crate::audit::Actor;
use crate::auth::Principal;
use crate::error::{Error, ForbiddenCode, UnauthorizedCode};

/// The cookie the browser app's session is kept in.
pub const SESSION_COOKIE: &str = "trellis_session";

/// The bearer token of a request, if it sent one.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The `Set-Cookie` value that keeps `token` for `seconds` (0: removes it): HttpOnly, so no
/// script in the page reads it; SameSite=Strict, so no other site's page sends it; Secure
/// when the request came over HTTPS. (Written here: the token is base64url, nothing in it
/// needs quoting, and the HTTP layer's cookie feature is not built.)
pub fn session_cookie(req: &HttpRequest, token: &str, seconds: i64) -> (actix_web::http::header::HeaderName, String) {
    let secure = if req.connection_info().scheme() == "https" { "; Secure" } else { "" };
    let value = format!("{SESSION_COOKIE}={token}; Path=/; Max-Age={seconds}; HttpOnly; SameSite=Strict{secure}");
    (actix_web::http::header::SET_COOKIE, value)
}

/// The session token a request carries: its bearer token, else its session cookie (and
/// whether it came by cookie).
fn credential(req: &HttpRequest) -> Option<(String, bool)> {
    if let Some(token) = bearer(req) {
        return Some((token, false));
    }
    let cookies = req.headers().get_all(actix_web::http::header::COOKIE).filter_map(|v| v.to_str().ok());
    let token = cookies
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())?
        .1;
    Some((token.to_owned(), true))
}

/// A request authenticated by cookie that changes something must come from the app's own
/// pages: a browser says where a request comes from in `Sec-Fetch-Site`, which no page can
/// set. (SameSite=Strict already keeps the cookie off other sites' requests, and JSON
/// bodies need `application/json`, which no cross-site form can send: this is the third
/// wall.)
fn same_site(req: &HttpRequest) -> Result<(), Error> {
    let safe = matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    let site = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if safe || site.is_none_or(|s| s == "same-origin" || s == "none") {
        return Ok(());
    }
    Err(Error::Forbidden {
        code: ForbiddenCode::cross_site,
        detail: "a change made with the browser's session must come from Trellis' own pages".into(),
    })
}

/// Middleware: lets a request through only with a valid session or API token (within the
/// token's scope); otherwise answers 401 or 403 itself.
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

async fn principal_of(req: &ServiceRequest) -> Result<Principal, Error> {
    let Some((token, by_cookie)) = credential(req.request()) else {
        return Err(Error::Unauthorized {
            code: UnauthorizedCode::unauthorized,
            detail: "sign in first: POST /api/v1/auth/login, then send Authorization: Bearer <token>".into(),
        });
    };
    if by_cookie {
        same_site(req.request())?;
    }
    let state = req
        .app_data::<web::Data<Arc<AppState>>>()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the app state is missing")))?;
    let principal = crate::auth::authenticate(&state.db.conn, &token, crate::auth::wall_now()).await?;
    if let Some(scope) = &principal.scope {
        scope.allows(req.method().as_str(), req.path())?;
    }
    Ok(principal)
}

/// Who is calling: the principal `require` put in the request.
pub fn principal(req: &HttpRequest) -> Result<Principal, Error> {
    req.extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("an authenticated route without a principal")))
}

/// A handler argument that admits only administrators, signed in.
pub struct Administrator(pub Principal);

/// A handler argument that admits only app designers and administrators, signed in.
pub struct Designer(pub Principal);

impl actix_web::FromRequest for Administrator {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(principal(req).and_then(|p| p.at_least("administrator").map(|()| Administrator(p))))
    }
}

impl actix_web::FromRequest for Designer {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(principal(req).and_then(|p| p.at_least("designer").map(|()| Designer(p))))
    }
}

/// The client's address: the TCP peer's or, behind the bank's reverse proxy, the last
/// address in the header the proxy is configured to set (`TRELLIS_CLIENT_IP_HEADER`, e.g.
/// `X-Forwarded-For`): the last one is the address the proxy itself saw, which the client
/// cannot forge.
pub fn client_address(req: &HttpRequest) -> Option<String> {
    let header =
        req.app_data::<web::Data<Arc<AppState>>>().and_then(|state| state.sign_in_limits.address_header.clone());
    if let Some(name) = header
        && let Some(value) = req.headers().get(name.as_str()).and_then(|v| v.to_str().ok())
        && let Some(last) = value.rsplit(',').map(str::trim).find(|s| !s.is_empty())
    {
        return Some(last.to_owned());
    }
    req.peer_addr().map(|a| a.ip().to_string())
}

/// The signed-in caller of `req` (anonymous if none) as the audit trail names them, and
/// the address they came from.
pub fn actor(req: &HttpRequest) -> Actor {
    let ip = client_address(req);
    match req.extensions().get::<Principal>() {
        Some(p) => Actor {
            user_id: Some(p.user_id),
            name: p.username.clone(),
            via: if p.scope.is_some() { "token" } else { "session" },
            ip,
        },
        None => Actor { user_id: None, name: String::new(), via: "anonymous", ip },
    }
}
