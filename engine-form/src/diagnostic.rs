//! A problem found in metadata, located by a JSON pointer so the designer can highlight it.

/// One problem in a bundle or form: the platform's one kind of diagnostic.
pub use engine_rule::Diagnostic;

/// Appends a segment to a JSON pointer, escaping `~` and `/` as RFC 6901 requires.
pub(crate) fn join(path: &str, segment: impl std::fmt::Display) -> String {
    let segment = segment.to_string().replace('~', "~0").replace('/', "~1");
    format!("{path}/{segment}")
}
