//! Personal data stays masked on every route: the routes are taken from both OpenAPI
//! documents, each is called as the analyst, a relationship manager and the administrator
//! (who has no app role) after a day of activity (changes, rules, schedules, a process, an
//! event, tasks, messages), and no clear value a caller sees masked may appear anywhere in
//! any answer. A route the test neither calls nor exempts, with its reason, fails it.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::rules::rows;
use crate::support::{Backend, both_backends, start};

both_backends!(history_and_previews_showed_personal_data_in_clear);

const APP: &str = "/api/v1/apps/bank_crm";
const PASSWORD: &str = "a long enough secret";

/// Routes not called, and why. Each either changes state without answering record values,
/// or answers something the masking of records does not govern.
const EXEMPT: &[(&str, &str, &str)] = &[
    ("POST", "/api/v1/apps", "imports a bundle: metadata, no records"),
    ("POST", "/api/v1/apps/{app}/files", "stores the caller's own upload and answers its name and size"),
    ("POST", "/api/v1/apps/{app}/forms/{form}/imports", "answers the caller's own file's header and first rows"),
    ("GET", "/api/v1/apps/{app}/imports", "the caller's own imports: counts and mappings, no records"),
    ("GET", "/api/v1/apps/{app}/imports/{id}", "the caller's own import: counts and mapping, no records"),
    ("POST", "/api/v1/apps/{app}/imports/{id}/run", "the caller's own import: counts and mapping, no records"),
    ("POST", "/api/v1/apps/{app}/imports/{id}/cancel", "the caller's own import: counts and mapping, no records"),
    ("GET", "/api/v1/apps/{app}/imports/{id}/refusals", "rows of the caller's own file, as they wrote them"),
    ("GET", "/api/v1/apps/{app}/imports/{id}/errors", "rows of the caller's own file, as they wrote them"),
    ("GET", "/api/v1/apps/{app}/files/{id}", "answers a file's bytes, readable as its field is (files.rs)"),
    ("POST", "/api/v1/apps/{app}/flows/{flow}/instances", "designers start a process; answers its id and state"),
    ("DELETE", "{records}/{id}", "deletes; answers nothing"),
    ("POST", "/api/v1/apps/{app}/incidents/{id}/retry", "none failed in this test"),
    ("POST", "/api/v1/apps/{app}/instances/{id}/cancel", "changes the state it answers, read by GET …/instances/{id}"),
    (
        "POST",
        "/api/v1/apps/{app}/instances/{id}/migrate",
        "changes the version it answers, read by GET …/instances/{id}",
    ),
    ("POST", "/api/v1/apps/{app}/outbox/{id}/resend", "answers nothing"),
    ("POST", "/api/v1/apps/{app}/process-incidents/{id}/retry", "none failed in this test"),
    ("POST", "/api/v1/apps/{app}/publish", "publishes metadata"),
    ("POST", "/api/v1/apps/{app}/publish-requests/{id}/dry-run", "as publish/dry-run, for a request's bundle"),
    ("GET", "/api/v1/apps/{app}/forms/{form}/fields/{field}/uses", "metadata texts and view names, no record values"),
    ("POST", "/api/v1/apps/{app}/forms/{form}/fields/{field}/rename", "rewrites metadata texts; no record values"),
    ("POST", "/api/v1/apps/{app}/check", "diagnostics and names of metadata; no record values"),
    ("POST", "/api/v1/apps/{app}/import", "metadata in, metadata changes out; no record values"),
    (
        "POST",
        "/api/v1/apps/{app}/publish/dry-run",
        "stored values only where the caller reads them in clear (designing.rs)",
    ),
    ("POST", "/api/v1/apps/{app}/publish-requests/{id}/approve", "publishes metadata"),
    ("POST", "/api/v1/apps/{app}/publish-requests/{id}/reject", "answers the request's state"),
    ("PUT", "/api/v1/apps/{app}/settings", "app settings"),
    ("PUT", "/api/v1/apps/{app}/drafts/{kind}/{key}", "saves a draft: metadata"),
    ("DELETE", "/api/v1/apps/{app}/drafts/{kind}/{key}", "deletes a draft"),
    ("POST", "/api/v1/auth/login", "answers a token"),
    ("POST", "/api/v1/auth/logout", "ends the session the test uses"),
    ("POST", "/api/v1/auth/password", "answers nothing"),
    ("PATCH", "/api/v1/auth/me", "the caller's own settings, no records"),
    ("POST", "/api/v1/directory/import", "directory data, no records"),
    ("POST", "/api/v1/org-units", "directory data, no records"),
    ("POST", "/api/v1/notifications/read", "marks the caller's own read; answers a count"),
    ("POST", "{records}/{id}/handover", "moves records and tasks; answers counts (alerts.rs)"),
    ("POST", "/api/v1/notifications/{id}/read", "marks one of the caller's own read; answers nothing"),
    ("POST", "/api/v1/tasks/{id}/claim", "answers the task as GET …/tasks/{id} does"),
    ("POST", "/api/v1/tasks/{id}/unclaim", "answers the task as GET …/tasks/{id} does"),
    ("POST", "/api/v1/tasks/{id}/delegate", "answers the task as GET …/tasks/{id} does"),
    ("POST", "/api/v1/tasks/{id}/complete", "answers the task as GET …/tasks/{id} does"),
    ("GET", "/api/v1/tasks/{id}/takers", "user names and display names, no records (tasks.rs)"),
    ("POST", "/api/v1/tokens", "answers a token"),
    ("DELETE", "/api/v1/tokens/{id}", "answers nothing"),
    ("PUT", "/api/v1/users/{username}", "directory data, no records"),
    ("POST", "/api/v1/users/{username}/unlock", "answers the name"),
    ("DELETE", "/api/v1/users/{username}/sessions", "answers counts (and would end the callers' sessions)"),
    ("DELETE", "/api/v1/users/{username}/sessions/{id}", "answers nothing"),
    ("POST", "/api/v1/tokens/{id}/confirm", "answers nothing"),
    ("POST", "/api/v1/clock", "moves a virtual clock; answers counts of what ran"),
    ("POST", "/api/v1/apps/{app}/forms/{form}/views", "saves the caller's own list parameters; answers them"),
    ("PUT", "/api/v1/apps/{app}/forms/{form}/views/{id}", "saves the caller's own list parameters; answers them"),
    ("DELETE", "/api/v1/apps/{app}/forms/{form}/views/{id}", "answers nothing"),
    ("POST", "/api/v1/apps/{app}/forms/{form}/bulk", "changes records through the pipeline; answers a count (bulk.rs)"),
    (
        "POST",
        "/api/v1/apps/{app}/forms/{form}/records/bulk",
        "writes records through the pipeline; answers outcomes and ids (bulk/upsert.rs)",
    ),
    (
        "PUT",
        "/api/v1/apps/{app}/channels/{channel}",
        "gateway settings, no records; secrets never answered (channels.rs)",
    ),
    ("DELETE", "/api/v1/apps/{app}/channels/{channel}", "answers nothing"),
    ("POST", "/api/v1/apps/{app}/channels/{channel}/test", "answers whether a gateway took a test text, no records"),
    (
        "POST",
        "/api/v1/apps/{app}/events/{event}/occurrences/batch",
        "answers each occurrence's outcome and how many rules fired, no values (rules/events.rs)",
    ),
];

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
}

/// Every (method, path) of an OpenAPI document.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// A generated record route of the app document, written as the platform writes it.
fn general(path: &str) -> String {
    let Some(rest) = path.strip_prefix("/api/v1/apps/bank_crm/forms/") else { return path.to_owned() };
    let tail = rest.split_once('/').map_or("", |(_, t)| t);
    format!("/api/v1/apps/{{app}}/forms/{{form}}/{tail}")
}

async fn history_and_previews_showed_personal_data_in_clear(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let user = |name: &str, unit: &str, role: &str| json!({ "username": name, "password": PASSWORD, "org_unit": unit, "app_roles": { "bank_crm": [role] } });
    let directory = json!({
        "org_units": [{ "key": "hq", "name": "总行" }, { "key": "sh001", "name": "上海陆家嘴支行", "parent": "hq" }],
        "users": [user("zhang.min", "sh001", "relationship_manager"), user("analyst", "hq", "analyst")]
    });
    assert_eq!(env.post("/api/v1/directory/import", &directory).await.status, 200);
    let mut tokens = std::collections::BTreeMap::new();
    for name in ["zhang.min", "analyst"] {
        let (token, _) =
            server::auth::login(&env.state.db.conn, name, PASSWORD, server::auth::wall_now()).await.expect("in");
        tokens.insert(name, format!("Bearer {token}"));
    }
    tokens.insert("admin", format!("Bearer {}", env.token));
    let as_user = |who: &str| [("authorization", tokens[who].clone())];
    macro_rules! call {
        ($who:expr, $method:expr, $uri:expr, $body:expr) => {{
            let auth = as_user($who);
            let body: Option<String> = $body;
            env.send($method, &$uri, body.as_deref(), &[("authorization", &auth[0].1), ("if-match", "\"1\"")]).await
        }};
    }

    // A day's activity. The RM changes her customer's mobile and birthday (history with
    // personal data before and after), the birthday greeting runs (an SMS to the mobile),
    // a purchase starts the follow-up SOP (its SMS and call), a large outflow and a login
    // fire their rules.
    let customers = format!("{APP}/forms/customer/records");
    let li = env.get(&format!("{customers}?sort=id&limit=1")).await.body["items"][0]["id"].as_i64().expect("李伟");
    let changed = call!(
        "zhang.min",
        "PATCH",
        format!("{customers}/{li}"),
        Some(
            json!({ "mobile": "13711112222", "birthday": "1981-02-28", "email": "li.wei.private@example.cn" })
                .to_string()
        )
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    server::rules::run_due_schedules(&env.state, at("2027-02-27T16:30:05Z")).await.expect("schedules");
    let holding = json!({ "customer": li, "product": 1, "amount": "500000.00", "start_date": "2026-12-01", "maturity_date": "2027-06-01", "status": "holding" });
    assert_eq!(env.post(&format!("{APP}/forms/wealth_holding/records"), &holding).await.status, 201);
    let clock = env.now();
    for day in [2, 8] {
        server::flows::run_due_timers(&env.state, clock + Duration::days(day)).await.expect("timers");
    }
    let outflow = json!({ "customer": li, "account": 1, "occurred_at": "2026-12-01T10:00:00+08:00", "direction": "out", "amount": "5000000.00", "channel": "mobile" });
    assert_eq!(env.post(&format!("{APP}/forms/transaction/records"), &outflow).await.status, 201);
    let login = json!({ "event_id": "m-1", "data": { "customer": li, "occurred_at": "2026-12-01T21:00:00+08:00", "device": "Huawei Mate" } });
    let sent = env.post(&format!("{APP}/events/mobile_login/occurrences"), &login).await;
    assert_eq!(sent.status, 201, "{}", sent.body);

    // The clear values, and who may see each in clear: whoever reads it so on the record.
    let mut clear: Vec<(String, i64, String, String)> = Vec::new();
    for (form, fields) in
        [("customer", vec!["id_number", "mobile", "email", "birthday"]), ("relationship_manager", vec!["mobile"])]
    {
        let table = engine_form::main_table_name("bank_crm", form);
        for field in fields {
            for row in
                rows(&env, &format!("SELECT id, CAST(f_{field} AS TEXT) FROM {table} WHERE f_{field} IS NOT NULL"))
                    .await
            {
                clear.push((form.into(), row[0].parse().expect("id"), field.into(), row[1].clone()));
            }
        }
    }
    let history = rows(&env, "SELECT detail FROM trellis_audit WHERE action = 'record.update'").await;
    assert!(history.iter().any(|d| d[0].contains("13700000001")), "the old mobile is in the trail");
    let mut hidden: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for who in ["analyst", "zhang.min", "admin"] {
        for (form, id, field, value) in &clear {
            let seen = call!(who, "GET", format!("{APP}/forms/{form}/records/{id}"), None);
            if seen.body[field.as_str()].as_str() != Some(value.as_str()) {
                hidden.entry(who).or_default().push(value.clone());
                // The mobile before the RM changed it is hidden from whoever does not
                // see the mobile now.
                if (form.as_str(), *id, field.as_str()) == ("customer", li, "mobile") {
                    hidden.entry(who).or_default().push("13700000001".into());
                }
            }
        }
    }
    assert!(hidden["admin"].contains(&"13711112222".to_owned()), "the administrator sees mobiles masked");
    assert!(!hidden["zhang.min"].contains(&"13711112222".to_owned()), "the RM sees her customer's mobile");

    // Every route of both documents.
    let platform = env.get("/api/v1/openapi.json").await.body;
    let app_doc = env.get(&format!("{APP}/openapi.json")).await.body;
    let mut routes: Vec<(String, String)> = operations(&platform)
        .into_iter()
        .chain(operations(&app_doc).into_iter().map(|(m, p)| (m, general(&p))))
        .collect();
    routes.sort();
    routes.dedup();
    let forms: Vec<String> = app_doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .filter_map(|p| p.strip_prefix("/api/v1/apps/bank_crm/forms/")?.strip_suffix("/records").map(str::to_owned))
        .collect();
    let ids_of = |table: String| {
        let env = &env;
        async move {
            rows(env, &format!("SELECT id FROM {table} ORDER BY id"))
                .await
                .into_iter()
                .map(|r| r[0].clone())
                .collect::<Vec<_>>()
        }
    };
    let mut record_ids = std::collections::BTreeMap::new();
    for form in &forms {
        record_ids.insert(form.clone(), ids_of(engine_form::main_table_name("bank_crm", form)).await);
    }
    let instances = ids_of("trellis_flow_instances".into()).await;
    let tasks = ids_of("trellis_tasks".into()).await;
    assert!(!instances.is_empty() && !tasks.is_empty(), "the SOP ran: {instances:?} {tasks:?}");
    let rules: Vec<String> = env.get(&format!("{APP}/drafts/rules")).await.body["items"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["key"].as_str().map(str::to_owned))
        .collect();

    let mut checked = 0;
    let mut unplanned = Vec::new();
    for (method, path) in &routes {
        let records_tail = path.strip_prefix("/api/v1/apps/{app}/forms/{form}/records");
        let exempt = EXEMPT.iter().any(|(m, p, _)| {
            m == method && (p == path || p.strip_prefix("{records}").is_some_and(|t| records_tail == Some(t)))
        });
        if exempt {
            continue;
        }
        // Each route, with every value of its parameters this test knows, and its body.
        let mut calls: Vec<(String, Option<Value>)> = Vec::new();
        match (method.as_str(), path.as_str()) {
            ("GET", "/api/v1/apps/{app}/forms/{form}/records/{id}")
            | ("GET", "/api/v1/apps/{app}/forms/{form}/records/{id}/firings")
            | ("GET", "/api/v1/apps/{app}/forms/{form}/records/{id}/history")
            | ("GET", "/api/v1/apps/{app}/forms/{form}/records/{id}/timeline")
            | ("GET", "/api/v1/apps/{app}/forms/{form}/records/{id}/processes") => {
                for (form, ids) in &record_ids {
                    for id in ids {
                        calls.push((
                            path.replace("{app}", "bank_crm").replace("{form}", form).replace("{id}", id),
                            None,
                        ));
                    }
                }
            }
            // Form routes with no other parameter; one with a record id must be planned above.
            ("GET", p) if p.contains("{form}") && !p.replace("{app}", "").replace("{form}", "").contains('{') => {
                for form in &forms {
                    calls.push((p.replace("{app}", "bank_crm").replace("{form}", form), None));
                }
            }
            ("POST", "/api/v1/apps/{app}/forms/{form}/evaluate") => {
                calls.push((
                    format!("{APP}/forms/customer/evaluate"),
                    Some(json!({ "expression": "id_number & ' ' & mobile & ' ' & email" })),
                ));
                calls.push((
                    format!("{APP}/forms/customer/evaluate"),
                    Some(json!({ "expression": "name & ' ' & customer_no" })),
                ));
                calls.push((
                    format!("{APP}/forms/follow_up/evaluate"),
                    Some(json!({ "expression": "customer.mobile" })),
                ));
            }
            ("POST", "/api/v1/apps/{app}/forms/{form}/check") => {
                // Formulas of a draft, and of a stored record, as the caller may see them.
                calls.push((format!("{APP}/forms/loan/check"), Some(json!({ "id": 1, "values": {} }))));
                calls.push((format!("{APP}/forms/customer/check"), Some(json!({ "id": li, "values": {} }))));
            }
            // Every report and dashboard of the bank, and a preview grouping by what it may.
            ("GET", "/api/v1/apps/{app}/reports/{report}") => {
                let reports = env.get(&format!("{APP}/drafts/reports")).await.body["items"].clone();
                for key in reports.as_array().into_iter().flatten().filter_map(|i| i["key"].as_str()) {
                    calls.push((format!("{APP}/reports/{key}"), None));
                }
            }
            ("GET", "/api/v1/apps/{app}/dashboards/{dashboard}") => {
                calls.extend(["managers", "my_book"].map(|d| (format!("{APP}/dashboards/{d}"), None)));
            }
            ("POST", "/api/v1/apps/{app}/reports/preview") => {
                for dimension in ["name", "customer_no", "mobile", "id_number"] {
                    let report = json!({ "report": { "key": "p", "dataset": { "form": "customer" },
                        "dimensions": [{ "field": dimension }], "measures": [{ "key": "n", "op": "count" }] } });
                    calls.push((format!("{APP}/reports/preview"), Some(report)));
                }
            }
            ("GET", "/api/v1/apps/{app}/pages/{page}/records/{id}") => {
                for id in &record_ids["customer"] {
                    calls.push((format!("{APP}/pages/customer_360/records/{id}"), None));
                }
            }
            ("POST", "/api/v1/apps/{app}/forms/{form}/records") => {
                let note = json!({ "customer": li, "contacted_at": "2026-12-01T10:00:00+08:00", "method": "call", "summary": "回访" });
                calls.push((format!("{APP}/forms/follow_up/records"), Some(note)));
            }
            ("PATCH", "/api/v1/apps/{app}/forms/{form}/records/{id}") => {
                calls.push((format!("{customers}/{li}"), Some(json!({ "risk_level": "r4" }))));
            }
            ("POST", "/api/v1/apps/{app}/rules/{rule}/test") => {
                for rule in &rules {
                    calls.push((format!("{APP}/rules/{rule}/test"), Some(json!({ "id": li }))));
                }
            }
            ("POST", "/api/v1/apps/{app}/events/{event}/occurrences") => {
                let again = json!({ "event_id": format!("m-{}", rand::random::<u32>()), "data": { "customer": li, "occurred_at": "2026-12-01T22:00:00+08:00", "device": "Huawei Mate" } });
                calls.push((format!("{APP}/events/mobile_login/occurrences"), Some(again)));
            }
            ("GET", "/api/v1/apps/{app}/instances/{id}") => {
                calls.extend(instances.iter().map(|i| (format!("{APP}/instances/{i}"), None)));
            }
            ("GET", "/api/v1/tasks/{id}") => calls.extend(tasks.iter().map(|t| (format!("/api/v1/tasks/{t}"), None))),
            ("GET", "/api/v1/apps/{app}/drafts/{kind}/{key}") => {
                for kind in ["forms", "events", "decisions", "rules", "calendars", "roles", "flows"] {
                    let items = env.get(&format!("{APP}/drafts/{kind}")).await.body["items"].clone();
                    for key in items.as_array().into_iter().flatten().filter_map(|i| i["key"].as_str()) {
                        calls.push((format!("{APP}/drafts/{kind}/{key}"), None));
                    }
                }
            }
            ("GET", "/api/v1/apps/{app}/drafts/{kind}") => {
                for kind in ["forms", "events", "decisions", "rules", "calendars", "roles", "flows"] {
                    calls.push((format!("{APP}/drafts/{kind}"), None));
                }
            }
            ("GET", "/api/v1/apps/{app}/versions/{version}") => calls.push((format!("{APP}/versions/1"), None)),
            // Seen as each of the three: never more than the caller reads themselves.
            ("GET", "/api/v1/apps/{app}/forms/{form}/seen-as/{username}") => {
                for form in &forms {
                    for user in ["zhang.min", "analyst", "admin"] {
                        calls.push((format!("{APP}/forms/{form}/seen-as/{user}"), None));
                    }
                }
            }
            ("GET", "/api/v1/schemas/{kind}") => {
                calls.extend(["bundle", "form", "flow"].map(|k| (format!("/api/v1/schemas/{k}"), None)));
            }
            ("GET", "/api/v1/users/{username}/sessions") => {
                calls.push(("/api/v1/users/zhang.min/sessions".into(), None));
            }
            ("GET", "/api/v1/tasks") => {
                calls.push(("/api/v1/tasks".into(), None));
                calls.push(("/api/v1/tasks?team=true".into(), None));
            }
            ("GET", p) if !p.contains('{') || p.ends_with("{app}") || !p.replace("{app}", "").contains('{') => {
                calls.push((p.replace("{app}", "bank_crm"), None));
            }
            _ => unplanned.push(format!("{method} {path}")),
        }
        for who in ["analyst", "zhang.min", "admin"] {
            for (uri, body) in &calls {
                let answer = call!(who, method.as_str(), uri.clone(), body.as_ref().map(Value::to_string));
                assert!(answer.status < 500, "{who} {method} {uri}: {}", answer.status);
                let text = answer.body.to_string();
                for secret in hidden.get(who).into_iter().flatten() {
                    assert!(!text.contains(secret.as_str()), "{who} {method} {uri} shows `{secret}` in clear: {text}");
                }
                checked += 1;
            }
        }
    }
    assert!(unplanned.is_empty(), "routes neither checked nor exempted: {unplanned:#?}");
    assert!(checked > 300, "{checked} calls");
    env.finish().await;
}
