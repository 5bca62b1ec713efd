//! A version diff in business words: fields matched by key, not by position.

use serde_json::json;

fn labels(zh: &str, en: &str) -> serde_json::Value {
    json!({ "zh-CN": zh, "en": en })
}

#[test]
fn a_diff_says_in_words_what_changed_matching_fields_by_key() {
    let income =
        json!({ "key": "annual_income", "type": "decimal", "scale": 2, "label": labels("年收入", "Annual income") });
    let risk = |options: &[&str]| {
        let options: Vec<_> = options.iter().map(|o| json!({ "value": o, "label": labels(o, o) })).collect();
        json!({ "key": "risk_level", "type": "single_select", "options": options, "label": labels("风险等级", "Risk level") })
    };
    let name = json!({ "key": "name", "type": "text", "label": labels("姓名", "Name") });
    let notes = json!({ "key": "notes", "type": "long_text", "label": labels("备注", "Notes") });
    let before = json!({ "key": "bank", "name": labels("银行", "Bank"), "forms": [
        { "key": "customer", "label": labels("客户", "Customer"), "fields": [name, income, risk(&["R1", "R2"]), notes] }],
        "rules": [{ "key": "old_rule", "label": labels("旧规则", "Old rule") }] });
    let mut required = income.clone();
    required["required"] = json!(true);
    required["scale"] = json!(4);
    let mobile = json!({ "key": "mobile", "type": "phone", "label": labels("手机", "Mobile") });
    let after = json!({ "key": "bank", "name": labels("银行", "Bank"), "language": "zh-CN", "forms": [
        { "key": "customer", "label": labels("客户", "Customer"), "fields": [required, name, risk(&["R1", "R2", "R5"]), mobile] },
        { "key": "visit", "label": labels("拜访", "Visit"), "fields": [] }],
        "rules": [{ "key": "new_rule", "label": labels("新规则", "New rule") }] });
    let changes = engine_app::diff(&before, &after);
    let said: Vec<&str> = changes.iter().filter_map(|c| c.words["zh-CN"].as_str()).collect();
    assert_eq!(
        said,
        [
            "应用的语言 改为 zh-CN",
            "客户：字段 年收入 改为必填",
            "客户：字段 年收入 的 scale 改为 4",
            "客户：字段 姓名 移到 年收入 之后",
            "客户：风险等级 的选项新增 R5",
            "客户：新增字段 手机",
            "客户：删除字段 备注",
            "新增表单 拜访",
            "新增规则 新规则",
            "删除规则 旧规则",
        ],
        "a swap is one move, not every field after it"
    );
    let english: Vec<&str> = changes.iter().filter_map(|c| c.words["en"].as_str()).collect();
    assert!(english.contains(&"Customer: Risk level: option R5 added"), "{english:?}");
    assert_eq!(changes[1].to_json()["field"], "annual_income");
    // A field moved from the end to the front is one move; those it passed stay put.
    let order = |keys: &[&str]| {
        json!({ "key": "bank", "name": labels("银行", "Bank"), "forms": [{ "key": "f", "label": labels("表", "F"),
        "fields": keys.iter().map(|k| json!({ "key": k, "type": "text", "label": labels(k, k) })).collect::<Vec<_>>() }] })
    };
    let moved = engine_app::diff(&order(&["a", "b", "c", "d", "e"]), &order(&["e", "a", "b", "c", "d"]));
    let said: Vec<&str> = moved.iter().filter_map(|c| c.words["en"].as_str()).collect();
    assert_eq!(said, ["F: field e moved first"]);
    assert!(engine_app::diff(&after, &after).is_empty(), "a version against itself: nothing");
    // A form's own label and properties too.
    let mut relabelled = after.clone();
    relabelled["forms"][1]["label"] = labels("客户拜访", "Customer visit");
    relabelled["forms"][1]["title_field"] = json!("who");
    let said: Vec<String> = engine_app::diff(&after, &relabelled)
        .iter()
        .filter_map(|c| c.words["zh-CN"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(said, ["表单 拜访 改名为 客户拜访", "客户拜访：title_field 已修改"]);
}
