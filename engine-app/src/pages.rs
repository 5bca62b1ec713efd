//! Record pages (`pages/*.json`): how a form's record is shown whole, a customer 360 for
//! instance. A page names its form, the summary figures at its top (expressions on the
//! record, aggregates over related records included) and its sections: related records of
//! another form (with their columns, order and how many), or the record's open tasks,
//! processes and alerts. Checked against the forms; the server assembles a page for a
//! reader within their roles (`GET …/pages/{page}/records/{id}`).

use std::collections::HashSet;

use engine_form::{Bundle, Diagnostic, FieldType, Form, FormSchema, Labels};
use engine_rule::Expr;
use serde_json::Value;

/// The most rows a section shows.
pub const MAX_SECTION_ROWS: u32 = 100;

/// A checked record page.
#[derive(Debug, Clone)]
pub struct Page {
    pub key: String,
    pub form: String,
    pub label: Labels,
    pub summary: Vec<Figure>,
    pub sections: Vec<Section>,
}

/// A figure at the top of a page: an expression on the record (`sum(wealth_holding,
/// amount, status == 'holding')`), shown at `scale` places when it is a number.
#[derive(Debug, Clone)]
pub struct Figure {
    pub key: String,
    pub label: Labels,
    pub expression: Expr,
    pub text: String,
    pub scale: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub key: String,
    pub label: Labels,
    pub source: Source,
}

/// What a section lists.
#[derive(Debug, Clone)]
pub enum Source {
    /// The records of `form` whose relation field `via` points at the page's record.
    Related { form: String, via: String, columns: Vec<String>, sort: Vec<(String, bool)>, limit: u32 },
    /// The record's open tasks.
    Tasks,
    /// The processes about the record.
    Processes,
    /// The rules that fired on the record.
    Alerts,
    /// The messages sent about the record (by rules and process steps) and how they went.
    Messages,
}

fn labels(value: Option<&Value>) -> Option<Labels> {
    let map = value?.as_object()?;
    let labels: Labels = map.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect();
    (!labels.is_empty() && labels.len() == map.len()).then_some(labels)
}

pub(crate) fn check_pages(doc: &Value, bundle: &Bundle, diags: &mut Vec<Diagnostic>) -> Vec<Page> {
    let mut pages = Vec::new();
    let mut keys = HashSet::new();
    for (i, raw) in doc.get("pages").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let mut at = Checker { base: format!("/pages/{i}"), diags: &mut *diags };
        let key = raw.get("key").and_then(Value::as_str).unwrap_or("");
        if !crate::is_key(key) {
            at.push("/key", "bad_key", "a page's key is a lower-case identifier");
        } else if !keys.insert(key.to_owned()) {
            at.push("/key", "duplicate", format!("two pages are called `{key}`"));
        }
        let label = labels(raw.get("label")).unwrap_or_else(|| {
            at.push("/label", "bad_label", "a page's label is a text by language: {\"zh-CN\": …, \"en\": …}");
            Labels::new()
        });
        let form_key = raw.get("form").and_then(Value::as_str).unwrap_or("");
        let Some(form) = bundle.form(form_key) else {
            at.push("/form", "unknown_form", format!("there is no form `{form_key}`"));
            continue;
        };
        let summary = at.figures(raw.get("summary"), bundle, form);
        let sections = at.sections(raw.get("sections"), bundle, form);
        pages.push(Page { key: key.to_owned(), form: form.key.clone(), label, summary, sections });
    }
    pages
}

struct Checker<'d> {
    base: String,
    diags: &'d mut Vec<Diagnostic>,
}

impl Checker<'_> {
    fn push(&mut self, path: &str, code: &'static str, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(format!("{}{path}", self.base), code, message));
    }

    fn entries<'v>(&mut self, value: Option<&'v Value>, path: &str) -> Vec<(String, &'v Value, String, Labels)> {
        let mut out = Vec::new();
        let mut keys = HashSet::new();
        for (i, raw) in value.and_then(Value::as_array).into_iter().flatten().enumerate() {
            let at = format!("{path}/{i}");
            let key = raw.get("key").and_then(Value::as_str).unwrap_or("");
            if !crate::is_key(key) || !keys.insert(key.to_owned()) {
                self.push(&format!("{at}/key"), "bad_key", "each needs its own key, a lower-case identifier");
                continue;
            }
            let Some(label) = labels(raw.get("label")) else {
                self.push(&format!("{at}/label"), "bad_label", "a label is a text by language");
                continue;
            };
            out.push((at, raw, key.to_owned(), label));
        }
        out
    }

    fn figures(&mut self, value: Option<&Value>, bundle: &Bundle, form: &Form) -> Vec<Figure> {
        let mut figures = Vec::new();
        for (at, raw, key, label) in self.entries(value, "/summary") {
            let text = raw.get("expression").and_then(Value::as_str).unwrap_or("");
            let path = format!("{}{at}/expression", self.base);
            let checked = engine_rule::check_expression(&path, text, &FormSchema { bundle, form }, None);
            let scale = raw.get("scale").and_then(Value::as_u64).map(|s| s.min(10) as u32);
            match checked {
                Ok((expression, _)) => figures.push(Figure { key, label, expression, text: text.to_owned(), scale }),
                Err(found) => self.diags.extend(found),
            }
        }
        figures
    }

    fn sections(&mut self, value: Option<&Value>, bundle: &Bundle, form: &Form) -> Vec<Section> {
        let mut sections = Vec::new();
        for (at, raw, key, label) in self.entries(value, "/sections") {
            let source = match raw.get("kind").and_then(Value::as_str).unwrap_or("related") {
                "tasks" => Some(Source::Tasks),
                "processes" => Some(Source::Processes),
                "alerts" => Some(Source::Alerts),
                "messages" => Some(Source::Messages),
                "related" => self.related(&at, raw, bundle, form),
                other => {
                    let message =
                        format!("`{other}` is not a section kind: related, tasks, processes, alerts or messages");
                    self.push(&format!("{at}/kind"), "bad_kind", message);
                    None
                }
            };
            if let Some(source) = source {
                sections.push(Section { key, label, source });
            }
        }
        sections
    }

    fn related(&mut self, at: &str, raw: &Value, bundle: &Bundle, form: &Form) -> Option<Source> {
        let target_key = raw.get("form").and_then(Value::as_str).unwrap_or("");
        let Some(target) = bundle.form(target_key) else {
            self.push(&format!("{at}/form"), "unknown_form", format!("there is no form `{target_key}`"));
            return None;
        };
        let links: Vec<&str> = target
            .fields
            .iter()
            .filter(|f| matches!(&f.kind, FieldType::Relation { form: to, .. } if *to == form.key))
            .map(|f| f.key.as_str())
            .collect();
        let via = match raw.get("via").and_then(Value::as_str) {
            Some(via) if links.contains(&via) => via.to_owned(),
            None if links.len() == 1 => links[0].to_owned(),
            _ => {
                let message = format!(
                    "name the relation field of `{target_key}` that points at `{}` (one of: {})",
                    form.key,
                    links.join(", ")
                );
                self.push(&format!("{at}/via"), "bad_via", message);
                return None;
            }
        };
        let columns: Vec<String> = raw
            .get("columns")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        if columns.is_empty() {
            self.push(&format!("{at}/columns"), "bad_columns", "a section lists at least one column");
        }
        for (i, column) in columns.iter().enumerate() {
            if target.field(column).is_none() {
                self.push(
                    &format!("{at}/columns/{i}"),
                    "unknown_field",
                    format!("`{target_key}` has no field `{column}`"),
                );
            }
        }
        let mut sort = Vec::new();
        for name in raw.get("sort").and_then(Value::as_str).unwrap_or("").split(',').filter(|s| !s.is_empty()) {
            let (descending, field) = name.strip_prefix('-').map_or((false, name), |f| (true, f));
            match target.field(field) {
                Some(f) if f.kind.is_sortable() => sort.push((field.to_owned(), descending)),
                _ => self.push(
                    &format!("{at}/sort"),
                    "bad_sort",
                    format!("`{field}` is not a field of `{target_key}` to sort on"),
                ),
            }
        }
        let limit = raw.get("limit").and_then(Value::as_u64).unwrap_or(10);
        if !(1..=u64::from(MAX_SECTION_ROWS)).contains(&limit) {
            self.push(&format!("{at}/limit"), "bad_limit", format!("a section shows 1 to {MAX_SECTION_ROWS} rows"));
        }
        let limit = limit.clamp(1, u64::from(MAX_SECTION_ROWS)) as u32;
        Some(Source::Related { form: target.key.clone(), via, columns, sort, limit })
    }
}
