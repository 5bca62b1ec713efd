//! The list query language of the record API: `filter`, `sort`, `limit`, `after`,
//! `fields` and `count`, parsed and checked against the form.
//!
//! `filter` is a comma-separated list of `field:op:value` clauses, all of which must
//! hold. Ops: `eq ne lt lte gt gte` (compare), `in` (values split by `|`), `contains`
//! and `starts` (text, case-sensitive), `has` (a multi-select holds the option),
//! `null` and `notnull` (no value). A `\` escapes a following `,` `|` or `\` in a value.
//! Example: `filter=tier:in:hnw|affluent,aum:gte:5000000`.
//!
//! `where` is a condition in the platform's expression language, run by the database
//! (see `expr_sql`), e.g. `where=outflow_today > aum * 0.3 and tier in ['hnw']`. It can
//! read formula fields too.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use engine_form::{Field, FieldError, FieldType, FieldValue, Form, check_value};
use serde_json::Value;

use crate::error::{BadInputCode, Error};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 1000;
/// At most this many `filter` clauses: each is a level of the SQL condition, and the
/// databases bound how deep a condition may be (SQLite: 1,000).
pub const MAX_FILTER_CLAUSES: usize = 100;
/// At most this many values in one `in` clause.
pub const MAX_IN_VALUES: usize = 1000;

/// A column a list can filter or sort on: a form field or a system column.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Field(String),
    Id,
    CreatedAt,
    UpdatedAt,
}

impl Target {
    /// Whether the column can hold NULL: a field's can (a value may be left out, or the
    /// field added after records were), the system columns never.
    pub fn nullable(&self) -> bool {
        matches!(self, Target::Field(_))
    }

    fn parse<'f>(form: &'f Form, name: &str) -> Option<(Target, Option<&'f Field>)> {
        Some(match name {
            "id" => (Target::Id, None),
            "_created_at" => (Target::CreatedAt, None),
            "_updated_at" => (Target::UpdatedAt, None),
            key => (Target::Field(key.to_owned()), Some(form.field(key)?)),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Contains,
    Starts,
    Has,
    Null,
    NotNull,
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub target: Target,
    pub op: Op,
    pub values: Vec<FieldValue>,
}

#[derive(Debug, Clone)]
pub struct SortKey {
    pub target: Target,
    pub descending: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub filters: Vec<Filter>,
    /// The `where` condition, parsed; it is checked and compiled against the table.
    pub condition: Option<engine_rule::Expr>,
    /// Always ends with `id`, which makes the order total and the cursor stable.
    pub sort: Vec<SortKey>,
    pub limit: u64,
    /// The sort values of the last row of the previous page.
    pub after: Option<Vec<FieldValue>>,
    pub fields: Option<Vec<String>>,
    pub count: bool,
    /// `search`: a text and the fields it is looked for in (`Search::within`).
    pub search: Option<Search>,
}

/// A search box's text, found (ignoring ASCII case) in any of `fields`.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub text: String,
    pub fields: Vec<String>,
}

/// The longest search text, in characters.
pub const MAX_SEARCH: usize = 100;

impl Search {
    /// The fields a search looks in: the form's title field, its unique or indexed texts
    /// (numbers, codes), and the texts other forms show as a relation's lookup fields
    /// (a customer's mobile); of these, only those `readable` in clear to the caller, so a
    /// search never probes a masked or hidden value.
    pub fn within(&mut self, bundle: &engine_form::Bundle, form: &Form, readable: impl Fn(&str) -> bool) {
        let looked_up: Vec<&str> = bundle
            .forms
            .iter()
            .flat_map(|f| &f.fields)
            .filter_map(|f| match &f.kind {
                FieldType::Relation { form: target, lookup } if *target == form.key => Some(lookup),
                _ => None,
            })
            .flatten()
            .map(String::as_str)
            .collect();
        self.fields = form
            .fields
            .iter()
            .filter(|f| matches!(f.kind, FieldType::Text { .. }))
            .filter(|f| {
                form.title_field.as_deref() == Some(f.key.as_str())
                    || f.unique
                    || f.index
                    || looked_up.contains(&f.key.as_str())
            })
            .filter(|f| readable(&f.key))
            .map(|f| f.key.clone())
            .collect();
    }
}

/// The raw query-string parameters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `field:op:value` clauses separated by commas, e.g. `tier:eq:hnw,aum:gte:5000000`.
    pub filter: Option<String>,
    /// A condition in the expression language, e.g. `outflow_today > aum * 0.3`.
    #[serde(rename = "where")]
    #[param(rename = "where")]
    pub condition: Option<String>,
    /// Fields separated by commas; `-` in front sorts descending, e.g. `-aum,name`.
    pub sort: Option<String>,
    /// Page size, 1 to 1000; 50 by default.
    pub limit: Option<u64>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Fields to return, separated by commas; all by default.
    pub fields: Option<String>,
    /// Also return `total`, the number of matching records.
    pub count: Option<bool>,
    /// Records whose title, numbers or lookup fields (those you see in clear) contain this
    /// text, ignoring ASCII case: at most 100 characters.
    pub search: Option<String>,
    /// Exports only: headers and values as field keys and stored values (for integrators),
    /// not as the list shows them in your language.
    pub keys: Option<bool>,
    /// Exports only: `csv` (the default) or `xlsx`.
    pub format: Option<String>,
}

/// The query-string parameters of a single record's read.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordParams {
    /// Fields to return, separated by commas; all by default.
    pub fields: Option<String>,
}

/// The fields a `fields` parameter names (`name,aum`), each one of the form's.
pub fn parse_fields(form: &Form, text: &str) -> Result<Vec<String>, Error> {
    let keys: Vec<String> = text.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if let Some(unknown) = keys.iter().find(|k| form.field(k).is_none()) {
        return Err(bad("fields", format!("the form has no field `{unknown}`")));
    }
    Ok(keys)
}

fn bad(param: &str, message: impl Into<String>) -> Error {
    let message = message.into();
    Error::BadInput {
        code: BadInputCode::bad_query,
        detail: format!("bad `{param}` parameter: {message}"),
        errors: vec![FieldError::new(format!("/{param}"), "bad_query", message)],
    }
}

/// Every field path `expr` reads, added to `out`. Iterative, like every walk over input.
/// Every field path `expr` reads on `form`. A path inside an aggregate's row arguments
/// reads a field of the rows, so it is given under the collection's path
/// (`sum(transaction, amount)` reads `transaction` and `transaction.amount`).
pub fn paths_in(bundle: &engine_form::Bundle, form: &Form, expr: &engine_rule::Expr, out: &mut Vec<Vec<String>>) {
    let schema = engine_form::FormSchema { bundle, form };
    let is_rows = |p: &[String]| schema.collection(p).is_some();
    let mut pending = vec![(Vec::new(), expr)];
    while let Some((prefix, expr)) = pending.pop() {
        if let engine_rule::ExprKind::Call(name, args) = &expr.kind
            && let Some(Ok(call)) = engine_rule::AggregateCall::of(name, args, is_rows)
            && prefix.is_empty()
        {
            out.push(call.rows.to_vec());
            pending.extend(args.iter().skip(1).map(|a| (call.rows.to_vec(), a)));
            continue;
        }
        if let engine_rule::ExprKind::Path(path) = &expr.kind {
            out.push(prefix.iter().chain(path).cloned().collect());
        }
        pending.extend(expr.children().into_iter().map(|c| (prefix.clone(), c)));
    }
}

impl ListQuery {
    /// Every field path the query reads: in its filters, its `where` and its sort.
    pub fn paths_read(&self, bundle: &engine_form::Bundle, form: &Form) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let targets = self.filters.iter().map(|f| &f.target).chain(self.sort.iter().map(|s| &s.target));
        out.extend(targets.filter_map(|t| match t {
            Target::Field(key) => Some(vec![key.clone()]),
            _ => None,
        }));
        if let Some(condition) = &self.condition {
            paths_in(bundle, form, condition, &mut out);
        }
        out
    }

    pub fn parse(form: &Form, params: &ListParams) -> Result<ListQuery, Error> {
        let mut query = ListQuery { limit: DEFAULT_LIMIT, count: params.count.unwrap_or(false), ..Default::default() };
        if let Some(limit) = params.limit {
            if !(1..=MAX_LIMIT).contains(&limit) {
                return Err(bad("limit", format!("must be between 1 and {MAX_LIMIT}")));
            }
            query.limit = limit;
        }
        if let Some(text) = params.filter.as_deref().filter(|s| !s.is_empty()) {
            let clauses = split_escaped(text, ',');
            if clauses.len() > MAX_FILTER_CLAUSES {
                return Err(bad("filter", format!("at most {MAX_FILTER_CLAUSES} clauses; use `in` for many values")));
            }
            for clause in clauses {
                query.filters.push(parse_filter(form, &clause)?);
            }
        }
        if let Some(text) = params.condition.as_deref().filter(|s| !s.trim().is_empty()) {
            let invalid = |errors| Error::InvalidExpression { param: "where", errors };
            query.condition = Some(crate::expr_sql::parse(text).map_err(invalid)?);
        }
        for name in params.sort.as_deref().unwrap_or("").split(',').filter(|s| !s.is_empty()) {
            let (descending, key) = name.strip_prefix('-').map_or((false, name), |k| (true, k));
            let (target, field) =
                Target::parse(form, key).ok_or_else(|| bad("sort", format!("the form has no field `{key}`")))?;
            // Formulas are sorted on by their SQL (`read::sort_column`).
            if field.is_some_and(|f| !f.kind.is_sortable() && !matches!(f.kind, FieldType::Formula { .. })) {
                return Err(bad("sort", format!("`{key}` cannot be sorted on")));
            }
            if query.sort.iter().any(|s| s.target == target) {
                return Err(bad("sort", format!("`{key}` is listed twice")));
            }
            query.sort.push(SortKey { target, descending });
        }
        if !query.sort.iter().any(|s| s.target == Target::Id) {
            query.sort.push(SortKey { target: Target::Id, descending: false });
        }
        query.fields = params.fields.as_deref().map(|f| parse_fields(form, f)).transpose()?;
        // Bounded as sent, not once trimmed: a view stores the text as it came.
        if let Some(raw) = params.search.as_deref()
            && (raw.chars().count() > MAX_SEARCH || raw.contains('\0'))
        {
            return Err(bad("search", format!("at most {MAX_SEARCH} characters, without NUL")));
        }
        if let Some(text) = params.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            query.search = Some(Search { text: text.to_lowercase(), fields: Vec::new() });
        }
        if let Some(cursor) = params.after.as_deref() {
            query.after = Some(decode_cursor(form, &query.sort, cursor)?);
        }
        Ok(query)
    }
}

fn parse_filter(form: &Form, clause: &str) -> Result<Filter, Error> {
    let mut parts = clause.splitn(3, ':');
    let (name, op) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let value = parts.next();
    let (target, field) =
        Target::parse(form, name).ok_or_else(|| bad("filter", format!("the form has no field `{name}`")))?;
    let op = match op {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "lt" => Op::Lt,
        "lte" => Op::Lte,
        "gt" => Op::Gt,
        "gte" => Op::Gte,
        "in" => Op::In,
        "contains" => Op::Contains,
        "starts" => Op::Starts,
        "has" => Op::Has,
        "null" => Op::Null,
        "notnull" => Op::NotNull,
        other => {
            return Err(bad("filter", format!("unknown operator `{other}` in `{clause}`")));
        }
    };
    let kind = field.map(|f| &f.kind);
    let allowed = match op {
        Op::Null | Op::NotNull => !matches!(kind, Some(FieldType::SubTable { .. } | FieldType::Formula { .. })),
        Op::Has => matches!(kind, Some(FieldType::MultiSelect { .. })),
        Op::Contains | Op::Starts => matches!(kind, Some(FieldType::Text { .. })),
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => {
            !matches!(kind, Some(FieldType::Boolean | FieldType::SingleSelect { .. } | FieldType::Relation { .. }))
                && kind.is_none_or(FieldType::is_sortable)
        }
        Op::Eq | Op::Ne | Op::In => kind.is_none_or(FieldType::is_sortable),
    };
    if !allowed {
        return Err(bad("filter", format!("`{op:?}` does not apply to `{name}`").to_lowercase()));
    }
    let values = match (op, value) {
        (Op::Null | Op::NotNull, None | Some("")) => Vec::new(),
        (Op::Null | Op::NotNull, Some(_)) => {
            return Err(bad("filter", format!("`{clause}` takes no value")));
        }
        (_, None) => return Err(bad("filter", format!("`{clause}` needs a value"))),
        (Op::In, Some(v)) => {
            let values = split_escaped(v, '|');
            if values.len() > MAX_IN_VALUES {
                return Err(bad("filter", format!("`in` takes at most {MAX_IN_VALUES} values")));
            }
            values.iter().map(|v| filter_value(&target, field, op, v)).collect::<Result<_, _>>()?
        }
        (_, Some(v)) => vec![filter_value(&target, field, op, &unescape(v))?],
    };
    Ok(Filter { target, op, values })
}

/// Reads a filter value written as text, by the type of what it is compared with.
fn filter_value(target: &Target, field: Option<&Field>, op: Op, text: &str) -> Result<FieldValue, Error> {
    let wrong = |m: String| bad("filter", m);
    if text.contains('\0') {
        return Err(wrong("a value cannot contain the NUL character".into()));
    }
    match (target, field) {
        (Target::Id, _) => {
            text.parse().map(FieldValue::Integer).map_err(|_| wrong(format!("`{text}` is not a record id")))
        }
        (Target::CreatedAt | Target::UpdatedAt, _) => engine_form::parse_instant(text)
            .map(FieldValue::DateTime)
            .ok_or_else(|| wrong(format!("`{text}` is not an RFC 3339 date-time in the years 0001 to 9999"))),
        (Target::Field(_), Some(field)) => {
            if matches!(op, Op::Contains | Op::Starts) {
                return Ok(FieldValue::Text(text.to_owned()));
            }
            let json = match &field.kind {
                FieldType::Integer { .. } | FieldType::Relation { .. } => text
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| wrong(format!("`{text}` is not a whole number")))?,
                FieldType::Boolean => text
                    .parse::<bool>()
                    .map(Value::Bool)
                    .map_err(|_| wrong(format!("`{text}` is not true or false")))?,
                FieldType::MultiSelect { .. } => Value::Array(vec![Value::from(text)]),
                _ => Value::from(text),
            };
            // Bounds and `required` do not apply to a filter value; only its type and options do.
            let unconstrained = unconstrained(field);
            let value = check_value(&unconstrained, &json, "")
                .map_err(|e| wrong(e.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; ")))?;
            Ok(match value {
                FieldValue::Choices(mut c) if c.len() == 1 => FieldValue::Text(c.remove(0)),
                other => other,
            })
        }
        (Target::Field(key), None) => Err(wrong(format!("the form has no field `{key}`"))),
    }
}

fn unconstrained(field: &Field) -> Field {
    let mut f = field.clone();
    f.kind = match &field.kind {
        // Filters on e-mail and phone fields compare text as typed; no format check applies.
        FieldType::Text { .. } => {
            FieldType::Text { kind: engine_form::TextKind::Text, min_length: None, max_length: 10_000, pattern: None }
        }
        FieldType::Integer { .. } => FieldType::Integer { min: None, max: None },
        FieldType::Decimal { precision, scale, currency, .. } => FieldType::Decimal {
            precision: *precision,
            scale: *scale,
            min: None,
            max: None,
            currency: currency.clone(),
        },
        FieldType::Date { .. } => FieldType::Date { min: None, max: None },
        other => other.clone(),
    };
    f
}

/// A formula's value in a cursor, as `FieldValue::to_json` wrote it.
fn formula_value(result: engine_form::ResultType, json: &Value) -> Option<FieldValue> {
    use engine_form::ResultType;
    Some(match result {
        ResultType::Text => FieldValue::Text(json.as_str()?.to_owned()),
        ResultType::Integer => FieldValue::Integer(json.as_i64()?),
        ResultType::Decimal => FieldValue::Decimal(json.as_str()?.parse().ok()?),
        ResultType::Boolean => FieldValue::Boolean(json.as_bool()?),
        ResultType::Date => FieldValue::Date(json.as_str()?.parse().ok()?),
        ResultType::DateTime => FieldValue::DateTime(engine_form::parse_instant(json.as_str()?)?),
    })
}

/// Splits on `sep` except where it is escaped by `\`; escapes are kept for `unescape`.
fn split_escaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let last = parts.last_mut().expect("parts is never empty");
                last.push('\\');
                if let Some(next) = chars.next() {
                    last.push(next);
                }
            }
            c if c == sep => parts.push(String::new()),
            c => parts.last_mut().expect("parts is never empty").push(c),
        }
    }
    if sep == '|' { parts.into_iter().map(|p| unescape(&p)).collect() } else { parts }
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The sort a cursor was made for, as `sort=` writes it (`-aum,id`): a cursor is refused
/// with any other sort, where its values would mean something else.
fn sort_signature(sort: &[SortKey]) -> String {
    let name = |key: &SortKey| match &key.target {
        Target::Field(k) => k.clone(),
        Target::Id => "id".into(),
        Target::CreatedAt => "_created_at".into(),
        Target::UpdatedAt => "_updated_at".into(),
    };
    sort.iter().map(|k| format!("{}{}", if k.descending { "-" } else { "" }, name(k))).collect::<Vec<_>>().join(",")
}

/// A cursor is the sort it was made for and the sort values of a page's last row, as a
/// JSON array, base64url-encoded.
pub fn encode_cursor(sort: &[SortKey], values: &[FieldValue]) -> String {
    let mut items = vec![Value::String(sort_signature(sort))];
    items.extend(values.iter().map(FieldValue::to_json));
    URL_SAFE_NO_PAD.encode(Value::Array(items).to_string())
}

pub fn decode_cursor(form: &Form, sort: &[SortKey], cursor: &str) -> Result<Vec<FieldValue>, Error> {
    let invalid =
        || bad("after", "not a cursor of this list; pass the `next` value of the previous page with the same sort");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let mut items: Vec<Value> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if items.len() != sort.len() + 1 || items.remove(0).as_str() != Some(sort_signature(sort).as_str()) {
        return Err(invalid());
    }
    sort.iter()
        .zip(items)
        .map(|(key, json)| {
            if json.is_null() {
                return Ok(FieldValue::Null);
            }
            match &key.target {
                Target::Id => json.as_i64().map(FieldValue::Integer).ok_or_else(invalid),
                Target::CreatedAt | Target::UpdatedAt => {
                    json.as_str().and_then(engine_form::parse_instant).map(FieldValue::DateTime).ok_or_else(invalid)
                }
                Target::Field(k) => {
                    let field = form.field(k).ok_or_else(invalid)?;
                    if let FieldType::Formula { result, .. } = &field.kind {
                        return formula_value(*result, &json).ok_or_else(invalid);
                    }
                    check_value(&unconstrained(field), &json, "").map_err(|_| invalid())
                }
            }
        })
        .collect()
}
