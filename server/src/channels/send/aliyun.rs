//! Alibaba Cloud's SMS (`SendSms`, RPC API version 2017-05-25), whose request signing is
//! too involved for a body template: every parameter sorted, each name and value
//! percent-encoded (RFC 3986), the string `POST&%2F&<encoded query>` signed with
//! HMAC-SHA1 under `<AccessKeySecret>&`, in base64, sent as `Signature`. A text goes as the
//! template's parameter (Alibaba sends only approved templates with their signature name).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;
use serde_json::{Value, json};

use super::Message;
use super::http::{answered, post_as};

/// What an Alibaba Cloud SMS channel is set to.
pub(super) struct Account<'a> {
    pub endpoint: &'a str,
    pub access_key_id: &'a str,
    pub access_key_secret: &'a str,
    pub sign_name: &'a str,
    pub template_code: &'a str,
    /// The template's parameter that takes the message's text.
    pub param: &'a str,
}

/// RFC 3986 percent-encoding, as Alibaba Cloud signs: only `A–Z a–z 0–9 - _ . ~` stay.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `Signature` of `params` (every one but the signature) for a POST.
pub fn signature(params: &BTreeMap<String, String>, secret: &str) -> String {
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    let to_sign = format!("POST&{}&{}", encode("/"), encode(&query.join("&")));
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, format!("{secret}&").as_bytes());
    STANDARD.encode(hmac::sign(&key, to_sign.as_bytes()).as_ref())
}

pub(super) fn send(account: Account, message: &Message) -> Result<(), String> {
    let nonce = format!("trellis-{}-{}", message.id, chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default());
    let mut params: BTreeMap<String, String> = [
        ("AccessKeyId", account.access_key_id),
        ("Action", "SendSms"),
        ("Format", "JSON"),
        ("PhoneNumbers", message.recipient),
        ("SignName", account.sign_name),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("TemplateCode", account.template_code),
        ("Version", "2017-05-25"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    params.insert("SignatureNonce".into(), nonce);
    params.insert("Timestamp".into(), chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
    params.insert("TemplateParam".into(), json!({ account.param: message.text }).to_string());
    let signature = signature(&params, account.access_key_secret);
    params.insert("Signature".into(), signature);
    let body: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    let (status, text) = post_as(account.endpoint, "application/x-www-form-urlencoded", &[], &body.join("&"))?;
    let reply: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if (200..300).contains(&status) && reply["Code"] == "OK" {
        Ok(())
    } else {
        Err(answered(account.endpoint, status, &text))
    }
}
