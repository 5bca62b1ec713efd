//! Which forms an expression reads: what a kept report answer depends on.

use engine_form::{forms_read, parse_bundle};
use serde_json::{Value, json};

fn l(text: &str) -> Value {
    json!({ "zh-CN": text, "en": text })
}

#[test]
fn paths_and_aggregates_name_every_form_they_reach() {
    let relation = |key: &str, form: &str| json!({ "key": key, "type": "relation", "label": l(key), "form": form });
    let money = |key: &str| json!({ "key": key, "type": "decimal", "label": l(key), "scale": 2 });
    let bundle = parse_bundle(&json!({ "key": "bank", "name": l("bank"), "forms": [
        { "key": "branch", "label": l("branch"), "fields": [{ "key": "name", "type": "text", "label": l("name") }] },
        { "key": "manager", "label": l("manager"), "fields": [relation("branch", "branch")] },
        { "key": "customer", "label": l("customer"), "fields": [relation("manager", "manager"), money("aum")] },
        { "key": "account", "label": l("account"), "fields": [relation("customer", "customer"), money("balance")] },
        { "key": "product", "label": l("product"), "fields": [money("price")] }
    ] }))
    .expect("a valid bundle");
    let read = |form: &str, text: &str| {
        let expr = engine_rule::parse(text).expect("parses");
        forms_read(&bundle, bundle.form(form).expect("form"), [&expr]).into_iter().collect::<Vec<_>>()
    };
    assert_eq!(read("customer", "aum > 0"), ["customer"]);
    assert_eq!(read("customer", "manager.branch.name == 'sh'"), ["branch", "customer", "manager"]);
    assert_eq!(read("account", "sum(customer.account, balance) > 0"), ["account", "customer"]);
    assert_eq!(read("customer", "count(account, balance > 0) > 0"), ["account", "customer"]);
    // Inside an aggregate, paths are the row's own: each customer's manager and its branch.
    assert_eq!(
        read("manager", "sum(customer, aum, manager.branch.name == 'sh') > 0"),
        ["branch", "customer", "manager"]
    );
    assert_eq!(read("customer", "$user.username == 'x'"), ["customer"]);
}
