//! The server's one error type and its table of HTTP statuses and stable codes.
//! Every error leaves as RFC 9457 `application/problem+json`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use engine_form::{Diagnostic, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    /// Malformed request: unreadable JSON, a bad query parameter.
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String, errors: Vec<FieldError> },
    /// Well-formed but invalid record values.
    #[error("the record has invalid values")]
    InvalidRecord(Vec<FieldError>),
    /// Invalid metadata: every diagnostic, each with its JSON path.
    #[error("the metadata is invalid")]
    InvalidMetadata(Vec<Diagnostic>),
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the record has changed: its version is now {current}")]
    VersionMismatch { current: i64 },
    #[error("updating a record needs If-Match with the record's _version")]
    VersionRequired,
    #[error("{0}")]
    PayloadTooLarge(String),
    /// An expression in a request (a `where`, a preview) that is wrong, each problem with
    /// its position in the text.
    #[error("the expression in `{param}` is invalid")]
    InvalidExpression { param: &'static str, errors: Vec<engine_rule::ExprError> },
    /// A computed value left the range the database computes exactly.
    #[error("{0}")]
    Overflow(String),
    /// No credentials, or credentials that are wrong, expired or revoked.
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    /// Valid credentials that do not allow this request.
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// Too many attempts: try again after `retry_after` seconds.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    /// An HTTP-level refusal with its own status: a method a route lacks, a URI too long.
    #[error("{detail}")]
    Status { status: StatusCode, code: &'static str, detail: String },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        if crate::expr_sql::is_overflow(&e) {
            return ApiError::Overflow(
                "a value computed by the expression is beyond the exact range of the database".into(),
            );
        }
        ApiError::Internal(e.into())
    }
}

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
}

impl ApiError {
    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::NotFound(what.into())
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest { code, detail: detail.into(), errors: Vec::new() }
    }

    /// The table: status, code and title of each error.
    fn describe(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code, "Bad request"),
            ApiError::InvalidRecord(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "Invalid record"),
            ApiError::InvalidMetadata(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_metadata", "Invalid metadata"),
            ApiError::Conflict { code, .. } => (StatusCode::CONFLICT, code, "Conflict"),
            ApiError::VersionMismatch { .. } => (StatusCode::PRECONDITION_FAILED, "version_mismatch", "Record changed"),
            ApiError::VersionRequired => (StatusCode::PRECONDITION_REQUIRED, "version_required", "If-Match required"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Payload too large"),
            ApiError::InvalidExpression { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_expression", "Invalid expression")
            }
            ApiError::Overflow(_) => (StatusCode::UNPROCESSABLE_ENTITY, "overflow", "Value out of range"),
            ApiError::Unauthorized { code, .. } => (StatusCode::UNAUTHORIZED, code, "Unauthorized"),
            ApiError::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code, "Forbidden"),
            ApiError::TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "Too many requests")
            }
            ApiError::Status { status, code, .. } => (*status, code, status.canonical_reason().unwrap_or("Error")),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, code, title) = self.describe();
        let errors = match self {
            ApiError::BadRequest { errors, .. } | ApiError::InvalidRecord(errors) => errors
                .iter()
                .map(|e| ProblemItem {
                    path: e.path.clone(),
                    code: e.code.into(),
                    message: e.message.clone(),
                    span: None,
                })
                .collect(),
            ApiError::InvalidMetadata(diags) => diags
                .iter()
                .map(|d| ProblemItem {
                    path: d.path.clone(),
                    code: d.code.into(),
                    message: d.message.clone(),
                    span: None,
                })
                .collect(),
            ApiError::InvalidExpression { param, errors } => errors
                .iter()
                .map(|e| ProblemItem {
                    path: format!("/{param}"),
                    code: e.kind.code().into(),
                    message: e.message.clone(),
                    span: Some([e.span.start, e.span.end]),
                })
                .collect(),
            _ => Vec::new(),
        };
        // Internal details stay in the log, not in the response.
        let detail = if matches!(self, ApiError::Internal(_)) {
            "the server failed; the error is logged".to_owned()
        } else {
            self.to_string()
        };
        Problem {
            kind: format!("https://trellis.dev/problems/{code}"),
            title,
            status: status.as_u16(),
            detail,
            code,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.describe().0
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(e) = self {
            tracing::error!("internal error: {e:#}");
        }
        let problem = self.problem();
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::Unauthorized { .. }) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let ApiError::TooManyRequests { retry_after, .. } = self {
            response.insert_header((actix_web::http::header::RETRY_AFTER, (*retry_after).max(1)));
        }
        response.content_type("application/problem+json").json(problem)
    }
}
