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
    /// `whose=team`, first page: each holder's tasks of all the list selects, open and
    /// overdue, most overdue first.
    pub holders: Option<Vec<TaskHolder>>,
}

/// Someone holding tasks of a team, and how many.
#[derive(ToSchema)]
pub struct TaskHolder {
    pub username: String,
    pub display_name: Option<String>,
    pub open: i64,
    pub overdue: i64,
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
    /// The dashboards the app shows them (those of no role, or of a role they hold).
    pub dashboards: Vec<DashboardRef>,
}

#[derive(ToSchema)]
pub struct DashboardRef {
    pub key: String,
    pub label: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(ToSchema)]
pub struct WorkspaceForm {
    pub key: String,
    pub label: std::collections::BTreeMap<String, String>,
    pub title_field: Option<String>,
    /// For a form of people: the field holding each one's user name.
    pub user_field: Option<String>,
    /// The form's field declarations as its metadata gives them (`/api/v1/schemas/form`),
    /// each with its `mode` for this user; hidden fields are left out.
    pub fields: Vec<FieldMeta>,
    /// Of read, create, update, delete, export: those the user's roles grant.
    pub operations: Vec<String>,
    /// The key of the record page laid out for the form (`…/pages/{page}/records/{id}`).
    pub page: Option<String>,
    /// How the record form is laid out (columns, tabs, sections), as the metadata gives it.
    pub layout: Option<FormLayout>,
}

/// A record form's layout: 1 to 3 columns, sections (titled groups of fields) on tabs.
#[derive(ToSchema)]
pub struct FormLayout {
    pub columns: Option<i64>,
    pub tabs: Option<Vec<LayoutPart>>,
    pub sections: Option<Vec<LayoutPart>>,
}

/// A tab, or a section with its fields and the tab it is on.
#[derive(ToSchema)]
pub struct LayoutPart {
    pub key: String,
    pub label: std::collections::BTreeMap<String, String>,
    pub tab: Option<String>,
    pub fields: Option<Vec<String>>,
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
    /// `related`, `tasks`, `processes`, `alerts` or `messages`.
    pub kind: String,
    pub form: Option<String>,
    pub columns: Option<Vec<PageColumn>>,
    /// Related records (`Record`s), or tasks, processes, alerts or messages.
    pub items: Vec<SectionItem>,
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

/// A field as its form's metadata declares it (`/api/v1/schemas/form`, `$defs/field`), with
/// the reader's `mode` for it: what record screens are drawn from at run time.
#[derive(ToSchema)]
pub struct FieldMeta {
    pub key: String,
    /// The field's type.
    #[schema(rename = "type", value_type = FieldType)]
    pub kind: String,
    pub label: std::collections::BTreeMap<String, String>,
    /// How the reader sees it: `masked` and `year_only` values are texts the server masked
    /// (`*******0001`, `1975-**-**`), shown as they come.
    #[schema(value_type = FieldMode)]
    pub mode: String,
    pub help: Option<std::collections::BTreeMap<String, String>>,
    pub required: Option<bool>,
    pub unique: Option<bool>,
    pub index: Option<bool>,
    pub personal_data: Option<bool>,
    /// A condition: the field is shown (and may be sent) only while it holds.
    pub visible_when: Option<String>,
    /// What a new record's form starts with: `now`, or `current_user` (the user's own record).
    pub prefill: Option<String>,
    /// The key it was published under before a rename (its column follows it).
    pub renamed_from: Option<String>,
    pub default: Option<Value>,
    /// Bounds of a number or a date, as the metadata writes them.
    pub min: Option<Value>,
    pub max: Option<Value>,
    pub min_length: Option<u32>,
    pub max_length: Option<u32>,
    pub pattern: Option<String>,
    pub precision: Option<u32>,
    pub scale: Option<u32>,
    pub currency: Option<String>,
    pub options: Option<Vec<FieldOption>>,
    /// A relation's form, and the fields of it shown beside the link.
    pub form: Option<String>,
    pub lookup: Option<Vec<String>>,
    /// A sub-table's columns.
    #[schema(no_recursion)]
    pub fields: Option<Vec<FieldMeta>>,
    pub max_files: Option<u32>,
    pub max_size: Option<u64>,
    /// Accepted content types (`image/*`, `application/pdf`).
    pub accept: Option<Vec<String>>,
    /// A formula's expression and the type of its value.
    pub expression: Option<String>,
    pub result_type: Option<String>,
}

/// The types a field may have.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    LongText,
    Integer,
    Decimal,
    Boolean,
    Date,
    Datetime,
    SingleSelect,
    MultiSelect,
    Email,
    Phone,
    Relation,
    SubTable,
    Attachment,
    Formula,
}

/// How a reader sees a field.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum FieldMode {
    Visible,
    ReadOnly,
    YearOnly,
    Masked,
}

#[derive(ToSchema)]
pub struct FieldOption {
    pub value: String,
    pub label: std::collections::BTreeMap<String, String>,
    /// The colour the option is shown in: blue, green, gold, orange, red, purple, cyan, magenta or gray.
    pub color: Option<String>,
}

/// A record as the reader may see it: its system columns, each field's value by its key
/// (decimals as strings, instants in RFC 3339 UTC, relations as ids; a masked value is the
/// server's masked text) and, for its relations, the related records' lookup fields.
#[derive(ToSchema)]
pub struct Record {
    pub id: i64,
    pub _version: i64,
    pub _created_at: String,
    pub _updated_at: String,
    /// For each relation with lookup fields: the related record's, or null when none.
    pub _lookup: Option<std::collections::BTreeMap<String, Option<std::collections::HashMap<String, Value>>>>,
    #[serde(flatten)]
    pub values: std::collections::HashMap<String, Value>,
}

/// A page of records.
#[derive(ToSchema)]
pub struct RecordList {
    pub items: Vec<Record>,
    /// The cursor of the following page (`after=`), if there is one.
    pub next: Option<String>,
    /// How many records match in all, when `count=true` asked.
    pub total: Option<i64>,
}

/// One task with what completing it takes.
#[derive(ToSchema)]
pub struct TaskDetail {
    #[serde(flatten)]
    pub task: Task,
    pub form: TaskFormFields,
    /// The outcomes to choose from; none for a task completed without one.
    pub outcomes: Vec<TaskOutcome>,
    pub escalations: Vec<Escalation>,
    /// The record the task is about, as the reader may see it; null when none or not theirs.
    pub record: Option<Record>,
}

/// The people a task may be handed to.
#[derive(ToSchema)]
pub struct Takers {
    pub items: Vec<Taker>,
}

/// Someone a task may be handed to: their user name (what a delegation sends) and the name
/// people know them by.
#[derive(ToSchema)]
pub struct Taker {
    pub username: String,
    pub display_name: Option<String>,
}

/// An outcome a task's holder may decide: its key (sent on completion) and what it is
/// called per language (none given: shown by its key).
#[derive(ToSchema)]
pub struct TaskOutcome {
    pub key: String,
    pub label: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(ToSchema)]
pub struct TaskFormFields {
    pub fields: Vec<FieldMeta>,
}

/// A task's SLA escalation: when, what (`remind`, `escalate`, `reassign`), to whom, done when.
#[derive(ToSchema)]
pub struct Escalation {
    pub at: String,
    pub action: String,
    pub to: Option<String>,
    pub done_at: Option<String>,
}

/// What happened to and around a record, newest first.
#[derive(ToSchema)]
pub struct Timeline {
    pub items: Vec<TimelineEntry>,
    /// Whether older entries were left out.
    pub more: bool,
}

/// One entry of a timeline: its `kind` and instant `at`, and what that kind says (a change's
/// `action`, `actor` and `detail`; a firing's `rule`, `label` and what it `read`; a task's
/// `title` and `status`; a process's `flow`, `label` and `status`; a message's `channel`,
/// `body` and `state`).
#[derive(ToSchema)]
pub struct TimelineEntry {
    /// `change`, `firing`, `task`, `process` or `message`.
    pub kind: String,
    pub at: String,
    #[serde(flatten)]
    pub said: SectionItem,
}

/// What an entry about a record says, by kind (a page section's items and a timeline's
/// entries): every property is optional; others may come too.
#[derive(ToSchema)]
pub struct SectionItem {
    pub id: Option<i64>,
    pub action: Option<String>,
    pub actor: Option<String>,
    /// What the actor of a change is called, by language (a user's display name, a rule's
    /// or a process's label); null: by `actor`.
    pub by: Option<std::collections::BTreeMap<String, String>>,
    pub detail: Option<Value>,
    pub rule: Option<String>,
    /// The form a firing fired on (what `read` names the fields of).
    pub form: Option<String>,
    /// By language.
    pub label: Option<std::collections::BTreeMap<String, String>>,
    pub read: Option<Value>,
    pub fired_at: Option<String>,
    pub title: Option<String>,
    pub status: Option<String>,
    pub overdue: Option<bool>,
    pub due_at: Option<String>,
    pub flow: Option<String>,
    pub channel: Option<String>,
    pub body: Option<Value>,
    pub state: Option<String>,
    #[serde(flatten)]
    pub rest: std::collections::HashMap<String, Value>,
}

/// A report's answer for the viewer: its columns (dimensions, then measures), a row per
/// group, the total, and for a pivot the cells by (row, column) keys with their totals.
/// Every number is an exact decimal string at its column's scale.
#[derive(ToSchema)]
pub struct ReportAnswer {
    pub report: ReportAbout,
    pub columns: Vec<ReportColumn>,
    pub rows: Vec<ReportRow>,
    /// The measures over every row the viewer reads.
    pub total: Vec<Option<String>>,
    /// For a report with `columns`: `rows` and `columns` the keys down and across, `cells`
    /// each row's cells (each the measures, or null), with row, column and grand totals;
    /// `row_where` and `column_where` the conditions of each row and column (a cell's is
    /// both).
    #[schema(value_type = Option<Object>)]
    pub pivot: Option<Value>,
    /// What narrowed the rows (the parameters' list filter, the report's condition): a
    /// drill-down to the record list adds a row's `drill` to it.
    pub base: ReportBase,
}

#[derive(ToSchema)]
pub struct ReportAbout {
    pub key: String,
    pub label: Option<std::collections::BTreeMap<String, String>>,
    /// The dataset's form (empty for a platform dataset).
    pub form: String,
    /// A platform dataset: `tasks`, `processes`, `firings` or `outbox`.
    pub platform: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub chart: Option<Value>,
    /// A pivot's dimensions across.
    pub across: Vec<String>,
    pub parameters: Vec<ReportParameter>,
}

/// A parameter the viewer may set: its field's type and (a select's) options, and the value
/// in effect.
#[derive(ToSchema)]
pub struct ReportParameter {
    pub key: String,
    pub label: Option<std::collections::BTreeMap<String, String>>,
    pub field: String,
    pub op: String,
    #[schema(value_type = Option<String>)]
    pub r#type: Option<String>,
    pub options: Vec<SelectOptionRef>,
    pub required: bool,
    pub value: Option<String>,
}

#[derive(ToSchema)]
pub struct SelectOptionRef {
    pub key: String,
    pub label: std::collections::BTreeMap<String, String>,
}

#[derive(ToSchema)]
pub struct ReportColumn {
    pub key: String,
    pub label: Option<std::collections::BTreeMap<String, String>>,
    /// `dimension` or `measure`; a list's `field`.
    pub role: String,
    /// A dimension's `text`, `number`, `boolean` or `bucket`; a measure's `decimal` or `share`.
    pub r#type: String,
    /// A measure's places.
    pub scale: Option<u32>,
    /// A dimension's bucket (`month`…).
    pub bucket: Option<String>,
    /// How an average, ratio or share was rounded: `half_even`.
    pub rounding: Option<String>,
    /// A select dimension's options: its values' labels.
    pub options: Option<Vec<SelectOptionRef>>,
}

#[derive(ToSchema)]
pub struct ReportRow {
    /// Each dimension's value (a bucket's name: `2026-11`, `2026-W48`, `2026-Q4`).
    pub keys: Vec<Option<String>>,
    pub values: Vec<Option<String>>,
    /// The row summing the groups a top-N leaves out.
    pub others: bool,
    /// Each dimension's filter that reproduces the row: `{field, equals}`, `{field, empty}` or
    /// `{field, from, before}`.
    #[schema(value_type = Vec<Object>)]
    pub drill: Vec<Value>,
    /// A list report's row: its record's (or task's) id.
    pub id: Option<i64>,
    /// The condition that lists the row's records (what narrowed the report and the row's
    /// own values), for the record list's `where`; null where none can be written.
    #[schema(rename = "where")]
    pub r#where: Option<String>,
}

#[derive(ToSchema)]
pub struct ReportBase {
    pub filter: String,
    #[schema(rename = "where")]
    pub r#where: Option<String>,
}

/// A dashboard as the viewer sees it: its shared parameters and each card with its report's
/// answer, or the problem that kept it from one.
#[derive(ToSchema)]
pub struct DashboardAnswer {
    pub key: String,
    pub label: Option<std::collections::BTreeMap<String, String>>,
    pub parameters: Vec<ReportParameter>,
    pub cards: Vec<DashboardCard>,
}

#[derive(ToSchema)]
pub struct DashboardCard {
    pub report: String,
    pub label: Option<std::collections::BTreeMap<String, String>>,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    /// A finer report a bucket opens, else the record list.
    pub drill: Option<String>,
    pub answer: Option<ReportAnswer>,
    pub problem: Option<super::error::Problem>,
}

/// A report definition not yet published, with parameters, for a designer's preview.
#[derive(ToSchema, serde::Deserialize)]
pub struct ReportPreview {
    #[schema(value_type = Object)]
    pub report: Value,
    #[serde(default)]
    pub parameters: std::collections::BTreeMap<String, String>,
}
