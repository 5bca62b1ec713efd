//! The platform's own tables, each named once: queries name them as `Table::Users`, never
//! as text.

use std::borrow::Cow;

use sea_orm::sea_query::Iden;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Apps,
    Drafts,
    AppVersions,
    Tables,
    Columns,
    Files,
    Firings,
    Tasks,
    Outbox,
    ScheduleRuns,
    Events,
    Users,
    Sessions,
    ApiTokens,
    Audit,
    OrgUnits,
    UserRoles,
    PublishRequests,
    FlowInstances,
    FlowJobs,
    FlowWaits,
    TaskEscalations,
    Notifications,
    FlowHistory,
    SignInAttempts,
    KnownAddresses,
    Views,
    DataVersions,
    Imports,
    Channels,
    ImportRefusals,
}

impl Table {
    pub const fn name(self) -> &'static str {
        match self {
            Table::Apps => "trellis_apps",
            Table::Drafts => "trellis_drafts",
            Table::AppVersions => "trellis_app_versions",
            Table::Tables => "trellis_tables",
            Table::Columns => "trellis_columns",
            Table::Files => "trellis_files",
            Table::Firings => "trellis_firings",
            Table::Tasks => "trellis_tasks",
            Table::Outbox => "trellis_outbox",
            Table::ScheduleRuns => "trellis_schedule_runs",
            Table::Events => "trellis_events",
            Table::Users => "trellis_users",
            Table::Sessions => "trellis_sessions",
            Table::ApiTokens => "trellis_api_tokens",
            Table::Audit => "trellis_audit",
            Table::OrgUnits => "trellis_org_units",
            Table::UserRoles => "trellis_user_roles",
            Table::PublishRequests => "trellis_publish_requests",
            Table::FlowInstances => "trellis_flow_instances",
            Table::FlowJobs => "trellis_flow_jobs",
            Table::FlowWaits => "trellis_flow_waits",
            Table::TaskEscalations => "trellis_task_escalations",
            Table::Notifications => "trellis_notifications",
            Table::FlowHistory => "trellis_flow_history",
            Table::SignInAttempts => "trellis_sign_in_attempts",
            Table::KnownAddresses => "trellis_known_addresses",
            Table::Views => "trellis_views",
            Table::DataVersions => "trellis_data_versions",
            Table::Imports => "trellis_imports",
            Table::Channels => "trellis_channels",
            Table::ImportRefusals => "trellis_import_refusals",
        }
    }
}

impl Iden for Table {
    fn quoted(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.name())
    }

    fn unquoted(&self) -> &str {
        self.name()
    }
}
