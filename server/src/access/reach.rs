//! What a caller reaches of one form's records: their access for an operation, a record
//! within their rows, the record as they may see it, and the texts about a record (its
//! own and its related records') they may not see in clear, to be masked wherever else
//! they appear.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use engine_form::FieldType;
use sea_orm::ConnectionTrait;
use serde_json::Value;

use super::enforce::{allowed, within_reach};
use super::{Access, Secrets};
use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::error::{Error, ForbiddenCode};
use crate::records::query::{ListParams, ListQuery};
use crate::records::{FormCtx, read};

/// The caller's access to the form, refused unless it grants `operation`.
pub async fn for_operation(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    principal: &Principal,
    operation: &str,
) -> Result<Access, Error> {
    let access = super::load(c, ctx.app, principal, ctx.form).await?;
    allowed(&access, operation, &ctx.form.key)?;
    Ok(access)
}

/// The caller's access to `form`, refused unless they may read record `id` (404 for one
/// outside their records): for what is said about a record (its firings, its history).
pub async fn readable(
    core: &Core,
    principal: &Principal,
    (app, form, id): (&str, &str, i64),
    now: DateTime<Utc>,
) -> Result<Access, Error> {
    let app = core.catalog.published(&core.db.conn, app).await?;
    let ctx = FormCtx::new(&app, form, core.db.backend(), now)?;
    let access = for_operation(&core.db.conn, &ctx, principal, "read").await?;
    within_reach(&core.db.conn, &ctx, &access, id, || Error::not_found(format!("no `{form}` record {id}"))).await?;
    Ok(access)
}

/// Record `id` as the caller may see it; only the `fields` named (`name,aum`) if given.
pub async fn read_one(
    core: &Core,
    principal: &Principal,
    (app, form, id): (&str, &str, i64),
    fields: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Value, Error> {
    let app = core.catalog.published(&core.db.conn, app).await?;
    let mut ctx = FormCtx::new(&app, form, core.db.backend(), now)?;
    let fields = fields.map(|f| crate::records::query::parse_fields(ctx.form, f)).transpose()?;
    let access = for_operation(&core.db.conn, &ctx, principal, "read").await?;
    ctx.access = Some(&access);
    let record = read::get(&core.db.conn, &ctx, id, fields.as_deref())
        .await?
        .ok_or_else(|| Error::not_found(format!("no `{form}` record {id}")))?;
    Ok(shaped(&access, record))
}

/// A page of the records of `form` that the caller's list `params` ask for, each as the
/// caller may see it: `items`, the `next` page's cursor and, asked for, the `total`.
pub async fn list(
    core: &Core,
    principal: &Principal,
    (app, form): (&str, &str),
    params: &ListParams,
    now: DateTime<Utc>,
) -> Result<Value, Error> {
    let app = core.catalog.published(&core.db.conn, app).await?;
    let mut ctx = FormCtx::new(&app, form, core.db.backend(), now)?;
    let (access, query) = list_query(&core.db.conn, &ctx, principal, params, "read").await?;
    ctx.access = Some(&access);
    page(&core.db.conn, &ctx, &access, &query).await
}

/// A page of `ctx`'s records as `access` (also `ctx.access`) shapes them: `{items, next,
/// total?}`.
pub async fn page(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    access: &Access,
    query: &ListQuery,
) -> Result<Value, Error> {
    let page = read::list(c, ctx, query).await?;
    let items: Vec<Value> = page.items.into_iter().map(|r| shaped(access, r)).collect();
    let mut body = serde_json::json!({ "items": items, "next": page.next });
    if let Some(total) = page.total {
        body["total"] = Value::from(total);
    }
    Ok(body)
}

/// How the database means to read the page `params` ask for, as [`list`] reads it: each
/// statement's plan. For tests and benchmarks that hold a list to the plan it is written
/// for (an index walked, not the table scanned and sorted).
pub async fn list_plans(
    core: &Core,
    principal: &Principal,
    (app, form): (&str, &str),
    params: &ListParams,
    now: DateTime<Utc>,
) -> Result<Vec<String>, Error> {
    let app = core.catalog.published(&core.db.conn, app).await?;
    let mut ctx = FormCtx::new(&app, form, core.db.backend(), now)?;
    let (access, query) = list_query(&core.db.conn, &ctx, principal, params, "read").await?;
    ctx.access = Some(&access);
    crate::records::page::plans(&core.db.conn, &ctx, &query).await
}

/// A record as the caller may see it.
pub fn shaped(access: &Access, mut record: Value) -> Value {
    if let Some(obj) = record.as_object_mut() {
        access.shape(obj);
    }
    record
}

/// The caller's access for `operation` and their list query, refused if it filters or
/// sorts on what they may not see in clear.
pub async fn list_query(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    principal: &Principal,
    params: &ListParams,
    operation: &str,
) -> Result<(Access, ListQuery), Error> {
    let access = for_operation(c, ctx, principal, operation).await?;
    let mut query = ListQuery::parse(ctx.form, params)?;
    if let Some(search) = &mut query.search {
        search.within(&ctx.app.bundle, ctx.form, |key| access.mode(key) <= engine_app::Mode::ReadOnly);
    }
    access
        .check_readable(&ctx.app.bundle, ctx.form, &query.paths_read(&ctx.app.bundle, ctx.form))
        .map_err(|detail| Error::Forbidden { code: ForbiddenCode::not_readable, detail })?;
    Ok((access, query))
}

/// The texts of record `id`, and of the records it relates to (two relations deep: a
/// holding's customer and the customer's manager), that `access` masks or hides: to be
/// masked wherever else they appear in an answer about the record (what its rules,
/// processes and tasks wrote, which may quote them).
pub async fn secrets_around(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    (form, id): (&str, i64),
    access: &Access,
    now: DateTime<Utc>,
) -> Result<Secrets, Error> {
    let mut secrets = Secrets::default();
    let mut pending = vec![(form.to_owned(), id, 0)];
    let mut seen = HashSet::new();
    while let Some((form, id, depth)) = pending.pop() {
        if !seen.insert((form.clone(), id)) {
            continue;
        }
        let Some(form_access) = (if depth == 0 { Some(access) } else { access.to_form(&form) }) else { continue };
        let ctx = FormCtx::new(app, &form, c.get_database_backend(), now)?;
        let Some(Value::Object(mut record)) = read::get(c, &ctx, id, None).await? else { continue };
        if depth < 2 {
            for field in &ctx.form.fields {
                if let FieldType::Relation { form: target, .. } = &field.kind
                    && let Some(related) = record.get(&field.key).and_then(Value::as_i64)
                {
                    pending.push((target.clone(), related, depth + 1));
                }
            }
        }
        form_access.shape_collecting(&mut record, &mut secrets);
    }
    Ok(secrets)
}
