//! One task model, and what people are told of tasks (`M0018Notifications`): the tasks rules raised (`trellis_tasks`, which no inbox listed) and the
//! user tasks of processes (`trellis_flow_tasks`) become one table, `trellis_tasks`, in
//! which a task need not belong to a process; their escalations move with them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::{Named, big, id, index, nullable_big, nullable_text, nullable_timestamp, text, timestamp};

pub(super) struct M0017OneTaskModel;

impl MigrationName for M0017OneTaskModel {
    fn name(&self) -> &str {
        "m0017_one_task_model"
    }
}

/// The columns a process's task row and a task of the one model share, in order.
const SHARED: [&str; 19] = [
    "id",
    "app",
    "instance_id",
    "token",
    "node",
    "title",
    "assignee",
    "candidate_role",
    "candidate_unit",
    "priority",
    "due_at",
    "status",
    "outcome",
    "data",
    "subject_form",
    "subject_id",
    "created_at",
    "completed_at",
    "completed_by",
];

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn tables() -> [TableCreateStatement; 2] {
    let tasks = Table::create()
        .table(Named::Tasks)
        .col(id())
        .col(text("app"))
        // The process the task is a step of, if any, and where in it.
        .col(nullable_big("instance_id"))
        .col(nullable_big("token"))
        .col(nullable_text("node"))
        // The rule firing that raised it, if a rule did: why it was raised.
        .col(nullable_big("firing_id"))
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
                .from(Named::Tasks, a("instance_id"))
                .to(Named::FlowInstances, a("id"))
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned();
    let escalations = Table::create()
        .table(Named::TaskEscalations)
        .col(id())
        .col(big("task_id"))
        .col(timestamp("due_at"))
        .col(text("action"))
        .col(nullable_text("target"))
        .col(nullable_timestamp("done_at"))
        .foreign_key(
            ForeignKey::create()
                .from(Named::TaskEscalations, a("task_id"))
                .to(Named::Tasks, a("id"))
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned();
    [tasks, escalations]
}

/// `INSERT INTO to (columns) SELECT columns FROM from`.
fn copy(from: &str, to: Named, columns: &[&str]) -> Result<InsertStatement, DbErr> {
    let mut select = Query::select();
    select.columns(columns.iter().map(|c| a(c))).from(a(from));
    let mut insert = Query::insert();
    insert.into_table(to).columns(columns.iter().map(|c| a(c)));
    insert.select_from(select).map_err(|e| DbErr::Custom(e.to_string()))?;
    Ok(insert)
}

/// A rule task's assignee as it was stored (the JSON of the value the rule computed): a
/// user name stays one; anything else (an RM record's id) named no user and is kept in
/// the task's data, the task then offered to nobody but administrators until reassigned.
fn assignee_of(stored: &str) -> (Option<String>, Option<String>) {
    match serde_json::from_str::<serde_json::Value>(stored) {
        Ok(serde_json::Value::String(name)) if !name.is_empty() => (Some(name), None),
        _ => (None, Some(serde_json::json!({ "unresolved_assignee": stored }).to_string())),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0017OneTaskModel {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let retired = "trellis_rule_tasks_retired";
        manager.rename_table(Table::rename().table(Named::Tasks, a(retired)).to_owned()).await?;
        for table in tables() {
            manager.create_table(table).await?;
        }
        db.execute(&copy("trellis_flow_tasks", Named::Tasks, &SHARED)?).await?;
        let escalation_columns = ["id", "task_id", "due_at", "action", "target", "done_at"];
        db.execute(&copy("trellis_flow_escalations", Named::TaskEscalations, &escalation_columns)?).await?;
        if db.get_database_backend() == DbBackend::Postgres {
            // Ids were copied: the sequences go on after the highest.
            for table in ["trellis_tasks", "trellis_task_escalations"] {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                );
                db.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
            }
        }
        // A rule's tasks, for the record it fired on, then their assignees resolved.
        let mut old = Query::select();
        old.columns(
            ["app", "form", "record_id", "title", "assignee", "priority", "due_at", "state", "firing_id", "created_at"]
                .map(a),
        )
        .from(a(retired))
        .order_by(a("id"), Order::Asc);
        let into = [
            "app",
            "subject_form",
            "subject_id",
            "title",
            "assignee",
            "priority",
            "due_at",
            "status",
            "firing_id",
            "created_at",
        ];
        let moved = Query::insert()
            .into_table(Named::Tasks)
            .columns(into.map(a))
            .select_from(old)
            .map_err(|e| DbErr::Custom(e.to_string()))?
            .to_owned();
        db.execute(&moved).await?;
        let raised = Query::select()
            .columns(["id", "assignee"].map(a))
            .from(Named::Tasks)
            .and_where(Expr::col(a("instance_id")).is_null())
            .to_owned();
        for row in db.query_all(&raised).await? {
            let (task, stored): (i64, Option<String>) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            let (assignee, data) = assignee_of(stored.as_deref().unwrap_or("null"));
            let resolved = Query::update()
                .table(Named::Tasks)
                .value(a("assignee"), assignee)
                .value(a("data"), data)
                .and_where(Expr::col(a("id")).eq(task))
                .to_owned();
            db.execute(&resolved).await?;
        }
        for name in ["trellis_flow_escalations", "trellis_flow_tasks", retired] {
            manager.drop_table(Table::drop().table(a(name)).to_owned()).await?;
        }
        for index in [
            index("ix_trellis_tasks_assignee", "trellis_tasks", &["status", "assignee", "due_at"]),
            index("ix_trellis_tasks_role", "trellis_tasks", &["status", "app", "candidate_role"]),
            index("ix_trellis_tasks_subject", "trellis_tasks", &["app", "subject_form", "subject_id"]),
            index("ix_trellis_tasks_instance", "trellis_tasks", &["instance_id", "token"]),
            index("ix_trellis_task_escalations_due", "trellis_task_escalations", &["done_at", "due_at"]),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("the one task model is not undone: rule and process tasks are one now".into()))
    }
}

pub(super) struct M0018Notifications;

impl MigrationName for M0018Notifications {
    fn name(&self) -> &str {
        "m0018_notifications"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0018Notifications {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // What each user is told inside Trellis, linked to a task or a record.
        let notifications = Table::create()
            .table(Named::Notifications)
            .col(id())
            .col(text("username"))
            .col(text("app"))
            .col(text("message"))
            .col(nullable_big("task_id"))
            .col(nullable_text("subject_form"))
            .col(nullable_big("subject_id"))
            .col(timestamp("created_at"))
            .col(nullable_timestamp("read_at"))
            .to_owned();
        manager.create_table(notifications).await?;
        manager
            .create_index(index(
                "ix_trellis_notifications_user",
                "trellis_notifications",
                &["username", "read_at", "id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::Notifications).to_owned()).await
    }
}
