//! Messages that leave over HTTP: SMS gateways (a JSON body template), WeCom and DingTalk
//! group robots, and webhooks signed as Standard Webhooks
//! (<https://www.standardwebhooks.com>): `webhook-id` (the same on every retry: the
//! receiver's idempotency key), `webhook-timestamp` (seconds, this attempt's) and
//! `webhook-signature`, `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for each signing
//! secret, so a receiver moving to a new secret accepts either.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;
use serde_json::{Value, json};

use super::{Message, TIMEOUT, allowed, shown};
use crate::channels::{Robot, Success};

/// The most a WeCom robot's text may be, in bytes.
const WECOM_MAX: usize = 2048;

fn agent() -> &'static ureq::Agent {
    static AGENT: std::sync::OnceLock<ureq::Agent> = std::sync::OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder().timeout_global(Some(TIMEOUT)).http_status_as_error(false).build().into()
    })
}

/// POSTs `body` as JSON to `url` with `headers`: the reply's status and text.
fn post(url: &str, headers: &[(&str, &str)], body: &str) -> Result<(u16, String), String> {
    post_as(url, "application/json", headers, body)
}

/// POSTs `body` of `content_type` to `url` (if `TRELLIS_WEBHOOK_ALLOW` lets it go there)
/// with `headers`: the reply's status and (the first 64 KiB of) its text.
pub(super) fn post_as(
    url: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(u16, String), String> {
    if !allowed(url) {
        return Err(format!("`{}` is not under TRELLIS_WEBHOOK_ALLOW", shown(url)));
    }
    let mut request = agent().post(url).header("Content-Type", content_type);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.send(body).map_err(|e| format!("`{}`: {}", shown(url), quiet(&e.to_string(), url)))?;
    let status = response.status().as_u16();
    let text = response.body_mut().with_config().limit(64 * 1024).read_to_string().unwrap_or_default();
    Ok((status, text))
}

/// An error's text with the URL's query (a key) taken out.
fn quiet(error: &str, url: &str) -> String {
    error.replace(url, shown(url))
}

pub(super) fn answered(url: &str, status: u16, text: &str) -> String {
    let text: String = text.chars().take(200).collect();
    format!("`{}` answered {status}: {text}", shown(url))
}

/// A webhook: `message.body` POSTed to `message.recipient`, signed with each of `signing`.
pub(super) fn webhook(message: &Message, signing: &[String]) -> Result<(), String> {
    let id = format!("trellis-outbox-{}", message.id);
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let signature = sign(&id, &timestamp, message.body, signing);
    let mut headers =
        vec![("webhook-id", id.as_str()), ("webhook-timestamp", timestamp.as_str()), ("Idempotency-Key", id.as_str())];
    if !signature.is_empty() {
        headers.push(("webhook-signature", signature.as_str()));
    }
    let (status, text) = post(message.recipient, &headers, message.body)?;
    if (200..300).contains(&status) { Ok(()) } else { Err(answered(message.recipient, status, &text)) }
}

/// The `webhook-signature` header's value: `v1,<base64>` for each secret, space-separated.
pub fn sign(id: &str, timestamp: &str, body: &str, signing: &[String]) -> String {
    let content = format!("{id}.{timestamp}.{body}");
    signing
        .iter()
        .filter_map(|secret| crate::channels::check::signing_key(secret))
        .map(|key| {
            let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), content.as_bytes());
            format!("v1,{}", STANDARD.encode(tag.as_ref()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An SMS gateway as configured.
pub(super) struct Gateway<'a> {
    pub url: &'a str,
    pub headers: &'a BTreeMap<String, String>,
    pub body: &'a Value,
    pub success: Option<&'a Success>,
}

pub(super) fn sms(gateway: Gateway, message: &Message) -> Result<(), String> {
    let body = filled(gateway.body, message.recipient, message.text);
    let headers: Vec<(&str, &str)> = gateway.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, text) = post(gateway.url, &headers, &body.to_string())?;
    let taken = (200..300).contains(&status)
        && gateway.success.is_none_or(|success| {
            let reply: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            reply
                .pointer(&success.pointer)
                .is_some_and(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned) == success.equals)
        });
    if taken { Ok(()) } else { Err(answered(gateway.url, status, &text)) }
}

/// The template with `{to}` and `{text}` replaced in every string (as JSON strings, so a
/// message cannot break out of its place).
fn filled(template: &Value, to: &str, text: &str) -> Value {
    match template {
        Value::String(s) => Value::String(s.replace("{to}", to).replace("{text}", text)),
        Value::Array(items) => Value::Array(items.iter().map(|v| filled(v, to, text)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), filled(v, to, text))).collect()),
        other => other.clone(),
    }
}

/// A robot's reply is a success when it says `errcode` 0.
fn robot_reply(url: &str, status: u16, text: &str) -> Result<(), String> {
    let reply: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    if (200..300).contains(&status) && reply["errcode"].as_i64() == Some(0) {
        Ok(())
    } else {
        Err(answered(url, status, text))
    }
}

/// `text` cut to at most `max` bytes at a character's end, marked as cut.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

pub(super) fn wecom(robot: &Robot, markdown: bool, message: &Message) -> Result<(), String> {
    let content = cut(message.text, WECOM_MAX);
    let body = match markdown {
        true => json!({ "msgtype": "markdown", "markdown": { "content": content } }),
        false => json!({ "msgtype": "text", "text": { "content": content } }),
    };
    let (status, text) = post(&robot.url, &[], &body.to_string())?;
    robot_reply(&robot.url, status, &text)
}

/// DingTalk's signed URL: `timestamp` (milliseconds) and `sign`, the URL-encoded base64
/// HMAC-SHA256 of `timestamp + "\n" + secret` under the secret.
pub fn dingtalk_url(url: &str, secret: &str, millis: i64) -> String {
    let tag =
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()), format!("{millis}\n{secret}").as_bytes());
    let sign: String = form_urlencoded::byte_serialize(STANDARD.encode(tag.as_ref()).as_bytes()).collect();
    let joint = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joint}timestamp={millis}&sign={sign}")
}

pub(super) fn dingtalk(robot: &Robot, markdown: bool, message: &Message) -> Result<(), String> {
    let url =
        dingtalk_url(&robot.url, robot.secret.as_deref().unwrap_or_default(), chrono::Utc::now().timestamp_millis());
    let title: String = message.text.lines().next().unwrap_or_default().chars().take(64).collect();
    let body = match markdown {
        true => json!({ "msgtype": "markdown", "markdown": { "title": title, "text": message.text } }),
        false => json!({ "msgtype": "text", "text": { "content": message.text } }),
    };
    let (status, text) = post(&url, &[], &body.to_string())?;
    robot_reply(&robot.url, status, &text)
}
