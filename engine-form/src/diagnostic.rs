//! A problem found in metadata, located by a JSON pointer so the designer can highlight it.

/// One problem in a bundle or form: the platform's one kind of diagnostic.
pub use engine_rule::Diagnostic;

/// Appends a segment to a JSON pointer, escaping `~` and `/` as RFC 6901 requires.
pub(crate) fn join(path: &str, segment: impl std::fmt::Display) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(path.len() + 24);
    out.push_str(path);
    out.push('/');
    let start = out.len();
    let _ = write!(out, "{segment}");
    // Written once; escaped only when it holds what RFC 6901 escapes (field keys never do).
    if out[start..].contains(['~', '/']) {
        let escaped = out[start..].replace('~', "~0").replace('/', "~1");
        out.truncate(start);
        out.push_str(&escaped);
    }
    out
}
