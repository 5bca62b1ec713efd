//! Apps, their metadata drafts and published versions, the registry of physical tables
//! and columns, and stored files.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M0001Platform;

impl MigrationName for M0001Platform {
    fn name(&self) -> &str {
        "m0001_platform"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Platform {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(Named::Apps)
                .col(text("key").primary_key())
                .col(text("name"))
                .col(big("published_version").default(0))
                .col(timestamp("created_at"))
                .col(timestamp("updated_at"))
                .to_owned(),
            // Drafts of every metadata kind (forms now; rules, flows, reports, roles later),
            // one row per document, edited through one uniform API.
            Table::create()
                .table(Named::Drafts)
                .col(text("app"))
                .col(text("kind"))
                .col(text("key"))
                .col(text("body"))
                .col(big("position"))
                .col(timestamp("updated_at"))
                .primary_key(Index::create().col(Alias::new("app")).col(Alias::new("kind")).col(Alias::new("key")))
                .to_owned(),
            // Each publish stores the whole bundle it published: the history of an app.
            Table::create()
                .table(Named::AppVersions)
                .col(text("app"))
                .col(big("version"))
                .col(text("bundle"))
                .col(timestamp("published_at"))
                .primary_key(Index::create().col(Alias::new("app")).col(Alias::new("version")))
                .to_owned(),
            Table::create()
                .table(Named::Tables)
                .col(text("table_name").primary_key())
                .col(text("app"))
                .col(text("form"))
                .col(ColumnDef::new(Alias::new("sub_field")).text().null())
                .to_owned(),
            // The physical columns of every record table, including retired ones whose data is kept.
            Table::create()
                .table(Named::Columns)
                .col(text("table_name"))
                .col(text("column_name"))
                .col(text("field"))
                .col(text("storage"))
                .col(text("type_name"))
                .col(flag("active"))
                .col(flag("indexed"))
                .col(flag("is_unique"))
                .primary_key(Index::create().col(Alias::new("table_name")).col(Alias::new("column_name")))
                .to_owned(),
            Table::create()
                .table(Named::Files)
                .col(ColumnDef::new(Alias::new("id")).big_integer().not_null().auto_increment().primary_key())
                .col(text("app"))
                .col(text("name"))
                .col(text("content_type"))
                .col(big("size"))
                .col(ColumnDef::new(Alias::new("data")).blob().not_null())
                .col(timestamp("created_at"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager
            .create_index(
                Index::create().name("ix_trellis_tables_app").table(Named::Tables).col(Alias::new("app")).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "trellis_files",
            "trellis_columns",
            "trellis_tables",
            "trellis_app_versions",
            "trellis_drafts",
            "trellis_apps",
        ] {
            manager.drop_table(Table::drop().table(Alias::new(name)).to_owned()).await?;
        }
        Ok(())
    }
}

/// Each draft's revision, counted up by every save: two designers editing one document
/// never overwrite each other silently (a save names the revision it read, `If-Match`).
pub(super) struct M0025DraftRevisions;

impl MigrationName for M0025DraftRevisions {
    fn name(&self) -> &str {
        "m0025_draft_revisions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0025DraftRevisions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut revision = ColumnDef::new(Alias::new("revision")).big_integer().not_null().default(1).to_owned();
        manager.alter_table(Table::alter().table(Named::Drafts).add_column(&mut revision).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Named::Drafts).drop_column(Alias::new("revision")).to_owned()).await
    }
}

/// Each form's data version: one more with every write to its records, in the writing
/// transaction, so that cached report answers are keyed by what they read and every
/// server sharing the database agrees on when they are stale.
pub(super) struct M0026DataVersions;

impl MigrationName for M0026DataVersions {
    fn name(&self) -> &str {
        "m0026_data_versions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0026DataVersions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let versions = Table::create()
            .table(Named::DataVersions)
            .col(text("app"))
            .col(text("form"))
            .col(big("version"))
            .primary_key(Index::create().col(Alias::new("app")).col(Alias::new("form")))
            .to_owned();
        manager.create_table(versions).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::DataVersions).to_owned()).await
    }
}
