//! The shapes of answers the handlers build as JSON, described for the platform OpenAPI
//! document, from which the browser app's client is typed. Schemathesis checks every
//! answer against them, so a shape that drifts from what a handler writes fails CI.

#![allow(dead_code)] // Read by utoipa only: the handlers write these shapes as JSON.

use serde_json::Value;
use utoipa::ToSchema;

/// A session, as signing in gives it.
#[derive(ToSchema)]
pub struct Session {
    /// Send as `Authorization: Bearer <token>`; absent when the session is kept in the
    /// HttpOnly cookie the sign-in asked for (`cookie: true`, the browser app).
    pub token: Option<String>,
    pub username: String,
    /// RFC 3339, to the second.
    pub expires_at: String,
    /// The wrong passwords typed for this name since the user last signed in, if any.
    pub failed_attempts: Option<crate::auth::Failures>,
}

/// The record a task or notification is about.
#[derive(ToSchema)]
pub struct Subject {
    pub form: Option<String>,
    pub id: Option<i64>,
}

/// A task of the inbox: a process's user task (instance, token, node) or one a rule
/// raised (firing), for a user (`assignee`) or offered to a role in a unit's queue.
#[derive(ToSchema)]
pub struct Task {
    pub id: i64,
    pub app: String,
    pub instance: Option<i64>,
    pub token: Option<i64>,
    pub node: Option<String>,
    pub firing: Option<i64>,
    /// In the reader's language when it was given in several.
    pub title: String,
    pub assignee: Option<String>,
    pub candidate_role: Option<String>,
    pub candidate_unit: Option<String>,
    /// `low`, `normal` or `high`.
    pub priority: String,
    pub due_at: Option<String>,
    pub overdue: bool,
    /// `open`, `completed` or `cancelled`.
    pub status: String,
    pub outcome: Option<String>,
    /// What the task says (why it was routed, its titles) and, completed, what was recorded.
    pub data: Option<Value>,
    pub subject: Subject,
    pub created_at: String,
    pub completed_at: Option<String>,
    pub completed_by: Option<String>,
}

/// Tasks, soonest due first.
#[derive(ToSchema)]
pub struct TaskList {
    pub items: Vec<Task>,
    /// The cursor of the following page (`after=`), if there is one.
    pub next: Option<String>,
}

/// What a user is told inside Trellis.
#[derive(ToSchema)]
pub struct Notification {
    pub id: i64,
    pub app: String,
    /// In the reader's language when it was given in several.
    pub message: String,
    pub task: Option<i64>,
    /// The record it is about; null when none.
    pub subject: Option<Subject>,
    pub created_at: String,
    pub read: bool,
    pub read_at: Option<String>,
}

/// A page of notifications, newest first.
#[derive(ToSchema)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    /// How many of the user's notifications are unread, in all.
    pub unread: i64,
    /// The `before` of the next page; null on the last.
    pub next: Option<i64>,
}

/// What a signed-in user works with: their apps and forms, and their open tasks.
#[derive(ToSchema)]
pub struct Workspace {
    pub apps: Vec<WorkspaceApp>,
    pub tasks: TaskCounts,
}

#[derive(ToSchema)]
pub struct WorkspaceApp {
    pub key: String,
    /// By language: `{"zh-CN": "银行客户关系管理", "en": "Bank CRM"}`.
    pub name: std::collections::BTreeMap<String, String>,
    /// The app's time zone (IANA): instants are shown in it unless the user chose theirs.
    pub time_zone: String,
    /// The forms the user's roles let them read, in the app's order.
    pub forms: Vec<WorkspaceForm>,
}

#[derive(ToSchema)]
pub struct WorkspaceForm {
    pub key: String,
    pub label: std::collections::BTreeMap<String, String>,
    pub title_field: Option<String>,
    /// The form's field declarations as its metadata gives them (`/api/v1/schemas/form`),
    /// each with its `mode` for this user; hidden fields are left out.
    pub fields: Vec<Value>,
    /// Of read, create, update, delete, export: those the user's roles grant.
    pub operations: Vec<String>,
    /// The key of the record page laid out for the form (`…/pages/{page}/records/{id}`).
    pub page: Option<String>,
}

#[derive(ToSchema)]
pub struct TaskCounts {
    pub open: i64,
    pub overdue: i64,
    /// Whether the user leads (manages) an org unit: their inbox has their team's part.
    pub leads: bool,
}

/// What a record being typed comes to (`…/forms/{form}/check`): nothing is written.
#[derive(ToSchema)]
pub struct DraftCheck {
    /// The fields the form hides for these values (their `visible_when` does not hold).
    pub hidden: Vec<String>,
    /// Each formula's value for the draft, by key, as the caller may see it.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub formulas: Value,
    /// The typed values that do not fit their fields, each at its `path`.
    pub errors: Vec<super::error::ProblemItem>,
}

/// A record page (`pages` metadata) for one record, as the reader may see it.
#[derive(ToSchema)]
pub struct RecordPage {
    pub page: PageRef,
    /// The record, shaped by the reader's field modes.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub record: Value,
    pub summary: Vec<PageFigure>,
    /// In the page's order; those of forms the reader may not read are left out.
    pub sections: Vec<PageSection>,
}

#[derive(ToSchema)]
pub struct PageRef {
    pub key: String,
    pub label: std::collections::BTreeMap<String, String>,
    pub form: String,
}

/// A summary figure: its value as the expression gives it (decimals as strings).
#[derive(ToSchema)]
pub struct PageFigure {
    pub key: String,
    pub label: std::collections::BTreeMap<String, String>,
    /// Places to show a number at.
    pub scale: Option<u32>,
    /// False when the figure reads what the reader sees masked or hidden: no value then.
    pub readable: bool,
    pub value: Option<Value>,
    /// Why a readable figure has no value: `overflow` (past what the database computes
    /// exactly); the rest of the page is shown.
    pub error: Option<String>,
}

/// A section: related records (`related`, with `form` and `columns`), or the record's open
/// `tasks`, `processes` or `alerts`; `total` counts them all, `items` holds those shown.
#[derive(ToSchema)]
pub struct PageSection {
    pub key: String,
    pub label: std::collections::BTreeMap<String, String>,
    /// `related`, `tasks`, `processes` or `alerts`.
    pub kind: String,
    pub form: Option<String>,
    pub columns: Option<Vec<PageColumn>>,
    #[schema(value_type = Vec<std::collections::HashMap<String, serde_json::Value>>)]
    pub items: Vec<Value>,
    pub total: i64,
}

/// A related section's column and the reader's mode for it.
#[derive(ToSchema)]
pub struct PageColumn {
    pub key: String,
    /// `visible`, `read_only` or `masked`.
    pub mode: String,
}

/// A saved view: the list parameters it stands for.
#[derive(ToSchema)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    #[schema(rename = "where")]
    pub condition: Option<String>,
    pub search: Option<String>,
    pub sort: Option<String>,
    pub columns: Option<Vec<String>>,
    pub updated_at: String,
}

#[derive(ToSchema)]
pub struct SavedViews {
    pub items: Vec<SavedView>,
}

/// A bulk change done.
#[derive(ToSchema)]
pub struct BulkDone {
    /// How many records changed: all those named.
    pub changed: i64,
}
