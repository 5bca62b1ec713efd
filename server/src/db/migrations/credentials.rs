//! Credentials that end what they granted, and sign-in attempts that lock out the guesser
//! rather than the user: where each session was made from; which session made each API
//! token and whether a credential change suspended it; the wrong passwords a user is told
//! of at their next sign-in; attempts counted per name and client address (and per name
//! over the addresses it was never signed in from), with the addresses each name signed
//! in from.

use sea_orm_migration::prelude::*;

use super::{Named, big, nullable_text, text};

pub(super) struct M0022Credentials;

impl MigrationName for M0022Credentials {
    fn name(&self) -> &str {
        "m0022_credentials"
    }
}

fn instant(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().null().to_owned()
}

/// `ALTER TABLE … ADD COLUMN`, one column a statement (SQLite takes no more).
async fn add(manager: &SchemaManager<'_>, table: Named, mut column: ColumnDef) -> Result<(), DbErr> {
    manager.alter_table(Table::alter().table(table).add_column(&mut column).to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for M0022Credentials {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(manager, Named::Sessions, nullable_text("address")).await?;
        add(manager, Named::ApiTokens, nullable_text("session_hash")).await?;
        add(manager, Named::ApiTokens, instant("suspended_at")).await?;
        add(manager, Named::Users, big("unseen_failures").default(0).to_owned()).await?;
        add(manager, Named::Users, instant("last_failure_at")).await?;
        add(manager, Named::Users, nullable_text("last_failure_address")).await?;
        // The counts of the last day start again under their new key.
        manager.drop_table(Table::drop().table(Named::SignInAttempts).to_owned()).await?;
        let attempts = Table::create()
            .table(Named::SignInAttempts)
            .col(text("username"))
            .col(text("address"))
            .col(big("failures").default(0))
            .col(instant("locked_until"))
            .col(ColumnDef::new(Alias::new("last_at")).timestamp_with_time_zone().not_null())
            .primary_key(Index::create().col(Alias::new("username")).col(Alias::new("address")))
            .to_owned();
        manager.create_table(attempts).await?;
        let known = Table::create()
            .table(Named::KnownAddresses)
            .col(text("username"))
            .col(text("address"))
            .col(ColumnDef::new(Alias::new("last_at")).timestamp_with_time_zone().not_null())
            .primary_key(Index::create().col(Alias::new("username")).col(Alias::new("address")))
            .to_owned();
        manager.create_table(known).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::KnownAddresses).to_owned()).await?;
        let drop = |table: Named, column: &str| Table::alter().table(table).drop_column(Alias::new(column)).to_owned();
        for column in ["unseen_failures", "last_failure_at", "last_failure_address"] {
            manager.alter_table(drop(Named::Users, column)).await?;
        }
        for column in ["session_hash", "suspended_at"] {
            manager.alter_table(drop(Named::ApiTokens, column)).await?;
        }
        manager.alter_table(drop(Named::Sessions, "address")).await
    }
}
