//! Shaping what a caller reads *about* records, beyond the records themselves: the values
//! a rule read (keyed by field path: `aum`, `old.aum`, `customer.mobile`), a history
//! entry's values before and after, what a task or message says. Hidden values go, masked
//! ones are masked, and the clear text of each is remembered ([`Secrets`]) so that the
//! same text is masked wherever else it appears in the answer: a task title written by a
//! rule may quote an ID number.

use engine_form::{Bundle, FieldType, Form};
use serde_json::{Map, Value};

use super::{Access, Mode, mask};

/// Clear texts the caller may not see, to be masked wherever they appear.
#[derive(Debug, Default)]
pub struct Secrets(Vec<String>);

/// Texts shorter than this are not searched for elsewhere: they would mask common words
/// and numbers that merely look alike.
const SHORTEST_SECRET: usize = 6;

impl Secrets {
    pub fn add(&mut self, value: &Value) {
        let text = match value {
            Value::Null => return,
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if text.chars().count() >= SHORTEST_SECRET && !self.0.contains(&text) {
            self.0.push(text);
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
                    if map.keys().any(|k| self.0.iter().any(|secret| k.contains(secret.as_str()))) {
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
        for secret in &self.0 {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), &mask(secret));
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
        let path = path.strip_prefix("old.").unwrap_or(path);
        if path.contains('(') || path.starts_with('$') {
            return Mode::Visible;
        }
        let (mut form, mut access, mut worst) = (form, Some(self), Mode::Visible);
        for segment in path.split('.') {
            let Some(field) = form.field(segment) else { break };
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
        worst
    }

    /// Values keyed by field path, as the caller may see them: hidden ones removed, masked
    /// ones masked, their clear texts added to `secrets`.
    pub fn shape_paths(&self, bundle: &Bundle, form: &Form, values: &mut Map<String, Value>, secrets: &mut Secrets) {
        values.retain(|path, value| match self.path_mode(bundle, form, path) {
            Mode::Hidden => {
                secrets.add(value);
                false
            }
            Mode::Masked => {
                secrets.add(value);
                if !value.is_null() {
                    *value = Value::String(mask(&super::value_text(value)));
                }
                true
            }
            Mode::Visible | Mode::ReadOnly => true,
        });
    }

    /// A record as the caller may see it (`shape`), the clear texts of what was hidden or
    /// masked added to `secrets`.
    pub fn shape_collecting(&self, record: &mut Map<String, Value>, secrets: &mut Secrets) {
        for (field, mode) in &self.fields {
            if *mode >= Mode::Masked
                && let Some(value) = record.get(field)
            {
                secrets.add(value);
            }
        }
        if let Some(Value::Object(lookups)) = record.get("_lookup") {
            for (relation, target) in &self.lookups {
                let Some(Value::Object(fields)) = lookups.get(relation) else { continue };
                let related = self.to_form(target);
                for (key, value) in fields {
                    let closed =
                        self.mode(relation) >= Mode::Masked || related.is_some_and(|a| a.mode(key) >= Mode::Masked);
                    if closed {
                        secrets.add(value);
                    }
                }
            }
        }
        self.shape(record);
    }
}
