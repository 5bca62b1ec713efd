//! Reports (`reports/*.json`): each parsed by engine-report with its problems at their
//! paths, then checked against its dataset's form: the form exists, every dimension and
//! measure names one of its fields, buckets are of dates or instants, and sums, averages
//! and extremes are of numbers.

use engine_form::{Bundle, Diagnostic, FieldType};
use engine_report::{Op, Report, parse_report};
use serde_json::Value;

pub fn check_reports(doc: &Value, bundle: &Bundle, diags: &mut Vec<Diagnostic>) -> Vec<Report> {
    let mut reports = Vec::new();
    for (i, raw) in doc.get("reports").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let at = format!("/reports/{i}");
        let report = match parse_report(raw, &at) {
            Ok(r) => r,
            Err(found) => {
                diags.extend(found);
                continue;
            }
        };
        let before = diags.len();
        if reports.iter().any(|r: &Report| r.key == report.key) {
            diags.push(Diagnostic::new(
                format!("{at}/key"),
                "duplicate",
                format!("two reports are called `{}`", report.key),
            ));
        }
        let Some(form) = bundle.form(&report.dataset.form) else {
            let message = format!("there is no form `{}`", report.dataset.form);
            diags.push(Diagnostic::new(format!("{at}/dataset/form"), "unknown_form", message));
            continue;
        };
        let mut field = |path: String, key: &str, fits: &dyn Fn(&FieldType) -> bool, wants: &str| match form.field(key)
        {
            None => {
                diags.push(Diagnostic::new(path, "unknown_field", format!("form `{}` has no field `{key}`", form.key)))
            }
            Some(f) if !fits(&f.kind) => {
                diags.push(Diagnostic::new(path, "wrong_type", format!("`{key}` is no {wants}")))
            }
            Some(_) => {}
        };
        let any = |_: &FieldType| true;
        let dated = |k: &FieldType| matches!(k, FieldType::Date { .. } | FieldType::DateTime);
        let number = |k: &FieldType| matches!(k, FieldType::Integer { .. } | FieldType::Decimal { .. });
        for (d, dim) in report.dimensions.iter().enumerate() {
            let path = format!("{at}/dimensions/{d}/field");
            if dim.bucket.is_some() {
                field(path, &dim.field, &dated, "date or instant")
            } else {
                field(path, &dim.field, &any, "")
            }
        }
        for (m, measure) in report.measures.iter().enumerate() {
            let Some(key) = &measure.field else { continue };
            let path = format!("{at}/measures/{m}/field");
            match measure.op {
                Op::Sum | Op::Avg | Op::Min | Op::Max => field(path, key, &number, "number"),
                _ => field(path, key, &any, ""),
            }
        }
        if diags.len() == before {
            reports.push(report);
        }
    }
    reports
}
