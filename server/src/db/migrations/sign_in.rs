//! The migration that moves wrong-password counting off `trellis_users` into
//! `trellis_sign_in_attempts`, keyed by the name typed, so that an unknown name is
//! counted and locked exactly like a known one and the answers do not tell them apart.

use sea_orm_migration::prelude::*;

use super::{Named, big, text};

pub(super) struct M0016SignInAttempts;

impl MigrationName for M0016SignInAttempts {
    fn name(&self) -> &str {
        "m0016_sign_in_attempts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0016SignInAttempts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let attempts = Table::create()
            .table(Named::SignInAttempts)
            .col(text("username").primary_key())
            .col(big("failures").default(0))
            .col(ColumnDef::new(Alias::new("locked_until")).timestamp_with_time_zone().null())
            .col(ColumnDef::new(Alias::new("last_at")).timestamp_with_time_zone().not_null())
            .to_owned();
        manager.create_table(attempts).await?;
        for column in ["failed_logins", "locked_until"] {
            let drop = Table::alter().table(Named::Users).drop_column(Alias::new(column)).to_owned();
            manager.alter_table(drop).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::SignInAttempts).to_owned()).await?;
        let restore = Table::alter()
            .table(Named::Users)
            .add_column(big("failed_logins").default(0))
            .add_column(ColumnDef::new(Alias::new("locked_until")).timestamp_with_time_zone().null())
            .to_owned();
        manager.alter_table(restore).await
    }
}
