//! Saved views: a user's own ways of looking at a form's records (a filter, a search, an
//! order, the columns shown), kept by the server so they follow the user to any browser.

use sea_orm_migration::prelude::*;

use super::{Named, big, id, index, text, timestamp};

pub(super) struct M0020Views;

impl MigrationName for M0020Views {
    fn name(&self) -> &str {
        "m0020_views"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0020Views {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let views = Table::create()
            .table(Named::Views)
            .col(id())
            .col(big("user_id"))
            .col(text("app"))
            .col(text("form"))
            .col(text("name"))
            .col(text("definition"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        manager.create_table(views).await?;
        manager.create_index(index("ix_trellis_views_user", "trellis_views", &["user_id", "app", "form", "id"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::Views).to_owned()).await
    }
}
