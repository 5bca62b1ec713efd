//! Imports of files into a form: each with where it got to, so that one stopped (a
//! process killed halfway) resumes after the last batch it wrote, whose progress was
//! saved in the batch's own transaction.

use sea_orm_migration::prelude::*;

use super::{Named, big, id, index, nullable_big, nullable_text, nullable_timestamp, text, timestamp};

pub(super) struct M0027Imports;

impl MigrationName for M0027Imports {
    fn name(&self) -> &str {
        "m0027_imports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0027Imports {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let imports = Table::create()
            .table(Named::Imports)
            .col(id())
            .col(text("app"))
            .col(text("form"))
            .col(big("user_id"))
            // The file's name as given, and the SHA-256 of its bytes: a resume must read
            // the very same file.
            .col(text("file_name"))
            .col(text("file_sha256"))
            // The mapping of columns to fields, the key, the zone: JSON.
            .col(text("mapping"))
            // `running`, `done`, `cancelled`.
            .col(text("state"))
            .col(big("rows_done"))
            .col(big("created"))
            .col(big("updated"))
            .col(big("unchanged"))
            .col(big("refused"))
            .col(timestamp("started_at"))
            .col(timestamp("updated_at"))
            .col(nullable_timestamp("finished_at"))
            .to_owned();
        manager.create_table(imports).await?;
        manager
            .create_index(index("ix_trellis_imports_file", "trellis_imports", &["app", "form", "file_sha256", "state"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::Imports).to_owned()).await
    }
}

/// Imports run by the server as jobs (uploaded through the API): a dry run's flag, the
/// rows the file has (when known), why a job failed, the file kept for it, the wall-clock
/// time its runner last reported (a job not heard from is taken over), and the refused rows
/// kept for the error file, written in the batch's own transaction.
pub(super) struct M0029ImportJobs;

impl MigrationName for M0029ImportJobs {
    fn name(&self) -> &str {
        "m0029_import_jobs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0029ImportJobs {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(Alias::new("dry_run")).boolean().not_null().default(false).to_owned(),
            nullable_big("total_rows"),
            nullable_text("failure"),
            nullable_text("spool"),
            // The file's header row: a JSON array of texts.
            nullable_text("header"),
            // Which run of the import is the current one: a runner whose run is no longer
            // it (cancelled and started again, taken over) stops and writes nothing more.
            ColumnDef::new(Alias::new("run")).big_integer().not_null().default(0).to_owned(),
            nullable_timestamp("heard_at"),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table(Named::Imports).add_column(&mut column).to_owned()).await?;
        }
        let refusals = Table::create()
            .table(Named::ImportRefusals)
            .col(id())
            .col(big("import_id"))
            // The row's number as a spreadsheet numbers it (the header is row 1).
            .col(big("row"))
            // The row's cells as written: a JSON array of texts.
            .col(text("cells"))
            .col(text("reasons"))
            // The problems themselves (path from the record, code, message): JSON.
            .col(nullable_text("problems"))
            .to_owned();
        manager.create_table(refusals).await?;
        manager
            .create_index(index("ix_trellis_import_refusals", "trellis_import_refusals", &["import_id", "row"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::ImportRefusals).to_owned()).await?;
        for column in ["run", "header", "heard_at", "spool", "failure", "total_rows", "dry_run"] {
            manager
                .alter_table(Table::alter().table(Named::Imports).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}
