//! Migrations of the platform's own tables, each in the file of what it is for: apps and
//! their metadata (`apps.rs`), what rules did (`rules.rs`), who users are and what they
//! did (`identity.rs`), processes (`processes.rs`), sign-in attempts (`sign_in.rs`), one task model
//! (`tasks.rs`), readers' languages (`languages.rs`), credentials that end what they granted
//! (`credentials.rs`), imports of files into forms (`imports.rs`), the gateways messages leave
//! through (`channels.rs`).

mod apps;
mod channels;
mod credentials;
mod identity;
mod imports;
mod languages;
mod processes;
mod rules;
mod sign_in;
mod tasks;
mod views;

use sea_orm_migration::prelude::*;

pub use super::Table as Named;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(apps::M0001Platform),
            Box::new(rules::M0002Rules),
            Box::new(rules::M0003ScheduleRuns),
            Box::new(rules::M0004Events),
            Box::new(rules::M0005FiringRetries),
            Box::new(rules::M0006OutboxDelivery),
            Box::new(identity::M0007Identity),
            Box::new(identity::M0008ApiTokens),
            Box::new(identity::M0009Audit),
            Box::new(identity::M0010Directory),
            Box::new(identity::M0011MakerChecker),
            Box::new(identity::M0012UserRoles),
            Box::new(identity::M0013Ownership),
            Box::new(processes::M0014Processes),
            Box::new(processes::M0015ProcessLinks),
            Box::new(sign_in::M0016SignInAttempts),
            Box::new(tasks::M0017OneTaskModel),
            Box::new(tasks::M0018Notifications),
            Box::new(languages::M0019Languages),
            Box::new(views::M0020Views),
            Box::new(languages::M0021TimeZones),
            Box::new(credentials::M0022Credentials),
            Box::new(rules::M0023OutboxSubject),
            Box::new(languages::M0024AppLanguage),
            Box::new(apps::M0025DraftRevisions),
            Box::new(apps::M0026DataVersions),
            Box::new(imports::M0027Imports),
            Box::new(channels::M0028Channels),
            Box::new(imports::M0029ImportJobs),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("trellis_migrations").into_iden()
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

pub(super) fn nullable_timestamp(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().null().to_owned()
}

pub(super) fn nullable_big(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().null().to_owned()
}
