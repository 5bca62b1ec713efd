//! A problem found in metadata, located by a JSON pointer so the designer can highlight it.

use serde::Serialize;

/// One problem in a bundle or form. `path` is a JSON pointer into the document that
/// was checked (for example `/forms/2/fields/0/type`); `code` is stable and machine-readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub path: String,
    pub code: &'static str,
    pub message: String,
}

impl Diagnostic {
    pub fn new(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self { path: path.into(), code, message: message.into() }
    }
}

/// Appends a segment to a JSON pointer, escaping `~` and `/` as RFC 6901 requires.
pub(crate) fn join(path: &str, segment: impl std::fmt::Display) -> String {
    let segment = segment.to_string().replace('~', "~0").replace('/', "~1");
    format!("{path}/{segment}")
}
