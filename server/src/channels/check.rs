//! Checking a channel as an administrator sends it: every wrong place at its path, before
//! anything is stored.

use base64::Engine;
use engine_form::FieldError;
use serde_json::Value;

use super::{Channel, Gateway, Secrets, Settings};

/// The most a rate may be (messages a minute).
const MAX_PER_MINUTE: u32 = 100_000;

/// `body` (the settings, with `secrets` or without) read for `channel`; `stored` are the
/// secrets kept so far, which stay where `secrets` is left out.
pub fn check(channel: &str, body: &Value, stored: Option<&Secrets>) -> Result<Channel, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(object) = body.as_object() else {
        return Err(vec![FieldError::new("", "bad_value", "a channel is a JSON object")]);
    };
    let mut plain = object.clone();
    let given = plain.remove("secrets");
    let settings: Option<Settings> = match serde_path_to_error::deserialize(Value::Object(plain)) {
        Ok(settings) => Some(settings),
        Err(e) => {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { format!("/{}", path.replace('.', "/")) };
            errors.push(FieldError::new(&path, "bad_value", e.into_inner().to_string()));
            None
        }
    };
    let secrets = match given {
        None => stored.cloned().unwrap_or_default(),
        Some(given) => match serde_path_to_error::deserialize::<_, Secrets>(given) {
            Ok(secrets) => secrets,
            Err(e) => {
                let path = format!("/secrets/{}", e.path().to_string().replace('.', "/"));
                errors.push(FieldError::new(path.trim_end_matches('/'), "bad_value", e.into_inner().to_string()));
                return Err(errors);
            }
        },
    };
    let Some(settings) = settings else { return Err(errors) };
    if settings.gateway.channel() != channel {
        errors.push(FieldError::new(
            "/kind",
            "bad_value",
            format!("a `{}` gateway does not carry the `{channel}` channel", kind(&settings.gateway)),
        ));
    }
    gateway(&settings.gateway, &secrets, &mut errors);
    if let Some(quiet) = &settings.quiet_hours {
        for (at, time) in [("/quiet_hours/from", &quiet.from), ("/quiet_hours/to", &quiet.to)] {
            if chrono::NaiveTime::parse_from_str(time, "%H:%M").is_err() {
                errors.push(FieldError::new(at, "bad_value", format!("`{time}` is not a time of day (HH:MM)")));
            }
        }
        if quiet.from == quiet.to {
            errors.push(FieldError::new("/quiet_hours/to", "bad_value", "quiet hours end when they start"));
        }
        if let Some(zone) = &quiet.zone
            && zone.parse::<chrono_tz::Tz>().is_err()
        {
            errors.push(FieldError::new("/quiet_hours/zone", "bad_value", format!("`{zone}` is no IANA time zone")));
        }
    }
    if let Some(rate) = settings.per_minute
        && !(1..=MAX_PER_MINUTE).contains(&rate)
    {
        errors.push(FieldError::new("/per_minute", "bad_value", format!("a rate is 1 to {MAX_PER_MINUTE} a minute")));
    }
    if errors.is_empty() { Ok(Channel { settings, secrets }) } else { Err(errors) }
}

fn kind(gateway: &Gateway) -> &'static str {
    match gateway {
        Gateway::Smtp { .. } => "smtp",
        Gateway::SmsHttp { .. } => "sms_http",
        Gateway::SmsAliyun { .. } => "sms_aliyun",
        Gateway::SmsTencent { .. } => "sms_tencent",
        Gateway::WecomRobot { .. } => "wecom_robot",
        Gateway::DingtalkRobot { .. } => "dingtalk_robot",
        Gateway::Webhook {} => "webhook",
    }
}

fn web_address(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://")) && url.len() > "https://".len() && !url.contains(' ')
}

fn gateway(gateway: &Gateway, secrets: &Secrets, errors: &mut Vec<FieldError>) {
    let mut wrong = |at: &str, message: String| errors.push(FieldError::new(at, "bad_value", message));
    match gateway {
        Gateway::Smtp { host, from, username, .. } => {
            if host.trim().is_empty() {
                wrong("/host", "the SMTP server's host name is missing".to_owned());
            }
            if from.parse::<lettre::message::Mailbox>().is_err() {
                wrong("/from", format!("`{from}` is not an e-mail sender (`Name <address>` or an address)"));
            }
            if username.is_some() && secrets.password.is_none() {
                wrong("/secrets/password", "a user name needs its password".to_owned());
            }
        }
        Gateway::SmsHttp { url, body, success } => {
            if !web_address(url) {
                wrong("/url", format!("`{url}` is not an http(s) address"));
            }
            let text = body.to_string();
            if !body.is_object() || !text.contains("{to}") || !text.contains("{text}") {
                wrong("/body", "the body is a JSON object naming `{to}` and `{text}` in its strings".to_owned());
            }
            if let Some(success) = success
                && !success.pointer.is_empty()
                && !success.pointer.starts_with('/')
            {
                wrong("/success/pointer", format!("`{}` is not a JSON pointer (`/code`)", success.pointer));
            }
            for name in secrets.headers.keys() {
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                    wrong("/secrets/headers", format!("`{name}` is not a header name"));
                }
            }
        }
        Gateway::SmsAliyun { access_key_id, sign_name, template_code, param, endpoint } => {
            let needed = [
                ("/access_key_id", access_key_id),
                ("/sign_name", sign_name),
                ("/template_code", template_code),
                ("/param", param),
            ];
            cloud_account(&needed, endpoint.as_deref(), secrets, &mut wrong);
        }
        Gateway::SmsTencent { secret_id, sdk_app_id, sign_name, template_id, region, endpoint } => {
            let needed = [
                ("/secret_id", secret_id),
                ("/sdk_app_id", sdk_app_id),
                ("/sign_name", sign_name),
                ("/template_id", template_id),
                ("/region", region),
            ];
            cloud_account(&needed, endpoint.as_deref(), secrets, &mut wrong);
        }
        Gateway::WecomRobot { .. } | Gateway::DingtalkRobot { .. } => {
            if secrets.robots.is_empty() {
                wrong("/secrets/robots", "name at least one group's robot".to_owned());
            }
            let dingtalk = matches!(gateway, Gateway::DingtalkRobot { .. });
            for (group, robot) in &secrets.robots {
                if !web_address(&robot.url) {
                    wrong(&format!("/secrets/robots/{group}/url"), "a robot's URL is an http(s) address".to_owned());
                }
                if dingtalk && robot.secret.as_deref().is_none_or(str::is_empty) {
                    wrong(
                        &format!("/secrets/robots/{group}/secret"),
                        "a DingTalk robot signs with its secret (SEC…)".to_owned(),
                    );
                }
            }
        }
        Gateway::Webhook {} => {
            if secrets.signing.is_empty() || secrets.signing.len() > 2 {
                wrong("/secrets/signing", "one signing secret, or two while moving to a new one".to_owned());
            }
            for (i, secret) in secrets.signing.iter().enumerate() {
                if signing_key(secret).is_none() {
                    wrong(
                        &format!("/secrets/signing/{i}"),
                        "a signing secret is `whsec_` and 24 to 64 random bytes in base64".to_owned(),
                    );
                }
            }
        }
    }
}

/// A cloud SMS account: each setting given, the endpoint (if given) a web address, and the
/// secret that signs every request set.
fn cloud_account(
    needed: &[(&str, &String)],
    endpoint: Option<&str>,
    secrets: &Secrets,
    wrong: &mut impl FnMut(&str, String),
) {
    for (at, value) in needed {
        if value.trim().is_empty() {
            wrong(at, "this is needed to send through the cloud's SMS".to_owned());
        }
    }
    if let Some(url) = endpoint
        && !web_address(url)
    {
        wrong("/endpoint", format!("`{url}` is not an http(s) address"));
    }
    if secrets.access_key_secret.as_deref().is_none_or(str::is_empty) {
        wrong("/secrets/access_key_secret", "the secret that signs every request is missing".to_owned());
    }
}

/// The key bytes of a Standard Webhooks secret `whsec_<base64>`.
pub(super) fn signing_key(secret: &str) -> Option<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    (24..=64).contains(&bytes.len()).then_some(bytes)
}
