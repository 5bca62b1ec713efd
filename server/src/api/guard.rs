//! The gate every request passes before its route: requests no route could answer well
//! (a URI longer than [`MAX_URI`], a NUL character in the query string, which PostgreSQL
//! cannot store or compare, a body that is not JSON where JSON is read) are refused here,
//! every error that would leave without a body (actix's own 405 for a method a resource
//! lacks, say) leaves as problem+json like the others, and every answer carries the
//! security headers (`headers`).
//!
//! Bodies must say `application/json` (or `application/…+json`) because a page on another
//! site can make a browser send `text/plain`, a form or a multipart body without asking,
//! but never JSON: the sign-in, which needs no session, could otherwise be driven from any
//! web page a member of staff opens. The routes that take other bodies say so: uploads
//! (of attachments, of files to import) take the file's own type, the directory import
//! takes CSV too.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;

use super::error::problem_response;
use crate::error::{BadInputCode, Error, FixedCode};

/// The longest request target (path and query) the server reads: far above any list
/// query the API documents (a `where` is at most 4,000 characters), far below where the
/// HTTP layer itself gives up (128 KiB heads, answered with a bare 431).
pub const MAX_URI: usize = 16 * 1024;

/// Middleware: refuses what no route should see, and gives bodiless errors a problem body.
pub async fn guard(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    if let Some(mut response) = refusal(&req) {
        super::headers::add(req.path(), response.headers_mut());
        return Ok(req.into_response(response).map_into_right_body());
    }
    let mut response = next.call(req).await?;
    let path = response.request().path().to_owned();
    super::headers::add(&path, response.headers_mut());
    let status = response.status();
    let has_type = response.headers().contains_key(header::CONTENT_TYPE);
    if !status.is_client_error() && !status.is_server_error() || has_type {
        return Ok(response.map_into_left_body());
    }
    // The methods of the route the path names, as the document lists them: actix's own
    // `Allow` names those of whichever resource matched, which may be a more general one.
    let methods = super::docs::methods_of(response.request().path());
    let documented = (status == StatusCode::METHOD_NOT_ALLOWED && !methods.is_empty())
        .then(|| header::HeaderValue::from_str(&methods.join(", ")).ok())
        .flatten();
    let allow = documented.or_else(|| response.headers().get(header::ALLOW).cloned());
    let (req, _) = response.into_parts();
    let mut problem = bodiless(status);
    if let Some(allow) = allow {
        problem.headers_mut().insert(header::ALLOW, allow);
    }
    super::headers::add(&path, problem.headers_mut());
    Ok(ServiceResponse::new(req, problem).map_into_right_body())
}

fn refusal(req: &ServiceRequest) -> Option<actix_web::HttpResponse> {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI {
        let detail = format!("the request target is longer than {MAX_URI} bytes");
        return Some(problem_response(StatusCode::URI_TOO_LONG, FixedCode::uri_too_long, detail));
    }
    if let Some(refused) = unsupported_body(req) {
        return Some(refused);
    }
    let query = req.query_string();
    if query.contains('\0') || query.to_ascii_lowercase().contains("%00") {
        let param = query
            .split('&')
            .find(|pair| pair.to_ascii_lowercase().contains("%00"))
            .and_then(|pair| pair.split('=').next())
            .unwrap_or("");
        let refused = Error::BadInput {
            code: BadInputCode::bad_query,
            detail: "a query parameter contains the NUL character".into(),
            errors: vec![engine_form::FieldError::new(
                format!("/{param}"),
                "nul_character",
                "text cannot contain the NUL character",
            )],
        };
        return Some(actix_web::ResponseError::error_response(&refused));
    }
    None
}

/// A 415 for a request whose body is not of a type its route reads; `None` for every
/// other request (one without a body included).
fn unsupported_body(req: &ServiceRequest) -> Option<actix_web::HttpResponse> {
    let headers = req.headers();
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let has_body = length.is_some_and(|n| n > 0) || headers.contains_key(header::TRANSFER_ENCODING);
    if !has_body || matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS") {
        return None;
    }
    let given = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = given.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let json = essence == "application/json" || essence.starts_with("application/") && essence.ends_with("+json");
    let path = req.path();
    let depth = path.matches('/').count();
    let upload = path.starts_with("/api/v1/apps/")
        && (path.ends_with("/files") && depth == 5 || path.ends_with("/imports") && depth == 7);
    let csv = path == "/api/v1/directory/import" && essence == "text/csv";
    if json || upload || csv {
        return None;
    }
    let detail = if given.is_empty() {
        "the body has no Content-Type; send it as application/json".to_owned()
    } else {
        format!("the body is `{given}`; this route reads application/json")
    };
    Some(problem_response(StatusCode::UNSUPPORTED_MEDIA_TYPE, FixedCode::unsupported_media_type, detail))
}

/// The problem for an error response that came without a body.
fn bodiless(status: StatusCode) -> actix_web::HttpResponse {
    let (code, detail) = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            (FixedCode::method_not_allowed, "this route does not take that method".to_owned())
        }
        StatusCode::NOT_FOUND => (FixedCode::not_found, "no such route".to_owned()),
        other => (FixedCode::http_error, other.canonical_reason().unwrap_or("the request failed").to_lowercase()),
    };
    problem_response(status, code, detail)
}
