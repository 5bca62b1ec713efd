//! A record page assembled for one reader (`engine_app::Page`): the record, its summary
//! figures computed by the database over what the reader may read (aggregates over the
//! related records their rows admit; a figure reading a masked or hidden value is left
//! without one), and each section: related records through the list query with the
//! reader's roles (a section of a form they may not read is left out, not shown empty),
//! their open tasks, processes and alerts (of the record and of the records linking to it
//! that the reader reads). Every section says how many there are in all,
//! so nothing is cut short silently.

use chrono::{DateTime, Utc};
use engine_app::Source;
use serde_json::{Value, json};

use crate::access::reach;
use crate::auth::Principal;
use crate::core::Core;
use crate::error::Error;
use crate::records::query::ListParams;
use crate::records::{FormCtx, preview, read};

/// Page `page` of app `app` for record `id`, as `principal` may see it.
pub async fn assemble(core: &Core, principal: &Principal, (app, page, id): (&str, &str, i64)) -> Result<Value, Error> {
    let published = core.catalog.published(&core.db.conn, app).await?;
    let page = published.page(page)?;
    let now = core.clock.now();
    let mut ctx = FormCtx::new(&published, &page.form, core.db.backend(), now)?;
    let access = reach::for_operation(&core.db.conn, &ctx, principal, "read").await?;
    ctx.access = Some(&access);
    // The record within the reader's rows, read and shaped with the access loaded once.
    let found = read::get(&core.db.conn, &ctx, id, None).await?;
    let record =
        reach::shaped(&access, found.ok_or_else(|| Error::not_found(format!("no `{}` record {id}", page.form)))?);
    let exprs: Vec<&engine_rule::Expr> = page.summary.iter().map(|f| &f.expression).collect();
    let values = preview::values_for_record(&core.db.conn, &ctx, &access, id, &exprs).await?;
    let summary: Vec<Value> = page
        .summary
        .iter()
        .zip(values)
        .map(|(f, figure)| {
            let (readable, value, error) = match figure {
                preview::Figure::Value(value) => (true, value, None),
                preview::Figure::Unreadable => (false, Value::Null, None),
                preview::Figure::Overflow => (true, Value::Null, Some("overflow")),
            };
            json!({ "key": f.key, "label": f.label, "scale": f.scale, "readable": readable, "value": value,
                "error": error })
        })
        .collect();
    let mut sections = Vec::new();
    for section in &page.sections {
        let at = (app, page.form.as_str(), id);
        let body = match &section.source {
            Source::Related { .. } => match related(core, principal, &published, section, (id, now)).await? {
                Some(body) => body,
                None => continue,
            },
            Source::Tasks => counted(crate::timeline::open_tasks(core, principal, at).await?),
            Source::Processes => counted(crate::timeline::processes(core, principal, at).await?),
            Source::Alerts => counted(crate::timeline::firings(core, principal, at, true).await?),
            Source::Messages => counted(crate::timeline::messages(core, principal, at).await?),
        };
        let mut entry = json!({ "key": section.key, "label": section.label, "kind": kind(&section.source) });
        if let (Some(entry), Value::Object(body)) = (entry.as_object_mut(), body) {
            entry.extend(body);
        }
        sections.push(entry);
    }
    Ok(json!({ "page": { "key": page.key, "label": page.label, "form": page.form }, "record": record,
        "summary": summary, "sections": sections }))
}

fn kind(source: &Source) -> &'static str {
    match source {
        Source::Related { .. } => "related",
        Source::Tasks => "tasks",
        Source::Processes => "processes",
        Source::Alerts => "alerts",
        Source::Messages => "messages",
    }
}

/// A whole list (`items`) with its `total`.
fn counted(mut body: Value) -> Value {
    let total = body["items"].as_array().map_or(0, Vec::len);
    body["total"] = json!(total);
    body
}

/// The records of a related section, or `None` when the reader may not read its form.
async fn related(
    core: &Core,
    principal: &Principal,
    published: &crate::catalog::PublishedApp,
    section: &engine_app::Section,
    (id, now): (i64, DateTime<Utc>),
) -> Result<Option<Value>, Error> {
    let Source::Related { form, via, columns, sort, limit } = &section.source else { return Ok(None) };
    let mut ctx = FormCtx::new(published, form, core.db.backend(), now)?;
    let target = published.form(form)?;
    let access = crate::access::load(&core.db.conn, published, principal, target).await?;
    if !access.allows("read") {
        return Ok(None);
    }
    let sort: Vec<String> = sort.iter().map(|(k, down)| format!("{}{k}", if *down { "-" } else { "" })).collect();
    let params = ListParams {
        filter: Some(format!("{via}:eq:{id}")),
        sort: Some(sort.join(",")),
        limit: Some(u64::from(*limit)),
        fields: Some(columns.join(",")),
        count: Some(true),
        ..Default::default()
    };
    let (access, query) = match reach::list_query(&core.db.conn, &ctx, principal, &params, "read").await {
        Ok(found) => found,
        // A column or an order on what the reader sees masked: the section is not theirs.
        Err(Error::Forbidden { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    ctx.access = Some(&access);
    let listed = read::list(&core.db.conn, &ctx, &query).await?;
    let items: Vec<Value> = listed.items.into_iter().map(|r| reach::shaped(&access, r)).collect();
    let fields: Vec<Value> = columns
        .iter()
        .filter_map(|c| target.field(c))
        .filter(|f| access.mode(&f.key) != engine_app::Mode::Hidden)
        .map(|f| json!({ "key": f.key, "mode": access.mode(&f.key).name() }))
        .collect();
    Ok(Some(json!({ "form": form, "columns": fields, "items": items, "total": listed.total.unwrap_or(0) })))
}
