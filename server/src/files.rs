//! Files stored by the server for attachment fields. Bytes live in the database, so every
//! server process sharing one PostgreSQL sees the same files.

use chrono::{DateTime, Utc};
use engine_form::{Field, FieldType};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use serde::Serialize;
use utoipa::ToSchema;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// The largest file the server accepts at all; fields may set lower limits.
pub const MAX_FILE_SIZE: usize = 100 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "name": "statement.pdf", "content_type": "application/pdf", "size": 48213, "created_at": "2026-11-28T09:30:00Z"}))]
pub struct FileMeta {
    pub id: i64,
    #[serde(skip)]
    pub app: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

const META_COLUMNS: [&str; 6] = ["id", "app", "name", "content_type", "size", "created_at"];

fn meta_row(r: &QueryResult) -> Result<FileMeta, DbErr> {
    Ok(FileMeta {
        id: r.try_get("", "id")?,
        app: r.try_get("", "app")?,
        name: r.try_get("", "name")?,
        content_type: r.try_get("", "content_type")?,
        size: r.try_get("", "size")?,
        created_at: r.try_get("", "created_at")?,
    })
}

pub async fn store(
    c: &impl ConnectionTrait,
    app: &str,
    name: &str,
    content_type: &str,
    data: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<FileMeta, DbErr> {
    let size = data.len() as i64;
    let q = Query::insert()
        .into_table(a("trellis_files"))
        .columns(["app", "name", "content_type", "size", "data", "created_at"].map(a))
        .values_panic([app.into(), name.into(), content_type.into(), size.into(), data.into(), now.into()])
        .returning_col(a("id"))
        .to_owned();
    let row = c.query_one(&q).await?.ok_or_else(|| DbErr::Custom("INSERT returned no id".into()))?;
    Ok(FileMeta {
        id: row.try_get_by_index(0)?,
        app: app.into(),
        name: name.into(),
        content_type: content_type.into(),
        size,
        created_at: now,
    })
}

pub async fn metadata(c: &impl ConnectionTrait, id: i64) -> Result<Option<FileMeta>, DbErr> {
    let q = Query::select()
        .columns(META_COLUMNS.map(a))
        .from(a("trellis_files"))
        .and_where(Expr::col(a("id")).eq(id))
        .to_owned();
    c.query_one(&q).await?.as_ref().map(meta_row).transpose()
}

pub async fn content(c: &impl ConnectionTrait, id: i64) -> Result<Option<(FileMeta, Vec<u8>)>, DbErr> {
    let mut columns = META_COLUMNS.map(a).to_vec();
    columns.push(a("data"));
    let q = Query::select().columns(columns).from(a("trellis_files")).and_where(Expr::col(a("id")).eq(id)).to_owned();
    let Some(row) = c.query_one(&q).await? else {
        return Ok(None);
    };
    Ok(Some((meta_row(&row)?, row.try_get("", "data")?)))
}

/// Why file `id` cannot be attached to `field` of an `app` record, or `None` if it can.
pub async fn check_attachment(
    c: &impl ConnectionTrait,
    app: &str,
    field: &Field,
    id: i64,
) -> Result<Option<String>, DbErr> {
    let FieldType::Attachment { max_size, accept, .. } = &field.kind else {
        return Ok(None);
    };
    let Some(meta) = metadata(c, id).await?.filter(|m| m.app == app) else {
        return Ok(Some(format!("there is no file {id} in this app")));
    };
    if meta.size as u64 > *max_size {
        return Ok(Some(format!("`{}` is {} bytes; this field takes at most {max_size}", meta.name, meta.size)));
    }
    if !accept.is_empty() && !accept.iter().any(|pattern| media_type_matches(pattern, &meta.content_type)) {
        return Ok(Some(format!("`{}` is {}; this field takes {}", meta.name, meta.content_type, accept.join(", "))));
    }
    Ok(None)
}

/// `image/*` matches any image type; other patterns match exactly (parameters ignored).
fn media_type_matches(pattern: &str, content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match pattern.strip_suffix("/*") {
        Some(top) => essence.split('/').next() == Some(top),
        None => essence == pattern,
    }
}
