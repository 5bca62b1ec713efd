//! What a read selects and how a selected row becomes a record: the system columns, the
//! fields asked for, related records' lookups through LEFT JOINs (within the rows the
//! caller may see), the inputs formulas need, and sort keys for the cursor.

use chrono::{DateTime, Utc};
use engine_form::{Field, FieldType, FieldValue, StorageType};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{DbErr, QueryResult};
use serde_json::{Map, Value};

use super::FormCtx;
use crate::db::codec::decode;
use crate::error::Error;
use crate::expr_sql::admitted;

/// What each selected column is, in select order.
pub(super) enum Col {
    System(&'static str, StorageType),
    /// A field's own column; `lookup` when its related record's fields follow as `Lookup`s.
    Field {
        key: String,
        storage: StorageType,
        lookup: bool,
    },
    /// The related record's id: null when the caller may not see it, or there is none.
    Reached(String),
    Lookup {
        relation: String,
        field: String,
        storage: StorageType,
    },
    Sort(StorageType),
    /// A field a formula reads that the caller did not ask for: read, not returned.
    Input(String, StorageType),
    /// A formula field: no column; computed from the fields read.
    Formula(String),
}

pub(super) fn included<'f>(ctx: &'f FormCtx<'_>, fields: Option<&[String]>) -> impl Iterator<Item = &'f Field> {
    let wanted: Option<Vec<String>> = fields.map(<[String]>::to_vec);
    ctx.form.fields.iter().filter(move |f| wanted.as_ref().is_none_or(|w| w.contains(&f.key)))
}

/// The system columns every record has, in the order reads select them.
pub(super) const SYSTEM_COLUMNS: [(&str, StorageType); 4] = [
    ("id", StorageType::Integer),
    ("_version", StorageType::Integer),
    ("_created_at", StorageType::DateTime),
    ("_updated_at", StorageType::DateTime),
];

/// A record as its own row holds it: what a write returns with `RETURNING`, so the row
/// is not read back. Its sub-table rows are read from their own tables; its relations'
/// lookup fields (other records' values) are not part of it.
pub struct OwnRow {
    /// The columns to return, `id` first.
    pub columns: Vec<Alias>,
    pub(super) cols: Vec<Col>,
    pub(super) sub_tables: Vec<String>,
}

impl OwnRow {
    pub fn of(ctx: &FormCtx<'_>) -> OwnRow {
        let mut row = OwnRow { columns: Vec::new(), cols: Vec::new(), sub_tables: Vec::new() };
        for (name, storage) in SYSTEM_COLUMNS {
            row.columns.push(Alias::new(name));
            row.cols.push(Col::System(name, storage));
        }
        for field in &ctx.form.fields {
            match field.kind {
                FieldType::Formula { .. } => row.cols.push(Col::Formula(field.key.clone())),
                FieldType::SubTable { .. } => row.sub_tables.push(field.key.clone()),
                _ => {
                    if let Some((column, storage)) = ctx.map.column(&field.key) {
                        row.columns.push(Alias::new(column));
                        row.cols.push(Col::Field { key: field.key.clone(), storage: storage.clone(), lookup: false });
                    }
                }
            }
        }
        row
    }
}

/// Whether reading the form's records joins other records (relation lookups).
pub fn shows_lookups(ctx: &FormCtx<'_>) -> bool {
    ctx.form.fields.iter().any(|f| lookups_of(ctx, &f.key))
}

/// A read's statement, what each of its columns is, and the sub-tables to read with it.
pub(super) struct Selection {
    pub stmt: SelectStatement,
    pub cols: Vec<Col>,
    pub sub_tables: Vec<String>,
}

/// The SELECT for the fields asked for (all when `None`) as the caller may read them.
pub(super) fn build_select(
    ctx: &FormCtx<'_>,
    fields: Option<&[String]>,
    now: DateTime<Utc>,
) -> Result<Selection, Error> {
    let table = Alias::new(&ctx.map.table);
    let mut stmt = Query::select();
    stmt.from(table.clone());
    let mut cols = Vec::new();
    for (name, storage) in SYSTEM_COLUMNS {
        stmt.column((table.clone(), Alias::new(name)));
        cols.push(Col::System(name, storage));
    }
    let mut sub_tables = Vec::new();
    // Sub-tables that formulas aggregate are read with the record, asked for or not.
    for field in included(ctx, fields) {
        for key in engine_form::rows_read(ctx.form, field) {
            if !sub_tables.iter().any(|k| k == key) {
                sub_tables.push(key.to_owned());
            }
        }
    }
    for (n, field) in included(ctx, fields).enumerate() {
        if let FieldType::SubTable { .. } = field.kind {
            if !sub_tables.contains(&field.key) {
                sub_tables.push(field.key.clone());
            }
            continue;
        }
        if let FieldType::Formula { .. } = field.kind {
            cols.push(Col::Formula(field.key.clone()));
            continue;
        }
        let Some((column, storage)) = ctx.map.column(&field.key) else {
            continue;
        };
        stmt.column((table.clone(), Alias::new(column)));
        // The caller's access to the related form: lookups show only records it admits.
        let related = match &field.kind {
            FieldType::Relation { form: target, .. } => ctx.access.and_then(|a| a.to_form(target)),
            _ => None,
        };
        let shown = lookups_of(ctx, &field.key) && related.is_none_or(|a| a.allows("read"));
        cols.push(Col::Field { key: field.key.clone(), storage: storage.clone(), lookup: shown });
        if let FieldType::Relation { form: target, lookup } = &field.kind
            && shown
        {
            let target_map = ctx.app.table(target, None)?;
            let alias = Alias::new(format!("l{n}"));
            let on = Expr::col((alias.clone(), Alias::new("id"))).equals((table.clone(), Alias::new(column)));
            let target_ctx = FormCtx { form: ctx.app.form(target)?, map: target_map, access: related, ..*ctx };
            match admitted(&target_ctx, now)? {
                // The related records the caller may see, as a derived table.
                Some(condition) => {
                    let mut admitted_rows = Query::select();
                    admitted_rows
                        .column(sea_orm::sea_query::Asterisk)
                        .from(Alias::new(&target_map.table))
                        .and_where(condition);
                    stmt.join_subquery(JoinType::LeftJoin, admitted_rows, alias.clone(), on);
                }
                None => {
                    stmt.join_as(JoinType::LeftJoin, Alias::new(&target_map.table), alias.clone(), on);
                }
            }
            stmt.column((alias.clone(), Alias::new("id")));
            cols.push(Col::Reached(field.key.clone()));
            for key in lookup {
                if let Some((lcol, lstorage)) = target_map.column(key) {
                    stmt.column((alias.clone(), Alias::new(lcol)));
                    cols.push(Col::Lookup {
                        relation: field.key.clone(),
                        field: key.clone(),
                        storage: lstorage.clone(),
                    });
                }
            }
        }
    }
    // Formulas read the record's other fields, asked for or not.
    if cols.iter().any(|c| matches!(c, Col::Formula(_))) {
        for field in &ctx.form.fields {
            let asked = cols.iter().any(|c| matches!(c, Col::Field { key, .. } if key == &field.key));
            if let (false, Some((column, storage))) = (asked, ctx.map.column(&field.key)) {
                stmt.column((table.clone(), Alias::new(column)));
                cols.push(Col::Input(field.key.clone(), storage.clone()));
            }
        }
    }
    Ok(Selection { stmt, cols, sub_tables })
}

/// A selected row as a record (formulas over sub-table rows left for `finish`), and the
/// row's sort values.
pub(super) fn row_to_json(
    ctx: &FormCtx<'_>,
    row: &QueryResult,
    cols: &[Col],
    now: DateTime<Utc>,
) -> Result<(Map<String, Value>, Vec<FieldValue>), DbErr> {
    // Field values are kept for formulas only when there are formulas to compute.
    let with_formulas = cols.iter().any(|c| matches!(c, Col::Formula(_)));
    let deferred = cols.iter().any(|c| {
        matches!(c, Col::Formula(key) if ctx.form.field(key).is_some_and(|f| !engine_form::rows_read(ctx.form, f).is_empty()))
    });
    let mut record = Map::new();
    let mut lookups: Map<String, Value> = Map::new();
    let mut sort_values = Vec::new();
    let mut stored: Vec<(String, FieldValue)> = Vec::new();
    let mut formulas = Vec::new();
    let mut i = 0;
    for col in cols {
        if let Col::Formula(key) = col {
            // A placeholder keeps the formula's place among the fields until it is computed.
            record.insert(key.clone(), Value::Null);
            formulas.push(key);
            continue;
        }
        match col {
            Col::System(name, storage) => {
                record.insert((*name).into(), decode(row, i, storage, ctx.backend)?.to_json());
            }
            Col::Field { key, storage, lookup } => {
                let value = decode(row, i, storage, ctx.backend)?;
                if *lookup {
                    lookups.insert(key.clone(), if value.is_null() { Value::Null } else { Value::Object(Map::new()) });
                }
                record.insert(key.clone(), value.to_json());
                if with_formulas {
                    stored.push((key.clone(), value));
                }
            }
            Col::Input(key, storage) => {
                let value = decode(row, i, storage, ctx.backend)?;
                if deferred {
                    // Kept for `finish`, which computes the formulas over rows and drops it.
                    record.insert(key.clone(), value.to_json());
                }
                stored.push((key.clone(), value));
            }
            Col::Reached(relation) => {
                if decode(row, i, &StorageType::Integer, ctx.backend)?.is_null() {
                    lookups.insert(relation.clone(), Value::Null);
                }
            }
            Col::Lookup { relation, field, storage } => {
                let value = decode(row, i, storage, ctx.backend)?.to_json();
                if let Some(Value::Object(obj)) = lookups.get_mut(relation) {
                    obj.insert(field.clone(), value);
                }
            }
            Col::Sort(storage) => sort_values.push(decode(row, i, storage, ctx.backend)?),
            Col::Formula(_) => {}
        }
        i += 1;
    }
    for key in formulas {
        // Formulas over sub-table rows wait for the rows (`finish`).
        if let Some(field) = ctx.form.field(key).filter(|f| engine_form::rows_read(ctx.form, f).is_empty()) {
            let context = engine_form::formula_context(&ctx.app.bundle, now);
            record.insert(key.clone(), engine_form::compute_formula(field, &stored, &context).to_json());
        }
    }
    if !lookups.is_empty() {
        record.insert("_lookup".into(), Value::Object(lookups));
    }
    Ok((record, sort_values))
}

pub(super) fn lookups_of(ctx: &FormCtx<'_>, key: &str) -> bool {
    matches!(ctx.form.field(key).map(|f| &f.kind), Some(FieldType::Relation { lookup, .. }) if !lookup.is_empty())
}
