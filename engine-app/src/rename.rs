//! Renaming a field: its key changes, it remembers the key it was published under
//! (`renamed_from`: publishing moves its column, with the data, to the new key), and every
//! place of the bundle that reads it is rewritten where the parser found the name
//! (`uses`). Pure: a bundle in, the renamed bundle and what was rewritten out.

use engine_form::Diagnostic;
use serde_json::{Map, Value};

use crate::uses::{Use, names_in, uses};

/// Bundle `bundle` with field `field` of form `form` renamed `to`, and the places rewritten;
/// or why it cannot be (diagnostics at `/to`, or at a place it cannot rewrite).
pub fn rename(bundle: &Value, (form, field): (&str, &str), to: &str) -> Result<(Value, Vec<Use>), Vec<Diagnostic>> {
    let forms = bundle.get("forms").and_then(Value::as_array);
    let Some(fi) = forms.and_then(|f| f.iter().position(|f| f["key"] == form)) else {
        return Err(vec![Diagnostic::new("/form", "not_found", format!("the app has no form `{form}`"))]);
    };
    let fields = bundle["forms"][fi]["fields"].as_array().cloned().unwrap_or_default();
    let Some(xi) = fields.iter().position(|f| f["key"] == field) else {
        return Err(vec![Diagnostic::new("/field", "not_found", format!("form `{form}` has no field `{field}`"))]);
    };
    if !crate::is_key(to) {
        let message = "a key is a lower-case letter followed by up to 31 lower-case letters, digits or _";
        return Err(vec![Diagnostic::new("/to", "bad_key", message)]);
    }
    if fields.iter().any(|f| f["key"] == to) {
        return Err(vec![Diagnostic::new("/to", "taken", format!("form `{form}` already has a field `{to}`"))]);
    }
    let found = uses(bundle, (form, field));
    let mut out = bundle.clone();
    let mut diags = Vec::new();
    for place in &found {
        if let Err(message) = rewrite(&mut out, place, field, to) {
            diags.push(Diagnostic::new(place.path.clone(), "cannot_rewrite", message));
        }
    }
    let target = &mut out["forms"][fi]["fields"][xi];
    // Renamed again before publishing: it still follows the key it was published under.
    if target.get("renamed_from").is_none() {
        target["renamed_from"] = Value::from(field);
    } else if target["renamed_from"] == to {
        target.as_object_mut().map(|f| f.remove("renamed_from"));
    }
    target["key"] = Value::from(to);
    if diags.is_empty() { Ok((out, found)) } else { Err(diags) }
}

/// Rewrites one place: the names in its text, or the key a role's field mode is kept under.
fn rewrite(bundle: &mut Value, place: &Use, field: &str, to: &str) -> Result<(), String> {
    if place.names.is_empty() {
        let (parent, last) = place.path.rsplit_once('/').ok_or("not a path")?;
        let map = bundle.pointer_mut(parent).and_then(Value::as_object_mut).ok_or("not an object")?;
        return move_key(map, last, field, to);
    }
    let Some(Value::String(text)) = bundle.pointer_mut(&place.path) else {
        return Err(format!("the text at {} changed while it was renamed", place.path));
    };
    let mut names = place.names.clone();
    names.sort_by_key(|r| std::cmp::Reverse(r.start));
    names.dedup();
    for range in names {
        if text.get(range.clone()) != Some(field) {
            return Err(format!("`{text}` does not name `{field}` where it was read"));
        }
        text.replace_range(range, to);
    }
    Ok(())
}

/// Moves the entry `field` of `map` to `to`, keeping its place.
fn move_key(map: &mut Map<String, Value>, last: &str, field: &str, to: &str) -> Result<(), String> {
    if last != field {
        return Err(format!("`{last}` is not `{field}`"));
    }
    if map.contains_key(to) {
        return Err(format!("already gives `{to}` a mode"));
    }
    let entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    for (k, v) in entries {
        map.insert(if k == field { to.to_owned() } else { k }, v);
    }
    Ok(())
}

/// `text` (an expression, a field key, a sort such as `-aum`), read on a record of form
/// `base` of `bundle`, with field `field` of form `form` renamed `to`; none when it does not
/// read the field (a saved view's filter, sort or column as a rename is published).
pub fn rewrite_text(bundle: &Value, base: &str, text: &str, (form, field): (&str, &str), to: &str) -> Option<String> {
    let (sign, rest) = text.strip_prefix('-').map_or(("", text), |r| ("-", r));
    let mut names = names_in(bundle, base, rest, (form, field));
    if names.is_empty() {
        return None;
    }
    names.sort_by_key(|r| std::cmp::Reverse(r.start));
    names.dedup();
    let mut out = rest.to_owned();
    for range in names {
        out.replace_range(range, to);
    }
    Some(format!("{sign}{out}"))
}
