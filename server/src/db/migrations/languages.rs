//! The reader's own settings. Texts in the reader's language: each user's language, and a notification's message in
//! each language it was given in (the message column keeps the default text).

use sea_orm_migration::prelude::*;

use super::{Named, nullable_text};

pub(super) struct M0019Languages;

impl MigrationName for M0019Languages {
    fn name(&self) -> &str {
        "m0019_languages"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0019Languages {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut language = nullable_text("language");
        manager.alter_table(Table::alter().table(Named::Users).add_column(&mut language).to_owned()).await?;
        let mut messages = nullable_text("messages");
        manager.alter_table(Table::alter().table(Named::Notifications).add_column(&mut messages).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = |table: Named, column: &str| Table::alter().table(table).drop_column(Alias::new(column)).to_owned();
        manager.alter_table(drop(Named::Notifications, "messages")).await?;
        manager.alter_table(drop(Named::Users, "language")).await
    }
}

/// Each user's time zone and each app's: instants are shown on the user's clocks (the
/// app's zone until they choose one).
pub(super) struct M0021TimeZones;

impl MigrationName for M0021TimeZones {
    fn name(&self) -> &str {
        "m0021_time_zones"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0021TimeZones {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut zone = nullable_text("time_zone");
        manager.alter_table(Table::alter().table(Named::Users).add_column(&mut zone).to_owned()).await?;
        let mut app_zone = nullable_text("time_zone");
        manager.alter_table(Table::alter().table(Named::Apps).add_column(&mut app_zone).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Named::Apps).drop_column(Alias::new("time_zone")).to_owned()).await?;
        manager.alter_table(Table::alter().table(Named::Users).drop_column(Alias::new("time_zone")).to_owned()).await
    }
}

/// Each app's language, for users who chose none (their notifications, task titles).
pub(super) struct M0024AppLanguage;

impl MigrationName for M0024AppLanguage {
    fn name(&self) -> &str {
        "m0024_app_language"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0024AppLanguage {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut language = nullable_text("language");
        manager.alter_table(Table::alter().table(Named::Apps).add_column(&mut language).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Named::Apps).drop_column(Alias::new("language")).to_owned()).await
    }
}
