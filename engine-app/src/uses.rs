//! Where a field is read: every expression, lookup, column, sort, layout and role of an
//! app's bundle that names it (through relations and aggregates too), so deleting or
//! renaming it can be weighed first. Pure: a bundle document and a (form, field) in, the
//! places out, each at its JSON path.

use std::ops::Range;

use engine_rule::{Expr, ExprKind, Span};
use serde_json::{Value, json};

/// One place that reads the field.
#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    /// The JSON pointer of the text that reads it (`/rules/3/condition`).
    pub path: String,
    /// The metadata kind and the key of the document it is in.
    pub of: String,
    pub key: String,
    /// The text that reads it (an expression, a field key).
    pub text: String,
    /// Where in `text` the field is named (byte ranges), for a rename to rewrite; empty for
    /// a role's field mode (the field is the key it is kept under).
    pub names: Vec<Range<usize>>,
}

impl Use {
    pub fn to_json(&self) -> Value {
        let spans: Vec<[usize; 2]> = self.names.iter().map(|r| [r.start, r.end]).collect();
        json!({ "path": self.path, "of": self.of, "key": self.key, "text": self.text, "spans": spans })
    }
}

/// Properties whose texts are names or words, never field references.
const NOT_READ: [&str; 18] = [
    "key",
    "type",
    "label",
    "name",
    "help",
    "description",
    "id",
    "on",
    "event",
    "flow",
    "channel",
    "priority",
    "renamed_from",
    // A report's words: its operations, buckets and zones, and the measures it names.
    "op",
    "bucket",
    "zone",
    "by",
    "of",
];
const AGGREGATES: [&str; 5] = ["count", "sum", "avg", "min", "max"];

/// Every place of `bundle` that reads field `field` of form `form`.
pub fn uses(bundle: &Value, (form, field): (&str, &str)) -> Vec<Use> {
    let finder = Finder { bundle, target: (form, field) };
    let mut out = Vec::new();
    for kind in ["forms", "decisions", "rules", "roles", "flows", "pages", "reports"] {
        for (i, doc) in bundle.get(kind).and_then(Value::as_array).into_iter().flatten().enumerate() {
            let key = doc.get("key").and_then(Value::as_str).unwrap_or_default();
            let at = Place { of: kind, key, pointer: format!("/{kind}/{i}") };
            match kind {
                "roles" => finder.role(doc, &at, &mut out),
                _ => finder.value(doc, &at, finder.base(kind, doc), &mut out),
            }
        }
    }
    out
}

/// Whether `text` (an expression, a field key, a sort such as `-aum`), read on a record of
/// form `base`, reads field `field` of form `form` (a saved view's filter, columns, sort).
pub fn reads(bundle: &Value, base: &str, text: &str, (form, field): (&str, &str)) -> bool {
    let finder = Finder { bundle, target: (form, field) };
    engine_rule::parse(text).is_ok_and(|expr| finder.reads(&expr, base))
}

/// Where `text` (an expression, a field key), read on a record of form `base`, names field
/// `field` of form `form`: the byte ranges a rename rewrites.
pub fn names_in(bundle: &Value, base: &str, text: &str, (form, field): (&str, &str)) -> Vec<Range<usize>> {
    let finder = Finder { bundle, target: (form, field) };
    let Ok(expr) = engine_rule::parse(text) else { return Vec::new() };
    let mut spans = Vec::new();
    finder.spans(&expr, base, &mut spans);
    spans.into_iter().filter_map(|(span, i)| step_in(text, span, i)).collect()
}

struct Finder<'a> {
    bundle: &'a Value,
    target: (&'a str, &'a str),
}

struct Place<'a> {
    of: &'a str,
    key: &'a str,
    pointer: String,
}

impl Place<'_> {
    fn at(&self, step: &str) -> Place<'_> {
        Place {
            of: self.of,
            key: self.key,
            pointer: format!("{}/{}", self.pointer, step.replace('~', "~0").replace('/', "~1")),
        }
    }
}

impl<'a> Finder<'a> {
    /// The form a document's expressions are about.
    fn base(&self, kind: &str, doc: &'a Value) -> Option<&'a str> {
        let text = |v: Option<&'a Value>| v.and_then(Value::as_str);
        match kind {
            "forms" => text(doc.get("key")),
            "rules" => text(doc.get("trigger").and_then(|t| t.get("form"))),
            "flows" => text(doc.get("subject")),
            "reports" => text(doc.get("dataset").and_then(|d| d.get("form"))),
            _ => text(doc.get("form")),
        }
    }

    fn form(&self, key: &str) -> Option<&'a Value> {
        self.bundle.get("forms")?.as_array()?.iter().find(|f| f.get("key").and_then(Value::as_str) == Some(key))
    }

    fn field(&self, form: &str, key: &str) -> Option<&'a Value> {
        self.form(form)?.get("fields")?.as_array()?.iter().find(|f| f.get("key").and_then(Value::as_str) == Some(key))
    }

    /// Walks a document's values; a text is read against `base`. A section naming its own
    /// form (a page's related records) reads against that one; a relation's lookups
    /// against its target.
    fn value(&self, value: &'a Value, at: &Place<'_>, base: Option<&'a str>, out: &mut Vec<Use>) {
        match value {
            Value::String(text) => self.text(text, at, base, out),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.value(item, &at.at(&i.to_string()), base, out);
                }
            }
            Value::Object(map) => {
                self.set_keys(map, at, base, out);
                let named = map.get("form").and_then(Value::as_str).filter(|f| self.form(f).is_some());
                // A record a rule creates is of its `form`; its values read the rule's record.
                let creates = map.get("type").and_then(Value::as_str) == Some("create_record");
                let inner = if at.of == "forms" || creates { base } else { named.or(base) };
                for (k, v) in map {
                    if NOT_READ.contains(&k.as_str()) || k == "form" || k == "subject" {
                        continue;
                    }
                    let base = if k == "lookup" { named } else { inner };
                    self.value(v, &at.at(k), base, out);
                }
            }
            _ => {}
        }
    }

    /// A rule's action that writes fields, named by keys: `update_fields`' `set` (of the
    /// record it updates: the rule's, or the one its `record` relation path reaches) and
    /// `create_record`'s `values` (of its `form`).
    fn set_keys(
        &self,
        map: &'a serde_json::Map<String, Value>,
        at: &Place<'_>,
        base: Option<&'a str>,
        out: &mut Vec<Use>,
    ) {
        let (entry, form) = match map.get("type").and_then(Value::as_str) {
            Some("update_fields") => {
                let mut form = base.map(str::to_owned);
                for hop in map.get("record").and_then(Value::as_str).into_iter().flat_map(|p| p.split('.')) {
                    let target = form.as_deref().and_then(|f| self.field(f, hop.trim())).and_then(|f| f.get("form"));
                    form = target.and_then(Value::as_str).map(str::to_owned);
                }
                ("set", form)
            }
            Some("create_record") => ("values", map.get("form").and_then(Value::as_str).map(str::to_owned)),
            _ => return,
        };
        let Some(Value::Object(fields)) = map.get(entry) else { return };
        for key in fields.keys() {
            if form.as_deref() == Some(self.target.0) && key == self.target.1 {
                out.push(self.found(&at.at(entry).at(key), key));
            }
        }
    }

    /// A role: per form, its row rule and the fields it gives modes to.
    fn role(&self, doc: &'a Value, at: &Place<'_>, out: &mut Vec<Use>) {
        let forms = at.at("forms");
        for (form, grant) in doc.get("forms").and_then(Value::as_object).into_iter().flatten() {
            let here = forms.at(form);
            if let Some(rows) = grant.get("rows").and_then(Value::as_str) {
                self.text(rows, &here.at("rows"), Some(form), out);
            }
            for field in grant.get("fields").and_then(Value::as_object).into_iter().flatten().map(|(k, _)| k) {
                if (form.as_str(), field.as_str()) == self.target {
                    out.push(self.found(&here.at("fields").at(field), field));
                }
            }
        }
    }

    fn found(&self, at: &Place<'_>, text: &str) -> Use {
        Use {
            path: at.pointer.clone(),
            of: at.of.to_owned(),
            key: at.key.to_owned(),
            text: text.to_owned(),
            names: Vec::new(),
        }
    }

    /// A text that parses as an expression (a field key is one) and reads the field.
    fn text(&self, text: &str, at: &Place<'_>, base: Option<&str>, out: &mut Vec<Use>) {
        let (Some(base), Ok(expr)) = (base, engine_rule::parse(text)) else { return };
        let mut spans = Vec::new();
        self.spans(&expr, base, &mut spans);
        if !spans.is_empty() {
            let names = spans.into_iter().filter_map(|(span, i)| step_in(text, span, i)).collect();
            out.push(Use { names, ..self.found(at, text) });
        }
    }

    /// Whether `expr`, read on a record of `base`, reads the field.
    fn reads(&self, expr: &Expr, base: &str) -> bool {
        let mut at = Vec::new();
        self.spans(expr, base, &mut at);
        !at.is_empty()
    }

    /// Where in `expr`'s text, read on a record of `base`, the field is read: each path
    /// that reads it (its span) with the step that names it (`usize::MAX`: read through a
    /// relation left unnamed, no step to rewrite).
    pub(crate) fn spans(&self, expr: &Expr, base: &str, out: &mut Vec<(Span, usize)>) {
        match &expr.kind {
            ExprKind::Path(path) => out.extend(self.path(base, path).0.into_iter().map(|i| (expr.span, i))),
            // An aggregate's values are read on the rows it goes over.
            ExprKind::Call(name, args) if AGGREGATES.contains(&name.as_str()) && args.len() > 1 => {
                let rows = match &args[0].kind {
                    ExprKind::Path(path) => {
                        let (hits, rows) = self.path(base, path);
                        out.extend(hits.into_iter().map(|i| (args[0].span, i)));
                        rows
                    }
                    _ => {
                        self.spans(&args[0], base, out);
                        None
                    }
                };
                let inner = rows.unwrap_or_else(|| base.to_owned());
                for arg in &args[1..] {
                    self.spans(arg, &inner, out);
                }
            }
            _ => {
                for child in expr.children() {
                    self.spans(child, base, out);
                }
            }
        }
    }

    /// Which steps of a path read on `form` are the field, and the form it ends on
    /// when it names related rows (`transaction`, `customer.transaction`).
    fn path(&self, form: &str, path: &[String]) -> (Vec<usize>, Option<String>) {
        let mut form = form.to_owned();
        let mut steps = path.iter().enumerate().peekable();
        // `old.aum` reads the record before the change.
        if steps.peek().is_some_and(|(_, s)| *s == "old") {
            steps.next();
        }
        let mut hits = Vec::new();
        while let Some((i, step)) = steps.next() {
            if (form.as_str(), step.as_str()) == self.target {
                hits.push(i);
            }
            match self.field(&form, step) {
                Some(field) => match field.get("form").and_then(Value::as_str) {
                    Some(target) if field.get("type").and_then(Value::as_str) == Some("relation") => {
                        form = target.to_owned()
                    }
                    _ => return (hits, None),
                },
                // The rows of another form that relate to this one, by the named relation
                // (`transaction.customer`) or the only one.
                None if self.form(step).is_some() => {
                    let relation = steps
                        .peek()
                        .filter(|(_, next)| self.field(step, next).is_some())
                        .map(|(j, next)| (*j, next.to_string()));
                    if let Some((j, relation)) = &relation {
                        steps.next();
                        if (step.as_str(), relation.as_str()) == self.target {
                            hits.push(*j);
                        }
                    } else if self.target.0 == step && self.relations(step, &form).any(|r| r == self.target.1) {
                        // Read through the only relation, unnamed: no text to rewrite.
                        hits.push(usize::MAX);
                    }
                    form = step.clone();
                    if steps.peek().is_none() {
                        return (hits, Some(form));
                    }
                }
                None => return (hits, None),
            }
        }
        (hits, None)
    }

    /// The relation fields of `form` that point at `to`.
    fn relations<'b>(&'b self, form: &str, to: &'b str) -> impl Iterator<Item = &'b str> + 'b {
        self.form(form)
            .and_then(|f| f.get("fields"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(move |f| f.get("form").and_then(Value::as_str) == Some(to))
            .filter_map(|f| f.get("key").and_then(Value::as_str))
    }
}

/// The byte range of step `i` of the path spelled at `span` in `text` (`customer . aum`:
/// step 1 is `aum`); none for a relation read without being named.
fn step_in(text: &str, span: Span, i: usize) -> Option<Range<usize>> {
    let spelled = text.get(span.start..span.end)?;
    let mut names = Vec::new();
    let mut start = None;
    for (at, c) in spelled.char_indices().chain([(spelled.len(), ' ')]) {
        let part = c.is_ascii_alphanumeric() || c == '_' || c == '$';
        match (part, start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                names.push(span.start + from..span.start + at);
                start = None;
            }
            _ => {}
        }
    }
    names.into_iter().nth(i)
}
