//! Files stored by the server for attachment fields. Bytes live in the database, so every
//! server process sharing one PostgreSQL sees the same files.

use crate::db::Table;
use chrono::{DateTime, Utc};
use engine_form::{Field, FieldType};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};

use crate::limits;
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
    #[serde(skip)]
    pub uploaded_by: Option<i64>,
    /// The record field the file is attached to, once it is.
    #[serde(skip)]
    pub attached: Option<Attached>,
}

/// Where a file is attached: a field (a sub-table's, by the sub-table) of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub form: String,
    pub field: String,
    pub record_id: i64,
}

const META_COLUMNS: [&str; 10] =
    ["id", "app", "name", "content_type", "size", "created_at", "uploaded_by", "form", "field", "record_id"];

fn meta_row(r: &QueryResult) -> Result<FileMeta, DbErr> {
    Ok(FileMeta {
        id: r.try_get("", "id")?,
        app: r.try_get("", "app")?,
        name: r.try_get("", "name")?,
        content_type: r.try_get("", "content_type")?,
        size: r.try_get("", "size")?,
        created_at: r.try_get("", "created_at")?,
        uploaded_by: r.try_get("", "uploaded_by")?,
        attached: match (r.try_get("", "form")?, r.try_get("", "field")?, r.try_get("", "record_id")?) {
            (Some(form), Some(field), Some(record_id)) => Some(Attached { form, field, record_id }),
            _ => None,
        },
    })
}

/// Stores an upload of user `uploaded_by`, theirs until a write attaches it; refused (409)
/// when their unattached uploads would pass [`limits::UNATTACHED_FILES`] or
/// [`limits::UNATTACHED_BYTES`]. One statement
/// counts and inserts (SQLite writes one at a time); on PostgreSQL the user's row is locked
/// first, so parallel uploads count one after another.
pub async fn store(
    db: &crate::db::Db,
    app: &str,
    name: &str,
    content_type: &str,
    data: Vec<u8>,
    uploaded_by: i64,
    now: DateTime<Utc>,
) -> Result<FileMeta, crate::error::Error> {
    use sea_orm::TransactionTrait;
    let size = data.len() as i64;
    let tx = db.conn.begin().await?;
    if db.backend() == sea_orm::DbBackend::Postgres {
        let me = Query::select()
            .column(a("id"))
            .from(Table::Users)
            .and_where(Expr::col(a("id")).eq(uploaded_by))
            .lock(sea_orm::sea_query::LockType::Update)
            .to_owned();
        tx.query_one(&me).await?;
    }
    let waiting = |what: Expr| {
        Query::select()
            .expr(what)
            .from(Table::Files)
            .and_where(Expr::col(a("uploaded_by")).eq(uploaded_by))
            .and_where(Expr::col(a("record_id")).is_null())
            .to_owned()
    };
    let bytes = waiting(Func::coalesce([Expr::col(a("size")).sum(), Expr::val(0i64)]).into());
    let files = waiting(Expr::col(a("id")).count());
    let values = Query::select()
        .exprs([
            Expr::val(app),
            Expr::val(name),
            Expr::val(content_type),
            Expr::val(size),
            Expr::val(data),
            Expr::val(now),
            Expr::val(uploaded_by),
        ])
        .and_where(Expr::SubQuery(None, Box::new(bytes.into())).add(size).lte(limits::UNATTACHED_BYTES))
        .and_where(Expr::SubQuery(None, Box::new(files.into())).lt(limits::UNATTACHED_FILES))
        .to_owned();
    let q = Query::insert()
        .into_table(Table::Files)
        .columns(["app", "name", "content_type", "size", "data", "created_at", "uploaded_by"].map(a))
        .select_from(values)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .returning_col(a("id"))
        .to_owned();
    let Some(row) = tx.query_one(&q).await? else {
        return Err(crate::error::Error::Conflict {
            code: crate::error::ConflictCode::too_many_uploads,
            detail: format!(
                "your uploads not yet attached to a record are {} files and {} MiB at most; attach them, or wait a \
                 day for them to expire",
                limits::UNATTACHED_FILES,
                limits::UNATTACHED_BYTES / 1024 / 1024
            ),
        });
    };
    tx.commit().await?;
    Ok(FileMeta {
        id: row.try_get_by_index(0)?,
        app: app.into(),
        name: name.into(),
        content_type: content_type.into(),
        size,
        created_at: now,
        uploaded_by: Some(uploaded_by),
        attached: None,
    })
}

/// Deletes the uploads no record or task took within [`limits::UNATTACHED_DAYS`]; how many.
pub async fn forget_unattached(c: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let before = now - chrono::Duration::days(limits::UNATTACHED_DAYS);
    let stmt = Query::delete()
        .from_table(Table::Files)
        .and_where(Expr::col(a("record_id")).is_null())
        .and_where(Expr::col(a("created_at")).lt(before))
        .to_owned();
    Ok(c.execute(&stmt).await?.rows_affected())
}

pub async fn metadata(c: &impl ConnectionTrait, id: i64) -> Result<Option<FileMeta>, DbErr> {
    let q =
        Query::select().columns(META_COLUMNS.map(a)).from(Table::Files).and_where(Expr::col(a("id")).eq(id)).to_owned();
    c.query_one(&q).await?.as_ref().map(meta_row).transpose()
}

pub async fn content(c: &impl ConnectionTrait, id: i64) -> Result<Option<(FileMeta, Vec<u8>)>, DbErr> {
    let mut columns = META_COLUMNS.map(a).to_vec();
    columns.push(a("data"));
    let q = Query::select().columns(columns).from(Table::Files).and_where(Expr::col(a("id")).eq(id)).to_owned();
    let Some(row) = c.query_one(&q).await? else {
        return Ok(None);
    };
    Ok(Some((meta_row(&row)?, row.try_get("", "data")?)))
}

/// The record a file is being attached to, and who is writing it.
/// The `form` of files attached to a task's form (`record_id` is the task): no form key
/// can start with `$`.
pub const TASK_FILES: &str = "$task";

pub struct Holder<'a> {
    pub app: &'a str,
    pub form: &'a str,
    /// `None` while the record is being created.
    pub record_id: Option<i64>,
    /// The signed-in user writing; `None` for the server's own writes (rules, seeding).
    pub writer: Option<i64>,
}

/// Why file `id` cannot be attached to `field` of `holder`, or `None` if it can: it must
/// be in the app, fit the field, and be either the writer's own unattached upload or
/// already attached to this record.
pub async fn check_attachment(
    c: &impl ConnectionTrait,
    holder: &Holder<'_>,
    field: &Field,
    id: i64,
) -> Result<Option<String>, DbErr> {
    let FieldType::Attachment { max_size, accept, .. } = &field.kind else {
        return Ok(None);
    };
    let Some(meta) = metadata(c, id).await?.filter(|m| m.app == holder.app) else {
        return Ok(Some(format!("there is no file {id} in this app")));
    };
    match &meta.attached {
        Some(at) if at.form != holder.form || Some(at.record_id) != holder.record_id => {
            return Ok(Some(format!("file {id} belongs to another record")));
        }
        None if holder.writer.is_some() && meta.uploaded_by != holder.writer => {
            return Ok(Some(format!("file {id} was uploaded by someone else")));
        }
        _ => {}
    }
    if meta.size as u64 > *max_size {
        return Ok(Some(format!("`{}` is {} bytes; this field takes at most {max_size}", meta.name, meta.size)));
    }
    if !accept.is_empty() && !accept.iter().any(|pattern| media_type_matches(pattern, &meta.content_type)) {
        return Ok(Some(format!("`{}` is {}; this field takes {}", meta.name, meta.content_type, accept.join(", "))));
    }
    Ok(None)
}

/// Attaches files `ids` to `field` of record `record_id` of `form`; files already attached
/// (to this record: `check_attachment` refused any other) stay as they are.
pub async fn attach(
    c: &impl ConnectionTrait,
    form: &str,
    field: &str,
    record_id: i64,
    ids: &[i64],
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    let stmt = Query::update()
        .table(Table::Files)
        .values([(a("form"), form.into()), (a("field"), field.into()), (a("record_id"), record_id.into())])
        .and_where(Expr::col(a("id")).is_in(ids.to_vec()))
        .and_where(Expr::col(a("record_id")).is_null())
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// `image/*` matches any image type; other patterns match exactly (parameters ignored).
fn media_type_matches(pattern: &str, content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match pattern.strip_suffix("/*") {
        Some(top) => essence.split('/').next() == Some(top),
        None => essence == pattern,
    }
}
