//! The domain's one error type: every operation of records, rules, processes, access,
//! the catalog, the audit trail, files, publishing and the job runner fails with it. Each
//! carries a stable machine code from the one table of codes (`codes.rs`), its status
//! beside it; what HTTP makes of each is `api::error`'s business, and a command-line
//! message is `describe`'s.

mod codes;

pub use codes::{BadInputCode, ConflictCode, FixedCode, ForbiddenCode, UnauthorizedCode, all as codes};
use engine_form::Diagnostic;
pub use engine_form::FieldError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{0}")]
    NotFound(String),
    /// Input that cannot be read: unreadable JSON, a bad query parameter, a body too large.
    #[error("{detail}")]
    BadInput { code: BadInputCode, detail: String, errors: Vec<FieldError> },
    /// Well-formed but invalid record values.
    #[error("the record has invalid values")]
    InvalidRecord(Vec<FieldError>),
    /// Invalid metadata: every diagnostic, each with its JSON path.
    #[error("the metadata is invalid")]
    InvalidMetadata(Vec<Diagnostic>),
    #[error("{detail}")]
    Conflict { code: ConflictCode, detail: String },
    #[error("the record has changed: its version is now {current}")]
    VersionMismatch { current: i64 },
    /// A draft saved since the revision its editor read (`None`: it was deleted meanwhile).
    #[error("{detail}")]
    DraftChanged { detail: String },
    #[error("updating a record needs If-Match with the record's _version")]
    VersionRequired,
    #[error("{0}")]
    TooLarge(String),
    /// A request whose body did not arrive in time.
    #[error("{0}")]
    Timeout(String),
    /// An expression in a request (a `where`, a preview) that is wrong, each problem with
    /// its position in the text.
    #[error("the expression in `{param}` is invalid")]
    InvalidExpression { param: &'static str, errors: Vec<engine_rule::ExprError> },
    /// A computed value left the range the database computes exactly.
    #[error("{0}")]
    Overflow(String),
    /// A report over more rows than a report reads: narrow it with its parameters.
    #[error("{0}")]
    TooManyRows(String),
    /// A report that ran past its time limit.
    #[error("{0}")]
    TooSlow(String),
    /// No credentials, or credentials that are wrong, expired or revoked.
    #[error("{detail}")]
    Unauthorized { code: UnauthorizedCode, detail: String },
    /// Valid credentials that do not allow this.
    #[error("{detail}")]
    Forbidden { code: ForbiddenCode, detail: String },
    /// Too many attempts: try again after `retry_after` seconds.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for Error {
    fn from(e: sea_orm::DbErr) -> Self {
        // The overflow a compiled expression reports (`expr_sql`'s `settle` computes
        // `abs` of the smallest integer), or PostgreSQL's own for a number beyond 64 bits.
        let text = e.to_string();
        if text.contains("integer overflow") || text.contains("out of range") {
            return Error::Overflow(
                "a value computed by the expression is beyond the exact range of the database".into(),
            );
        }
        Error::Internal(e.into())
    }
}

impl Error {
    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound(what.into())
    }

    pub fn bad_input(code: BadInputCode, detail: impl Into<String>) -> Self {
        Error::BadInput { code, detail: detail.into(), errors: Vec::new() }
    }

    /// Input wrong at one place: `path` is its JSON pointer (`/limit`, `/name`).
    pub fn bad_input_at(code: BadInputCode, path: &str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Error::BadInput { code, errors: vec![FieldError::new(path, code.as_str(), detail.clone())], detail }
    }

    /// The stable machine code, from the one table of codes (`codes.rs`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadInput { code, .. } => code.as_str(),
            Error::Conflict { code, .. } => code.as_str(),
            Error::Unauthorized { code, .. } => code.as_str(),
            Error::Forbidden { code, .. } => code.as_str(),
            _ => self.fixed_code().map_or("internal", FixedCode::as_str),
        }
    }

    /// The code of an error that is not a refusal (whose kind gives its code).
    pub fn fixed_code(&self) -> Option<FixedCode> {
        Some(match self {
            Error::NotFound(_) => FixedCode::not_found,
            Error::InvalidRecord(_) => FixedCode::validation_failed,
            Error::InvalidMetadata(_) => FixedCode::invalid_metadata,
            Error::VersionMismatch { .. } => FixedCode::version_mismatch,
            Error::DraftChanged { .. } => FixedCode::draft_changed,
            Error::VersionRequired => FixedCode::version_required,
            Error::TooLarge(_) => FixedCode::payload_too_large,
            Error::Timeout(_) => FixedCode::request_timeout,
            Error::InvalidExpression { .. } => FixedCode::invalid_expression,
            Error::Overflow(_) => FixedCode::overflow,
            Error::TooManyRows(_) => FixedCode::too_many_rows,
            Error::TooSlow(_) => FixedCode::too_slow,
            Error::TooManyRequests { .. } => FixedCode::too_many_requests,
            Error::Internal(_) => FixedCode::internal,
            Error::BadInput { .. } | Error::Conflict { .. } | Error::Unauthorized { .. } | Error::Forbidden { .. } => {
                return None;
            }
        })
    }

    /// Each wrong place the error names: its JSON pointer, code, message and (in an
    /// expression) the byte span.
    pub fn places(&self) -> Vec<Place> {
        match self {
            Error::BadInput { errors, .. } | Error::InvalidRecord(errors) => errors
                .iter()
                .map(|e| Place {
                    path: e.path.clone(),
                    code: e.code.into(),
                    message: e.message.clone(),
                    span: None,
                    texts: e.texts.clone(),
                })
                .collect(),
            Error::InvalidMetadata(diags) => diags
                .iter()
                .map(|d| Place {
                    path: d.path.clone(),
                    code: d.code.into(),
                    message: d.message.clone(),
                    span: d.span.map(|s| [s.start, s.end]),
                    texts: None,
                })
                .collect(),
            Error::InvalidExpression { param, errors } => errors
                .iter()
                .map(|e| Place {
                    path: format!("/{param}"),
                    code: e.kind.code().into(),
                    message: e.message.clone(),
                    span: Some([e.span.start, e.span.end]),
                    texts: None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The error as one line of text, each wrong place after it: for the command line
    /// and for incidents (`the record has invalid values: /title [max_length] too long`).
    pub fn describe(&self) -> String {
        if let Error::Internal(inner) = self {
            return format!("{inner:#}");
        }
        let places: Vec<String> = self
            .places()
            .into_iter()
            .map(|p| format!("{} [{}] {}", if p.path.is_empty() { "/" } else { &p.path }, p.code, p.message))
            .collect();
        if places.is_empty() { self.to_string() } else { format!("{self}: {}", places.join("; ")) }
    }
}

/// One wrong place of an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub path: String,
    pub code: String,
    pub message: String,
    pub span: Option<[usize; 2]>,
    /// The message by language, where the metadata gives one (a validation's).
    pub texts: Option<std::collections::BTreeMap<String, String>>,
}
