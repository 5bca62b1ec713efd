//! What changed between two versions of an app, in business words: its settings, forms
//! added and removed, each field added, removed, moved, retyped, made required or not, its
//! label, options and other properties changed (fields matched by key, never by position),
//! and the other documents (rules, roles, processes…) added, removed or changed. Each
//! change is said in every language the app speaks ("字段 年收入 改为必填", "Tier: option
//! R5 added"). Pure: two bundle documents in, the changes out.

use serde_json::{Map, Value, json};

/// One change, with what it is about and its words per language.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// `setting`, `form_added`, `form_removed`, `form_label`, `form_property`, `field_added`, `field_removed`,
    /// `field_moved`, `field_type`, `field_required`, `field_label`, `option_added`,
    /// `option_removed`, `field_property`, `document_added`, `document_removed`,
    /// `document_changed`.
    pub kind: &'static str,
    /// The metadata kind and document key it is about (`forms`, `customer`).
    pub at: (String, String),
    /// The field it is about, if any.
    pub field: Option<String>,
    /// `{"zh-CN": …, "en": …}`.
    pub words: Map<String, Value>,
}

impl Change {
    pub fn to_json(&self) -> Value {
        json!({ "kind": self.kind, "of": self.at.0, "key": self.at.1, "field": self.field, "text": self.words })
    }
}

/// The metadata kinds whose documents are compared as wholes.
const KINDS: [&str; 10] =
    ["events", "decisions", "rules", "calendars", "roles", "flows", "pages", "reports", "dashboards", "forms"];

/// The changes from bundle `before` to bundle `after`, in the order a reader takes them:
/// settings, then each form (in `after`'s order, removed ones last), then the other kinds.
pub fn diff(before: &Value, after: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    for setting in ["name", "time_zone", "language"] {
        if before.get(setting) != after.get(setting) {
            out.push(said("setting", ("app", setting), None, |zh| {
                if zh {
                    format!("应用的{} 改为 {}", setting_zh(setting), shown(after.get(setting), true))
                } else {
                    format!("The app's {} is now {}", setting.replace('_', " "), shown(after.get(setting), false))
                }
            }));
        }
    }
    let (old, new) = (documents_at(before, "forms"), documents_at(after, "forms"));
    for form in &new {
        match old.iter().find(|f| key(f) == key(form)) {
            None => out.push(said("form_added", ("forms", key(form)), None, |zh| {
                if zh { format!("新增表单 {}", name(form, zh)) } else { format!("Form {} added", name(form, zh)) }
            })),
            Some(was) => {
                form_properties(was, form, &mut out);
                fields(was, form, &mut out);
            }
        }
    }
    for form in old.iter().filter(|f| !new.iter().any(|n| key(n) == key(f))) {
        out.push(said("form_removed", ("forms", key(form)), None, |zh| {
            if zh { format!("删除表单 {}", name(form, zh)) } else { format!("Form {} removed", name(form, zh)) }
        }));
    }
    for kind in KINDS.into_iter().filter(|k| *k != "forms") {
        let (old, new) = (documents_at(before, kind), documents_at(after, kind));
        for doc in &new {
            let changed = match old.iter().find(|d| key(d) == key(doc)) {
                None => Some("document_added"),
                Some(was) if was != doc => Some("document_changed"),
                Some(_) => None,
            };
            if let Some(what) = changed {
                out.push(said(what, (kind, key(doc)), None, |zh| document_words(what, kind, doc, zh)));
            }
        }
        for doc in old.iter().filter(|d| !new.iter().any(|n| key(n) == key(d))) {
            out.push(said("document_removed", (kind, key(doc)), None, |zh| {
                document_words("document_removed", kind, doc, zh)
            }));
        }
    }
    out
}

/// The changes of a form's own properties: its label, and the others (title field,
/// validations, layout…) each said by name.
fn form_properties(before: &Value, after: &Value, out: &mut Vec<Change>) {
    let form = key(after);
    if before.get("label") != after.get("label") {
        out.push(said("form_label", ("forms", form.clone()), None, |zh| {
            if zh {
                format!("表单 {} 改名为 {}", name(before, zh), name(after, zh))
            } else {
                format!("Form {} renamed {}", name(before, zh), name(after, zh))
            }
        }));
    }
    let (old, new) = (before.as_object().cloned().unwrap_or_default(), after.as_object().cloned().unwrap_or_default());
    let mut properties: Vec<&String> =
        old.keys().chain(new.keys()).filter(|k| !["key", "label", "fields"].contains(&k.as_str())).collect();
    properties.sort();
    properties.dedup();
    for property in properties {
        if old.get(property) != new.get(property) {
            out.push(said("form_property", ("forms", form.clone()), None, |zh| {
                if zh {
                    format!("{}：{property} 已修改", name(after, zh))
                } else {
                    format!("{}: its {property} changed", name(after, zh))
                }
            }));
        }
    }
}

/// The field changes of one form.
fn fields(before: &Value, after: &Value, out: &mut Vec<Change>) {
    let form = key(after);
    let (old, new) = (documents_at(before, "fields"), documents_at(after, "fields"));
    let at = |f: &Value| ("forms", form.clone(), key(f));
    let kept_old: Vec<String> = old.iter().filter(|f| new.iter().any(|n| key(n) == key(f))).map(key).collect();
    let kept_new: Vec<String> = new.iter().filter(|f| old.iter().any(|o| key(o) == key(f))).map(key).collect();
    let stayed = in_order(&kept_old, &kept_new);
    for field in &new {
        let Some(was_at) = old.iter().position(|f| key(f) == key(field)) else {
            out.push(field_said("field_added", at(field), |zh| {
                if zh {
                    format!("{}：新增字段 {}", name(after, zh), name(field, zh))
                } else {
                    format!("{}: field {} added", name(after, zh), name(field, zh))
                }
            }));
            continue;
        };
        let was = &old[was_at];
        // Moved: not among the longest run of fields that kept their order.
        if !stayed.contains(&key(field)) {
            let kept_at = kept_new.iter().position(|k| *k == key(field));
            let neighbour = kept_at
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| kept_new.get(i))
                .and_then(|k| new.iter().find(|f| key(f) == *k));
            out.push(field_said("field_moved", at(field), |zh| match (neighbour, zh) {
                (Some(n), true) => format!("{}：字段 {} 移到 {} 之后", name(after, zh), name(field, zh), name(n, zh)),
                (None, true) => format!("{}：字段 {} 移到最前", name(after, zh), name(field, zh)),
                (Some(n), false) => {
                    format!("{}: field {} moved after {}", name(after, zh), name(field, zh), name(n, zh))
                }
                (None, false) => format!("{}: field {} moved first", name(after, zh), name(field, zh)),
            }));
        }
        field_properties(after, was, field, out);
    }
    for field in old.iter().filter(|f| !new.iter().any(|n| key(n) == key(f))) {
        out.push(field_said("field_removed", at(field), |zh| {
            if zh {
                format!("{}：删除字段 {}", name(after, zh), name(field, zh))
            } else {
                format!("{}: field {} removed", name(after, zh), name(field, zh))
            }
        }));
    }
}

/// What changed in one field kept between the versions.
fn field_properties(form: &Value, was: &Value, field: &Value, out: &mut Vec<Change>) {
    let at = ("forms", key(form), key(field));
    let (f, n) = (|zh| name(form, zh), |zh| name(field, zh));
    if was.get("type") != field.get("type") {
        out.push(field_said("field_type", at.clone(), |zh| {
            let (from, to) = (shown(was.get("type"), zh), shown(field.get("type"), zh));
            if zh {
                format!("{}：字段 {} 的类型由 {from} 改为 {to}", f(zh), n(zh))
            } else {
                format!("{}: {} is now {to}, was {from}", f(zh), n(zh))
            }
        }));
    }
    let required = |d: &Value| d.get("required").and_then(Value::as_bool).unwrap_or(false);
    if required(was) != required(field) {
        let now = required(field);
        out.push(field_said("field_required", at.clone(), |zh| match (zh, now) {
            (true, true) => format!("{}：字段 {} 改为必填", f(zh), n(zh)),
            (true, false) => format!("{}：字段 {} 改为选填", f(zh), n(zh)),
            (false, true) => format!("{}: {} is now required", f(zh), n(zh)),
            (false, false) => format!("{}: {} is no longer required", f(zh), n(zh)),
        }));
    }
    if was.get("label") != field.get("label") {
        out.push(field_said("field_label", at.clone(), |zh| {
            if zh {
                format!("{}：字段 {} 改名为 {}", f(zh), name(was, zh), n(zh))
            } else {
                format!("{}: field {} renamed {}", f(zh), name(was, zh), n(zh))
            }
        }));
    }
    let (old_options, new_options) = (documents_at(was, "options"), documents_at(field, "options"));
    let value = |o: &Value| o.get("value").and_then(Value::as_str).unwrap_or_default().to_owned();
    for option in new_options.iter().filter(|o| !old_options.iter().any(|p| value(p) == value(o))) {
        out.push(field_said("option_added", at.clone(), |zh| {
            if zh {
                format!("{}：{} 的选项新增 {}", f(zh), n(zh), name(option, zh))
            } else {
                format!("{}: {}: option {} added", f(zh), n(zh), name(option, zh))
            }
        }));
    }
    for option in old_options.iter().filter(|o| !new_options.iter().any(|p| value(p) == value(o))) {
        out.push(field_said("option_removed", at.clone(), |zh| {
            if zh {
                format!("{}：{} 的选项删除 {}", f(zh), n(zh), name(option, zh))
            } else {
                format!("{}: {}: option {} removed", f(zh), n(zh), name(option, zh))
            }
        }));
    }
    let told = ["key", "type", "required", "label", "options"];
    let (old_map, new_map) =
        (was.as_object().cloned().unwrap_or_default(), field.as_object().cloned().unwrap_or_default());
    let mut properties: Vec<&String> =
        old_map.keys().chain(new_map.keys()).filter(|k| !told.contains(&k.as_str())).collect();
    properties.sort();
    properties.dedup();
    for property in properties {
        if old_map.get(property) != new_map.get(property) {
            out.push(field_said("field_property", at.clone(), |zh| {
                let now = shown(new_map.get(property), zh);
                if zh {
                    format!("{}：字段 {} 的 {property} 改为 {now}", f(zh), n(zh))
                } else {
                    format!("{}: {}'s {property} is now {now}", f(zh), n(zh))
                }
            }));
        }
    }
}

/// The keys of a longest run common to both orders: the fields that did not move.
fn in_order(before: &[String], after: &[String]) -> std::collections::HashSet<String> {
    let (n, m) = (before.len(), after.len());
    let mut longest = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            longest[i][j] = if before[i] == after[j] {
                longest[i + 1][j + 1] + 1
            } else {
                longest[i + 1][j].max(longest[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut kept) = (0, 0, std::collections::HashSet::new());
    while i < n && j < m {
        if before[i] == after[j] {
            kept.insert(before[i].clone());
            (i, j) = (i + 1, j + 1);
        } else if longest[i + 1][j] >= longest[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    kept
}

fn said(
    kind: &'static str,
    (of, key): (&str, impl Into<String>),
    field: Option<String>,
    words: impl Fn(bool) -> String,
) -> Change {
    let mut texts = Map::new();
    texts.insert("zh-CN".into(), Value::String(words(true)));
    texts.insert("en".into(), Value::String(words(false)));
    Change { kind, at: (of.to_owned(), key.into()), field, words: texts }
}

fn field_said(kind: &'static str, (of, form, field): (&str, String, String), words: impl Fn(bool) -> String) -> Change {
    said(kind, (of, form), Some(field), words)
}

fn document_words(what: &str, kind: &str, doc: &Value, zh: bool) -> String {
    let (kind_zh, kind_en) = match kind {
        "events" => ("事件", "event"),
        "decisions" => ("决策表", "decision table"),
        "rules" => ("规则", "rule"),
        "calendars" => ("日历", "calendar"),
        "roles" => ("角色", "role"),
        "flows" => ("流程", "process"),
        "pages" => ("页面", "page"),
        "reports" => ("报表", "report"),
        "dashboards" => ("看板", "dashboard"),
        _ => ("文档", "document"),
    };
    match (what, zh) {
        ("document_added", true) => format!("新增{kind_zh} {}", name(doc, zh)),
        ("document_removed", true) => format!("删除{kind_zh} {}", name(doc, zh)),
        (_, true) => format!("修改{kind_zh} {}", name(doc, zh)),
        ("document_added", false) => format!("The {kind_en} {} added", name(doc, zh)),
        ("document_removed", false) => format!("The {kind_en} {} removed", name(doc, zh)),
        (_, false) => format!("The {kind_en} {} changed", name(doc, zh)),
    }
}

fn setting_zh(setting: &str) -> &'static str {
    match setting {
        "name" => "名称",
        "time_zone" => "时区",
        _ => "语言",
    }
}

/// A document's (or field's, option's) name in the language: its label, else its key.
fn name(doc: &Value, zh: bool) -> String {
    let label = doc.get("label").or_else(|| doc.get("name"));
    let pick = |l: &str| label.and_then(|t| t.get(l)).and_then(Value::as_str).map(str::to_owned);
    let text = if zh { pick("zh-CN").or_else(|| pick("en")) } else { pick("en").or_else(|| pick("zh-CN")) };
    text.or_else(|| doc.get("value").and_then(Value::as_str).map(str::to_owned)).unwrap_or_else(|| key(doc))
}

/// A value as a reader reads it: text as it is, labels in the language, others as JSON.
fn shown(value: Option<&Value>, zh: bool) -> String {
    match value {
        None | Some(Value::Null) => {
            if zh {
                "（无）".into()
            } else {
                "(none)".into()
            }
        }
        Some(Value::String(s)) => s.clone(),
        Some(v @ Value::Object(_)) if v.get("zh-CN").is_some() || v.get("en").is_some() => {
            name(&json!({ "label": v }), zh)
        }
        Some(other) => other.to_string(),
    }
}

fn key(doc: &Value) -> String {
    doc.get("key").and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn documents_at(doc: &Value, member: &str) -> Vec<Value> {
    doc.get(member).and_then(Value::as_array).cloned().unwrap_or_default()
}
