//! Writing records: create, update with optimistic concurrency, delete. Callers pass a
//! transaction; the checks that need the database (related records and files exist,
//! unique values are free, nothing links to a record being deleted) run inside it.

use chrono::{DateTime, Utc};
use engine_form::{CheckedRecord, Field, FieldError, FieldType, FieldValue, StorageType};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockType, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use super::FormCtx;
use crate::db::codec::{datetime, encode};
use crate::error::{ConflictCode, Error};
use crate::schema::TableMap;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Inserts a checked record and returns the `returning` columns of its row; the first
/// must be `id`.
pub async fn create(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    values: &CheckedRecord,
    now: DateTime<Utc>,
    returning: &[Alias],
) -> Result<QueryResult, Error> {
    check_against_database(c, ctx, values, None).await?;
    let stamp = datetime(now, ctx.backend);
    let mut assignments: Vec<(Alias, SimpleExpr)> =
        vec![(a("_version"), 1i64.into()), (a("_created_at"), stamp.clone().into()), (a("_updated_at"), stamp.into())];
    assignments.extend(column_values(ctx.map, values, ctx.backend)?);
    let (columns, row): (Vec<Alias>, Vec<SimpleExpr>) = assignments.into_iter().unzip();
    let stmt = Query::insert()
        .into_table(a(&ctx.map.table))
        .columns(columns)
        .values(row)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .returning(Query::returning().columns(returning.to_vec()))
        .to_owned();
    let inserted = c
        .query_one(&stmt)
        .await
        .map_err(unique_violation)?
        .ok_or_else(|| DbErr::Custom("INSERT returned no row".into()))?;
    let id: i64 = inserted.try_get_by_index(0)?;
    write_sub_tables(c, ctx, id, values).await?;
    attach_files(c, ctx, id, values).await?;
    Ok(inserted)
}

/// Updates the fields in `values` if the record is still at `expected_version`, and
/// returns the `returning` columns of its row.
pub async fn update(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    id: i64,
    expected_version: i64,
    values: &CheckedRecord,
    now: DateTime<Utc>,
    returning: &[Alias],
) -> Result<QueryResult, Error> {
    check_against_database(c, ctx, values, Some(id)).await?;
    let mut stmt = Query::update();
    stmt.table(a(&ctx.map.table))
        .value(a("_version"), Expr::col(a("_version")).add(1))
        .value(a("_updated_at"), datetime(now, ctx.backend))
        .and_where(Expr::col(a("id")).eq(id))
        .and_where(Expr::col(a("_version")).eq(expected_version));
    for (column, value) in column_values(ctx.map, values, ctx.backend)? {
        stmt.value(column, value);
    }
    stmt.returning(Query::returning().columns(returning.to_vec()));
    let Some(updated) = c.query_one(&stmt).await.map_err(unique_violation)? else {
        return Err(match current_version(c, ctx.map, id, None).await? {
            None => Error::not_found(format!("no `{}` record {id}", ctx.form.key)),
            Some(current) => Error::VersionMismatch { current },
        });
    };
    write_sub_tables(c, ctx, id, values).await?;
    attach_files(c, ctx, id, values).await?;
    Ok(updated)
}

/// Deletes a record that nothing links to. With `expected_version`, only at that version.
pub async fn delete(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    id: i64,
    expected_version: Option<i64>,
) -> Result<(), Error> {
    // Locking the record first makes a concurrent create that links to it either finish
    // before the link check below (and be seen) or find the record gone.
    let Some(current) = current_version(c, ctx.map, id, Some(LockType::Update)).await? else {
        return Err(Error::not_found(format!("no `{}` record {id}", ctx.form.key)));
    };
    if let Some(expected) = expected_version
        && expected != current
    {
        return Err(Error::VersionMismatch { current });
    }
    refuse_if_linked(c, ctx, id).await?;
    // Sub-table rows go with their record (ON DELETE CASCADE).
    let stmt = Query::delete().from_table(a(&ctx.map.table)).and_where(Expr::col(a("id")).eq(id)).to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// A record's version, or `None` if there is no such record. The lock (PostgreSQL; SQLite
/// has one writer) holds the answer until the caller's transaction ends.
pub async fn current_version(
    c: &impl ConnectionTrait,
    map: &TableMap,
    id: i64,
    lock: Option<LockType>,
) -> Result<Option<i64>, DbErr> {
    let mut q = Query::select();
    q.column(a("_version")).from(a(&map.table)).and_where(Expr::col(a("id")).eq(id));
    if let Some(lock) = lock {
        q.lock(lock);
    }
    c.query_one(&q).await?.map(|r| r.try_get_by_index::<i64>(0)).transpose()
}

/// The column and database value of each checked value that has a column here.
pub(super) fn column_values(
    map: &TableMap,
    values: &CheckedRecord,
    backend: sea_orm::DbBackend,
) -> Result<Vec<(Alias, SimpleExpr)>, DbErr> {
    let mut out = Vec::with_capacity(values.len());
    for (key, value) in values {
        if let Some((column, storage)) = map.column(key) {
            out.push((a(column), encode(&stored_form(value), storage, backend)?.into()));
        }
    }
    Ok(out)
}

/// Empty lists are stored as NULL, so `null` filters find them.
fn stored_form(value: &FieldValue) -> FieldValue {
    match value {
        FieldValue::Choices(c) if c.is_empty() => FieldValue::Null,
        FieldValue::Files(f) if f.is_empty() => FieldValue::Null,
        other => other.clone(),
    }
}

/// Replaces the rows of every sub-table present in `values`.
async fn write_sub_tables(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    id: i64,
    values: &CheckedRecord,
) -> Result<(), Error> {
    for (key, value) in values {
        // Only sub-table fields carry rows.
        let FieldValue::Rows(rows) = value else {
            continue;
        };
        let child = ctx.app.table(&ctx.form.key, Some(key))?;
        c.execute(&Query::delete().from_table(a(&child.table)).and_where(Expr::col(a("_parent_id")).eq(id)).to_owned())
            .await?;
        for (position, row_values) in rows.iter().enumerate() {
            let mut assignments: Vec<(Alias, SimpleExpr)> =
                vec![(a("_parent_id"), id.into()), (a("_position"), (position as i64).into())];
            assignments.extend(column_values(child, row_values, ctx.backend)?);
            let (columns, row): (Vec<Alias>, Vec<SimpleExpr>) = assignments.into_iter().unzip();
            let stmt = Query::insert()
                .into_table(a(&child.table))
                .columns(columns)
                .values(row)
                .map_err(|e| DbErr::Custom(e.to_string()))?
                .to_owned();
            c.execute(&stmt).await?;
        }
    }
    Ok(())
}

/// Attaches the files a write put into attachment fields to the record (by the top-level
/// field, a sub-table's rows by the sub-table).
async fn attach_files(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    id: i64,
    values: &CheckedRecord,
) -> Result<(), Error> {
    let mut all = Vec::new();
    located(&ctx.form.fields, values, "", &mut all);
    for item in &all {
        if let FieldValue::Files(ids) = item.value {
            let top = item.path.split('/').nth(1).unwrap_or_default();
            crate::files::attach(c, &ctx.form.key, top, id, ids).await?;
        }
    }
    Ok(())
}

/// A value to check in the database, with where it sits in the submitted record.
struct Located<'v> {
    path: String,
    field: &'v Field,
    value: &'v FieldValue,
}

fn located<'v>(fields: &'v [Field], values: &'v CheckedRecord, base: &str, out: &mut Vec<Located<'v>>) {
    for (key, value) in values {
        let Some(field) = fields.iter().find(|f| &f.key == key) else {
            continue;
        };
        let path = format!("{base}/{key}");
        if let (FieldType::SubTable { fields: sub }, FieldValue::Rows(rows)) = (&field.kind, value) {
            for (i, row) in rows.iter().enumerate() {
                located(sub, row, &format!("{path}/{i}"), out);
            }
        } else {
            out.push(Located { path, field, value });
        }
    }
}

async fn check_against_database(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    values: &CheckedRecord,
    own_id: Option<i64>,
) -> Result<(), Error> {
    let mut all = Vec::new();
    located(&ctx.form.fields, values, "", &mut all);
    let mut errors = Vec::new();
    let holder = crate::files::Holder { app: &ctx.app.key, form: &ctx.form.key, record_id: own_id, writer: ctx.writer };
    for item in &all {
        match (&item.field.kind, item.value) {
            (FieldType::Relation { form, .. }, FieldValue::Link(target)) => {
                let map = ctx.app.table(form, None)?;
                // FOR SHARE: the target cannot be deleted before this write commits.
                if current_version(c, map, *target, Some(LockType::Share)).await?.is_none() {
                    errors.push(FieldError::new(
                        &item.path,
                        "not_found",
                        format!("there is no `{form}` record {target}"),
                    ));
                }
            }
            (FieldType::Attachment { .. }, FieldValue::Files(ids)) => {
                for (i, file) in ids.iter().enumerate() {
                    if let Some(problem) = crate::files::check_attachment(c, &holder, item.field, *file).await? {
                        errors.push(FieldError::new(format!("{}/{i}", item.path), "file", problem));
                    }
                }
            }
            _ => {}
        }
    }
    // Uniqueness is checked for the main record's fields; the unique index backs it up
    // against concurrent writers.
    for (key, value) in values {
        let Some(field) = ctx.form.field(key).filter(|f| f.unique) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        let Some((column, storage)) = ctx.map.column(key) else {
            continue;
        };
        if let Some(other) = holder_of(c, ctx, column, storage, value, own_id).await? {
            errors.push(FieldError::new(
                format!("/{}", field.key),
                "unique",
                format!("record {other} already has this value"),
            ));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(Error::InvalidRecord(errors)) }
}

async fn holder_of(
    c: &impl ConnectionTrait,
    ctx: &FormCtx<'_>,
    column: &str,
    storage: &StorageType,
    value: &FieldValue,
    own_id: Option<i64>,
) -> Result<Option<i64>, DbErr> {
    let mut q = Query::select();
    q.column(a("id"))
        .from(a(&ctx.map.table))
        .and_where(Expr::col(a(column)).eq(encode(value, storage, ctx.backend)?))
        .limit(1);
    if let Some(id) = own_id {
        q.and_where(Expr::col(a("id")).ne(id));
    }
    c.query_one(&q).await?.map(|r| r.try_get_by_index::<i64>(0)).transpose()
}

/// Refuses to delete a record that another record still links to.
async fn refuse_if_linked(c: &impl ConnectionTrait, ctx: &FormCtx<'_>, id: i64) -> Result<(), Error> {
    for form in &ctx.app.bundle.forms {
        let mut places: Vec<(Option<&str>, &Field)> = Vec::new();
        for field in &form.fields {
            match &field.kind {
                FieldType::Relation { form: target, .. } if target == &ctx.form.key => places.push((None, field)),
                FieldType::SubTable { fields } => {
                    for sub in fields {
                        if matches!(&sub.kind, FieldType::Relation { form: target, .. } if target == &ctx.form.key) {
                            places.push((Some(field.key.as_str()), sub));
                        }
                    }
                }
                _ => {}
            }
        }
        for (sub_table, field) in places {
            let map = ctx.app.table(&form.key, sub_table)?;
            let Some((column, _)) = map.column(&field.key) else {
                continue;
            };
            let q = Query::select()
                .column(a("id"))
                .from(a(&map.table))
                .and_where(Expr::col(a(column)).eq(id))
                .limit(1)
                .to_owned();
            if c.query_one(&q).await?.is_some() {
                let place = sub_table.map_or(String::new(), |s| format!(" (sub-table `{s}`)"));
                return Err(Error::Conflict {
                    code: ConflictCode::still_linked,
                    detail: format!("`{}` records{place} still link to this record through `{}`", form.key, field.key),
                });
            }
        }
    }
    Ok(())
}

/// A unique index refused a value a concurrent writer took first.
pub(super) fn unique_violation(e: DbErr) -> Error {
    let text = e.to_string();
    if text.contains("UNIQUE constraint failed") || text.contains("duplicate key value") {
        Error::Conflict {
            code: ConflictCode::unique_violation,
            detail: "another record took a unique value at the same time; retry".into(),
        }
    } else {
        e.into()
    }
}
