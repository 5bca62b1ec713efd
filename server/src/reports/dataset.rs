//! A report's dataset as one viewer reads it: the dataset form's records within their
//! rows (the report's filter and parameters in the SQL, only the columns it reads), the
//! records its relation paths reach (`customer.relationship_manager.branch`) read within
//! the viewer's access to each related form (one out of reach reads as empty), and every
//! column it reads checked first: one the viewer sees masked or hidden refuses the report,
//! since a sum or a maximum over a one-row group would give the value away.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use engine_form::{FieldType, ResultType};
use engine_report::{Cell, Column, Kind, Report, Table};
use futures_util::future::LocalBoxFuture;
use serde_json::{Map, Value};

use crate::access::reach::{list_query, shaped};
use crate::access::{Access, Mode};
use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::error::{BadInputCode, Error, FieldError, ForbiddenCode};
use crate::records::query::{ListParams, ListQuery, MAX_IN_VALUES, decode_cursor};
use crate::records::{FormCtx, read};

/// Rows read per query.
const PAGE: u64 = 1000;

/// What the viewer's rows were narrowed by, for a drill-down to the record list: the
/// report's condition and the parameters in effect (field, comparison, value as given).
#[derive(Debug, Clone, Default)]
pub struct Base {
    pub condition: Option<String>,
    pub given: Vec<(String, engine_report::Compare, String)>,
}

impl Base {
    /// The parameters as the list's filter clauses (`tier:eq:hnw`), a comma or backslash in a
    /// value escaped.
    pub fn filter(&self) -> String {
        let clause = |(field, op, value): &(String, engine_report::Compare, String)| {
            format!("{field}:{}:{}", op.name(), value.replace('\\', "\\\\").replace(',', "\\,"))
        };
        self.given.iter().map(clause).collect::<Vec<_>>().join(",")
    }

    /// As the answer carries it: `{filter, where}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({ "filter": self.filter(), "where": self.condition })
    }
}

pub struct Reader<'a> {
    pub core: &'a Core,
    pub app: &'a PublishedApp,
    pub principal: &'a Principal,
    pub now: DateTime<Utc>,
    /// The most rows it reads of one form.
    pub max_rows: u64,
}

impl Reader<'_> {
    /// The report's table as the viewer reads it, and what narrowed it.
    pub async fn read(&self, report: &Report, given: &BTreeMap<String, String>) -> Result<(Table, Base), Error> {
        let (bundle, form) =
            engine_app::reports::dataset(&self.app.bundle, report).ok_or_else(|| gone(report.dataset.key()))?;
        let (base, params) = asked(report, &form, given)?;
        let paths = paths_of(report);
        let (records, folded) = match report.dataset.platform {
            Some(platform) => (super::platform::rows(self, platform, report, &base).await?, None),
            None => self.form_rows(report, params, &paths).await?,
        };
        let mut records = records;
        super::calculated::fill(report, (bundle, &form), &mut records, self.now);
        Ok((table_of(report, (bundle, &form), &records, folded)?, base))
    }

    /// The dataset form's rows for the report: its groups where the database can group
    /// them, a list's page where the database can sort it, else every record it reads.
    async fn form_rows(
        &self,
        report: &Report,
        params: ListParams,
        paths: &[Vec<String>],
    ) -> Result<(Vec<Map<String, Value>>, Option<engine_report::Folded>), Error> {
        if let Some((groups, folded)) = self.folded(report, &params, paths).await? {
            return Ok((groups, Some(folded)));
        }
        if let Some(listed) = self.listed(report, &params, paths).await? {
            return Ok((listed, None));
        }
        Ok((self.records(&report.dataset.form, params, paths.to_vec(), Some(report)).await?, None))
    }

    /// Every record of `form` that `params` ask for within the viewer's rows, each with the
    /// fields `paths` start with; a relation a path goes on through holds the related
    /// record (read the same way, within the viewer's access to its form) or null.
    /// `report`: the report the root read is for, whose paths are checked first.
    pub(super) fn records<'r>(
        &'r self,
        form: &'r str,
        mut params: ListParams,
        paths: Vec<Vec<String>>,
        report: Option<&'r Report>,
    ) -> LocalBoxFuture<'r, Result<Vec<Map<String, Value>>, Error>> {
        Box::pin(async move {
            params.fields = Some(first_fields(&paths)).filter(|f| !f.is_empty());
            let ctx = FormCtx::new(self.app, form, self.core.db.backend(), self.now)?;
            let (access, mut query) = self.scope(&ctx, &params, &paths, report).await?;
            let scoped = FormCtx { access: Some(&access), ..ctx };
            let mut records = Vec::new();
            loop {
                let page = read::list(&self.core.db.conn, &scoped, &query).await?;
                if let Some(total) = page.total.filter(|t| *t > self.max_rows) {
                    return Err(Error::TooManyRows(format!(
                        "`{form}` has {total} rows for this report, more than the {} a report reads: narrow it \
                         with its parameters",
                        self.max_rows
                    )));
                }
                records.extend(page.items.into_iter().filter_map(|r| match shaped(&access, r) {
                    Value::Object(map) => Some(map),
                    _ => None,
                }));
                let Some(cursor) = page.next else { break };
                (query.count, query.after) = (false, Some(decode_cursor(scoped.form, &query.sort, &cursor)?));
            }
            self.join(scoped.form, &mut records, &paths).await?;
            Ok(records)
        })
    }

    /// The viewer's access to `ctx`'s form and the query of the rows `params` ask for
    /// within it; for the report's own dataset, every path it reads checked readable first.
    pub(super) async fn scope(
        &self,
        ctx: &FormCtx<'_>,
        params: &ListParams,
        paths: &[Vec<String>],
        report: Option<&Report>,
    ) -> Result<(Access, ListQuery), Error> {
        let (access, query) = list_query(&self.core.db.conn, ctx, self.principal, params, "read").await?;
        if let Some(report) = report {
            for path in paths {
                readable(&access, ctx.form, self.app, path).map_err(|detail| Error::Forbidden {
                    code: ForbiddenCode::not_readable,
                    detail: format!("report `{}` reads `{}`: {detail}", report.key, path.join(".")),
                })?;
            }
        }
        Ok((access, query))
    }

    /// Each relation that `paths` go on through, replaced in `records` by the related
    /// record (or null: none, or one the viewer does not reach).
    pub(super) async fn join(
        &self,
        form: &engine_form::Form,
        records: &mut [Map<String, Value>],
        paths: &[Vec<String>],
    ) -> Result<(), Error> {
        let mut onward: BTreeMap<&str, Vec<Vec<String>>> = BTreeMap::new();
        for path in paths.iter().filter(|p| p.len() > 1) {
            onward.entry(path[0].as_str()).or_default().push(path[1..].to_vec());
        }
        for (relation, rest) in onward {
            let Some(FieldType::Relation { form: target, .. }) = form.field(relation).map(|f| &f.kind) else {
                continue;
            };
            let mut ids: Vec<i64> = records.iter().filter_map(|r| r.get(relation).and_then(Value::as_i64)).collect();
            ids.sort_unstable();
            ids.dedup();
            let mut found: HashMap<i64, Map<String, Value>> = HashMap::new();
            for chunk in ids.chunks(MAX_IN_VALUES) {
                let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
                let params = ListParams {
                    filter: Some(format!("id:in:{}", list.join("|"))),
                    limit: Some(PAGE),
                    ..Default::default()
                };
                for record in self.records(target, params, rest.clone(), None).await? {
                    if let Some(id) = record.get("id").and_then(Value::as_i64) {
                        found.insert(id, record);
                    }
                }
            }
            for record in records.iter_mut() {
                let related = record.get(relation).and_then(Value::as_i64).and_then(|id| found.get(&id));
                let joined = related.map_or(Value::Null, |r| Value::Object(r.clone()));
                record.insert(relation.to_owned(), joined);
            }
        }
        Ok(())
    }
}

/// The report's table of `records` (each a record, or a group of them, with related
/// records in place of the relations its paths go through): a column per field the report
/// reads, labelled as its field; a list's rows keep their id.
pub(super) fn table_of(
    report: &Report,
    (bundle, form): (&engine_form::Bundle, &engine_form::Form),
    records: &[Map<String, Value>],
    folded: Option<engine_report::Folded>,
) -> Result<Table, Error> {
    // Each column's value in the record: a calculated one's is filled in under its key.
    let mut paths: Vec<Vec<String>> =
        report.fields().iter().map(|p| p.split('.').map(str::to_owned).collect()).collect();
    let mut columns = Vec::new();
    for path in report.fields() {
        let field = engine_app::reports::resolve(bundle, form, path).map_err(|e| gone(&e))?;
        columns.push(Column { key: path.to_owned(), label: serde_json::json!(field.label), kind: kind(&field.kind) });
    }
    name_apart(bundle, form, &mut columns);
    // A list's rows are records (or tasks) to open: each keeps its id.
    if report.list.is_some() {
        columns.push(Column { key: "id".into(), label: Value::Null, kind: Kind::Integer });
        paths.push(vec!["id".to_owned()]);
    }
    let mut rows = Vec::with_capacity(records.len());
    for record in records {
        let mut row = Vec::with_capacity(paths.len());
        for (path, column) in paths.iter().zip(&mut columns) {
            let (first, rest) = path.split_first().map_or(("", &[][..]), |(f, r)| (f.as_str(), r));
            let start = record.get(first).unwrap_or(&Value::Null);
            let value = rest.iter().fold(start, |at, key| at.get(key).unwrap_or(&Value::Null));
            let cell = cell(column.kind, value);
            if let (Kind::Decimal(scale), Cell::Decimal(d)) = (&mut column.kind, &cell) {
                *scale = (*scale).max(d.scale());
            }
            row.push(cell);
        }
        rows.push(row);
    }
    Ok(Table { columns, rows, folded })
}

/// What narrows the report's rows (its condition, the parameters checked) and the list
/// query of them.
pub(super) fn asked(
    report: &Report,
    form: &engine_form::Form,
    given: &BTreeMap<String, String>,
) -> Result<(Base, ListParams), Error> {
    let base = Base { condition: report.filter.clone(), given: parameters(report, form, given)? };
    let params = ListParams {
        filter: Some(base.filter()),
        condition: base.condition.clone(),
        limit: Some(PAGE),
        count: Some(true),
        ..Default::default()
    };
    Ok((base, params))
}

/// Each field the report reads, as a path (`customer.relationship_manager.branch`): a
/// calculated column's as the fields its expression reads.
pub(super) fn paths_of(report: &Report) -> Vec<Vec<String>> {
    let own = report.fields().into_iter().filter(|p| !super::calculated::is_calculated(report, p));
    let mut paths: Vec<Vec<String>> = own.map(|p| p.split('.').map(str::to_owned).collect()).collect();
    for path in super::calculated::inputs(report) {
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

/// The fields of a form a read of `paths` selects: each path's first, once.
pub(super) fn first_fields(paths: &[Vec<String>]) -> String {
    let mut fields: Vec<&str> = paths.iter().filter_map(|p| p.first().map(String::as_str)).collect();
    // Once each: `customer.name` and `customer.tier` both begin with `customer`.
    fields.sort_unstable();
    fields.dedup();
    fields.join(",")
}

/// Whether the viewer reads every field along `path` in clear (visible or read-only), and
/// may read the records of each form it passes through. A related record out of their
/// rows is read as empty, so a form they read only some records of may be passed through.
fn readable(access: &Access, form: &engine_form::Form, app: &PublishedApp, path: &[String]) -> Result<(), String> {
    let (mut form, mut access) = (form, Some(access));
    for key in path {
        let mode = access.map_or(Mode::Visible, |a| a.mode(key));
        if !mode.in_clear() {
            return Err(format!("`{key}` of `{}` is {} to you", form.key, mode.name()));
        }
        if let Some(FieldType::Relation { form: target, .. }) = form.field(key).map(|f| &f.kind) {
            access = access.and_then(|a| a.to_form(target));
            if access.is_some_and(|a| !a.allows("read")) {
                return Err(format!("your roles do not read `{target}` records"));
            }
            form = app.bundle.form(target).ok_or_else(|| format!("there is no form `{target}`"))?;
        }
    }
    Ok(())
}

/// The parameters as list filter clauses: each the viewer's value (else its default)
/// checked as its field's values are, a wrong one refused at its own name.
type Given = Vec<(String, engine_report::Compare, String)>;

fn parameters(report: &Report, form: &engine_form::Form, given: &BTreeMap<String, String>) -> Result<Given, Error> {
    let mut taken = Vec::new();
    let mut errors: Vec<FieldError> = given
        .keys()
        .filter(|k| !report.parameters.iter().any(|p| &p.key == *k))
        .map(|k| FieldError::new(format!("/{k}"), "unknown_parameter", format!("the report takes no parameter `{k}`")))
        .collect();
    for p in &report.parameters {
        let Some(value) = given.get(&p.key).filter(|v| !v.is_empty()).or(p.default.as_ref()) else {
            if p.required {
                errors.push(FieldError::new(format!("/{}", p.key), "required", "the report needs this parameter"));
            }
            continue;
        };
        // Checked as the list checks its filter: the value typed as its field's.
        let one = Base { condition: None, given: vec![(p.field.clone(), p.op, value.clone())] };
        let params = ListParams { filter: Some(one.filter()), ..Default::default() };
        match ListQuery::parse(form, &params) {
            Ok(_) => taken.extend(one.given),
            Err(Error::BadInput { errors: found, .. }) => {
                errors.extend(found.into_iter().map(|e| FieldError { path: format!("/{}", p.key), ..e }))
            }
            Err(other) => return Err(other),
        }
    }
    if errors.is_empty() {
        return Ok(taken);
    }
    let detail = format!("report `{}` has parameters it cannot take", report.key);
    Err(Error::BadInput { code: BadInputCode::bad_query, detail, errors })
}

pub(super) fn gone(what: &str) -> Error {
    Error::Internal(anyhow::anyhow!("a published report reads what its app no longer has: {what}"))
}

/// A column's kind from its field's type (decimals' scale widened to the values read).
pub(super) fn kind(field: &FieldType) -> Kind {
    match field {
        FieldType::Integer { .. } | FieldType::Relation { .. } => Kind::Integer,
        FieldType::Decimal { scale, .. } => Kind::Decimal(*scale),
        FieldType::Boolean => Kind::Boolean,
        FieldType::Date { .. } => Kind::Date,
        FieldType::DateTime => Kind::Instant,
        FieldType::Formula { result, .. } => match result {
            ResultType::Integer => Kind::Integer,
            ResultType::Decimal => Kind::Decimal(0),
            ResultType::Boolean => Kind::Boolean,
            ResultType::Date => Kind::Date,
            ResultType::DateTime => Kind::Instant,
            ResultType::Text => Kind::Text,
        },
        _ => Kind::Text,
    }
}

/// A value as the API gives it, as a cell of its column's kind (what does not read as
/// one is empty: a value stored before its field's type changed).
pub(super) fn cell(kind: Kind, value: &Value) -> Cell {
    let text = || match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let parsed = match kind {
        _ if value.is_null() => None,
        Kind::Text => match value {
            Value::Array(items) => {
                Some(Cell::Text(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")))
            }
            Value::Bool(b) => Some(Cell::Text(b.to_string())),
            _ => text().map(Cell::Text),
        },
        Kind::Integer => value.as_i64().map(Cell::Integer),
        Kind::Decimal(_) => text().and_then(|t| t.parse().ok()).map(Cell::Decimal),
        Kind::Boolean => value.as_bool().map(Cell::Boolean),
        Kind::Date => text().and_then(|t| t.parse().ok()).map(Cell::Date),
        Kind::Instant => text().and_then(|t| DateTime::parse_from_rfc3339(&t).ok()).map(|t| Cell::DateTime(t.to_utc())),
    };
    parsed.unwrap_or(Cell::Null)
}

/// Columns read through relations that would be named alike (a customer's and a product's
/// `名称`) are named by the relation they come through too: `客户 · 姓名`.
fn name_apart(bundle: &engine_form::Bundle, form: &engine_form::Form, columns: &mut [Column]) {
    let labels: Vec<Value> = columns.iter().map(|c| c.label.clone()).collect();
    // Alike in any language: "Name" and "Name" in English, though 姓名 and 名称 in Chinese.
    let same = |a: &Value, b: &Value| a.as_object().is_some_and(|a| a.iter().any(|(k, v)| b.get(k) == Some(v)));
    for column in columns.iter_mut() {
        let alike = labels.iter().filter(|l| same(l, &column.label)).count() > 1;
        let Some((through, _)) = column.key.rsplit_once('.').filter(|_| alike) else { continue };
        let Ok(relation) = engine_app::reports::resolve(bundle, form, through) else { continue };
        let Some(own) = column.label.as_object() else { continue };
        let named: serde_json::Map<String, Value> = own
            .iter()
            .map(|(language, text)| {
                let by = relation.label.get(language).or_else(|| relation.label.values().next());
                let text = text.as_str().unwrap_or_default();
                (language.clone(), Value::from(by.map_or(text.to_owned(), |by| format!("{by} · {text}"))))
            })
            .collect();
        column.label = Value::Object(named);
    }
}
