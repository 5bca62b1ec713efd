//! The physical schema of record tables: the column registry, and DDL built with
//! sea-query from the engine's migration steps.

use std::collections::HashMap;

use crate::db::Table as Named;
use engine_form::{ColumnState, MigrationStep, StorageType};
use sea_orm::sea_query::{
    Alias, ColumnDef, Expr, ExprTrait, ForeignKey, ForeignKeyAction, Index, JoinType, Query, Table,
};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

fn t(name: &str) -> Alias {
    Alias::new(name)
}

/// The registry's columns of `trellis_columns`, in the order they are read and written.
const REGISTRY_COLUMNS: [&str; 8] =
    ["table_name", "column_name", "field", "storage", "type_name", "active", "indexed", "is_unique"];

/// Where one form (or one sub-table of it) lives: its table and the column of each field.
#[derive(Debug, Clone, Default)]
pub struct TableMap {
    pub table: String,
    /// Field key → (column, storage).
    pub columns: HashMap<String, (String, StorageType)>,
}

impl TableMap {
    pub fn column(&self, field: &str) -> Option<&(String, StorageType)> {
        self.columns.get(field)
    }
}

/// Whether the table is registered, and its columns (active and retired).
pub async fn registry(c: &impl ConnectionTrait, table: &str) -> Result<(bool, Vec<ColumnState>), DbErr> {
    let exists = Query::select()
        .column(t("table_name"))
        .from(Named::Tables)
        .and_where(Expr::col(t("table_name")).eq(table))
        .to_owned();
    let exists = c.query_one(&exists).await?.is_some();
    let q = Query::select()
        .columns(REGISTRY_COLUMNS.map(t))
        .from(Named::Columns)
        .and_where(Expr::col(t("table_name")).eq(table))
        .order_by(t("column_name"), sea_orm::sea_query::Order::Asc)
        .to_owned();
    let mut columns = Vec::new();
    for r in c.query_all(&q).await? {
        let signature: String = r.try_get("", "storage")?;
        columns.push(ColumnState {
            field: r.try_get("", "field")?,
            column: r.try_get("", "column_name")?,
            storage: StorageType::parse(&signature)
                .ok_or_else(|| DbErr::Type(format!("unknown storage `{signature}`")))?,
            type_name: r.try_get("", "type_name")?,
            active: r.try_get("", "active")?,
            indexed: r.try_get("", "indexed")?,
            unique: r.try_get("", "is_unique")?,
        });
    }
    Ok((exists, columns))
}

/// The active columns of every table of an app, keyed by (form, sub-table field).
pub async fn table_maps(
    c: &impl ConnectionTrait,
    app: &str,
) -> Result<HashMap<(String, Option<String>), TableMap>, DbErr> {
    let q = Query::select()
        .expr(Expr::col((t("tt"), t("table_name"))))
        .expr(Expr::col((t("tt"), t("form"))))
        .expr(Expr::col((t("tt"), t("sub_field"))))
        .expr(Expr::col((t("cc"), t("field"))))
        .expr(Expr::col((t("cc"), t("column_name"))))
        .expr(Expr::col((t("cc"), t("storage"))))
        .from_as(Named::Tables, t("tt"))
        .join_as(
            JoinType::LeftJoin,
            Named::Columns,
            t("cc"),
            Expr::col((t("cc"), t("table_name")))
                .equals((t("tt"), t("table_name")))
                .and(Expr::col((t("cc"), t("active"))).eq(true)),
        )
        .and_where(Expr::col((t("tt"), t("app"))).eq(app))
        .to_owned();
    let mut maps: HashMap<(String, Option<String>), TableMap> = HashMap::new();
    for r in c.query_all(&q).await? {
        let table: String = r.try_get_by_index(0)?;
        let key = (r.try_get_by_index::<String>(1)?, r.try_get_by_index::<Option<String>>(2)?);
        let map = maps.entry(key).or_insert_with(|| TableMap { table, columns: HashMap::new() });
        if let (Some(field), Some(column), Some(signature)) = (
            r.try_get_by_index::<Option<String>>(3)?,
            r.try_get_by_index::<Option<String>>(4)?,
            r.try_get_by_index::<Option<String>>(5)?,
        ) {
            let storage =
                StorageType::parse(&signature).ok_or_else(|| DbErr::Type(format!("unknown storage `{signature}`")))?;
            map.columns.insert(field, (column, storage));
        }
    }
    Ok(maps)
}

/// The SQL column of a storage type on a backend; see db::codec for the mapping.
pub fn column_def(name: &str, storage: &StorageType, backend: DbBackend) -> ColumnDef {
    let pg = backend == DbBackend::Postgres;
    let mut def = ColumnDef::new(t(name));
    match storage {
        StorageType::Text | StorageType::Json => def.text(),
        StorageType::Integer | StorageType::Link(_) => def.big_integer(),
        StorageType::Decimal { precision, scale } if pg => def.decimal_len(*precision, *scale),
        StorageType::Decimal { .. } => def.big_integer(),
        StorageType::Boolean => def.boolean(),
        StorageType::Date if pg => def.date(),
        StorageType::DateTime if pg => def.timestamp_with_time_zone(),
        StorageType::Date | StorageType::DateTime => def.text(),
    };
    def.null().to_owned()
}

/// Identifies the table a step list belongs to.
pub struct TableTarget<'a> {
    pub app: &'a str,
    pub form: &'a str,
    pub table: &'a str,
    /// For a sub-table: its field key and the parent table its rows belong to.
    pub sub: Option<(&'a str, &'a str)>,
}

/// Executes the DDL of `steps` and records them in the registry. Convert and Verify are
/// data steps: the caller has already run them (see publish.rs); here they only add the
/// new column or change nothing.
pub async fn apply_ddl(
    c: &impl ConnectionTrait,
    target: &TableTarget<'_>,
    steps: &[MigrationStep],
) -> Result<(), DbErr> {
    let backend = c.get_database_backend();
    let table = target.table;
    for step in steps {
        match step {
            MigrationStep::CreateTable => create_table(c, target, backend).await?,
            MigrationStep::AddColumn { field, column, storage, type_name }
            | MigrationStep::Convert { field, column, storage, type_name, .. } => {
                let add = Table::alter().table(t(table)).add_column(column_def(column, storage, backend)).to_owned();
                c.execute(&add).await?;
                let q = Query::insert()
                    .into_table(Named::Columns)
                    .columns(REGISTRY_COLUMNS.map(t))
                    .values_panic([
                        table.into(),
                        column.as_str().into(),
                        field.as_str().into(),
                        storage.signature().into(),
                        type_name.as_str().into(),
                        true.into(),
                        false.into(),
                        false.into(),
                    ])
                    .to_owned();
                c.execute(&q).await?;
                if let MigrationStep::Convert { from_column, .. } = step {
                    set_column(c, table, from_column, "active", false).await?;
                }
            }
            MigrationStep::Reactivate { column, type_name, .. } => {
                set_column(c, table, column, "active", true).await?;
                let q = Query::update()
                    .table(Named::Columns)
                    .value(t("type_name"), type_name.as_str())
                    .and_where(Expr::col(t("table_name")).eq(table))
                    .and_where(Expr::col(t("column_name")).eq(column.as_str()))
                    .to_owned();
                c.execute(&q).await?;
            }
            MigrationStep::Rename { field, column, .. } => {
                let q = Query::update()
                    .table(Named::Columns)
                    .value(t("field"), field.as_str())
                    .and_where(Expr::col(t("table_name")).eq(table))
                    .and_where(Expr::col(t("column_name")).eq(column.as_str()))
                    .to_owned();
                c.execute(&q).await?;
            }
            MigrationStep::Verify { .. } => {}
            MigrationStep::Retire { column, .. } => set_column(c, table, column, "active", false).await?,
            MigrationStep::CreateIndex { column, name, unique } => {
                let mut index = Index::create().name(name).table(t(table)).col(t(column)).to_owned();
                if *unique {
                    index.unique();
                }
                c.execute(&index).await?;
                set_column(c, table, column, if *unique { "is_unique" } else { "indexed" }, true).await?;
            }
            MigrationStep::DropIndex { column, name } => {
                c.execute(&Index::drop().name(name).table(t(table)).to_owned()).await?;
                let flag = if name.starts_with("ux_") { "is_unique" } else { "indexed" };
                set_column(c, table, column, flag, false).await?;
            }
        }
    }
    Ok(())
}

async fn set_column(c: &impl ConnectionTrait, table: &str, column: &str, flag: &str, value: bool) -> Result<(), DbErr> {
    let q = Query::update()
        .table(Named::Columns)
        .value(t(flag), value)
        .and_where(Expr::col(t("table_name")).eq(table))
        .and_where(Expr::col(t("column_name")).eq(column))
        .to_owned();
    c.execute(&q).await.map(drop)
}

/// Creates a record table with the system columns. Child tables reference their parent
/// and go with it when the parent record is deleted.
async fn create_table(c: &impl ConnectionTrait, target: &TableTarget<'_>, backend: DbBackend) -> Result<(), DbErr> {
    let mut create = Table::create();
    create.table(t(target.table)).col(ColumnDef::new(t("id")).big_integer().not_null().auto_increment().primary_key());
    match target.sub {
        None => {
            create
                .col(ColumnDef::new(t("_version")).big_integer().not_null())
                .col(column_def("_created_at", &StorageType::DateTime, backend).not_null())
                .col(column_def("_updated_at", &StorageType::DateTime, backend).not_null());
        }
        Some((_, parent)) => {
            create
                .col(ColumnDef::new(t("_parent_id")).big_integer().not_null())
                .col(ColumnDef::new(t("_position")).big_integer().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(t(target.table), t("_parent_id"))
                        .to(t(parent), t("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                );
        }
    }
    c.execute(&create).await?;
    if target.sub.is_some() {
        let name = engine_form::index_name(target.table, "_parent_id", false);
        c.execute(
            &Index::create().name(name).table(t(target.table)).col(t("_parent_id")).col(t("_position")).to_owned(),
        )
        .await?;
    }
    let q = Query::insert()
        .into_table(Named::Tables)
        .columns(["table_name", "app", "form", "sub_field"].map(t))
        .values_panic([
            target.table.into(),
            target.app.into(),
            target.form.into(),
            target.sub.map(|(f, _)| f.to_owned()).into(),
        ])
        .to_owned();
    c.execute(&q).await.map(drop)
}
