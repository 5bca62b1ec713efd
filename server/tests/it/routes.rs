//! Every route of the platform document, called with each of its names unknown in turn
//! (an app, form, record, task, kind the server has not got, or one no one could have,
//! of control characters and far-plane letters), answers a problem it documents: a
//! 404 or a refusal, never the server's failure. A name reaching the store before it is
//! looked up is how `…/forms/{form}/bulk` once answered 500.

use crate::support::{Backend, both_backends, start};

both_backends!(every_route_answers_an_unknown_name_as_documented);

/// A value for each path parameter that names something the demo has.
fn known(param: &str) -> &'static str {
    match param {
        "app" => "bank_crm",
        "form" => "customer",
        "kind" => "forms",
        "key" => "customer",
        "event" => "mobile_login",
        "flow" => "new_wealth_customer",
        "page" => "customer_360",
        "rule" => "large_outflow",
        "username" => "wang.lei",
        _ => "1",
    }
}

async fn every_route_answers_an_unknown_name_as_documented(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let document = server::api::platform_document();
    let mut called = 0;
    for (template, item) in document["paths"].as_object().expect("paths") {
        let params: Vec<&str> =
            template.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        for (method, operation) in item.as_object().expect("an item") {
            let method = method.to_uppercase();
            let body = operation["requestBody"]["content"]["application/json"]["example"].to_string();
            let body = (operation.get("requestBody").is_some()).then_some(if body == "null" { "{}" } else { &body });
            for unknown in &params {
                for name in ["nope", "%F1%89%8A%85%F3%9D%96%9C%0C%10", "99999999"] {
                    let uri = params.iter().fold(template.clone(), |uri, p| {
                        uri.replace(&format!("{{{p}}}"), if p == unknown { name } else { known(p) })
                    });
                    // `send` fails the test on a 500 and on any status the operation does
                    // not document.
                    let answer = env.send(&method, &uri, body, &[]).await;
                    assert!(answer.status < 500, "{method} {uri}: {} {}", answer.status, answer.body);
                    called += 1;
                }
            }
        }
    }
    assert!(called > 150, "{called} calls");
    env.finish().await;
}
