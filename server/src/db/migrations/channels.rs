//! The gateways an app's messages leave through, one per channel: settings in the clear,
//! secrets sealed under the server's key (not stored here).

use sea_orm_migration::prelude::*;

use super::{Named, id, index, nullable_text, text, timestamp};

pub(super) struct M0028Channels;

impl MigrationName for M0028Channels {
    fn name(&self) -> &str {
        "m0028_channels"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0028Channels {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let channels = Table::create()
            .table(Named::Channels)
            .col(id())
            .col(text("app"))
            // `email`, `sms`, `im` or `webhook`.
            .col(text("channel"))
            // The settings: JSON, no secret in them.
            .col(text("settings"))
            // The secrets, sealed (`v1.<key id>.<base64>`); null when there are none.
            .col(nullable_text("sealed"))
            .col(text("updated_by"))
            .col(timestamp("updated_at"))
            .to_owned();
        manager.create_table(channels).await?;
        let mut unique = index("ux_trellis_channels", "trellis_channels", &["app", "channel"]);
        manager.create_index(unique.unique().to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::Channels).to_owned()).await
    }
}
