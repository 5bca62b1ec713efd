//! Messages out through real gateways on 127.0.0.1: e-mail to an SMTP server (Debian's
//! aiosmtpd), SMS to an HTTP gateway, DingTalk and WeCom robots and signed webhooks to
//! fakes that check what the real ones check (`fake_gateways.py`, whose webhooks are
//! verified by the published receiver example). Secrets sealed, never shown.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use chrono::{Duration, Timelike};
use serde_json::{Value, json};

use crate::support::{Backend, both_backends, start, start_tweaked};

both_backends!(
    channel_secrets_are_sealed_and_never_shown,
    without_a_key_no_secret_is_stored,
    messages_leave_through_their_gateways,
    the_bank_crms_birthday_email_arrives_with_its_subject,
    a_customer_who_opted_out_gets_nothing_automatic,
    alibaba_cloud_sms_is_signed_as_alibaba_checks,
    tencent_cloud_sms_is_signed_as_tencent_checks
);

const APP: &str = "/api/v1/apps/bank_crm";
const SMTP_PASSWORD: &str = "smtp-pa55word-不可见";
const WEBHOOK_OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const WEBHOOK_NEW: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const DING_SECRET: &str = "SECdingtalk-test-secret";
const CLOUD_SECRET: &str = "aliyun-access-key-secret";

fn with_key(core: &mut server::core::Core) {
    core.sealer = Some(Arc::new(server::channels::secrets::Sealer::new(&[7u8; 32]).expect("a key")));
}

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("address").port()
}

/// An SMTP server keeping what it receives in the maildir `dir`.
fn smtp_server(dir: &std::path::Path) -> (Running, u16) {
    let port = free_port();
    let child = Command::new("/usr/bin/python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .expect("aiosmtpd (apt-get install python3-aiosmtpd)");
    let running = Running(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (running, port);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("aiosmtpd did not listen on {port}");
}

/// The fake gateways, logging to `log`: their port.
fn fakes(log: &std::path::Path) -> (Running, u16) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/fake_gateways.py");
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(log)
        .args([WEBHOOK_NEW, DING_SECRET, "sms-token", CLOUD_SECRET])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let output = child.stdout.take();
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(output.expect("its output")).read_line(&mut line).expect("its port");
    (running, line.trim().parse().expect("a port"))
}

/// What the fakes acted on, by path.
fn logged(log: &std::path::Path, path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).filter(|v| v["path"] == path).collect()
}

/// The e-mails in the maildir, each `subject`, `to` and decoded `body` (Python's e-mail parser).
fn mails(dir: &std::path::Path) -> Vec<Value> {
    let script = "import email,json,mailbox,sys\n\
        from email import policy\n\
        out=[]\n\
        for m in mailbox.Maildir(sys.argv[1], factory=lambda f: email.message_from_binary_file(f, policy=policy.default)):\n\
        \x20   out.append({'subject': m['subject'], 'to': m['to'], 'from': m['from'], 'body': m.get_content()})\n\
        print(json.dumps(out))";
    let out = Command::new("/usr/bin/python3").args(["-c", script]).arg(dir).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Value>(&out.stdout).expect("JSON").as_array().cloned().unwrap_or_default()
}

async fn channel_secrets_are_sealed_and_never_shown(backend: Backend) {
    let env = start_tweaked(backend, with_key).await.with_bank_crm().await;
    let smtp = json!({ "kind": "smtp", "host": "smtp.bank.example", "port": 465, "security": "tls",
        "username": "crm", "from": "客户关怀 <care@bank.example>", "secrets": { "password": SMTP_PASSWORD } });
    let set = env.put(&format!("{APP}/channels/email"), &smtp).await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.body["secrets"]["password"], true);
    assert!(!set.body.to_string().contains("pa55word"), "{}", set.body);
    // Set again without secrets: the password stays.
    let moved = json!({ "kind": "smtp", "host": "smtp.bank.example", "port": 587, "security": "starttls",
        "username": "crm", "from": "care@bank.example" });
    let again = env.put(&format!("{APP}/channels/email"), &moved).await;
    assert_eq!((again.status, &again.body["secrets"]["password"]), (200, &json!(true)), "{}", again.body);
    let listed = env.get(&format!("{APP}/channels")).await;
    assert_eq!(listed.body["items"][0]["port"], 587);
    assert!(!listed.body.to_string().contains("pa55word"));
    // Neither the table nor the audit trail holds it in the clear.
    let stored = crate::rules::rows(&env, "SELECT settings, sealed FROM trellis_channels").await;
    assert!(stored[0][1].starts_with("v1."), "{stored:?}");
    assert!(!format!("{stored:?}").contains("pa55word"));
    let audit = crate::rules::rows(&env, "SELECT detail FROM trellis_audit WHERE action LIKE 'channel.%'").await;
    assert_eq!(audit.len(), 2);
    assert!(!format!("{audit:?}").contains("pa55word"));

    // Wrong settings, each at its path.
    let paths = |body: &Value| -> Vec<String> {
        body["errors"].as_array().into_iter().flatten().filter_map(|e| e["path"].as_str().map(str::to_owned)).collect()
    };
    let sms = json!({ "kind": "sms_http", "url": "https://sms.example", "body": { "m": "{to}{text}" } });
    let kind = env.put(&format!("{APP}/channels/email"), &sms).await;
    assert_eq!((kind.status, paths(&kind.body)), (422, vec!["/kind".to_owned()]), "{}", kind.body);
    let quiet = json!({ "kind": "dingtalk_robot", "quiet_hours": { "from": "25:00", "to": "08:00" }, "per_minute": 0,
        "secrets": { "robots": { "east": { "url": "https://oapi.dingtalk.com/robot/send?access_token=x" } } } });
    let refused = env.put(&format!("{APP}/channels/im"), &quiet).await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        paths(&refused.body),
        ["/secrets/robots/east/secret", "/quiet_hours/from", "/per_minute"],
        "{}",
        refused.body
    );
    let signing = json!({ "kind": "webhook", "secrets": { "signing": ["secret"] } });
    let hook = env.put(&format!("{APP}/channels/webhook"), &signing).await;
    assert_eq!(paths(&hook.body), ["/secrets/signing/0"]);
    assert_eq!(env.put(&format!("{APP}/channels/fax"), &json!({ "kind": "webhook" })).await.status, 404);

    // An RM may not see or set them.
    crate::reports::people(&env).await;
    let rm = crate::reports::as_user(&env, "zhang.min", "GET", &format!("{APP}/channels"), None).await;
    assert_eq!(rm.status, 403, "{}", rm.body);
    assert_eq!(env.delete(&format!("{APP}/channels/email")).await.status, 204);
    assert_eq!(env.get(&format!("{APP}/channels")).await.body["items"], json!([]));

    // A sealed secret opens under its key, for its channel only.
    let sealer = server::channels::secrets::Sealer::new(&[7u8; 32]).expect("a key");
    let sealed = sealer.seal("密钥", "bank_crm/email").expect("sealed");
    assert_eq!(sealer.open(&sealed, "bank_crm/email").as_deref(), Ok("密钥"));
    assert!(sealer.open(&sealed, "bank_crm/sms").is_err());
    let other = server::channels::secrets::Sealer::new(&[8u8; 32]).expect("a key");
    assert!(other.open(&sealed, "bank_crm/email").is_err());
    env.finish().await;
}

async fn without_a_key_no_secret_is_stored(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await;
    let smtp = json!({ "kind": "smtp", "host": "smtp.bank.example", "port": 465, "security": "tls",
        "username": "crm", "from": "care@bank.example", "secrets": { "password": SMTP_PASSWORD } });
    let refused = env.put(&format!("{APP}/channels/email"), &smtp).await;
    assert_eq!((refused.status, &refused.body["code"]), (409, &json!("no_secret_key")), "{}", refused.body);
    // A relay on the bank's network without a login needs no secret.
    let relay = json!({ "kind": "smtp", "host": "relay.bank.local", "port": 25, "security": "none", "from": "care@bank.example" });
    assert_eq!(env.put(&format!("{APP}/channels/email"), &relay).await.status, 200);
    env.finish().await;
}

/// Local `HH:MM` in Shanghai of `at`.
fn shanghai(at: chrono::DateTime<chrono::Utc>) -> String {
    let local = at.with_timezone(&chrono_tz::Asia::Shanghai);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

async fn messages_leave_through_their_gateways(backend: Backend) {
    let env = start_tweaked(backend, with_key).await.with_bank_crm().await;
    let dir = tempfile::tempdir().expect("a folder");
    let (maildir, log) = (dir.path().join("mail"), dir.path().join("gateways.log"));
    let (_smtp, smtp_port) = smtp_server(&maildir);
    let (_fakes, port) = fakes(&log);
    let t0 = env.now();
    // Quiet hours around now (an hour back to two ahead): SMS wait for their end.
    let (quiet_from, quiet_to) = (shanghai(t0 - Duration::hours(1)), shanghai(t0 + Duration::hours(2)));
    let channels = [
        (
            "email",
            json!({ "kind": "smtp", "host": "127.0.0.1", "port": smtp_port, "security": "none",
            "from": "示例银行客户关怀 <care@bank.example>" }),
        ),
        (
            "sms",
            json!({ "kind": "sms_http", "url": format!("http://127.0.0.1:{port}/sms"),
            "body": { "phone": "{to}", "content": "{text}", "sign": "示例银行" }, "success": { "pointer": "/code", "equals": "OK" },
            "quiet_hours": { "from": quiet_from, "to": quiet_to },
            "secrets": { "headers": { "Authorization": "Bearer sms-token" } } }),
        ),
        (
            "im",
            json!({ "kind": "dingtalk_robot", "per_minute": 1, "secrets": { "robots": {
            "east": { "url": format!("http://127.0.0.1:{port}/dingtalk?access_token=ding-token"), "secret": DING_SECRET },
            "west": { "url": format!("http://127.0.0.1:{port}/dingtalk?access_token=ding-token"), "secret": DING_SECRET } } } }),
        ),
        ("webhook", json!({ "kind": "webhook", "secrets": { "signing": [WEBHOOK_OLD, WEBHOOK_NEW] } })),
    ];
    for (channel, settings) in &channels {
        let set = env.put(&format!("{APP}/channels/{channel}"), settings).await;
        assert_eq!(set.status, 200, "{channel}: {}", set.body);
    }
    let hook = |seq: &str| {
        json!({ "type": "webhook", "url": format!("http://127.0.0.1:{port}/webhook"),
        "body": { "seq": format!("'{seq}'"), "amount": "amount", "reference": "reference" } })
    };
    let rule = json!({ "key": "outflow_told", "trigger": { "on": "created", "form": "transaction" },
        "condition": "direction == 'out' and channel == 'counter'",
        "actions": [
            { "type": "notify", "channel": "email", "to": "'li.wei@example.cn'", "subject": "'资金变动提醒 ' & reference",
              "message": "'尊敬的' & customer.name & '：您的账户支出 ' & amount & ' 元。'" },
            { "type": "notify", "channel": "sms", "to": "customer.mobile", "message": "'【示例银行】支出提醒 ' & reference" },
            { "type": "notify", "channel": "im", "to": "'east'", "message": "'柜面支出：' & customer.name & ' ' & reference" },
            { "type": "notify", "channel": "im", "to": "'west'", "message": "'西区：' & reference" },
            hook("first"), hook("second")] });
    assert_eq!(env.put(&format!("{APP}/drafts/rules/outflow_told"), &rule).await.status, 200);
    let published = env.post(&format!("{APP}/publish"), &json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);
    let customers = env.get(&format!("{APP}/forms/customer/records?sort=id&limit=1&fields=name")).await;
    let customer = customers.body["items"][0]["id"].clone();
    for (reference, amount) in [("TX-A", "1000.00"), ("TX-B", "2000.00")] {
        let tx = json!({ "customer": customer, "direction": "out", "amount": amount, "reference": reference,
            "occurred_at": t0.to_rfc3339(), "channel": "counter" });
        let made = env.post(&format!("{APP}/forms/transaction/records"), &tx).await;
        assert_eq!(made.status, 201, "{}", made.body);
    }
    let run = |at: chrono::DateTime<chrono::Utc>| server::outbox::deliver_due(&env.state, at);
    let ours = |path: &str, mark: &str| -> Vec<Value> {
        logged(&log, path).into_iter().filter(|v| v["body"].to_string().contains(mark)).collect()
    };

    run(t0).await.expect("runs");
    // E-mail: both arrive with their subjects, Chinese intact.
    let mut got = mails(&maildir);
    got.sort_by_key(|m| m["subject"].as_str().map(str::to_owned));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0]["subject"], "资金变动提醒 TX-A");
    assert!(got[0]["body"].as_str().is_some_and(|b| b.contains("尊敬的李伟：您的账户支出 1000.00 元。")), "{got:?}");
    assert!(got[0]["from"].as_str().is_some_and(|f| f.contains("示例银行客户关怀") && f.contains("care@bank.example")));
    // IM: one a minute to each group's robot; the second to a group waits its turn.
    assert_eq!(ours("/dingtalk", "柜面支出").len(), 1, "signed, and one this minute");
    assert_eq!(ours("/dingtalk", "西区").len(), 1, "another group's robot has its own minute");
    // SMS: quiet hours; nothing leaves yet.
    assert!(ours("/sms", "支出提醒").is_empty());
    // Webhooks: TX-A's first was acted on but answered 500, so its second waits behind it.
    let hooks = ours("/webhook", "seq");
    assert_eq!(hooks.len(), 3, "{hooks:?}");
    assert!(!hooks.iter().any(|h| h["body"]["reference"] == "TX-A" && h["body"]["seq"] == "second"), "{hooks:?}");

    run(t0 + Duration::minutes(2)).await.expect("runs");
    assert_eq!(ours("/dingtalk", "柜面支出").len(), 2);
    assert_eq!(ours("/dingtalk", "西区").len(), 2);
    let hooks = ours("/webhook", "seq");
    assert_eq!(hooks.len(), 4, "the retry of TX-A's first is a repeat, acted on once: {hooks:?}");
    let ids: std::collections::HashSet<_> = hooks.iter().map(|h| h["id"].clone()).collect();
    assert_eq!(ids.len(), 4, "every message is acted on once");
    for reference in ["TX-A", "TX-B"] {
        let order: Vec<_> =
            hooks.iter().filter(|h| h["body"]["reference"] == reference).map(|h| h["body"]["seq"].clone()).collect();
        assert_eq!(order, [json!("first"), json!("second")], "in order per record");
    }
    assert!(ours("/sms", "支出提醒").is_empty(), "still quiet");

    // The quiet hours end: the SMS leave (the gateway refuses its first request; retried).
    let end = t0 + Duration::hours(2) + Duration::minutes(1);
    for minutes in [0, 2, 8] {
        run(end + Duration::minutes(minutes)).await.expect("runs");
    }
    let sms = ours("/sms", "支出提醒");
    assert_eq!(sms.len(), 2, "{sms:?}");
    assert!(sms.iter().all(|s| s["body"]["phone"] == "13700000001" && s["body"]["sign"] == "示例银行"), "{sms:?}");
    let outbox = env.get(&format!("{APP}/outbox?state=pending")).await;
    assert_eq!(outbox.body["items"], json!([]), "nothing left: {}", outbox.body);

    // A test message: taken by the east group's robot; a group without one, refused, saying why.
    let sent = env.post(&format!("{APP}/channels/im/test"), &json!({ "to": "east", "message": "测试消息" })).await;
    assert_eq!(sent.body, json!({ "delivered": true }), "{}", sent.body);
    let refused = env.post(&format!("{APP}/channels/im/test"), &json!({ "to": "north", "message": "测试" })).await;
    assert_eq!(refused.body["delivered"], false);
    assert!(refused.body["error"].as_str().is_some_and(|e| e.contains("north")), "{}", refused.body);
    assert!(!refused.body.to_string().contains("ding-token"));
    env.finish().await;
}

/// The bank CRM's birthday e-mail (rule `birthday_email`): at 09:00 on the day, with its
/// subject, in Chinese, naming the RM and the branch.
async fn the_bank_crms_birthday_email_arrives_with_its_subject(backend: Backend) {
    let env = start_tweaked(backend, with_key).await.with_bank_crm().await.shows_personal_data().await;
    let dir = tempfile::tempdir().expect("a folder");
    let maildir = dir.path().join("mail");
    let (_smtp, smtp_port) = smtp_server(&maildir);
    let email = json!({ "kind": "smtp", "host": "127.0.0.1", "port": smtp_port, "security": "none",
        "from": "示例银行 <care@bank.example>" });
    assert_eq!(env.put(&format!("{APP}/channels/email"), &email).await.status, 200);
    let li = env.get(&format!("{APP}/forms/customer/records?sort=id&limit=1&fields=name")).await.body["items"][0]["id"]
        .clone();
    let customer = format!("{APP}/forms/customer/records/{li}");
    let birthday = format!("1976-{}", crate::support::day(1).format("%m-%d"));
    let version = env.get(&customer).await.body["_version"].as_i64().expect("version");
    let patched = env.patch(&customer, version, &json!({ "birthday": birthday, "email": "li.wei@example.cn" })).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let at = crate::support::day_at(1, 9, 1);
    server::rules::run_due_schedules(&env.state, at).await.expect("schedules");
    server::outbox::deliver_due(&env.state, at).await.expect("delivers");
    let got = mails(&maildir);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["subject"], "生日快乐，李伟");
    assert_eq!(got[0]["to"], "li.wei@example.cn");
    let body = got[0]["body"].as_str().unwrap_or_default();
    assert!(body.starts_with("尊敬的李伟：") && body.contains("张敏 与上海陆家嘴支行全体同事"), "{body}");
    // Once a year: the next day's run sends nothing more.
    server::rules::run_due_schedules(&env.state, crate::support::day_at(2, 9, 1)).await.expect("schedules");
    server::outbox::deliver_due(&env.state, crate::support::day_at(2, 9, 1)).await.expect("delivers");
    assert_eq!(mails(&maildir).len(), 1);
    env.finish().await;
}

/// A customer who said no (the bank CRM's `do_not_contact`, the customer form's `opt_out`)
/// gets no automatic SMS or e-mail, about themselves or their transactions: each is kept as
/// `opted_out` with why, never sent, and not resendable. Staff's messages still go.
async fn a_customer_who_opted_out_gets_nothing_automatic(backend: Backend) {
    let env = start(backend).await.with_bank_crm().await.shows_personal_data().await;
    let rule = json!({ "key": "outflow_told", "trigger": { "on": "created", "form": "transaction" },
        "condition": "direction == 'out'",
        "actions": [
            { "type": "notify", "channel": "sms", "to": "customer.mobile", "message": "'支出提醒 ' & format_money(amount, 'zh-CN')" },
            { "type": "notify", "channel": "im", "to": "'east'", "message": "'柜面支出：' & customer.name" }] });
    assert_eq!(env.put(&format!("{APP}/drafts/rules/outflow_told"), &rule).await.status, 200);
    assert_eq!(env.post(&format!("{APP}/publish"), &json!({})).await.status, 200);
    let li = env.get(&format!("{APP}/forms/customer/records?sort=id&limit=1&fields=name")).await.body["items"][0]["id"]
        .clone();
    let customer = format!("{APP}/forms/customer/records/{li}");
    let version = env.get(&customer).await.body["_version"].as_i64().expect("version");
    let said_no = env.patch(&customer, version, &json!({ "do_not_contact": true, "email": "li.wei@example.cn" })).await;
    assert_eq!(said_no.status, 200, "{}", said_no.body);
    let tx = json!({ "customer": li, "direction": "out", "amount": "1234.50", "occurred_at": env.now().to_rfc3339(), "channel": "mobile" });
    assert_eq!(env.post(&format!("{APP}/forms/transaction/records"), &tx).await.status, 201);
    server::outbox::deliver_due(&env.state, env.now()).await.expect("runs");
    let kept = env.get(&format!("{APP}/outbox?state=opted_out")).await;
    let items = kept.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{}", kept.body);
    assert_eq!((&items[0]["channel"], &items[0]["body"]["message"]), (&json!("sms"), &json!("支出提醒 ¥1,234.50")));
    assert!(items[0]["last_error"].as_str().is_some_and(|e| e.contains("do_not_contact")), "{}", kept.body);
    let staff = env.get(&format!("{APP}/outbox?channel=im")).await;
    assert_eq!(staff.body["items"][0]["state"], "undeliverable", "staff's IM is not withheld: {}", staff.body);
    let resend = env.post(&format!("{APP}/outbox/{}/resend", items[0]["id"]), &json!({})).await;
    assert_eq!(resend.status, 404, "an opted-out message is never sent");

    // The birthday greeting and e-mail (about the customer) are kept, not sent, too.
    let birthday = format!("1976-{}", crate::support::day(1).format("%m-%d"));
    let version = env.get(&customer).await.body["_version"].as_i64().expect("version");
    assert_eq!(env.patch(&customer, version, &json!({ "birthday": birthday })).await.status, 200);
    server::rules::run_due_schedules(&env.state, crate::support::day_at(1, 9, 1)).await.expect("schedules");
    let kept = env.get(&format!("{APP}/outbox?state=opted_out")).await;
    let mut channels: Vec<String> = kept.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["channel"].as_str().map(str::to_owned))
        .collect();
    channels.sort();
    assert_eq!(channels, ["email", "sms", "sms"], "{}", kept.body);
    env.finish().await;
}

/// Alibaba Cloud's SMS: the request signed as Alibaba signs (checked by the fake with the
/// access key's secret); a wrong secret is refused, and the refusal shown, the secret not.
async fn alibaba_cloud_sms_is_signed_as_alibaba_checks(backend: Backend) {
    let env = start_tweaked(backend, with_key).await.with_bank_crm().await;
    let dir = tempfile::tempdir().expect("a folder");
    let log = dir.path().join("gateways.log");
    let (_fakes, port) = fakes(&log);
    let channel = |secret: &str| {
        json!({ "kind": "sms_aliyun", "access_key_id": "LTAI-test", "sign_name": "示例银行",
        "template_code": "SMS_123456", "endpoint": format!("http://127.0.0.1:{port}/aliyun"),
        "secrets": { "access_key_secret": secret } })
    };
    let set = env.put(&format!("{APP}/channels/sms"), &channel(CLOUD_SECRET)).await;
    assert_eq!((set.status, &set.body["secrets"]["access_key_secret"]), (200, &json!(true)), "{}", set.body);
    let test = json!({ "to": "13700000001", "message": "尊敬的客户，您有一笔 ¥1,000.00 的支出 & 提醒*~" });
    let sent = env.post(&format!("{APP}/channels/sms/test"), &test).await;
    assert_eq!(sent.body, json!({ "delivered": true }), "{}", sent.body);
    let got = logged(&log, "/aliyun");
    assert_eq!(got.len(), 1);
    assert_eq!(
        (&got[0]["body"]["PhoneNumbers"], &got[0]["body"]["SignName"]),
        (&json!("13700000001"), &json!("示例银行"))
    );
    let param: Value = serde_json::from_str(got[0]["body"]["TemplateParam"].as_str().unwrap_or("{}")).expect("JSON");
    assert_eq!(param["content"], test["message"]);

    assert_eq!(env.put(&format!("{APP}/channels/sms"), &channel("not-the-secret")).await.status, 200);
    let refused = env.post(&format!("{APP}/channels/sms/test"), &test).await;
    assert_eq!(refused.body["delivered"], false);
    let error = refused.body["error"].as_str().unwrap_or_default();
    assert!(error.contains("SignatureDoesNotMatch") && !error.contains("not-the-secret"), "{error}");
    let missing = json!({ "kind": "sms_aliyun", "access_key_id": "", "sign_name": "示例银行", "template_code": "SMS_1",
        "secrets": { "access_key_secret": "" } });
    let wrong = env.put(&format!("{APP}/channels/sms"), &missing).await;
    assert_eq!(
        wrong.error_paths(),
        ["/access_key_id bad_value", "/secrets/access_key_secret bad_value"],
        "{}",
        wrong.body
    );
    env.finish().await;
}

/// Tencent Cloud's SMS: TC3-HMAC-SHA256 recomputed by the fake from the body, the host and
/// the timestamp; a mobile without a country code goes as China's; a wrong key is refused.
async fn tencent_cloud_sms_is_signed_as_tencent_checks(backend: Backend) {
    let env = start_tweaked(backend, with_key).await.with_bank_crm().await;
    let dir = tempfile::tempdir().expect("a folder");
    let log = dir.path().join("gateways.log");
    let (_fakes, port) = fakes(&log);
    let channel = |secret: &str| {
        json!({ "kind": "sms_tencent", "secret_id": "AKID-test", "sdk_app_id": "1400006666",
        "sign_name": "示例银行", "template_id": "1110", "endpoint": format!("http://127.0.0.1:{port}/tencent"),
        "secrets": { "access_key_secret": secret } })
    };
    assert_eq!(env.put(&format!("{APP}/channels/sms"), &channel(CLOUD_SECRET)).await.status, 200);
    let test = json!({ "to": "13700000001", "message": "尊敬的客户，生日快乐！" });
    let sent = env.post(&format!("{APP}/channels/sms/test"), &test).await;
    assert_eq!(sent.body, json!({ "delivered": true }), "{}", sent.body);
    let got = logged(&log, "/tencent");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["body"]["PhoneNumberSet"], json!(["+8613700000001"]));
    assert_eq!(got[0]["body"]["TemplateParamSet"], json!([test["message"]]));
    assert_eq!(env.put(&format!("{APP}/channels/sms"), &channel("wrong-key")).await.status, 200);
    let refused = env.post(&format!("{APP}/channels/sms/test"), &test).await;
    let error = refused.body["error"].as_str().unwrap_or_default();
    assert!(error.contains("AuthFailure.SignatureFailure") && !error.contains("wrong-key"), "{}", refused.body);

    // A message with no address (a customer without an e-mail) is undeliverable at once,
    // saying so, not tried six times.
    let rule = json!({ "key": "no_address", "trigger": { "on": "created", "form": "transaction" },
        "actions": [{ "type": "notify", "channel": "sms", "to": "customer.email", "message": "'x'" }] });
    assert_eq!(env.put(&format!("{APP}/drafts/rules/no_address"), &rule).await.status, 200);
    assert_eq!(env.post(&format!("{APP}/publish"), &json!({})).await.status, 200);
    let customers = env.get(&format!("{APP}/forms/customer/records?sort=id&limit=1&fields=name")).await;
    let tx = json!({ "customer": customers.body["items"][0]["id"], "direction": "in", "amount": "1.00",
        "occurred_at": env.now().to_rfc3339(), "channel": "mobile" });
    assert_eq!(env.post(&format!("{APP}/forms/transaction/records"), &tx).await.status, 201);
    server::outbox::deliver_due(&env.state, env.now()).await.expect("runs");
    let stuck = env.get(&format!("{APP}/outbox?state=undeliverable")).await;
    let found = &stuck.body["items"][0];
    assert_eq!((&found["attempts"], &found["last_error"]), (&json!(0), &json!("the recipient `null` is no address")));
    env.finish().await;
}
