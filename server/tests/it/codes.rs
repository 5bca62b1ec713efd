//! The table of error codes is the integrators' to rely on: `docs/errors.md` lists it as
//! the server has it (every problem answer in these tests is checked against it, in
//! `support::Env::send`).

use std::fmt::Write;
use std::path::PathBuf;

#[test]
fn the_list_of_error_codes_in_the_docs_is_the_table() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/errors.md");
    let mut text = String::from(
        "# Error codes\n\n\
         Every error answer is RFC 9457 `application/problem+json` with a stable `code`; the\n\
         wrong places are in `errors`, each with its JSON pointer `path`, its own `code` and,\n\
         in an expression, its `span` (`[start, end]` in bytes). This list is written from the\n\
         server's one table of codes (`server/src/error/codes.rs`); a test keeps it so.\n\n\
         | status | code | meaning |\n|---|---|---|\n",
    );
    for (status, code, meaning) in server::error::codes() {
        let status = if status == 0 { "as given".to_owned() } else { status.to_string() };
        writeln!(text, "| {status} | `{code}` | {meaning} |").expect("written");
    }
    if std::env::var_os("TRELLIS_WRITE_DOCS").is_some() {
        std::fs::write(&path, &text).expect("written");
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == text,
        "{} is not the table of codes; write it anew with \
         TRELLIS_WRITE_DOCS=1 cargo nextest run -p server -E 'test(the_list_of_error_codes)'",
        path.display()
    );
}

/// No code is listed twice.
#[test]
fn each_code_is_listed_once() {
    let mut seen = std::collections::BTreeSet::new();
    for (_, code, _) in server::error::codes() {
        assert!(seen.insert(code), "`{code}` is listed twice");
    }
}
