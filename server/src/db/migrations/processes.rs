//! Processes: instances, their jobs (timers, service steps), waits, tasks, escalations
//! and history.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M0014Processes;

impl MigrationName for M0014Processes {
    fn name(&self) -> &str {
        "m0014_processes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0014Processes {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Process instances: the engine's state as JSON, on the app version they started on.
        let instances = Table::create()
            .table(Named::FlowInstances)
            .col(id())
            .col(text("app"))
            .col(text("flow"))
            .col(big("version"))
            .col(nullable_text("subject_form"))
            .col(nullable_big("subject_id"))
            .col(text("status"))
            .col(text("state"))
            .col(nullable_big("started_by"))
            .col(timestamp("started_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        // Pending timers, one per waiting token, found by their due time in batches.
        let timers = Table::create()
            .table(Alias::new("trellis_flow_timers"))
            .col(id())
            .col(big("instance_id"))
            .col(big("token"))
            .col(timestamp("due_at"))
            .col(nullable_timestamp("claimed_until"))
            .col(big("attempts").default(0))
            .col(nullable_text("last_error"))
            .foreign_key(
                ForeignKey::create()
                    .from(Alias::new("trellis_flow_timers"), Alias::new("instance_id"))
                    .to(Named::FlowInstances, Alias::new("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        // The task inbox: user tasks of running processes.
        let tasks = Table::create()
            .table(Alias::new("trellis_flow_tasks"))
            .col(id())
            .col(text("app"))
            .col(big("instance_id"))
            .col(big("token"))
            .col(text("node"))
            .col(text("title"))
            .col(nullable_text("assignee"))
            .col(nullable_text("candidate_role"))
            .col(nullable_text("candidate_unit"))
            .col(text("priority"))
            .col(nullable_timestamp("due_at"))
            .col(text("status"))
            .col(nullable_text("outcome"))
            .col(nullable_text("data"))
            .col(nullable_text("subject_form"))
            .col(nullable_big("subject_id"))
            .col(timestamp("created_at"))
            .col(nullable_timestamp("completed_at"))
            .col(nullable_text("completed_by"))
            .foreign_key(
                ForeignKey::create()
                    .from(Alias::new("trellis_flow_tasks"), Alias::new("instance_id"))
                    .to(Named::FlowInstances, Alias::new("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        // What happened to each instance, in order.
        let history = Table::create()
            .table(Named::FlowHistory)
            .col(id())
            .col(big("instance_id"))
            .col(timestamp("at"))
            .col(text("event"))
            .col(text("detail"))
            .to_owned();
        // A task's SLA escalations, each done once when due.
        let escalations = Table::create()
            .table(Alias::new("trellis_flow_escalations"))
            .col(id())
            .col(big("task_id"))
            .col(timestamp("due_at"))
            .col(text("action"))
            .col(nullable_text("target"))
            .col(nullable_timestamp("done_at"))
            .foreign_key(
                ForeignKey::create()
                    .from(Alias::new("trellis_flow_escalations"), Alias::new("task_id"))
                    .to(Alias::new("trellis_flow_tasks"), Alias::new("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        for table in [instances, timers, tasks, history, escalations] {
            manager.create_table(table).await?;
        }
        // Who leads each org unit: tasks escalate to them.
        let mut unit_manager = nullable_text("manager");
        manager.alter_table(Table::alter().table(Named::OrgUnits).add_column(&mut unit_manager).to_owned()).await?;
        for index in [
            index("ux_trellis_flow_timers_token", "trellis_flow_timers", &["instance_id", "token"]).unique().to_owned(),
            index("ix_trellis_flow_timers_due", "trellis_flow_timers", &["due_at"]),
            index("ix_trellis_flow_tasks_assignee", "trellis_flow_tasks", &["status", "assignee", "due_at"]),
            index(
                "ix_trellis_flow_instances_subject",
                "trellis_flow_instances",
                &["app", "subject_form", "subject_id"],
            ),
            index("ix_trellis_flow_history_instance", "trellis_flow_history", &["instance_id", "id"]),
            index("ix_trellis_flow_escalations_due", "trellis_flow_escalations", &["done_at", "due_at"]),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Named::OrgUnits).drop_column(Alias::new("manager")).to_owned())
            .await?;
        for name in [
            "trellis_flow_escalations",
            "trellis_flow_history",
            "trellis_flow_tasks",
            "trellis_flow_timers",
            "trellis_flow_instances",
        ] {
            manager.drop_table(Table::drop().table(Alias::new(name)).to_owned()).await?;
        }
        Ok(())
    }
}

pub(super) struct M0015ProcessLinks;

impl MigrationName for M0015ProcessLinks {
    fn name(&self) -> &str {
        "m0015_process_links"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0015ProcessLinks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Pending timers become the runner's jobs: a timer, or a service step to carry out
        // (its action, as the engine computed it, in `payload`).
        manager
            .rename_table(Table::rename().table(Alias::new("trellis_flow_timers"), Named::FlowJobs).to_owned())
            .await?;
        for mut column in
            [ColumnDef::new(Alias::new("kind")).text().not_null().default("timer").to_owned(), nullable_text("payload")]
        {
            manager.alter_table(Table::alter().table(Named::FlowJobs).add_column(&mut column).to_owned()).await?;
        }
        // A sub-process knows the instance (and token) that waits for it.
        for mut column in [nullable_big("parent_id"), nullable_big("parent_token")] {
            manager.alter_table(Table::alter().table(Named::FlowInstances).add_column(&mut column).to_owned()).await?;
        }
        // Tokens waiting for an event, found by the event when it arrives.
        let waits = Table::create()
            .table(Named::FlowWaits)
            .col(id())
            .col(text("app"))
            .col(text("event"))
            .col(big("instance_id"))
            .col(big("token"))
            // The event field (dotted path) and the value it must have, when the wait's
            // correlation compares one: the event is offered only to those waits.
            .col(nullable_text("match_path"))
            .col(nullable_text("match_value"))
            .foreign_key(
                ForeignKey::create()
                    .from(Named::FlowWaits, Alias::new("instance_id"))
                    .to(Named::FlowInstances, Alias::new("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        manager.create_table(waits).await?;
        for index in [
            index(
                "ix_trellis_flow_waits_event",
                "trellis_flow_waits",
                &["app", "event", "match_path", "match_value", "instance_id"],
            ),
            index("ux_trellis_flow_waits_token", "trellis_flow_waits", &["instance_id", "token"]).unique().to_owned(),
            index("ix_trellis_flow_instances_parent", "trellis_flow_instances", &["parent_id"]),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::FlowWaits).to_owned()).await?;
        for column in ["parent_token", "parent_id"] {
            manager
                .alter_table(Table::alter().table(Named::FlowInstances).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        for column in ["payload", "kind"] {
            manager
                .alter_table(Table::alter().table(Named::FlowJobs).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        manager.rename_table(Table::rename().table(Named::FlowJobs, Alias::new("trellis_flow_timers")).to_owned()).await
    }
}
