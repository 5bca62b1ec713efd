//! A list report the database can sort is read as the list query reads a page: in the
//! report's order, within the viewer's rows, only the rows shown (a card of the next 20
//! maturities reads 20, not every account). Its export holds every row its filter and
//! parameters give, read a page at a time in that order and written as it is read, so a
//! list of millions is exported in the memory of one page. The database sorts as the
//! engine does where the order is the same: numbers, dates, instants, yes/no, and texts
//! on SQLite (by their bytes); a text on PostgreSQL (its collation), a formula or a field
//! through a relation is sorted by the engine over the rows read whole.

use std::collections::BTreeMap;
use std::sync::Arc;

use engine_form::{FieldType, StorageType};
use engine_report::Report;
use futures_util::StreamExt;
use futures_util::stream::LocalBoxStream;
use serde_json::{Map, Value, json};

use super::dataset::{Reader, asked, first_fields, gone, paths_of, table_of};
use super::export::{Cell, csv_rows, sheet};
use crate::access::Access;
use crate::access::reach::shaped;
use crate::audit::{self, Actor, Entry};
use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::error::Error;
use crate::export::Words;
use crate::records::query::{ListParams, ListQuery, decode_cursor};
use crate::records::{FormCtx, read};

/// Rows read per page of an export.
const PAGE: u64 = 1000;

/// The list query's `sort` for the report's, or none where the database would order the
/// rows otherwise than the engine.
fn sort_of(report: &Report, ctx: &FormCtx<'_>) -> Option<String> {
    let mut keys = Vec::new();
    for sort in &report.sort {
        let field = ctx.form.field(&sort.by)?;
        let (_, storage) = ctx.map.column(&sort.by)?;
        let alike = match storage {
            StorageType::Text => ctx.backend != sea_orm::DbBackend::Postgres,
            StorageType::Json => false,
            _ => true,
        };
        if !alike || matches!(field.kind, FieldType::Formula { .. }) {
            return None;
        }
        keys.push(format!("{}{}", if sort.descending { "-" } else { "" }, sort.by));
    }
    Some(keys.join(","))
}

/// The list query of the report's rows in its order, `limit` a page.
fn sorted(params: &ListParams, sort: String, paths: &[Vec<String>], limit: u64) -> ListParams {
    ListParams {
        filter: params.filter.clone(),
        condition: params.condition.clone(),
        sort: Some(sort),
        fields: Some(first_fields(paths)),
        limit: Some(limit),
        count: Some(true),
        ..Default::default()
    }
}

impl Reader<'_> {
    /// A list report's rows shown, read in its order by the database; `None` when the
    /// database cannot sort it so.
    pub(super) async fn listed(
        &self,
        report: &Report,
        params: &ListParams,
        paths: &[Vec<String>],
    ) -> Result<Option<Vec<Map<String, Value>>>, Error> {
        let Some(list) = &report.list else { return Ok(None) };
        if !self.core.report_limits.fold || report.dataset.platform.is_some() {
            return Ok(None);
        }
        let ctx = FormCtx::new(self.app, &report.dataset.form, self.core.db.backend(), self.now)?;
        let Some(sort) = sort_of(report, &ctx) else { return Ok(None) };
        let params = sorted(params, sort, paths, list.limit as u64);
        let (access, query) = self.scope(&ctx, &params, paths, Some(report)).await?;
        let scoped = FormCtx { access: Some(&access), ..ctx };
        let page = read::list(&self.core.db.conn, &scoped, &query).await?;
        Ok(Some(self.joined(&scoped, &access, page.items, paths).await?))
    }

    /// A page's records as the viewer reads them, their relations joined for `paths`.
    async fn joined(
        &self,
        scoped: &FormCtx<'_>,
        access: &Access,
        items: Vec<Value>,
        paths: &[Vec<String>],
    ) -> Result<Vec<Map<String, Value>>, Error> {
        let mut records: Vec<Map<String, Value>> = items
            .into_iter()
            .filter_map(|r| match shaped(access, r) {
                Value::Object(map) => Some(map),
                _ => None,
            })
            .collect();
        self.join(scoped.form, &mut records, paths).await?;
        Ok(records)
    }
}

/// A list report's rows being exported: its header, then its rows a page at a time.
pub struct Rows {
    /// The file's name without its extension: the report's label and the instant.
    pub name: String,
    pub header: Vec<String>,
    pub pages: LocalBoxStream<'static, Result<Vec<Vec<Cell>>, Error>>,
}

/// Every row of list report `key` that `given` asks for, as `principal` sees them, a page
/// at a time in the report's order, the export (`format`) audited before the first row;
/// `None` when it is no list or the database cannot sort it.
pub async fn rows(
    core: &Core,
    (principal, actor): (&Principal, &Actor),
    (app, key): (&str, &str),
    given: &BTreeMap<String, String>,
    format: &str,
) -> Result<Option<Rows>, Error> {
    let now = core.clock.now();
    let published = core.catalog.published(&core.db.conn, app).await?;
    let report = super::find(&published, key)?;
    let Some(list) = &report.list else { return Ok(None) };
    if report.dataset.platform.is_some() || !core.report_limits.fold {
        return Ok(None);
    }
    let ctx = FormCtx::new(&published, &report.dataset.form, core.db.backend(), now)?;
    let Some(sort) = sort_of(report, &ctx) else { return Ok(None) };
    let (base, params) = asked(report, ctx.form, given)?;
    let paths = paths_of(report);
    let reader = Reader { core, app: &published, principal, now, max_rows: core.report_limits.rows };
    let (access, query) = reader.scope(&ctx, &sorted(&params, sort, &paths, PAGE), &paths, Some(report)).await?;
    let scoped = FormCtx { access: Some(&access), ..ctx };
    let first = read::list(&core.db.conn, &scoped, &query).await?;
    let words = crate::export::words_of(core, principal, &published, false).await?;
    let label = report.label.as_ref().and_then(|l| words.label_of(l)).unwrap_or(key);
    let name = format!("{label}-{}", now.format("%Y%m%d-%H%M%S"));
    let detail = json!({ "format": format, "report": key, "rows": first.total,
        "parameters": base.given.iter().map(|(field, _, value)| json!({ "field": field, "value": value })).collect::<Vec<_>>() });
    audit::write(&core.db.conn, actor, Entry::form("report.export", app, &report.dataset.form, detail), now).await?;
    // Each page is answered as the list itself, every row of it.
    let mut whole = report.clone();
    whole.list = Some(engine_report::List { fields: list.fields.clone(), limit: usize::MAX });
    let export = Export {
        core: core.clone(),
        app: published.clone(),
        principal: principal.clone(),
        access,
        query,
        report: whole,
        paths,
        words,
        now,
    };
    let (header, cells) = export.cells(first.items).await?;
    let pages = futures_util::stream::unfold((export, first.next), |(export, cursor)| async move {
        let cursor = cursor?;
        match export.page(&cursor).await {
            Ok((cells, next)) => Some((Ok(cells), (export, next))),
            Err(e) => Some((Err(e), (export, None))),
        }
    });
    let pages = futures_util::stream::once(async move { Ok(cells) }).chain(pages).boxed_local();
    Ok(Some(Rows { name, header, pages }))
}

/// The rows of a list report as CSV text, a page at a time after the header.
pub fn csv(rows: Rows) -> LocalBoxStream<'static, Result<String, Error>> {
    let mut head = "\u{feff}".to_owned();
    super::export::push_header(&mut head, &rows.header);
    let pages = rows.pages.map(|page| page.map(csv_rows));
    futures_util::stream::once(async move { Ok(head) }).chain(pages).boxed_local()
}

/// What the pages after the first need.
struct Export {
    core: Core,
    app: Arc<PublishedApp>,
    principal: Principal,
    access: Access,
    query: ListQuery,
    report: Report,
    paths: Vec<Vec<String>>,
    words: Words,
    now: chrono::DateTime<chrono::Utc>,
}

impl Export {
    /// The page after `cursor`: its rows, and the cursor of the next.
    async fn page(&self, cursor: &str) -> Result<(Vec<Vec<Cell>>, Option<String>), Error> {
        let ctx = FormCtx::new(&self.app, &self.report.dataset.form, self.core.db.backend(), self.now)?;
        let mut query = self.query.clone();
        query.count = false;
        query.after = Some(decode_cursor(ctx.form, &query.sort, cursor)?);
        let scoped = FormCtx { access: Some(&self.access), ..ctx };
        let page = read::list(&self.core.db.conn, &scoped, &query).await?;
        Ok((self.cells(page.items).await?.1, page.next))
    }

    /// A page's records as the list's header and rows, in the exporter's words.
    async fn cells(&self, items: Vec<Value>) -> Result<(Vec<String>, Vec<Vec<Cell>>), Error> {
        let reader = Reader {
            core: &self.core,
            app: &self.app,
            principal: &self.principal,
            now: self.now,
            max_rows: self.core.report_limits.rows,
        };
        let ctx = FormCtx::new(&self.app, &self.report.dataset.form, self.core.db.backend(), self.now)?;
        let scoped = FormCtx { access: Some(&self.access), ..ctx };
        let records = reader.joined(&scoped, &self.access, items, &self.paths).await?;
        let dataset = engine_app::reports::dataset(&self.app.bundle, &self.report);
        let (bundle, form) = dataset.ok_or_else(|| gone(&self.report.dataset.form))?;
        let mut records = records;
        super::calculated::fill(&self.report, (bundle, &form), &mut records, self.now);
        let table = table_of(&self.report, (bundle, &form), &records, None)?;
        let mut answer = engine_report::run(&self.report, &table)
            .map_err(|e| Error::Internal(anyhow::anyhow!("report `{}`: {e:?}", self.report.key)))?;
        super::label_options(&self.app, &self.report, &mut answer);
        Ok(sheet(&answer, &self.words))
    }
}
