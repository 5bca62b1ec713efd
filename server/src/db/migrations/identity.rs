//! Who users are and what they did: users and sessions, API tokens, the audit trail,
//! the directory (org units), maker-checker publishing, app roles, file ownership.

use sea_orm_migration::prelude::*;

use super::*;

pub(super) struct M0007Identity;

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

pub(super) struct M0008ApiTokens;

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

pub(super) struct M0009Audit;

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

pub(super) struct M0010Directory;

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

pub(super) struct M0011MakerChecker;

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

pub(super) struct M0012UserRoles;

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

pub(super) struct M0013Ownership;

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
