//! Lowering a field's type: its parameters, bounds and options, relations (checked
//! against the forms they link to), formulas and conditions (checked expressions).

use std::collections::HashSet;

use serde_json::Value;

use super::form::Lowerer;
use super::raw::{RawField, RawOption};
use super::{DEFAULT_MAX_FILE_SIZE, DEFAULT_PRECISION, LARGEST_MAX_FILE_SIZE, readable};
use crate::diagnostic::join;
use crate::formula::{FormFields, ResultType, zoneless_today};
use crate::model::{FieldType, SelectOption, TextKind};
use crate::record::{parse_date, parse_decimal};

impl Lowerer<'_> {
    pub(super) fn kind(
        &mut self,
        path: &str,
        raw: &RawField,
        in_sub_table: bool,
        siblings: &[RawField],
    ) -> Option<FieldType> {
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
    pub(super) fn condition(&mut self, path: &str, text: &str, siblings: &[RawField]) -> Option<engine_rule::Expr> {
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
        let decisions: Vec<&engine_rule::DecisionTable> =
            self.decisions.iter().filter(|(f, _)| *f == self.form).map(|(_, t)| t).collect();
        let readable = FormFields { fields: readable(siblings), calendars: self.calendars, decisions };
        let (expr, t) = match engine_rule::check_expression(path, text, &readable, None) {
            Ok(checked) => checked,
            Err(found) => {
                self.diags.extend(found);
                return None;
            }
        };
        if let Some(call) = zoneless_today(&expr) {
            let message = "today() depends on a time zone; write today_in('Asia/Shanghai')";
            self.diags.push(engine_rule::Diagnostic::new(path, "zone_needed", message).at(call.span));
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
        if self.catalog.field_kind(target, "").is_none() {
            self.push(join(path, "form"), "unknown_form", format!("the app has no form `{target}`"));
            return None;
        }
        let lookup = raw.lookup.clone().unwrap_or_default();
        for (i, key) in lookup.iter().enumerate() {
            match self.catalog.field_kind(target, key).flatten() {
                None => self.push(
                    join(&join(path, "lookup"), i),
                    "unknown_field",
                    format!("form `{target}` has no field `{key}`"),
                ),
                Some(kind) if matches!(kind.as_str(), "sub_table" | "attachment" | "formula" | "relation") => self
                    .push(
                        join(&join(path, "lookup"), i),
                        "not_applicable",
                        format!("a {kind} field cannot be looked up"),
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
pub(super) fn reads(expr: &engine_rule::Expr, key: &str) -> bool {
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
