//! Exporting a form's records: the list's filters, sort and fields, within the caller's
//! records and with their field modes (hidden fields left out, masked ones masked),
//! headers and values in the exporter's words (`words`), read a page at a time so an
//! export of millions of rows holds one page in memory; the HTTP layer writes them as CSV
//! (streamed) or XLSX (constant-memory worksheets). Each export leaves an audit entry,
//! with its format, before the first row is read past the first page.

mod words;

use std::sync::Arc;

use engine_form::{Field, FieldType};
use futures_util::StreamExt;
use serde_json::{Value, json};
pub use words::Words;

use crate::access::reach::{list_query, shaped};
use crate::access::{Access, Mode};
use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::error::Error;
use crate::records::query::{ListParams, ListQuery};
use crate::records::{FormCtx, read};

/// Rows read per page of an export.
const PAGE: u64 = 1000;

/// One CSV column: a field of the record, or a field of a related record's lookup.
struct Column {
    header: String,
    /// The field's key (`relationship_manager.name` for a lookup), as the audit names it.
    key: String,
    field: String,
    lookup: Option<String>,
    /// Text a spreadsheet could take for a formula is written with a leading `'`.
    guard: bool,
    /// The field its values are of (for their words), and whether the caller sees it masked.
    meta: Option<Field>,
    masked: bool,
}

/// An export under way: its file name without extension, its header, and its rows a
/// page at a time, each cell as text.
pub struct Rows {
    pub name: String,
    pub header: Vec<String>,
    pub pages: futures_util::stream::LocalBoxStream<'static, Result<Vec<Vec<String>>, Error>>,
}

/// Starts an export of `form`'s records as `principal` sees them, with the list's
/// parameters (`limit` and `after` do not apply) into a `format` file (`csv`, `xlsx`): the
/// export operation checked, the audit entry written, the first page read; the rest is
/// read as the rows are taken.
pub async fn start(
    core: &Core,
    (principal, actor): (&Principal, &Actor),
    (app, form): (&str, &str),
    params: &ListParams,
    format: &str,
) -> Result<Rows, Error> {
    let now = core.clock.now();
    let published = core.catalog.published(&core.db.conn, app).await?;
    let ctx = FormCtx::new(&published, form, core.db.backend(), now)?;
    let (access, mut query) = list_query(&core.db.conn, &ctx, principal, params, "export").await?;
    (query.limit, query.after, query.count) = (PAGE, None, true);
    let scoped = FormCtx { access: Some(&access), ..ctx };
    let first = read::list(&core.db.conn, &scoped, &query).await?;
    let words = words_of(core, principal, &published, params.keys.unwrap_or(false)).await?;
    let columns = columns(&published.bundle, ctx.form, &access, query.fields.as_deref(), &words);

    let detail = json!({ "format": format, "rows": first.total, "filter": params.filter, "where": params.condition,
        "sort": params.sort, "fields": columns.iter().map(|c| &c.key).collect::<Vec<_>>() });
    audit::write(&core.db.conn, actor, Entry::form("record.export", app, form, detail), now).await?;

    let header = columns.iter().map(|c| c.header.clone()).collect();
    let name = if words.keys { form.to_owned() } else { words.form_name(ctx.form) };
    let export = Export {
        core: core.clone(),
        app: published.clone(),
        form: form.to_owned(),
        access,
        query,
        columns,
        now,
        words,
    };
    let pages = futures_util::stream::unfold((export, Some(first)), |(export, page)| async move {
        let page = page?;
        let rows = page.items.into_iter().map(|record| export.cells(shaped(&export.access, record))).collect();
        let next = match page.next {
            Some(cursor) => match export.page(&cursor).await {
                Ok(next) => Some(next),
                Err(e) => return Some((Err(e), (export, None))),
            },
            None => None,
        };
        Some((Ok(rows), (export, next)))
    });
    Ok(Rows { name: format!("{name}-{}", now.format("%Y%m%d-%H%M%S")), header, pages: pages.boxed_local() })
}

/// The exporter's words: their language (else the app's) and zone (else the app's).
pub(crate) async fn words_of(
    core: &Core,
    principal: &Principal,
    app: &PublishedApp,
    keys: bool,
) -> Result<Words, Error> {
    let (own_zone, _) = crate::auth::directory::own_settings(&core.db.conn, principal.user_id).await?;
    let app_zone = crate::meta::time_zone(&core.db.conn, &app.key).await?;
    let zone = own_zone.or(app_zone).and_then(|z| z.parse().ok()).unwrap_or(chrono_tz::UTC);
    let language = principal.language.clone().or_else(|| app.bundle.language.clone());
    Ok(Words { language, zone, keys })
}

/// What the pages after the first need.
struct Export {
    core: Core,
    app: Arc<PublishedApp>,
    form: String,
    access: Access,
    query: ListQuery,
    columns: Vec<Column>,
    /// The request's instant: every page reads formulas as of it.
    now: chrono::DateTime<chrono::Utc>,
    words: Words,
}

impl Export {
    async fn page(&self, cursor: &str) -> Result<read::Page, Error> {
        let ctx = FormCtx::new(&self.app, &self.form, self.core.db.backend(), self.now)?;
        let mut query = self.query.clone();
        query.count = false;
        query.after = Some(crate::records::query::decode_cursor(ctx.form, &query.sort, cursor)?);
        let scoped = FormCtx { access: Some(&self.access), ..ctx };
        read::list(&self.core.db.conn, &scoped, &query).await
    }

    /// A record's cells, in the columns' order.
    fn cells(&self, record: Value) -> Vec<String> {
        let cells = self.columns.iter().map(|column| {
            let value = match &column.lookup {
                Some(field) => &record["_lookup"][&column.field][field],
                None => &record[&column.field],
            };
            let text = cell(&self.words.value(column.meta.as_ref(), value, column.masked));
            if column.guard { crate::reports::guarded(text) } else { text }
        });
        cells.collect()
    }
}

/// The columns of an export: `id`, then each field the caller may see (sub-tables left
/// out: their rows do not fit a row), each relation followed by its lookup fields.
fn columns(
    bundle: &engine_form::Bundle,
    form: &engine_form::Form,
    access: &Access,
    fields: Option<&[String]>,
    words: &Words,
) -> Vec<Column> {
    let id = Column {
        header: "id".into(),
        key: "id".into(),
        field: "id".into(),
        lookup: None,
        guard: false,
        meta: None,
        masked: false,
    };
    let mut out = vec![id];
    for field in &form.fields {
        let asked = fields.is_none_or(|w| w.contains(&field.key));
        if !asked || access.mode(&field.key) == Mode::Hidden || matches!(field.kind, FieldType::SubTable { .. }) {
            continue;
        }
        let masked = access.mode(&field.key).masked();
        out.push(Column {
            header: words.header(field),
            key: field.key.clone(),
            field: field.key.clone(),
            lookup: None,
            guard: holds_text(field) || masked,
            meta: Some(field.clone()),
            masked,
        });
        if let FieldType::Relation { form: target, lookup } = &field.kind {
            let related = access.to_form(target);
            for key in lookup {
                let shown = bundle.form(target).and_then(|f| f.field(key));
                let masked = related.is_some_and(|a| a.mode(key).masked());
                out.push(Column {
                    header: words.lookup_header(field, shown, key),
                    key: format!("{}.{key}", field.key),
                    field: field.key.clone(),
                    lookup: Some(key.clone()),
                    guard: shown.is_none_or(holds_text) || masked,
                    meta: shown.cloned(),
                    masked,
                });
            }
        }
    }
    out
}

/// Whether a field's values are free text (which a spreadsheet might take for a formula).
fn holds_text(field: &Field) -> bool {
    matches!(
        field.kind,
        FieldType::Text { .. }
            | FieldType::SingleSelect { .. }
            | FieldType::MultiSelect { .. }
            | FieldType::Formula { result: engine_form::ResultType::Text, .. }
    )
}

/// A JSON value as one cell: text as it is, lists joined by `;`, null as nothing.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

/// Appends one CSV row (RFC 4180: a cell with a comma, quote or line break is quoted).
pub(crate) fn push_row(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}
