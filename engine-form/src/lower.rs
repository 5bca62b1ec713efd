//! Turns a bundle's JSON into the checked model, collecting every diagnostic on the way:
//! first the JSON Schema (shape), then the meaning (types, bounds, references, duplicates).

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use serde_json::Value;

use crate::diagnostic::{Diagnostic, join};
use crate::formula::{FormFields, ResultType, zoneless_today};
use crate::model::{Bundle, Field, FieldType, Form, Labels, SelectOption, TextKind, Validation};
use crate::record::{check_value, parse_date, parse_decimal};
use crate::schema::check_bundle_shape;

const DEFAULT_MAX_FILE_SIZE: u64 = 20 * 1024 * 1024;
const LARGEST_MAX_FILE_SIZE: u64 = 100 * 1024 * 1024;
const DEFAULT_PRECISION: u32 = 18;
/// Field keys that would collide with the members the server adds to a record.
const RESERVED_KEYS: [&str; 1] = ["id"];

#[derive(Deserialize)]
struct RawBundle {
    key: String,
    name: Labels,
    #[serde(default)]
    forms: Vec<Value>,
    #[serde(default)]
    calendars: Vec<Value>,
    #[serde(default)]
    decisions: Vec<Value>,
}

#[derive(Deserialize)]
struct RawForm {
    key: String,
    label: Labels,
    title_field: Option<String>,
    fields: Vec<RawField>,
    #[serde(default)]
    validations: Vec<RawValidation>,
}

#[derive(Deserialize)]
struct RawValidation {
    key: String,
    condition: String,
    message: Labels,
    field: Option<String>,
}

#[derive(Deserialize)]
struct RawOption {
    value: String,
    label: Labels,
}

#[derive(Deserialize)]
struct RawField {
    key: String,
    #[serde(rename = "type")]
    kind: String,
    label: Labels,
    help: Option<Labels>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    unique: bool,
    #[serde(default)]
    index: bool,
    #[serde(default)]
    personal_data: bool,
    default: Option<Value>,
    min: Option<Value>,
    max: Option<Value>,
    min_length: Option<u32>,
    max_length: Option<u32>,
    pattern: Option<String>,
    precision: Option<u32>,
    scale: Option<u32>,
    currency: Option<String>,
    options: Option<Vec<RawOption>>,
    form: Option<String>,
    lookup: Option<Vec<String>>,
    fields: Option<Vec<RawField>>,
    max_files: Option<u32>,
    max_size: Option<u64>,
    accept: Option<Vec<String>>,
    expression: Option<String>,
    visible_when: Option<String>,
    result_type: Option<String>,
}

/// Parses and checks a whole app bundle. On failure, returns every diagnostic found.
pub fn parse_bundle(doc: &Value) -> Result<Bundle, Vec<Diagnostic>> {
    let mut diags = check_bundle_shape(doc);
    if !diags.is_empty() && !doc.is_object() {
        return Err(diags);
    }
    let raw: RawBundle = match serde_json::from_value(doc.clone()) {
        Ok(raw) => raw,
        Err(e) => {
            if diags.is_empty() {
                diags.push(Diagnostic::new("", "schema", e.to_string()));
            }
            return Err(diags);
        }
    };
    // Forms whose shape is broken are skipped for the semantic pass; their schema
    // diagnostics are already listed.
    let mut raw_forms: Vec<(String, RawForm)> = Vec::new();
    for (i, form) in raw.forms.iter().enumerate() {
        let path = join("/forms", i);
        match serde_json::from_value::<RawForm>(form.clone()) {
            Ok(f) => raw_forms.push((path, f)),
            Err(e) if !diags.iter().any(|d| d.path.starts_with(&path)) => {
                diags.push(Diagnostic::new(path, "schema", e.to_string()));
            }
            Err(_) => {}
        }
    }
    let mut seen = HashSet::new();
    for (path, form) in &raw_forms {
        if !seen.insert(form.key.as_str()) {
            diags.push(Diagnostic::new(
                join(path, "key"),
                "duplicate_key",
                format!("another form is already named `{}`", form.key),
            ));
        }
    }
    let schema_count = diags.len();
    let mut calendars = engine_rule::Calendars::new();
    for (i, doc) in raw.calendars.iter().enumerate() {
        let path = join("/calendars", i);
        match engine_rule::parse_calendar(doc) {
            Ok((key, _)) if calendars.contains_key(&key) => diags.push(Diagnostic::new(
                join(&path, "key"),
                "duplicate_key",
                format!("another calendar is already named `{key}`"),
            )),
            Ok((key, calendar)) => {
                calendars.insert(key, calendar);
            }
            Err(problems) => diags
                .extend(problems.into_iter().map(|d| Diagnostic::new(format!("{path}{}", d.path), d.code, d.message))),
        }
    }
    let catalog: BTreeMap<&str, &RawForm> = raw_forms.iter().map(|(_, f)| (f.key.as_str(), f)).collect();
    let decisions = formula_decisions(&raw.decisions, &catalog, &calendars);
    let mut forms = Vec::new();
    for (path, raw_form) in &raw_forms {
        let mut lowerer = Lowerer {
            catalog: &catalog,
            calendars: &calendars,
            decisions: &decisions,
            form: raw_form.key.clone(),
            diags: &mut diags,
        };
        if let Some(form) = lowerer.form(path, raw_form) {
            forms.push(form);
        }
    }
    // A location the schema already reported is not reported twice.
    let shape_paths: HashSet<String> = diags[..schema_count].iter().map(|d| d.path.clone()).collect();
    let mut index = 0;
    diags.retain(|d| {
        index += 1;
        index <= schema_count || !shape_paths.contains(&d.path)
    });
    if diags.is_empty() { Ok(Bundle { key: raw.key, name: raw.name, forms, calendars }) } else { Err(diags) }
}

/// The decision tables formulas and conditions may read, by form: those that check
/// against the form's fields without its formulas (so no formula can reach itself through
/// a table) and that are one expression (`DecisionTable::as_expression`), which is written
/// into the formula in place of `table.output`. Their diagnostics are the server's to
/// report, with the rest of the app's decision tables.
fn formula_decisions(
    docs: &[Value],
    forms: &BTreeMap<&str, &RawForm>,
    calendars: &engine_rule::Calendars,
) -> Vec<(String, engine_rule::DecisionTable)> {
    let mut out = Vec::new();
    for doc in docs {
        let Some(form) = doc.get("form").and_then(Value::as_str).and_then(|f| forms.get(f)) else { continue };
        let mut table = doc.clone();
        if let Some(fields) = table.as_object_mut() {
            fields.remove("form");
        }
        let schema = FormFields { fields: readable(&form.fields), calendars, decisions: Vec::new() };
        if let Ok(parsed) = engine_rule::parse_table(&table, &schema) {
            out.push((form.key.clone(), parsed));
        }
    }
    out
}

/// The fields formulas and conditions read: all but formulas, sub-tables with their columns.
fn readable(fields: &[RawField]) -> Vec<crate::formula::ReadableField<'_>> {
    fields
        .iter()
        .filter(|f| f.kind != "formula")
        .map(|f| {
            let sub = f.fields.iter().flatten().map(|s| (s.key.as_str(), s.kind.as_str())).collect();
            (f.key.as_str(), f.kind.as_str(), sub)
        })
        .collect()
}

struct Lowerer<'a> {
    catalog: &'a BTreeMap<&'a str, &'a RawForm>,
    calendars: &'a engine_rule::Calendars,
    decisions: &'a [(String, engine_rule::DecisionTable)],
    /// The key of the form being lowered.
    form: String,
    diags: &'a mut Vec<Diagnostic>,
}

impl Lowerer<'_> {
    fn push(&mut self, path: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(path, code, message));
    }

    fn form(&mut self, path: &str, raw: &RawForm) -> Option<Form> {
        let fields = self.fields(&join(path, "fields"), &raw.fields, false);
        if let Some(title) = &raw.title_field {
            match raw.fields.iter().find(|f| &f.key == title) {
                None => {
                    self.push(join(path, "title_field"), "unknown_field", format!("the form has no field `{title}`"))
                }
                Some(f) if !matches!(f.kind.as_str(), "text" | "email" | "phone") => self.push(
                    join(path, "title_field"),
                    "bad_title_field",
                    format!("the title field must be a short text, `{title}` is {}", f.kind),
                ),
                Some(_) => {}
            }
        }
        let mut validations = Vec::new();
        for (i, v) in raw.validations.iter().enumerate() {
            let vpath = join(&join(path, "validations"), i);
            if raw.validations[..i].iter().any(|w| w.key == v.key) {
                self.push(
                    join(&vpath, "key"),
                    "duplicate_key",
                    format!("another validation is already named `{}`", v.key),
                );
            }
            if let Some(field) = &v.field
                && !raw.fields.iter().any(|f| &f.key == field)
            {
                self.push(join(&vpath, "field"), "unknown_field", format!("the form has no field `{field}`"));
            }
            if let Some(condition) = self.condition(&join(&vpath, "condition"), &v.condition, &raw.fields) {
                validations.push(Validation {
                    key: v.key.clone(),
                    condition,
                    message: v.message.clone(),
                    field: v.field.clone(),
                });
            }
        }
        Some(Form {
            key: raw.key.clone(),
            label: raw.label.clone(),
            title_field: raw.title_field.clone(),
            fields: fields?,
            validations,
        })
    }

    fn fields(&mut self, path: &str, raws: &[RawField], in_sub_table: bool) -> Option<Vec<Field>> {
        let mut seen = HashSet::new();
        let mut fields = Vec::new();
        let mut ok = true;
        for (i, raw) in raws.iter().enumerate() {
            let field_path = join(path, i);
            if !seen.insert(raw.key.as_str()) {
                self.push(
                    join(&field_path, "key"),
                    "duplicate_key",
                    format!("another field is already named `{}`", raw.key),
                );
                ok = false;
            }
            if RESERVED_KEYS.contains(&raw.key.as_str()) {
                self.push(
                    join(&field_path, "key"),
                    "reserved_key",
                    format!("`{}` is reserved for the record id", raw.key),
                );
                ok = false;
            }
            match self.field(&field_path, raw, in_sub_table, raws) {
                Some(f) => fields.push(f),
                None => ok = false,
            }
        }
        ok.then_some(fields)
    }

    fn field(&mut self, path: &str, raw: &RawField, in_sub_table: bool, siblings: &[RawField]) -> Option<Field> {
        let before = self.diags.len();
        self.check_applicable(path, raw);
        let kind = self.kind(path, raw, in_sub_table, siblings);
        let is_scalar =
            !matches!(raw.kind.as_str(), "multi_select" | "sub_table" | "attachment" | "formula" | "long_text");
        if raw.unique && (!is_scalar || raw.kind == "boolean") {
            self.push(join(path, "unique"), "not_applicable", format!("a {} field cannot be unique", raw.kind));
        }
        if raw.index && !is_scalar {
            self.push(join(path, "index"), "not_applicable", format!("a {} field cannot be indexed", raw.kind));
        }
        if raw.kind == "formula" && raw.required {
            self.push(join(path, "required"), "not_applicable", "a formula is computed; it cannot be required");
        }
        let kind = kind?;
        let mut field = Field {
            key: raw.key.clone(),
            label: raw.label.clone(),
            help: raw.help.clone(),
            required: raw.required,
            unique: raw.unique,
            index: raw.index,
            personal_data: raw.personal_data,
            default: None,
            visible_when: None,
            kind,
        };
        if let Some(text) = &raw.visible_when {
            if in_sub_table {
                self.push(join(path, "visible_when"), "not_applicable", "sub-table columns are always shown");
            } else if raw.kind == "formula" {
                self.push(join(path, "visible_when"), "not_applicable", "a formula is computed, never sent");
            } else if let Some(condition) = self.condition(&join(path, "visible_when"), text, siblings) {
                if reads(&condition, &raw.key) {
                    self.push(join(path, "visible_when"), "circular", "a field's visibility cannot depend on itself");
                } else {
                    field.visible_when = Some(condition);
                }
            }
        }
        if let Some(default) = &raw.default {
            if matches!(raw.kind.as_str(), "relation" | "sub_table" | "attachment" | "formula") {
                self.push(
                    join(path, "default"),
                    "not_applicable",
                    format!("a {} field cannot have a default", raw.kind),
                );
            } else {
                match check_value(&field, default, &join(path, "default")) {
                    Ok(v) => field.default = Some(v),
                    Err(errors) => {
                        for e in errors {
                            self.push(e.path, "bad_default", e.message);
                        }
                    }
                }
            }
        }
        (self.diags.len() == before).then_some(field)
    }

    /// Reports properties set on a field type they do not belong to, so a typo in the
    /// designer never passes silently.
    fn check_applicable(&mut self, path: &str, raw: &RawField) {
        let t = raw.kind.as_str();
        let text = matches!(t, "text" | "long_text" | "email" | "phone");
        let rules: [(&str, bool, bool); 14] = [
            ("min", raw.min.is_some(), matches!(t, "integer" | "decimal" | "date")),
            ("max", raw.max.is_some(), matches!(t, "integer" | "decimal" | "date")),
            ("min_length", raw.min_length.is_some(), text),
            ("max_length", raw.max_length.is_some(), text),
            ("pattern", raw.pattern.is_some(), text),
            ("precision", raw.precision.is_some(), t == "decimal"),
            ("scale", raw.scale.is_some(), t == "decimal"),
            ("currency", raw.currency.is_some(), t == "decimal"),
            ("options", raw.options.is_some(), matches!(t, "single_select" | "multi_select")),
            ("form", raw.form.is_some(), t == "relation"),
            ("lookup", raw.lookup.is_some(), t == "relation"),
            ("fields", raw.fields.is_some(), t == "sub_table"),
            ("expression", raw.expression.is_some() || raw.result_type.is_some(), t == "formula"),
            ("max_files", raw.max_files.is_some() || raw.max_size.is_some() || raw.accept.is_some(), t == "attachment"),
        ];
        for (name, set, applies) in rules {
            if set && !applies {
                self.push(join(path, name), "not_applicable", format!("`{name}` does not apply to a {t} field"));
            }
        }
    }

    fn kind(&mut self, path: &str, raw: &RawField, in_sub_table: bool, siblings: &[RawField]) -> Option<FieldType> {
        let t = raw.kind.as_str();
        Some(match t {
            "text" | "long_text" | "email" | "phone" => {
                let (kind, limit) = match t {
                    "text" => (TextKind::Text, 1_000),
                    "long_text" => (TextKind::LongText, 100_000),
                    "email" => (TextKind::Email, 254),
                    _ => (TextKind::Phone, 32),
                };
                let max_length = raw.max_length.unwrap_or(limit);
                if max_length > limit {
                    self.push(
                        join(path, "max_length"),
                        "out_of_range",
                        format!("a {t} holds at most {limit} characters"),
                    );
                }
                if let Some(min) = raw.min_length
                    && min > max_length
                {
                    self.push(join(path, "min_length"), "out_of_range", "min_length is larger than max_length");
                }
                let pattern = match &raw.pattern {
                    None => None,
                    Some(p) => match regex::RegexBuilder::new(&format!("^(?:{p})$")).size_limit(1 << 20).build() {
                        Ok(r) => Some(r),
                        Err(e) => {
                            self.push(
                                join(path, "pattern"),
                                "bad_pattern",
                                format!("not a valid regular expression: {e}"),
                            );
                            return None;
                        }
                    },
                };
                FieldType::Text { kind, min_length: raw.min_length, max_length, pattern }
            }
            "integer" => {
                let min = self.integer_bound(path, "min", raw.min.as_ref());
                let max = self.integer_bound(path, "max", raw.max.as_ref());
                self.check_order(path, min, max);
                FieldType::Integer { min, max }
            }
            "decimal" => {
                let Some(scale) = raw.scale else {
                    self.push(
                        join(path, "scale"),
                        "missing",
                        "a decimal field must declare its scale (digits after the point)",
                    );
                    return None;
                };
                let precision = raw.precision.unwrap_or(DEFAULT_PRECISION);
                if scale > precision {
                    self.push(
                        join(path, "scale"),
                        "out_of_range",
                        format!("scale {scale} exceeds precision {precision}"),
                    );
                    return None;
                }
                let min = self.decimal_bound(path, "min", raw.min.as_ref(), precision, scale);
                let max = self.decimal_bound(path, "max", raw.max.as_ref(), precision, scale);
                self.check_order(path, min, max);
                FieldType::Decimal { precision, scale, min, max, currency: raw.currency.clone() }
            }
            "boolean" => FieldType::Boolean,
            "date" => {
                let min = self.date_bound(path, "min", raw.min.as_ref());
                let max = self.date_bound(path, "max", raw.max.as_ref());
                self.check_order(path, min, max);
                FieldType::Date { min, max }
            }
            "datetime" => FieldType::DateTime,
            "single_select" | "multi_select" => {
                let options = self.options(path, raw.options.as_deref())?;
                if t == "single_select" {
                    FieldType::SingleSelect { options }
                } else {
                    FieldType::MultiSelect { options }
                }
            }
            "relation" => self.relation(path, raw)?,
            "sub_table" => {
                if in_sub_table {
                    self.push(join(path, "type"), "not_applicable", "a sub-table cannot contain another sub-table");
                    return None;
                }
                let Some(raws) = &raw.fields else {
                    self.push(join(path, "fields"), "missing", "a sub-table must declare its fields");
                    return None;
                };
                for (i, f) in raws.iter().enumerate() {
                    if f.kind == "formula" {
                        self.push(
                            join(&join(&join(path, "fields"), i), "type"),
                            "not_applicable",
                            "sub-table rows cannot hold formulas yet",
                        );
                    }
                }
                FieldType::SubTable { fields: self.fields(&join(path, "fields"), raws, true)? }
            }
            "attachment" => {
                let max_size = raw.max_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
                if max_size > LARGEST_MAX_FILE_SIZE {
                    self.push(
                        join(path, "max_size"),
                        "out_of_range",
                        format!("files are limited to {LARGEST_MAX_FILE_SIZE} bytes"),
                    );
                }
                FieldType::Attachment {
                    max_files: raw.max_files.unwrap_or(10),
                    max_size,
                    accept: raw.accept.clone().unwrap_or_default(),
                }
            }
            "formula" => self.formula(path, raw, siblings)?,
            other => {
                self.push(join(path, "type"), "unknown_type", format!("unknown field type `{other}`"));
                return None;
            }
        })
    }

    /// Parses a formula and checks it against the form's other fields (not other formulas,
    /// and `today()` only with a zone: `today_in(…)`); its type must fit `result_type`.
    fn formula(&mut self, path: &str, raw: &RawField, siblings: &[RawField]) -> Option<FieldType> {
        let (Some(expression), Some(result_name)) = (&raw.expression, &raw.result_type) else {
            self.push(join(path, "expression"), "missing", "a formula needs an expression and a result_type");
            return None;
        };
        let result = ResultType::parse(result_name)?;
        let (expr, t) = self.expression(&join(path, "expression"), expression, siblings)?;
        if !t.fits(&result.expr_type()) {
            self.push(
                join(path, "result_type"),
                "type_mismatch",
                format!("the expression gives {t}, not {result_name}"),
            );
            return None;
        }
        Some(FieldType::Formula { expression: expression.clone(), expr, result })
    }

    /// A condition (`visible_when`, a validation) over the form's fields.
    fn condition(&mut self, path: &str, text: &str, siblings: &[RawField]) -> Option<engine_rule::Expr> {
        let (expr, t) = self.expression(path, text, siblings)?;
        if !t.fits(&engine_rule::Type::Bool) {
            self.push(path, "type_mismatch", format!("a condition is true or false, not {t}"));
            return None;
        }
        Some(expr)
    }

    /// Parses an expression and checks it against the form's other fields (not its
    /// formulas, and `today()` only with a zone: `today_in(…)`), with every problem at
    /// `path`.
    fn expression(
        &mut self,
        path: &str,
        text: &str,
        siblings: &[RawField],
    ) -> Option<(engine_rule::Expr, engine_rule::Type)> {
        let at = |span: engine_rule::Span| format!(" (characters {}..{})", span.start, span.end);
        let expr = match engine_rule::parse(text) {
            Ok(expr) => expr,
            Err(e) => {
                self.push(path, "bad_expression", format!("{}{}", e.message, at(e.span)));
                return None;
            }
        };
        let decisions: Vec<&engine_rule::DecisionTable> =
            self.decisions.iter().filter(|(f, _)| *f == self.form).map(|(_, t)| t).collect();
        let readable = FormFields { fields: readable(siblings), calendars: self.calendars, decisions };
        let t = match engine_rule::check(&expr, &readable) {
            Err(errors) => {
                for e in errors {
                    self.push(path, "bad_expression", format!("{}{}", e.message, at(e.span)));
                }
                return None;
            }
            Ok(t) => t,
        };
        if let Some(call) = zoneless_today(&expr) {
            self.push(
                path,
                "bad_expression",
                format!("today() depends on a time zone; write today_in('Asia/Shanghai'){}", at(call.span)),
            );
            return None;
        }
        let expr = inline_decisions(expr, &readable.decisions);
        Some((expr, t))
    }

    fn relation(&mut self, path: &str, raw: &RawField) -> Option<FieldType> {
        let Some(target) = &raw.form else {
            self.push(join(path, "form"), "missing", "a relation must name the form it links to");
            return None;
        };
        let Some(target_form) = self.catalog.get(target.as_str()) else {
            self.push(join(path, "form"), "unknown_form", format!("the app has no form `{target}`"));
            return None;
        };
        let lookup = raw.lookup.clone().unwrap_or_default();
        for (i, key) in lookup.iter().enumerate() {
            match target_form.fields.iter().find(|f| &f.key == key) {
                None => self.push(
                    join(&join(path, "lookup"), i),
                    "unknown_field",
                    format!("form `{target}` has no field `{key}`"),
                ),
                Some(f) if matches!(f.kind.as_str(), "sub_table" | "attachment" | "formula" | "relation") => self.push(
                    join(&join(path, "lookup"), i),
                    "not_applicable",
                    format!("a {} field cannot be looked up", f.kind),
                ),
                Some(_) => {}
            }
        }
        Some(FieldType::Relation { form: target.clone(), lookup })
    }

    fn options(&mut self, path: &str, raws: Option<&[RawOption]>) -> Option<Vec<SelectOption>> {
        let Some(raws) = raws else {
            self.push(join(path, "options"), "missing", "a select field must list its options");
            return None;
        };
        let mut seen = HashSet::new();
        for (i, o) in raws.iter().enumerate() {
            if !seen.insert(o.value.as_str()) {
                self.push(
                    join(&join(&join(path, "options"), i), "value"),
                    "duplicate_key",
                    format!("option `{}` is listed twice", o.value),
                );
            }
        }
        Some(raws.iter().map(|o| SelectOption { value: o.value.clone(), label: o.label.clone() }).collect())
    }

    fn integer_bound(&mut self, path: &str, name: &str, raw: Option<&Value>) -> Option<i64> {
        let raw = raw?;
        let bound = raw.as_number().filter(|n| n.is_i64() || n.is_u64()).and_then(|n| n.as_i64());
        if bound.is_none() {
            self.push(join(path, name), "bad_bound", "expected a whole number");
        }
        bound
    }

    fn decimal_bound(
        &mut self,
        path: &str,
        name: &str,
        raw: Option<&Value>,
        precision: u32,
        scale: u32,
    ) -> Option<rust_decimal::Decimal> {
        match parse_decimal(raw?, precision, scale) {
            Ok(d) => Some(d),
            Err(message) => {
                self.push(join(path, name), "bad_bound", message);
                None
            }
        }
    }

    fn date_bound(&mut self, path: &str, name: &str, raw: Option<&Value>) -> Option<chrono::NaiveDate> {
        let bound = raw?.as_str().and_then(parse_date);
        if bound.is_none() {
            self.push(join(path, name), "bad_bound", "expected a date as YYYY-MM-DD");
        }
        bound
    }

    fn check_order<T: PartialOrd>(&mut self, path: &str, min: Option<T>, max: Option<T>) {
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            self.push(join(path, "min"), "out_of_range", "min is larger than max");
        }
    }
}

/// Whether `expr` reads the field `key` of its record.
fn reads(expr: &engine_rule::Expr, key: &str) -> bool {
    matches!(&expr.kind, engine_rule::ExprKind::Path(p) if p.len() == 1 && p[0] == key)
        || expr.children().into_iter().any(|c| reads(c, key))
}

/// `expr` with every decision table output it reads (`customer_tier.tier`) replaced by the
/// table as one expression over the record's fields.
fn inline_decisions(mut expr: engine_rule::Expr, tables: &[&engine_rule::DecisionTable]) -> engine_rule::Expr {
    if let engine_rule::ExprKind::Path(path) = &expr.kind
        && let [table, output] = &path[..]
        && let Some(inlined) = tables.iter().find(|t| t.key == *table).and_then(|t| t.as_expression(output))
    {
        return inlined;
    }
    for child in expr.children_mut() {
        let taken = std::mem::replace(child, engine_rule::Expr { kind: engine_rule::ExprKind::Null, span: child.span });
        *child = inline_decisions(taken, tables);
    }
    expr
}
