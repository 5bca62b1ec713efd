//! Events sent in by other systems: their data declared with fields like a form's, and
//! stored in no table.

use engine_form::{Bundle, Diagnostic, Form, lower_form};
use serde_json::Value;

/// Checks each event's fields as engine-form checks a form's, its relations linking to the
/// app's forms; diagnostics point into `/events/{i}`.
pub(crate) fn check_events(doc: &Value, bundle: &Bundle) -> (Vec<Form>, Vec<Diagnostic>) {
    let (mut events, mut diags) = (Vec::new(), Vec::new());
    for (i, event) in doc.get("events").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let base = format!("/events/{i}");
        let key = event.get("key").and_then(Value::as_str).unwrap_or("");
        if bundle.form(key).is_some() {
            diags.push(Diagnostic::new(format!("{base}/key"), "duplicate", format!("a form is called `{key}` too")));
            continue;
        }
        match lower_form(event, bundle) {
            Ok(form) => events.push(form),
            Err(found) => diags.extend(found.into_iter().map(|d| d.under(&base))),
        }
    }
    (events, diags)
}
