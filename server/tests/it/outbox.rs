//! The outbox delivered: webhooks POSTed to a real HTTP receiver after the change that
//! queued them committed, retried with back-off on a refusal, `failed` after the last
//! attempt, and sent again on demand.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start};

both_backends!(webhooks_are_delivered_retried_and_given_up_on, an_sms_with_no_gateway_is_undeliverable_not_pending);

/// A request the receiver got: its path, idempotency key and JSON body.
type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

/// An HTTP receiver on a free port: `/ok` answers 500 the first time and 200 after; any
/// other path answers 503.
fn receiver() -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("address").port();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("stream"));
            let mut line = String::new();
            reader.read_line(&mut line).expect("request line");
            let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
            let (mut length, mut key) = (0, String::new());
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).expect("header");
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap_or((header, ""));
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "idempotency-key" => key = value.trim().to_owned(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            let mut seen = log.lock().expect("log");
            let earlier = seen.iter().filter(|(p, _, _)| *p == path).count();
            seen.push((path.clone(), key, serde_json::from_slice(&body).unwrap_or(Value::Null)));
            let status = match (path.as_str(), earlier) {
                ("/ok", 0) => "500 Internal Server Error",
                ("/ok", _) => "200 OK",
                _ => "503 Service Unavailable",
            };
            let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (port, seen)
}

async fn webhooks_are_delivered_retried_and_given_up_on(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let (port, seen) = receiver();
    // Personal data leaves masked unless the webhook says `"personal_data": "clear"`.
    let hook = |path: &str, personal: &str| {
        json!({ "type": "webhook", "url": format!("http://127.0.0.1:{port}{path}"), "personal_data": personal,
            "body": { "customer": "customer.name", "amount": "amount", "mobile": "customer.mobile" } })
    };
    let rule = json!({ "key": "outflow_hook", "trigger": { "on": "created", "form": "transaction" },
        "condition": "direction == 'out'", "actions": [hook("/ok", "masked"), hook("/down", "clear")] });
    assert_eq!(env.put("/api/v1/apps/bank_crm/drafts/rules/outflow_hook", &rule).await.status, 200);
    let published = env.post("/api/v1/apps/bank_crm/publish", &json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);
    let customers = env.get("/api/v1/apps/bank_crm/forms/customer/records?sort=id&limit=1&fields=name").await;
    let customer = &customers.body["items"][0];
    let transaction = json!({ "customer": customer["id"], "direction": "out", "amount": "1000.00",
        "occurred_at": "2026-11-28T10:00:00+08:00", "channel": "mobile" });
    let made = env.post("/api/v1/apps/bank_crm/forms/transaction/records", &transaction).await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert!(seen.lock().expect("log").is_empty(), "nothing is sent inside the transaction");

    let start = env.now();
    let run = |minutes: i64| server::outbox::deliver_due(&env.state, start + Duration::minutes(minutes));
    let first = run(0).await.expect("runs");
    assert_eq!((first.delivered, first.failed_attempts), (0, 2), "/ok refuses once, /down always");
    assert_eq!(run(0).await.expect("runs"), server::outbox::Delivered::default(), "not due again yet");
    let second = run(2).await.expect("runs");
    assert_eq!((second.delivered, second.failed_attempts), (1, 1));
    {
        let seen = seen.lock().expect("log");
        let ok: Vec<&(String, String, Value)> = seen.iter().filter(|(p, _, _)| p == "/ok").collect();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].1, ok[1].1, "the same idempotency key on every attempt");
        assert!(ok[0].1.starts_with("trellis-outbox-"));
        assert_eq!(ok[1].2, json!({ "customer": customer["name"], "amount": "1000.00", "mobile": "*******0001" }));
        let down = seen.iter().find(|(p, _, _)| p == "/down").expect("/down was tried");
        assert_eq!(down.2["mobile"], "13700000001", "declared clear");
    }
    // /down: attempts after 1, 5, 30, 120 and 720 minutes, then failed.
    let outbox = |state: &str| format!("/api/v1/apps/bank_crm/outbox?state={state}");
    for minutes in [8, 40, 170] {
        assert_eq!(run(minutes).await.expect("runs").failed_attempts, 1, "at {minutes} minutes");
    }
    assert_eq!(env.get(&outbox("failed")).await.body["items"], json!([]), "one attempt is left");
    assert_eq!(run(900).await.expect("runs").failed_attempts, 1);
    let failed = env.get(&outbox("failed")).await.body["items"].clone();
    assert_eq!(failed.as_array().map(Vec::len), Some(1), "{failed}");
    let recipient = failed[0]["recipient"].as_str().unwrap_or("");
    assert_eq!((failed[0]["attempts"].as_i64(), recipient.ends_with("/down")), (Some(6), true));
    assert_eq!(failed[0]["next_attempt_at"], Value::Null, "nothing is scheduled for a failed message");
    assert!(failed[0]["last_error"].as_str().is_some_and(|e| e.contains("503")), "{failed}");
    assert_eq!(env.get(&outbox("delivered")).await.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(run(100_000).await.expect("runs"), server::outbox::Delivered::default(), "failed waits for someone");

    let resend = env.post(&format!("/api/v1/apps/bank_crm/outbox/{}/resend", failed[0]["id"]), &json!({})).await;
    assert_eq!(resend.status, 202);
    assert_eq!(run(100_000).await.expect("runs").failed_attempts, 1, "sent again, refused again");
    assert_eq!(env.get(&outbox("failed")).await.body["items"][0]["attempts"], 7);
    assert_eq!(env.post("/api/v1/apps/bank_crm/outbox/999999/resend", &json!({})).await.status, 404);
    assert_eq!(env.get("/api/v1/apps/bank_crm/outbox?state=lost").await.status, 400);
    env.finish().await;
}

/// An SMS when no SMS gateway is configured is `undeliverable`, with that reason, not
/// `pending` forever; it can be sent again (and is undeliverable again until a gateway exists).
async fn an_sms_with_no_gateway_is_undeliverable_not_pending(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let rule = json!({ "key": "outflow_sms", "trigger": { "on": "created", "form": "transaction" },
        "condition": "direction == 'out'",
        "actions": [{ "type": "notify", "channel": "sms", "to": "customer.mobile", "message": "'资金变动提醒'" }] });
    assert_eq!(env.put("/api/v1/apps/bank_crm/drafts/rules/outflow_sms", &rule).await.status, 200);
    assert_eq!(env.post("/api/v1/apps/bank_crm/publish", &json!({})).await.status, 200);
    let customers = env.get("/api/v1/apps/bank_crm/forms/customer/records?sort=id&limit=1&fields=name").await;
    let transaction = json!({ "customer": customers.body["items"][0]["id"], "direction": "out", "amount": "10.00",
        "occurred_at": "2026-11-28T10:00:00+08:00", "channel": "mobile" });
    assert_eq!(env.post("/api/v1/apps/bank_crm/forms/transaction/records", &transaction).await.status, 201);
    server::outbox::deliver_due(&env.state, env.now()).await.expect("runs");
    let listed = env.get("/api/v1/apps/bank_crm/outbox?state=undeliverable").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let items = listed.body["items"].as_array().expect("items").clone();
    let sms: Vec<&Value> = items.iter().filter(|m| m["channel"] == "sms").collect();
    assert_eq!(sms.len(), 1, "{}", listed.body);
    assert_eq!(sms[0]["last_error"], "no gateway for the `sms` channel is configured");
    let resent = env.post(&format!("/api/v1/apps/bank_crm/outbox/{}/resend", sms[0]["id"]), &json!({})).await;
    assert_eq!(resent.status, 202, "{}", resent.body);
    let pending = env.get("/api/v1/apps/bank_crm/outbox?state=pending").await.body["items"].clone();
    assert!(pending.as_array().expect("items").iter().any(|m| m["id"] == sms[0]["id"]), "pending again");
    server::outbox::deliver_due(&env.state, env.now()).await.expect("runs");
    let again = env.get("/api/v1/apps/bank_crm/outbox?state=undeliverable").await.body["items"].clone();
    assert!(again.as_array().expect("items").iter().any(|m| m["id"] == sms[0]["id"]), "still no gateway");
    env.finish().await;
}
