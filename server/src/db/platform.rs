//! Migrations of the platform's own tables: apps, metadata drafts and versions, the
//! registry of physical columns, stored files, and what rules did (firings, tasks, the
//! notification outbox).

use super::Table as Named;
use sea_orm_migration::prelude::*;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Platform),
            Box::new(M0002Rules),
            Box::new(M0003ScheduleRuns),
            Box::new(M0004Events),
            Box::new(M0005FiringRetries),
            Box::new(M0006OutboxDelivery),
            Box::new(M0007Identity),
            Box::new(M0008ApiTokens),
            Box::new(M0009Audit),
            Box::new(M0010Directory),
            Box::new(M0011MakerChecker),
            Box::new(M0012UserRoles),
            Box::new(M0013Ownership),
            Box::new(M0014Processes),
            Box::new(M0015ProcessLinks),
            Box::new(super::sign_in::M0016SignInAttempts),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("trellis_migrations").into_iden()
    }
}

struct M0001Platform;

impl MigrationName for M0001Platform {
    fn name(&self) -> &str {
        "m0001_platform"
    }
}

pub(super) fn text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().not_null().to_owned()
}

pub(super) fn timestamp(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().not_null().to_owned()
}

pub(super) fn flag(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).boolean().not_null().to_owned()
}

pub(super) fn big(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().to_owned()
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

struct M0002Rules;

impl MigrationName for M0002Rules {
    fn name(&self) -> &str {
        "m0002_rules"
    }
}

pub(super) fn id() -> ColumnDef {
    ColumnDef::new(Alias::new("id")).big_integer().not_null().auto_increment().primary_key().to_owned()
}

pub(super) fn nullable_text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().null().to_owned()
}

pub(super) fn index(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for c in columns {
        index.col(Alias::new(*c));
    }
    index.to_owned()
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

struct M0003ScheduleRuns;

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

struct M0004Events;

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

struct M0005FiringRetries;

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

struct M0006OutboxDelivery;

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

struct M0007Identity;

impl MigrationName for M0007Identity {
    fn name(&self) -> &str {
        "m0007_identity"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0007Identity {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Users with argon2id password hashes; wrong passwords in a row lock a user for a
        // while. Sessions are stored by the SHA-256 of their token, never the token.
        let users = Table::create()
            .table(Named::Users)
            .col(id())
            .col(text("username").unique_key())
            .col(text("password_hash"))
            .col(text("platform_role"))
            .col(big("failed_logins").default(0))
            .col(ColumnDef::new(Alias::new("locked_until")).timestamp_with_time_zone().null())
            .col(flag("disabled").default(false))
            .col(timestamp("created_at"))
            .to_owned();
        let sessions = Table::create()
            .table(Named::Sessions)
            .col(id())
            .col(text("token_hash").unique_key())
            .col(big("user_id"))
            .col(timestamp("created_at"))
            .col(timestamp("expires_at"))
            .col(ColumnDef::new(Alias::new("revoked_at")).timestamp_with_time_zone().null())
            .foreign_key(
                ForeignKey::create()
                    .from(Named::Sessions, Alias::new("user_id"))
                    .to(Named::Users, Alias::new("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        manager.create_table(users).await?;
        manager.create_table(sessions).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["trellis_sessions", "trellis_users"] {
            manager.drop_table(Table::drop().table(Alias::new(name)).to_owned()).await?;
        }
        Ok(())
    }
}

struct M0008ApiTokens;

impl MigrationName for M0008ApiTokens {
    fn name(&self) -> &str {
        "m0008_api_tokens"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0008ApiTokens {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Tokens for integrators: named, scoped to one app and to reading or writing,
        // expiring, revocable; stored by the SHA-256 of the token, which is shown once.
        let tokens = Table::create()
            .table(Named::ApiTokens)
            .col(id())
            .col(text("name"))
            .col(text("token_hash").unique_key())
            .col(big("user_id"))
            .col(text("app"))
            .col(text("access"))
            .col(timestamp("created_at"))
            .col(timestamp("expires_at"))
            .col(ColumnDef::new(Alias::new("revoked_at")).timestamp_with_time_zone().null())
            .col(ColumnDef::new(Alias::new("last_used_at")).timestamp_with_time_zone().null())
            .foreign_key(
                ForeignKey::create()
                    .from(Named::ApiTokens, Alias::new("user_id"))
                    .to(Named::Users, Alias::new("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        manager.create_table(tokens).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::ApiTokens).to_owned()).await
    }
}

struct M0009Audit;

impl MigrationName for M0009Audit {
    fn name(&self) -> &str {
        "m0009_audit"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0009Audit {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The audit trail: appended to in the transaction of each change, never changed.
        let audit = Table::create()
            .table(Named::Audit)
            .col(id())
            .col(timestamp("at"))
            .col(ColumnDef::new(Alias::new("actor_id")).big_integer().null())
            .col(text("actor"))
            .col(text("via"))
            .col(nullable_text("ip"))
            .col(text("action"))
            .col(nullable_text("app"))
            .col(nullable_text("form"))
            .col(ColumnDef::new(Alias::new("record_id")).big_integer().null())
            .col(text("detail"))
            .to_owned();
        manager.create_table(audit).await?;
        manager.create_index(index("ix_trellis_audit_record", "trellis_audit", &["app", "form", "record_id"])).await?;
        manager.create_index(index("ix_trellis_audit_at", "trellis_audit", &["at"])).await?;
        // Append-only, enforced by the database: an UPDATE or DELETE fails.
        let db = manager.get_connection();
        let statements: &[&str] = match manager.get_database_backend() {
            sea_orm::DbBackend::Postgres => &[
                "CREATE FUNCTION trellis_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$",
                "CREATE TRIGGER trellis_audit_no_update BEFORE UPDATE OR DELETE ON trellis_audit \
                 FOR EACH ROW EXECUTE FUNCTION trellis_audit_append_only()",
            ],
            _ => &[
                "CREATE TRIGGER trellis_audit_no_update BEFORE UPDATE ON trellis_audit \
                 BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
                "CREATE TRIGGER trellis_audit_no_delete BEFORE DELETE ON trellis_audit \
                 BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
            ],
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::Audit).to_owned()).await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            manager.get_connection().execute_unprepared("DROP FUNCTION IF EXISTS trellis_audit_append_only()").await?;
        }
        Ok(())
    }
}

struct M0010Directory;

impl MigrationName for M0010Directory {
    fn name(&self) -> &str {
        "m0010_directory"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0010Directory {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The bank's organisation (head office → branch → team) and who belongs where.
        let units = Table::create()
            .table(Named::OrgUnits)
            .col(id())
            .col(text("key").unique_key())
            .col(text("name"))
            .col(ColumnDef::new(Alias::new("parent_id")).big_integer().null())
            .foreign_key(
                ForeignKey::create()
                    .from(Named::OrgUnits, Alias::new("parent_id"))
                    .to(Named::OrgUnits, Alias::new("id")),
            )
            .to_owned();
        manager.create_table(units).await?;
        for column in
            [nullable_text("display_name"), ColumnDef::new(Alias::new("org_unit_id")).big_integer().null().to_owned()]
        {
            let mut column = column;
            manager.alter_table(Table::alter().table(Named::Users).add_column(&mut column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["org_unit_id", "display_name"] {
            manager.alter_table(Table::alter().table(Named::Users).drop_column(Alias::new(column)).to_owned()).await?;
        }
        manager.drop_table(Table::drop().table(Named::OrgUnits).to_owned()).await
    }
}

struct M0011MakerChecker;

impl MigrationName for M0011MakerChecker {
    fn name(&self) -> &str {
        "m0011_maker_checker"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0011MakerChecker {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Maker-checker: an app may require a second person to approve each publish; every
        // version records who made it and who approved it; requests wait with the exact
        // bundle to be published.
        let mut approval = flag("publish_approval").default(false).to_owned();
        manager.alter_table(Table::alter().table(Named::Apps).add_column(&mut approval).to_owned()).await?;
        for column in ["made_by", "approved_by"] {
            let mut column = nullable_text(column);
            manager.alter_table(Table::alter().table(Named::AppVersions).add_column(&mut column).to_owned()).await?;
        }
        let requests = Table::create()
            .table(Named::PublishRequests)
            .col(id())
            .col(text("app"))
            .col(text("bundle"))
            .col(text("requested_by"))
            .col(timestamp("requested_at"))
            .col(text("state"))
            .col(nullable_text("decided_by"))
            .col(ColumnDef::new(Alias::new("decided_at")).timestamp_with_time_zone().null())
            .to_owned();
        manager.create_table(requests).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::PublishRequests).to_owned()).await?;
        for (table, column) in [
            ("trellis_app_versions", "approved_by"),
            ("trellis_app_versions", "made_by"),
            ("trellis_apps", "publish_approval"),
        ] {
            manager
                .alter_table(Table::alter().table(Alias::new(table)).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}

struct M0012UserRoles;

impl MigrationName for M0012UserRoles {
    fn name(&self) -> &str {
        "m0012_user_roles"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0012UserRoles {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Which app roles each user holds.
        let roles = Table::create()
            .table(Named::UserRoles)
            .col(big("user_id"))
            .col(text("app"))
            .col(text("role"))
            .primary_key(Index::create().col(Alias::new("user_id")).col(Alias::new("app")).col(Alias::new("role")))
            .foreign_key(
                ForeignKey::create()
                    .from(Named::UserRoles, Alias::new("user_id"))
                    .to(Named::Users, Alias::new("id"))
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        manager.create_table(roles).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Named::UserRoles).to_owned()).await
    }
}

struct M0013Ownership;

impl MigrationName for M0013Ownership {
    fn name(&self) -> &str {
        "m0013_ownership"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0013Ownership {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Who uploaded each file, and the record field it was first attached to: a file
        // is read by whoever may read that field of that record (before it is attached,
        // by its uploader only), and is never attached to another record.
        let columns = [
            ColumnDef::new(Alias::new("uploaded_by")).big_integer().null().to_owned(),
            nullable_text("form"),
            nullable_text("field"),
            ColumnDef::new(Alias::new("record_id")).big_integer().null().to_owned(),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table(Named::Files).add_column(&mut column).to_owned()).await?;
        }
        // The user a firing's actions act for (`"run_as": "user"`), kept for its retries.
        let mut acting_for = ColumnDef::new(Alias::new("acting_for")).big_integer().null().to_owned();
        manager.alter_table(Table::alter().table(Named::Firings).add_column(&mut acting_for).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Named::Firings).drop_column(Alias::new("acting_for")).to_owned())
            .await?;
        for column in ["record_id", "field", "form", "uploaded_by"] {
            manager.alter_table(Table::alter().table(Named::Files).drop_column(Alias::new(column)).to_owned()).await?;
        }
        Ok(())
    }
}

struct M0014Processes;

impl MigrationName for M0014Processes {
    fn name(&self) -> &str {
        "m0014_processes"
    }
}

fn nullable_timestamp(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().null().to_owned()
}

fn nullable_big(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().null().to_owned()
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
            .table(Named::FlowTasks)
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
                    .from(Named::FlowTasks, Alias::new("instance_id"))
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
            .table(Named::FlowEscalations)
            .col(id())
            .col(big("task_id"))
            .col(timestamp("due_at"))
            .col(text("action"))
            .col(nullable_text("target"))
            .col(nullable_timestamp("done_at"))
            .foreign_key(
                ForeignKey::create()
                    .from(Named::FlowEscalations, Alias::new("task_id"))
                    .to(Named::FlowTasks, Alias::new("id"))
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

struct M0015ProcessLinks;

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
