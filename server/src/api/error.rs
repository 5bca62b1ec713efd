//! What HTTP makes of the domain's errors: the RFC 9457 `application/problem+json` body
//! every error leaves as, its status and title from the domain's one table of codes
//! (`crate::error::codes`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{BadInputCode, ConflictCode, Error, FixedCode, ForbiddenCode, UnauthorizedCode};

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://trellis.dev/problems/validation_failed", "title": "Invalid record", "status": 422,
    "detail": "the record has invalid values", "code": "validation_failed",
    "errors": [{ "path": "/aum", "code": "decimal", "message": "`12.345` has more than 2 digits after the decimal point" }]
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Each wrong field or metadata location, as a JSON pointer `path` with its own `code`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemItem {
    pub path: String,
    pub code: String,
    pub message: String,
    /// In an expression, the byte offsets `[start, end]` of the wrong part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<[usize; 2]>,
    /// The message by language where the app's metadata gives one (a form validation's
    /// `message`): `{"zh-CN": "未偿余额不能超过本金", "en": "…"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub texts: Option<std::collections::BTreeMap<String, String>>,
}

/// The status and title of an error, from the table of codes (`error/codes.rs`).
fn status_of(e: &Error) -> (StatusCode, &'static str) {
    let (status, title) = match e {
        Error::BadInput { .. } => (BadInputCode::STATUS, BadInputCode::TITLE),
        Error::Conflict { .. } => (ConflictCode::STATUS, ConflictCode::TITLE),
        Error::Unauthorized { .. } => (UnauthorizedCode::STATUS, UnauthorizedCode::TITLE),
        Error::Forbidden { .. } => (ForbiddenCode::STATUS, ForbiddenCode::TITLE),
        _ => {
            let code = e.fixed_code().unwrap_or(FixedCode::internal);
            (code.status(), code.title())
        }
    };
    (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), title)
}

/// The problem body of `e`.
pub fn problem(e: &Error) -> Problem {
    let (status, title) = status_of(e);
    let code = e.code();
    // Internal details stay in the log, not in the response.
    let detail = if matches!(e, Error::Internal(_)) {
        "the server failed; the error is logged".to_owned()
    } else {
        e.to_string()
    };
    let errors = e
        .places()
        .into_iter()
        .map(|p| ProblemItem { path: p.path, code: p.code, message: p.message, span: p.span, texts: p.texts })
        .collect();
    Problem {
        kind: format!("https://trellis.dev/problems/{code}"),
        title,
        status: status.as_u16(),
        detail,
        code,
        errors,
    }
}

/// A problem answer the HTTP layer gives itself (a method a route lacks, a URI too long),
/// with no domain error behind it.
pub fn problem_response(status: StatusCode, code: FixedCode, detail: String) -> HttpResponse {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = Problem {
        kind: format!("https://trellis.dev/problems/{}", code.as_str()),
        title,
        status: status.as_u16(),
        detail,
        code: code.as_str(),
        errors: Vec::new(),
    };
    HttpResponse::build(status).content_type("application/problem+json").json(body)
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        status_of(self).0
    }

    fn error_response(&self) -> HttpResponse {
        if let Error::Internal(e) = self {
            tracing::error!("internal error: {e:#}");
        }
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, Error::Unauthorized { .. }) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let Error::TooManyRequests { retry_after, .. } = self {
            response.insert_header((actix_web::http::header::RETRY_AFTER, (*retry_after).max(1)));
        }
        response.content_type("application/problem+json").json(problem(self))
    }
}
