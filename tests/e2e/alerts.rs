//! The bank CRM's alerts as its people live them: `trellis serve --demo` on a virtual
//! clock, its own users signed in over HTTP, time moved with `POST /api/v1/clock`. Each
//! rule that raises a task raises exactly one, in the right RM's inbox with a
//! notification, due at the right time in Shanghai; an overdue outflow task is seen by
//! the branch manager; an RM without a login leaves the task in the branch's queue; ten
//! daily scans send a silent customer one SMS; a customer with three holdings gets one
//! birthday greeting; the maturity follow-up comes from the SOP alone.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::process::{Server, test_now};

const APP: &str = "/api/v1/apps/bank_crm";
const PASSWORD: &str = "a long enough secret";

fn instant(value: &Value) -> DateTime<Utc> {
    value.as_str().and_then(|t| t.parse().ok()).unwrap_or_else(|| panic!("not an instant: {value}"))
}

/// An instant as Shanghai's clocks show it.
fn shanghai(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Asia::Shanghai).format("%m-%d %H:%M").to_string()
}

/// The day `days` after the start's in Shanghai, at `hour:minute` there.
fn day_at(days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    let date = test_now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive() + Duration::days(days);
    let local = date.and_hms_opt(hour, minute, 0).expect("a time of day");
    chrono_tz::Asia::Shanghai.from_local_datetime(&local).single().expect("Shanghai has no gaps").to_utc()
}

/// One of the demo's people, their password set by the administrator, signed in.
fn sign_in(server: &Server, name: &str) -> String {
    let (status, body) =
        server.request("PUT", &format!("/api/v1/users/{name}"), Some(&json!({ "password": PASSWORD })));
    assert_eq!(status, 200, "{body}");
    let login = json!({ "username": name, "password": PASSWORD });
    let (status, body) = server.anonymous("POST", "/api/v1/auth/login", Some(&login));
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().expect("a token").to_owned()
}

/// The open tasks rules raised that `token`'s user sees (`query` added), titled `prefix…`.
fn raised(server: &Server, token: &str, query: &str, prefix: &str) -> Vec<Value> {
    let (status, body) = server.request_as(token, "GET", &format!("/api/v1/tasks{query}"), None);
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    items
        .iter()
        .filter(|t| t["firing"].is_i64() && t["title"].as_str().is_some_and(|t| t.starts_with(prefix)))
        .cloned()
        .collect()
}

/// The one task titled `prefix…` in the inbox of `token`'s user, who was told of it.
fn the_task(server: &Server, token: &str, prefix: &str) -> Value {
    let found = raised(server, token, "", prefix);
    assert_eq!(found.len(), 1, "exactly one `{prefix}…`: {found:?}");
    let (_, told) = server.request_as(token, "GET", "/api/v1/notifications?limit=200", None);
    let items = told["items"].as_array().expect("notifications");
    assert!(items.iter().any(|n| n["task"] == found[0]["id"]), "told of `{prefix}…`: {told}");
    found[0].clone()
}

fn id_of(server: &Server, form: &str, name: &str) -> i64 {
    let condition: String = format!("name == '{name}'").bytes().map(|b| format!("%{b:02X}")).collect();
    let (_, found) = server.request("GET", &format!("{APP}/forms/{form}/records?where={condition}&fields=name"), None);
    found["items"][0]["id"].as_i64().unwrap_or_else(|| panic!("no {form} `{name}`: {found}"))
}

fn patch(server: &Server, form: &str, id: i64, body: &Value) -> Value {
    let uri = format!("{APP}/forms/{form}/records/{id}");
    let version = server.request("GET", &uri, None).1["_version"].as_i64().expect("version");
    let (status, patched) = server.patch(&uri, version, body);
    assert_eq!(status, 200, "{patched}");
    patched
}

fn create(server: &Server, form: &str, body: &Value) -> i64 {
    let (status, made) = server.request("POST", &format!("{APP}/forms/{form}/records"), Some(body));
    assert_eq!(status, 201, "{made}");
    made["id"].as_i64().expect("id")
}

/// Moves the virtual clock (what is due runs before the answer) with the administrator's
/// session: sessions live on the wall clock, so moving the business on by days ends none.
fn move_clock(server: &Server, to: &str) {
    let (status, moved) = server.request("POST", "/api/v1/clock", Some(&json!({ "to": to })));
    assert_eq!(status, 200, "{moved}");
}

/// SMS messages in the outbox saying `text` (the outbox shows mobiles masked).
fn sms(server: &Server, text: &str) -> usize {
    let (_, outbox) = server.request("GET", &format!("{APP}/outbox?state=undeliverable"), None);
    let items = outbox["items"].as_array().expect("outbox");
    items
        .iter()
        .filter(|m| m["channel"] == "sms" && m["body"]["message"].as_str().is_some_and(|b| b.contains(text)))
        .count()
}

#[test]
fn every_alert_reaches_its_rm_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("trellis.db").display());
    let start = test_now();
    let started = start.to_rfc3339();
    let server = Server::start(&db, &["--demo", "--virtual-clock", &started]);
    let (zhang, wang, li_hang) =
        (sign_in(&server, "zhang.min"), sign_in(&server, "wang.lei"), sign_in(&server, "li.hang"));
    let (li, chen, zhou, sun) = (
        id_of(&server, "customer", "李伟"),
        id_of(&server, "customer", "陈静"),
        id_of(&server, "customer", "周洋"),
        id_of(&server, "customer", "孙丽"),
    );

    // A day's outflow of more than 30% of 陈静's AUM: her RM has two hours (rule 06).
    let out = json!({ "customer": chen, "direction": "out", "amount": "2000000.00", "occurred_at": started, "channel": "mobile" });
    create(&server, "transaction", &out);
    let outflow = the_task(&server, &zhang, "大额资金流出预警：陈静");
    let (in_two_hours, in_a_day) = (shanghai(start + Duration::hours(2)), shanghai(start + Duration::days(1)));
    assert_eq!(
        (shanghai(instant(&outflow["due_at"])), outflow["priority"].as_str()),
        (in_two_hours.clone(), Some("high"))
    );
    // Her AUM falls by more than 30% (rule 02), and she is re-tiered on the way.
    let fallen = patch(&server, "customer", chen, &json!({ "aum": "4000000.00" }));
    assert_eq!(fallen["tier"], "affluent", "tiered by the table as the AUM changed");
    let fell = the_task(&server, &zhang, "资产流失预警：陈静");
    assert_eq!(shanghai(instant(&fell["due_at"])), in_two_hours);
    // 周洋 becomes high-net-worth (rule 01): a call within a day.
    patch(&server, "customer", zhou, &json!({ "aum": "5500000.00" }));
    let hnw = the_task(&server, &zhang, "新晋高净值客户，请在一天内致电：周洋");
    assert_eq!(shanghai(instant(&hnw["due_at"])), in_a_day);
    // 孙丽, silent since September, logs in again (rule 07): her RM, not zhang.min, follows up.
    let login =
        json!({ "event_id": "login-1", "data": { "customer": sun, "occurred_at": started, "device": "iPhone" } });
    let (status, body) = server.request("POST", &format!("{APP}/events/mobile_login/occurrences"), Some(&login));
    assert!(status == 200 || status == 201, "{status} {body}");
    let back = the_task(&server, &wang, "孙丽 沉默 30 天后重新登录了手机银行");
    assert_eq!(shanghai(instant(&back["due_at"])), in_a_day);
    assert!(raised(&server, &zhang, "", "孙丽").is_empty(), "not another RM's");

    // An RM who has no login: the outflow alert waits in the queue of the customer's branch.
    let branch = server.request("GET", &format!("{APP}/forms/customer/records/{li}"), None).1["branch"].clone();
    let branch = branch.get("id").cloned().unwrap_or(branch);
    let gone = create(
        &server,
        "relationship_manager",
        &json!({ "employee_no": "E1009", "name": "离职经理", "branch": branch }),
    );
    let orphan = create(
        &server,
        "customer",
        &json!({ "customer_no": "C0950", "name": "孙悦", "relationship_manager": gone,
        "branch": branch, "aum": "2000000.00", "tier": "affluent" }),
    );
    let out = json!({ "customer": orphan, "direction": "out", "amount": "1000000.00", "occurred_at": started, "channel": "mobile" });
    create(&server, "transaction", &out);
    let queued = raised(&server, &li_hang, "", "大额资金流出预警：孙悦");
    assert_eq!(
        queued.len(),
        1,
        "in the branch's queue, for its manager: {:?}",
        raised(&server, &server.admin_token(), "", "")
    );
    assert_eq!((queued[0]["assignee"].as_str(), queued[0]["candidate_unit"].as_str()), (None, Some("sh001")));
    // The inbox in its parts: the queue holds it, not the manager's own tasks or the team's.
    let part = |whose: &str| raised(&server, &li_hang, &format!("?whose={whose}"), "大额资金流出预警：孙悦").len();
    assert_eq!((part("queue"), part("mine"), part("team")), (1, 0, 0), "a queued task is in the queue");
    assert!(raised(&server, &wang, "", "大额资金流出预警：孙悦").is_empty(), "not another branch's");

    // 李伟 has his birthday tomorrow (written by the administrator, given the role that
    // shows personal data), and three holdings.
    let grant = json!({ "app_roles": { "bank_crm": ["compliance"] } });
    assert_eq!(server.request("PUT", "/api/v1/users/admin", Some(&grant)).0, 200);
    // Born in a leap year, so a birthday tomorrow exists whatever tomorrow is.
    let tomorrow = day_at(1, 12, 0).with_timezone(&chrono_tz::Asia::Shanghai).format("1976-%m-%d").to_string();
    patch(&server, "customer", li, &json!({ "birthday": tomorrow }));
    let product =
        server.request("GET", &format!("{APP}/forms/product/records?limit=1"), None).1["items"][0]["id"].clone();
    for _ in 0..2 {
        let (today, in_seven_months) = (day_at(0, 12, 0).date_naive(), day_at(211, 12, 0).date_naive());
        let holding = json!({ "customer": li, "product": product, "amount": "100000.00", "start_date": today,
            "maturity_date": in_seven_months, "status": "holding" });
        create(&server, "wealth_holding", &holding);
    }

    // The branch manager reads Trellis in English.
    let english = server.request_as(&li_hang, "PATCH", "/api/v1/auth/me", Some(&json!({ "language": "en" })));
    assert_eq!(english.0, 200, "{}", english.1);

    // Two hours on, the outflow task is overdue, and the branch manager sees it so.
    move_clock(&server, &(start + Duration::minutes(121)).to_rfc3339());
    let overdue = raised(&server, &li_hang, "?team=true&overdue=true", "Large outflow: 陈静");
    assert_eq!(overdue.len(), 1, "the manager sees their RM's overdue task");
    assert_eq!(overdue[0]["overdue"], true);
    let of_team = raised(&server, &li_hang, "?whose=team&overdue=true", "Large outflow: 陈静");
    assert_eq!(of_team.len(), 1, "in the team's part of the inbox");
    assert!(raised(&server, &li_hang, "?whose=mine", "Large outflow: 陈静").is_empty(), "not the manager's own");
    assert!(raised(&server, &zhang, "?whose=mine", "大额资金流出预警：陈静").len() == 1, "but its RM's own");
    // A team is the units one leads and those below them: the head office's manager sees
    // the branch's RMs' tasks; an RM leads no one, so asking for a team adds nothing.
    let hq = sign_in(&server, "hq.manager");
    assert_eq!(
        raised(&server, &hq, "?whose=team", "大额资金流出预警：陈静").len(),
        1,
        "the head office leads the branch"
    );
    assert!(raised(&server, &zhang, "?whose=team", "").is_empty(), "an RM has no team");
    assert_eq!(raised(&server, &zhang, "?team=true", "").len(), raised(&server, &zhang, "", "").len());
    // Its RM was reminded after an hour, and the branch manager told when it fell due.
    let told =
        |token: &str| server.request_as(token, "GET", "/api/v1/notifications?limit=200", None).1["items"].clone();
    let said = |items: &Value, text: &str| {
        items.as_array().expect("items").iter().any(|n| n["message"].as_str().is_some_and(|m| m.starts_with(text)))
    };
    assert!(said(&told(&zhang), "提醒：大额资金流出预警：陈静"), "{}", told(&zhang));
    assert!(said(&told(&li_hang), "Escalated: Large outflow: 陈静"), "in their language: {}", told(&li_hang));

    // Ten daily scans, each morning after 09:00 in Shanghai.
    for day in 1..=10 {
        move_clock(&server, &day_at(day, 9, 1).to_rfc3339());
    }
    // Ten days on, the RM's session of the first day goes on (sessions live on the wall clock).
    let me = server.request_as(&zhang, "GET", "/api/v1/auth/me", None);
    assert_eq!(me.0, 200, "a session outlives a virtual clock moved by days: {}", me.1);
    assert_eq!(sms(&server, "尊敬的陈静，您已30天未登录"), 1, "陈静, silent since October: one SMS");
    the_task(&server, &zhang, "陈静 已30天未登录手机银行");
    assert_eq!(sms(&server, "尊敬的孙丽，您已30天未登录"), 0, "孙丽 logged in again");
    assert_eq!(sms(&server, "尊敬的李伟，今天是您的生日"), 1, "one greeting for 李伟, whatever his holdings");
    the_task(&server, &zhang, "今天是 李伟 的生日");

    // The maturity follow-up of 李伟's seeded holding (maturing in 12 days) comes from the
    // SOP alone, due before the holding matures.
    let (_, inbox) = server.request_as(&zhang, "GET", "/api/v1/tasks", None);
    let items = inbox["items"].as_array().expect("items");
    assert!(items.iter().all(|t| !(t["firing"].is_i64() && t["title"].as_str().is_some_and(|t| t.contains("到期")))));
    let prepare: Vec<&Value> = items
        .iter()
        .filter(|t| t["node"] == "prepare" && t["title"].as_str().is_some_and(|t| t.contains("李伟")))
        .collect();
    assert_eq!(prepare.len(), 1, "{inbox}");
    assert!(instant(&prepare[0]["due_at"]) < day_at(12, 0, 0), "due before maturity: {}", prepare[0]);
}
