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
    /// Process instances: running, completed or cancelled.
    Processes,
    /// Rule firings: done, retrying or failed.
    Firings,
    /// Outbox messages: by channel and delivery state.
    Outbox,
}

impl Platform {
    pub const ALL: [Platform; 4] = [Platform::Tasks, Platform::Processes, Platform::Firings, Platform::Outbox];

    pub fn key(self) -> &'static str {
        match self {
            Platform::Tasks => "tasks",
            Platform::Processes => "processes",
            Platform::Firings => "firings",
            Platform::Outbox => "outbox",
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
        let select = |key: &str, zh: &str, en: &str, options: &[(&str, &str, &str)]| {
            let mut f = field(key, "single_select", zh, en);
            f["options"] = options.iter().map(|(v, zh, en)| option(v, zh, en)).collect();
            f
        };
        // What each is about: a record of the app's, by form and id.
        let about = || [field("form", "text", "业务表单", "Form"), field("record", "integer", "业务记录", "Record")];
        let tasks = json!({
            "key": "tasks", "label": l("待办", "Tasks"), "fields": [
                field("title", "text", "标题", "Title"), status, priority,
                field("assignee", "text", "处理人", "Assignee"), field("unit", "text", "机构", "Unit"),
                field("role", "text", "角色", "Role"), field("form", "text", "业务表单", "Form"),
                field("record", "integer", "业务记录", "Record"), field("created_at", "datetime", "创建时间", "Created"),
                field("due_at", "datetime", "到期时间", "Due"), field("completed_at", "datetime", "完成时间", "Completed"),
                field("outcome", "text", "结果", "Outcome"), field("overdue", "boolean", "已逾期", "Overdue"),
                field("alert", "boolean", "预警", "Alert"),
                field("handled_in_time", "integer", "按时处理", "Handled in time")] });
        let processes = json!({
            "key": "processes", "label": l("流程实例", "Process instances"), "fields": [
                field("flow", "text", "流程", "Process"), field("version", "integer", "版本", "Version"),
                select("status", "状态", "Status", &[("running", "进行中", "Running"),
                    ("completed", "已完成", "Completed"), ("cancelled", "已取消", "Cancelled")]),
                about()[0].clone(), about()[1].clone(),
                field("started_at", "datetime", "发起时间", "Started"),
                field("updated_at", "datetime", "最后变化", "Last changed")] });
        let firings = json!({
            "key": "firings", "label": l("规则触发", "Rule firings"), "fields": [
                field("rule", "text", "规则", "Rule"), field("trigger", "text", "触发方式", "Trigger"),
                select("status", "状态", "Status", &[("done", "已执行", "Done"),
                    ("retrying", "重试中", "Retrying"), ("failed", "失败", "Failed")]),
                about()[0].clone(), about()[1].clone(),
                field("fired_at", "datetime", "触发时间", "Fired"), field("attempts", "integer", "尝试次数", "Attempts")] });
        let outbox = json!({
            "key": "outbox", "label": l("发件箱", "Outbox"), "fields": [
                select("channel", "渠道", "Channel", &[("sms", "短信", "SMS"), ("email", "邮件", "E-mail"),
                    ("im", "即时消息", "IM"), ("in_app", "站内", "In-app"), ("webhook", "Webhook", "Webhook")]),
                select("state", "状态", "State", &[("pending", "待发送", "Pending"), ("delivered", "已送达", "Delivered"),
                    ("failed", "失败", "Failed"), ("undeliverable", "无法投递", "Undeliverable")]),
                field("attempts", "integer", "尝试次数", "Attempts"), about()[0].clone(), about()[1].clone(),
                field("rule", "text", "规则", "Rule"),
                field("created_at", "datetime", "创建时间", "Created"), field("sent_at", "datetime", "发送时间", "Sent")] });
        let doc =
            json!({ "key": "platform", "name": l("平台", "Platform"), "forms": [tasks, processes, firings, outbox] });
        engine_form::parse_bundle(&doc).expect("the platform datasets are valid forms")
    });
    &BUNDLE
}
