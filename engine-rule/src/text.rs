//! Texts people read — a task's title, a message — written as one expression or as one per
//! language: `{"zh-CN": "'生日问候：' & name", "en": "'Birthday call: ' & name"}`. The
//! first written is the text for a reader whose language has none; a reader's language
//! picks among the rest. Computed, they are a default text and its translations.

use serde_json::{Map, Value as Json};

use crate::diagnostic::Diags;
use crate::expr::ast::Expr;
use crate::expr::check::Schema;
use crate::expr::types::Type;
use crate::expr::value::Value;

/// The languages texts may be given in.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

/// A text as declared: expressions by language, or one expression for everyone
/// (its language empty).
#[derive(Debug, Clone)]
pub struct TextSpec(Vec<(String, Expr)>);

/// A computed text: what readers of any language see, and the text in each language given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Texts {
    pub text: String,
    /// Empty for a text written once.
    pub translations: Map<String, Json>,
}

impl TextSpec {
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.0.iter().map(|(_, e)| e)
    }

    pub fn evaluate<E>(&self, eval: impl Fn(&Expr) -> Result<Value, E>) -> Result<Texts, E> {
        let mut texts = Texts::default();
        for (i, (language, expr)) in self.0.iter().enumerate() {
            let text = eval(expr)?.to_text();
            if i == 0 {
                texts.text = text.clone();
            }
            if !language.is_empty() {
                texts.translations.insert(language.clone(), Json::String(text));
            }
        }
        Ok(texts)
    }
}

/// The text for a reader of `language`: its translation, else the default.
pub fn in_language<'a>(text: &'a str, translations: &'a Map<String, Json>, language: Option<&str>) -> &'a str {
    language.and_then(|l| translations.get(l)).and_then(Json::as_str).unwrap_or(text)
}

/// Checks a text at `path`, for metadata other engines read (a process's task titles).
pub fn check_text(path: &str, raw: &Json, schema: &dyn Schema) -> Result<TextSpec, Vec<crate::Diagnostic>> {
    let mut diags = Diags(Vec::new());
    match diags.text(path, Some(raw), schema) {
        Some(text) if diags.0.is_empty() => Ok(text),
        _ => Err(diags.0),
    }
}

impl Diags {
    /// Checks a text at `path`: an expression, or an object of one per known language.
    pub fn text(&mut self, path: &str, raw: Option<&Json>, schema: &dyn Schema) -> Option<TextSpec> {
        let Some(Json::Object(by_language)) = raw else {
            return self.expr(path, raw, schema, Some(&Type::Text)).map(|e| TextSpec(vec![(String::new(), e)]));
        };
        if by_language.is_empty() {
            self.push(path, "missing", "a text in at least one language");
            return None;
        }
        let mut texts = Vec::new();
        for (language, text) in by_language {
            let here = format!("{path}/{language}");
            if !LANGUAGES.contains(&language.as_str()) {
                self.push(here, "unknown_language", format!("`{language}` is not one of {}", LANGUAGES.join(", ")));
                continue;
            }
            if let Some(expr) = self.expr(&here, Some(text), schema, Some(&Type::Text)) {
                texts.push((language.clone(), expr));
            }
        }
        (texts.len() == by_language.len()).then_some(TextSpec(texts))
    }
}
