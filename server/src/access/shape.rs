//! Shaping what a caller reads *about* records, beyond the records themselves: the values
//! a rule read (keyed by field path: `aum`, `old.aum`, `customer.mobile`), a history
//! entry's values before and after, what a task or message says. Hidden values go, masked
//! ones are masked, and the clear text of each is remembered ([`Secrets`]) so that the
//! same text is masked wherever else it appears in the answer: a task title written by a
//! rule may quote an ID number.

use engine_form::{Bundle, FieldType, Form, Mask};
use serde_json::{Map, Value};

use super::{Access, Mode};

/// Clear texts the caller may not see, each with how it reads masked, to be masked wherever
/// they appear.
#[derive(Debug, Default)]
pub struct Secrets(Vec<(String, String)>);

/// Texts shorter than this are not searched for elsewhere: they would mask common words
/// and numbers that merely look alike.
const SHORTEST_SECRET: usize = 6;

impl Secrets {
    /// Remembers the clear text of `value`, which reads as its `mask` says (`year`: a
    /// date keeps its year).
    pub fn add(&mut self, value: &Value, mask: Mask, year: bool) {
        let text = match value {
            Value::Null => return,
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if text.chars().count() >= SHORTEST_SECRET && !self.0.iter().any(|(clear, _)| *clear == text) {
            let masked = mask.text(&text, year);
            self.0.push((text, masked));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Masks every occurrence of a secret in every text of `value`, keys included.
    /// Iterative, so no nesting can exhaust the stack.
    pub fn scrub(&self, value: &mut Value) {
        if self.0.is_empty() {
            return;
        }
        let mut pending = vec![value];
        while let Some(value) = pending.pop() {
            match value {
                Value::String(s) => self.scrub_text(s),
                Value::Array(items) => pending.extend(items.iter_mut()),
                Value::Object(map) => {
                    if map.keys().any(|k| self.0.iter().any(|(secret, _)| k.contains(secret.as_str()))) {
                        let entries = std::mem::take(map);
                        for (mut key, v) in entries {
                            self.scrub_text(&mut key);
                            map.insert(key, v);
                        }
                    }
                    pending.extend(map.values_mut());
                }
                _ => {}
            }
        }
    }

    fn scrub_text(&self, text: &mut String) {
        for (secret, masked) in &self.0 {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), masked);
            }
        }
    }
}

impl Access {
    /// How the caller sees the value at `path` read from a record of `form`: the most
    /// closed mode along the path (`customer.mobile` is masked where either the relation
    /// or the customer's mobile is). `old.` (a value before an update) reads like the field.
    /// Paths that are not fields (an aggregate's text, `$user.…`) are visible.
    pub fn path_mode(&self, bundle: &Bundle, form: &Form, path: &str) -> Mode {
        self.path_mode_and_mask(bundle, form, path).0
    }

    /// `path_mode`, and the mask of the field the path ends at.
    fn path_mode_and_mask(&self, bundle: &Bundle, form: &Form, path: &str) -> (Mode, Mask) {
        let path = path.strip_prefix("old.").unwrap_or(path);
        if path.contains('(') || path.starts_with('$') {
            return (Mode::Visible, Mask::Text);
        }
        let (mut form, mut access, mut worst, mut mask) = (form, Some(self), Mode::Visible, Mask::Text);
        for segment in path.split('.') {
            let Some(field) = form.field(segment) else { break };
            mask = Mask::of(&field.kind);
            let mode = match access {
                Some(a) if !a.allows("read") => Mode::Hidden,
                Some(a) => a.mode(segment),
                None => Mode::Visible,
            };
            worst = worst.max(mode);
            let FieldType::Relation { form: target, .. } = &field.kind else { break };
            let Some(next) = bundle.form(target) else { break };
            access = self.to_form(target);
            form = next;
        }
        (worst, mask)
    }

    /// Whether the caller sees every one of `paths` (read from a record of `form`) in
    /// clear. What is derived from a value they do not (when a rule that read it fired, a
    /// message it sent) is withheld from them like the value.
    pub fn sees_in_clear<'a>(&self, bundle: &Bundle, form: &Form, mut paths: impl Iterator<Item = &'a String>) -> bool {
        paths.all(|path| self.path_mode(bundle, form, path).in_clear())
    }

    /// Values keyed by field path, as the caller may see them: hidden ones removed, masked
    /// ones masked as their field's type says, their clear texts added to `secrets`.
    pub fn shape_paths(&self, bundle: &Bundle, form: &Form, values: &mut Map<String, Value>, secrets: &mut Secrets) {
        values.retain(|path, value| {
            let (mode, mask) = self.path_mode_and_mask(bundle, form, path);
            let year = mode == Mode::YearOnly;
            match mode {
                Mode::Hidden => {
                    secrets.add(value, mask, year);
                    false
                }
                Mode::Masked | Mode::YearOnly => {
                    secrets.add(value, mask, year);
                    *value = mask.apply(value, year);
                    true
                }
                Mode::Visible | Mode::ReadOnly => true,
            }
        });
    }

    /// A record as the caller may see it (`shape`), the clear texts of what was hidden or
    /// masked added to `secrets`.
    pub fn shape_collecting(&self, record: &mut Map<String, Value>, secrets: &mut Secrets) {
        for (field, mode) in &self.fields {
            if !mode.in_clear()
                && let Some(value) = record.get(field)
            {
                secrets.add(value, self.mask_of(field), *mode == Mode::YearOnly);
            }
        }
        if let Some(Value::Object(lookups)) = record.get("_lookup") {
            for (relation, target) in &self.lookups {
                let Some(Value::Object(fields)) = lookups.get(relation) else { continue };
                let related = self.to_form(target);
                for (key, value) in fields {
                    let closed = !self.mode(relation).in_clear() || related.is_some_and(|a| !a.mode(key).in_clear());
                    if closed {
                        // A lookup value that is withheld reads `****` wherever it appears.
                        secrets.add(value, related.map_or(Mask::Whole, |a| a.mask_of(key)), false);
                    }
                }
            }
        }
        self.shape(record);
    }
}
