//! The platform's own records as datasets, so the work itself can be reported: each is
//! described as a form (its columns typed and labelled as a form's fields are), which the
//! app's checker reads a report's columns, filter and parameters against, and which the
//! server fills with the rows the viewer reaches (tasks as their inbox does).

use std::sync::LazyLock;

use engine_form::{Bundle, Form};
use serde::Deserialize;
use serde_json::json;

/// A platform dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Tasks: of rules and processes, open, completed or cancelled.
    Tasks,
}

impl Platform {
    pub fn key(self) -> &'static str {
        match self {
            Platform::Tasks => "tasks",
        }
    }

    /// The dataset's columns, as a form of [`bundle`].
    pub fn form(self) -> &'static Form {
        bundle().form(self.key()).expect("the platform bundle has every platform dataset")
    }
}

/// The platform datasets as forms, for expressions to be checked and read against.
pub fn bundle() -> &'static Bundle {
    static BUNDLE: LazyLock<Bundle> = LazyLock::new(|| {
        let l = |zh: &str, en: &str| json!({ "zh-CN": zh, "en": en });
        let option = |value: &str, zh: &str, en: &str| json!({ "value": value, "label": l(zh, en) });
        let field = |key: &str, kind: &str, zh: &str, en: &str| json!({ "key": key, "type": kind, "label": l(zh, en) });
        let mut status = field("status", "single_select", "状态", "Status");
        status["options"] = json!([
            option("open", "待办", "Open"),
            option("completed", "已完成", "Completed"),
            option("cancelled", "已取消", "Cancelled")
        ]);
        let mut priority = field("priority", "single_select", "优先级", "Priority");
        priority["options"] =
            json!([option("low", "低", "Low"), option("normal", "普通", "Normal"), option("high", "高", "High")]);
        let doc = json!({ "key": "platform", "name": l("平台", "Platform"), "forms": [{
            "key": "tasks", "label": l("待办", "Tasks"), "fields": [
                field("title", "text", "标题", "Title"), status, priority,
                field("assignee", "text", "处理人", "Assignee"), field("unit", "text", "机构", "Unit"),
                field("role", "text", "角色", "Role"), field("form", "text", "业务表单", "Form"),
                field("record", "integer", "业务记录", "Record"), field("created_at", "datetime", "创建时间", "Created"),
                field("due_at", "datetime", "到期时间", "Due"), field("completed_at", "datetime", "完成时间", "Completed"),
                field("outcome", "text", "结果", "Outcome"), field("overdue", "boolean", "已逾期", "Overdue"),
                field("alert", "boolean", "预警", "Alert"),
                field("handled_in_time", "integer", "按时处理", "Handled in time")] }] });
        engine_form::parse_bundle(&doc).expect("the platform datasets are valid forms")
    });
    &BUNDLE
}
