//! Lowering one form: its fields (each checked for the properties of its type), its title
//! field and its validations.

use std::collections::HashSet;

use super::kind::reads;
use super::raw::{RawField, RawForm};
use super::{RESERVED_KEYS, Targets};
use crate::FieldType;
use crate::diagnostic::{Diagnostic, join};
use crate::model::{Field, Form, Validation};
use crate::record::check_value;

pub(super) struct Lowerer<'a> {
    pub catalog: &'a dyn Targets,
    pub calendars: &'a engine_rule::Calendars,
    pub decisions: &'a [(String, engine_rule::DecisionTable)],
    /// The key of the form being lowered.
    pub form: String,
    pub diags: &'a mut Vec<Diagnostic>,
}

impl Lowerer<'_> {
    pub(super) fn push(&mut self, path: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(path, code, message));
    }

    pub(super) fn form(&mut self, path: &str, raw: &RawForm) -> Option<Form> {
        let fields = self.fields(&join(path, "fields"), &raw.fields, false);
        for (key, named) in [("title_field", &raw.title_field), ("user_field", &raw.user_field)] {
            if let Some(named) = named {
                self.short_text_field(&join(path, key), key, named, &raw.fields);
            }
        }
        if let Some(named) = &raw.opt_out {
            match raw.fields.iter().find(|f| f.key == *named) {
                None => self.push(join(path, "opt_out"), "unknown_field", format!("the form has no field `{named}`")),
                Some(f) if f.kind != "boolean" => self.push(
                    join(path, "opt_out"),
                    "bad_opt_out",
                    format!("the opt-out field is a yes/no field, `{named}` is {}", f.kind),
                ),
                Some(_) => {}
            }
        }
        self.layout(&join(path, "layout"), raw);
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
            user_field: raw.user_field.clone(),
            opt_out: raw.opt_out.clone(),
            fields: fields?,
            validations,
        })
    }

    /// Checks a form's layout: tabs and sections named once each, a section on a tab the
    /// form has, naming fields of the form, each field in one section at most.
    fn layout(&mut self, path: &str, raw: &RawForm) {
        let layout = &raw.layout;
        for (kind, parts) in [("tabs", &layout.tabs), ("sections", &layout.sections)] {
            for (i, part) in parts.iter().enumerate() {
                if parts[..i].iter().any(|p| p.key == part.key) {
                    let message = format!("another of the form's {kind} is named `{}`", part.key);
                    self.push(join(&join(&join(path, kind), i), "key"), "duplicate_key", message);
                }
            }
        }
        let mut placed = HashSet::new();
        for (i, section) in layout.sections.iter().enumerate() {
            let at = join(&join(path, "sections"), i);
            if let Some(tab) = &section.tab
                && !layout.tabs.iter().any(|t| &t.key == tab)
            {
                self.push(join(&at, "tab"), "unknown_tab", format!("the form has no tab `{tab}`"));
            }
            for (j, field) in section.fields.iter().enumerate() {
                let field_at = join(&join(&at, "fields"), j);
                if !raw.fields.iter().any(|f| &f.key == field) {
                    self.push(field_at, "unknown_field", format!("the form has no field `{field}`"));
                } else if !placed.insert(field.as_str()) {
                    self.push(field_at, "duplicate_field", format!("`{field}` is in another section already"));
                }
            }
        }
    }

    /// Checks that the form property `property` (`title_field`, `user_field`) names a
    /// short text field of the form.
    fn short_text_field(&mut self, path: &str, property: &str, named: &str, fields: &[RawField]) {
        match fields.iter().find(|f| f.key == named) {
            None => self.push(path, "unknown_field", format!("the form has no field `{named}`")),
            Some(f) if !matches!(f.kind.as_str(), "text" | "email" | "phone") => self.push(
                path,
                if property == "title_field" { "bad_title_field" } else { "bad_user_field" },
                format!("the {} must be a short text, `{named}` is {}", property.replace('_', " "), f.kind),
            ),
            Some(_) => {}
        }
    }

    pub(super) fn fields(&mut self, path: &str, raws: &[RawField], in_sub_table: bool) -> Option<Vec<Field>> {
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
            renamed_from: None,
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
        self.prefill(path, raw, &field.kind);
        if let Some(from) = &raw.renamed_from {
            // A field of the form with that key again keeps that column (`plan_table`).
            if in_sub_table || from == &raw.key {
                let message = "names the other key a top-level field was published under";
                self.push(join(path, "renamed_from"), "bad_renamed_from", message);
            } else {
                field.renamed_from = Some(from.clone());
            }
        }
        (self.diags.len() == before).then_some(field)
    }

    /// Checks what a new record's form fills a field with (the browser app fills it): `now`
    /// for a date or an instant, `current_user` for a relation to a form of people (one
    /// with a `user_field`): the signed-in user's own record.
    fn prefill(&mut self, path: &str, raw: &RawField, kind: &FieldType) {
        let fits = match (raw.prefill.as_deref(), kind) {
            (None, _) => true,
            (Some("now"), FieldType::Date { .. } | FieldType::DateTime) => true,
            (Some("current_user"), FieldType::Relation { form, .. }) => self.catalog.user_field(form).is_some(),
            _ => false,
        };
        if !fits {
            let message = "`now` fills a date or an instant; `current_user` a relation to a form with a `user_field`";
            self.push(join(path, "prefill"), "bad_prefill", message);
        }
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
}
