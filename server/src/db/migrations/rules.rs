//! What rules did: firings, tasks and the notification outbox; scheduled runs, events
//! sent in, retries and delivery.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M0002Rules;

impl MigrationName for M0002Rules {
    fn name(&self) -> &str {
        "m0002_rules"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002Rules {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            // Every firing of a rule with its explanation. The idempotency key is unique, so
            // a trigger seen twice (a retry, a second server) fires once.
            Table::create()
                .table(Named::Firings)
                .col(id())
                .col(text("app"))
                .col(text("rule"))
                .col(big("rule_version"))
                .col(text("idempotency_key").unique_key())
                .col(text("trigger"))
                .col(nullable_text("form"))
                .col(ColumnDef::new(Alias::new("record_id")).big_integer().null())
                .col(text("read"))
                .col(text("actions"))
                .col(text("status"))
                .col(nullable_text("error"))
                .col(timestamp("fired_at"))
                .to_owned(),
            // Tasks rules create; the task inbox (process engine) shows and completes them.
            Table::create()
                .table(Named::Tasks)
                .col(id())
                .col(text("app"))
                .col(nullable_text("form"))
                .col(ColumnDef::new(Alias::new("record_id")).big_integer().null())
                .col(text("title"))
                .col(text("assignee"))
                .col(text("priority"))
                .col(timestamp("due_at"))
                .col(text("state"))
                .col(ColumnDef::new(Alias::new("firing_id")).big_integer().null())
                .col(timestamp("created_at"))
                .to_owned(),
            // Messages waiting to go out (SMS, e-mail, IM, in-app, webhooks), written in the
            // transaction of what caused them and delivered afterwards.
            Table::create()
                .table(Named::Outbox)
                .col(id())
                .col(text("app"))
                .col(text("channel"))
                .col(text("recipient"))
                .col(text("body"))
                .col(text("state"))
                .col(big("attempts").default(0))
                .col(timestamp("next_attempt_at"))
                .col(ColumnDef::new(Alias::new("firing_id")).big_integer().null())
                .col(timestamp("created_at"))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        for index in [
            index("ix_trellis_firings_record", "trellis_firings", &["app", "form", "record_id"]),
            index("ix_trellis_firings_status", "trellis_firings", &["app", "status"]),
            index("ix_trellis_tasks_due", "trellis_tasks", &["state", "due_at"]),
            index("ix_trellis_outbox_due", "trellis_outbox", &["state", "next_attempt_at"]),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["trellis_outbox", "trellis_tasks", "trellis_firings"] {
            manager.drop_table(Table::drop().table(Alias::new(name)).to_owned()).await?;
        }
        Ok(())
    }
}

pub(super) struct M0003ScheduleRuns;

impl MigrationName for M0003ScheduleRuns {
    fn name(&self) -> &str {
        "m0003_schedule_runs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003ScheduleRuns {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per occurrence of a scheduled rule: inserting it claims the run, so of
        // several server processes exactly one scans; a run left `running` past its lease
        // (its process died) is claimed again.
        let runs = Table::create()
            .table(Named::ScheduleRuns)
            .col(text("app"))
            .col(text("rule"))
            .col(big("rule_version"))
            .col(text("occurrence"))
            .col(text("state"))
            .col(big("matched").default(0))
            .col(big("fired").default(0))
            .col(timestamp("claimed_at"))
            .col(ColumnDef::new(Alias::new("finished_at")).timestamp_with_time_zone().null())
            .primary_key(
                Index::create()
                    .col(Alias::new("app"))
                    .col(Alias::new("rule"))
                    .col(Alias::new("rule_version"))
                    .col(Alias::new("occurrence")),
            )
            .to_owned();
        manager.create_table(runs).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::ScheduleRuns).to_owned()).await
    }
}

pub(super) struct M0004Events;

impl MigrationName for M0004Events {
    fn name(&self) -> &str {
        "m0004_events"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004Events {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Every event received, under the sender's id: the same event sent twice is
        // recognised, and fires nothing the second time.
        let events = Table::create()
            .table(Named::Events)
            .col(text("app"))
            .col(text("event"))
            .col(text("event_id"))
            .col(text("data"))
            .col(timestamp("received_at"))
            .primary_key(Index::create().col(Alias::new("app")).col(Alias::new("event")).col(Alias::new("event_id")))
            .to_owned();
        manager.create_table(events).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::Events).to_owned()).await
    }
}

pub(super) struct M0005FiringRetries;

impl MigrationName for M0005FiringRetries {
    fn name(&self) -> &str {
        "m0005_firing_retries"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005FiringRetries {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A firing whose actions failed is retried with back-off: how many attempts it
        // had, when the next one is due, and until when a server holds the retry.
        let columns = [
            big("attempts").default(0).to_owned(),
            ColumnDef::new(Alias::new("next_attempt_at")).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(Alias::new("claimed_until")).timestamp_with_time_zone().null().to_owned(),
        ];
        // One column per statement: SQLite alters one thing at a time.
        for column in columns {
            let mut column = column;
            manager.alter_table(Table::alter().table(Named::Firings).add_column(&mut column).to_owned()).await?;
        }
        manager.create_index(index("ix_trellis_firings_retry", "trellis_firings", &["status", "next_attempt_at"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_trellis_firings_retry").table(Named::Firings).to_owned()).await?;
        for column in ["claimed_until", "next_attempt_at", "attempts"] {
            manager
                .alter_table(Table::alter().table(Named::Firings).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}

pub(super) struct M0006OutboxDelivery;

impl MigrationName for M0006OutboxDelivery {
    fn name(&self) -> &str {
        "m0006_outbox_delivery"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0006OutboxDelivery {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Delivery of outbox messages: until when a server holds one, why the last attempt
        // failed, and when it was delivered.
        let columns = [
            ColumnDef::new(Alias::new("claimed_until")).timestamp_with_time_zone().null().to_owned(),
            nullable_text("last_error"),
            ColumnDef::new(Alias::new("delivered_at")).timestamp_with_time_zone().null().to_owned(),
        ];
        for column in columns {
            let mut column = column;
            manager.alter_table(Table::alter().table(Named::Outbox).add_column(&mut column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["delivered_at", "last_error", "claimed_until"] {
            manager.alter_table(Table::alter().table(Named::Outbox).drop_column(Alias::new(column)).to_owned()).await?;
        }
        Ok(())
    }
}

/// The record each outbox message is about (a rule's record, a process's subject), so a
/// message a process step sent is on that record's timeline like one a rule sent.
pub(super) struct M0023OutboxSubject;

impl MigrationName for M0023OutboxSubject {
    fn name(&self) -> &str {
        "m0023_outbox_subject"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0023OutboxSubject {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns =
            [nullable_text("subject_form"), ColumnDef::new(Alias::new("subject_id")).big_integer().null().to_owned()];
        for column in columns {
            let mut column = column;
            manager.alter_table(Table::alter().table(Named::Outbox).add_column(&mut column).to_owned()).await?;
        }
        manager
            .create_index(index("ix_trellis_outbox_subject", "trellis_outbox", &["app", "subject_form", "subject_id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_trellis_outbox_subject").table(Named::Outbox).to_owned()).await?;
        for column in ["subject_id", "subject_form"] {
            manager.alter_table(Table::alter().table(Named::Outbox).drop_column(Alias::new(column)).to_owned()).await?;
        }
        Ok(())
    }
}
