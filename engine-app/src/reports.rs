//! Reports (`reports/*.json`) and dashboards (`dashboards/*.json`). A report is parsed by
//! engine-report with its problems at their paths, then checked against its dataset's
//! form: the form exists, every column it reads is a field of the form or of a record its
//! relations reach, buckets are of dates or instants, sums, averages and extremes of
//! numbers, its filter a condition on the form and its parameters of the form's own
//! fields that can be filtered on. A dashboard's cards name reports of the app, its roles
//! roles of the app.

use std::borrow::Cow;

use engine_form::{Bundle, Diagnostic, Field, FieldType, Form, FormSchema, ResultType};
use engine_report::{Calculated, Dashboard, Op, Report, parse_dashboard, parse_report};
use engine_rule::Type;
use serde_json::Value;

/// The field a dataset column names: `key`, or `relation.key` through relation fields.
pub fn resolve<'b>(bundle: &'b Bundle, form: &'b Form, path: &str) -> Result<&'b Field, String> {
    let mut form = form;
    let mut segments = path.split('.').peekable();
    while let Some(key) = segments.next() {
        let field = form.field(key).ok_or_else(|| format!("form `{}` has no field `{key}`", form.key))?;
        if segments.peek().is_none() {
            return Ok(field);
        }
        let FieldType::Relation { form: target, .. } = &field.kind else {
            return Err(format!("`{key}` of form `{}` is no relation to read through", form.key));
        };
        form = bundle.form(target).ok_or_else(|| format!("there is no form `{target}`"))?;
    }
    Err("an empty field path".to_owned())
}

/// The bundle and form a report's dataset reads: a form of the app, or a platform dataset
/// (its own bundle); with calculated columns, the form with each as a formula field (one
/// that does not check left out: `check_reports` says why).
pub fn dataset<'b>(bundle: &'b Bundle, report: &Report) -> Option<(&'b Bundle, Cow<'b, Form>)> {
    let (bundle, form) = base(bundle, report)?;
    if report.dataset.columns.is_empty() {
        return Some((bundle, Cow::Borrowed(form)));
    }
    let mut with = form.clone();
    for (c, column) in report.dataset.columns.iter().enumerate() {
        if let Ok(field) = calculated(bundle, form, column, &format!("/dataset/columns/{c}")) {
            with.fields.push(field);
        }
    }
    Some((bundle, Cow::Owned(with)))
}

/// The dataset's own form, without calculated columns.
pub fn base<'b>(bundle: &'b Bundle, report: &Report) -> Option<(&'b Bundle, &'b Form)> {
    match report.dataset.platform {
        Some(platform) => Some((engine_report::platform_bundle(), platform.form())),
        None => bundle.form(&report.dataset.form).map(|f| (bundle, f)),
    }
}

/// A calculated column as a formula field of `form`: its expression checked against the
/// form (fields, and through relations related records' fields) to give its type; an
/// aggregate over related records is refused (a column is a value of each row).
pub fn calculated(bundle: &Bundle, form: &Form, column: &Calculated, at: &str) -> Result<Field, Vec<Diagnostic>> {
    let result = ResultType::parse(&column.result).ok_or_else(|| {
        let message =
            format!("`{}` is no column type: text, integer, decimal, boolean, date or datetime", column.result);
        vec![Diagnostic::new(format!("{at}/type"), "unknown_type", message)]
    })?;
    if form.field(&column.key).is_some() {
        let message = format!("form `{}` has a field `{}` already", form.key, column.key);
        return Err(vec![Diagnostic::new(format!("{at}/key"), "duplicate", message)]);
    }
    let schema = FormSchema { bundle, form };
    let path = format!("{at}/expression");
    let (expr, _) = engine_rule::check_expression(&path, &column.expression, &schema, Some(&result.expr_type()))?;
    if aggregates(&expr) {
        let message = "a calculated column is a value of each row: aggregate in the report's measures instead";
        return Err(vec![Diagnostic::new(path, "aggregate", message)]);
    }
    let label = column.label.as_ref().and_then(|l| serde_json::from_value(l.clone()).ok()).unwrap_or_else(|| {
        [("zh-CN".to_owned(), column.key.clone()), ("en".to_owned(), column.key.clone())].into_iter().collect()
    });
    Ok(Field {
        key: column.key.clone(),
        label,
        help: None,
        required: false,
        unique: false,
        index: false,
        personal_data: false,
        default: None,
        visible_when: None,
        renamed_from: None,
        kind: FieldType::Formula { expression: column.expression.clone(), expr, result },
    })
}

fn aggregates(expr: &engine_rule::Expr) -> bool {
    let named =
        matches!(&expr.kind, engine_rule::ExprKind::Call(name, _) if engine_rule::Aggregate::named(name).is_some());
    named || expr.children().into_iter().any(aggregates)
}

fn numeric(kind: &FieldType) -> bool {
    use engine_form::ResultType as R;
    match kind {
        FieldType::Integer { .. } | FieldType::Decimal { .. } => true,
        FieldType::Formula { result, .. } => matches!(result, R::Integer | R::Decimal),
        _ => false,
    }
}

fn dated(kind: &FieldType) -> bool {
    use engine_form::ResultType as R;
    match kind {
        FieldType::Date { .. } | FieldType::DateTime => true,
        FieldType::Formula { result, .. } => matches!(result, R::Date | R::DateTime),
        _ => false,
    }
}

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
            let message = format!("two reports are called `{}`", report.key);
            diags.push(Diagnostic::new(format!("{at}/key"), "duplicate", message));
        }
        let Some((bundle, own)) = base(bundle, &report) else {
            let message = format!("there is no form `{}`", report.dataset.form);
            diags.push(Diagnostic::new(format!("{at}/dataset/form"), "unknown_form", message));
            continue;
        };
        let mut form = own.clone();
        for (c, column) in report.dataset.columns.iter().enumerate() {
            match calculated(bundle, own, column, &format!("{at}/dataset/columns/{c}")) {
                Ok(field) if form.field(&field.key).is_some() => {
                    let message = format!("two columns are called `{}`", field.key);
                    diags.push(Diagnostic::new(format!("{at}/dataset/columns/{c}/key"), "duplicate", message));
                }
                Ok(field) => form.fields.push(field),
                Err(found) => diags.extend(found),
            }
        }
        check_columns(&report, &at, bundle, &form, diags);
        // The filter is the database's: of the form's own fields, not calculated columns.
        if let Some(text) = &report.filter {
            let schema = FormSchema { bundle, form: own };
            if let Err(found) = engine_rule::check_expression(&format!("{at}/filter"), text, &schema, Some(&Type::Bool))
            {
                diags.extend(found);
            }
        }
        if diags.len() == before {
            reports.push(report);
        }
    }
    reports
}

/// Every column the report reads, each a field of the right type at its path.
fn check_columns(report: &Report, at: &str, bundle: &Bundle, form: &Form, diags: &mut Vec<Diagnostic>) {
    let mut field =
        |path: String, key: &str, fits: &dyn Fn(&FieldType) -> bool, wants: &str| match resolve(bundle, form, key) {
            Err(message) => diags.push(Diagnostic::new(path, "unknown_field", message)),
            Ok(f) if !fits(&f.kind) => {
                diags.push(Diagnostic::new(path, "wrong_type", format!("`{key}` is no {wants}")))
            }
            Ok(_) => {}
        };
    let groupable = |k: &FieldType| !matches!(k, FieldType::SubTable { .. } | FieldType::Attachment { .. });
    for (d, dim) in report.dimensions.iter().enumerate() {
        let path = format!("{at}/dimensions/{d}/field");
        if dim.bucket.is_some() {
            field(path, &dim.field, &dated, "date or instant")
        } else {
            field(path, &dim.field, &groupable, "value to group by")
        }
    }
    for (i, key) in report.list.iter().flat_map(|l| l.fields.iter()).enumerate() {
        field(format!("{at}/list/fields/{i}"), key, &groupable, "value to list");
    }
    for (m, measure) in report.measures.iter().enumerate() {
        let Some(key) = &measure.field else { continue };
        let path = format!("{at}/measures/{m}/field");
        match measure.op {
            Op::Sum | Op::Avg | Op::Min | Op::Max => field(path, key, &numeric, "number"),
            _ => field(path, key, &groupable, "value to count"),
        }
    }
    let filterable = |k: &FieldType| k.is_sortable() && !matches!(k, FieldType::Formula { .. });
    let own = |k: &FieldType| filterable(k);
    for (p, parameter) in report.parameters.iter().enumerate() {
        let path = format!("{at}/parameters/{p}/field");
        if !parameter.field.contains('.') {
            field(path, &parameter.field, &own, "field the rows can be filtered on");
        }
    }
    for (p, parameter) in report.parameters.iter().enumerate().filter(|(_, p)| p.field.contains('.')) {
        let message = format!("`{}`: a parameter filters a field of the dataset's own form", parameter.field);
        diags.push(Diagnostic::new(format!("{at}/parameters/{p}/field"), "unknown_field", message));
    }
    if report.key == "preview" {
        let message = "`preview` is the name of the route that previews reports";
        diags.push(Diagnostic::new(format!("{at}/key"), "reserved", message));
    }
}

pub fn check_dashboards(
    doc: &Value,
    reports: &[Report],
    roles: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Dashboard> {
    let mut dashboards: Vec<Dashboard> = Vec::new();
    for (i, raw) in doc.get("dashboards").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let at = format!("/dashboards/{i}");
        let dashboard = match parse_dashboard(raw, &at) {
            Ok(d) => d,
            Err(found) => {
                diags.extend(found);
                continue;
            }
        };
        let before = diags.len();
        if dashboards.iter().any(|d| d.key == dashboard.key) {
            let message = format!("two dashboards are called `{}`", dashboard.key);
            diags.push(Diagnostic::new(format!("{at}/key"), "duplicate", message));
        }
        for (r, role) in dashboard.roles.iter().enumerate() {
            if !roles.contains(&role.as_str()) {
                diags.push(Diagnostic::new(format!("{at}/roles/{r}"), "unknown_role", format!("no role `{role}`")));
            }
        }
        let known = |key: &str| reports.iter().any(|r| r.key == key);
        for (c, card) in dashboard.cards.iter().enumerate() {
            for (path, key) in [
                (format!("{at}/cards/{c}/report"), Some(&card.report)),
                (format!("{at}/cards/{c}/drill/report"), card.drill.as_ref().and_then(|d| d.report.as_ref())),
            ] {
                if let Some(key) = key.filter(|k| !known(k)) {
                    diags.push(Diagnostic::new(path, "unknown_report", format!("no report `{key}`")));
                }
            }
        }
        if diags.len() == before {
            dashboards.push(dashboard);
        }
    }
    dashboards
}
