//! Tencent Cloud's SMS (`SendSms`, API 3.0, version 2021-01-11), signed with TC3-HMAC-SHA256:
//! a canonical request (method, `/`, the `content-type` and `host` headers, the body's
//! SHA-256), a string to sign naming the day's credential scope, and a key derived from
//! the SecretKey through the day, the service and `tc3_request`. The text goes as the
//! approved template's one parameter; a mobile without a country code is taken as China's.

use ring::hmac;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Message;
use super::http::{answered, post_as};

const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// What a Tencent Cloud SMS channel is set to.
pub(super) struct Account<'a> {
    pub endpoint: &'a str,
    pub secret_id: &'a str,
    pub secret_key: &'a str,
    pub sdk_app_id: &'a str,
    pub sign_name: &'a str,
    pub template_id: &'a str,
    pub region: &'a str,
}

fn mac(key: &[u8], text: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), text.as_bytes()).as_ref().to_vec()
}

/// The `Authorization` header of a request with `body` to `host` at `timestamp` (seconds).
pub fn authorization(secret_id: &str, secret_key: &str, host: &str, body: &str, timestamp: i64) -> String {
    let date = chrono::DateTime::from_timestamp(timestamp, 0).unwrap_or_default().format("%Y-%m-%d").to_string();
    let canonical = format!(
        "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\n\ncontent-type;host\n{}",
        hex::encode(Sha256::digest(body.as_bytes()))
    );
    let scope = format!("{date}/sms/tc3_request");
    let to_sign =
        format!("TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let key = mac(&mac(&mac(format!("TC3{secret_key}").as_bytes(), &date), "sms"), "tc3_request");
    let signature = hex::encode(mac(&key, &to_sign));
    format!("TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}")
}

pub(super) fn send(account: Account, message: &Message) -> Result<(), String> {
    let host = account.endpoint.split("://").nth(1).unwrap_or_default().split('/').next().unwrap_or_default();
    let mobile = match message.recipient.starts_with('+') {
        true => message.recipient.to_owned(),
        false => format!("+86{}", message.recipient),
    };
    let body = json!({ "PhoneNumberSet": [mobile], "SmsSdkAppId": account.sdk_app_id, "SignName": account.sign_name,
        "TemplateId": account.template_id, "TemplateParamSet": [message.text] })
    .to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let authorization = authorization(account.secret_id, account.secret_key, host, &body, timestamp);
    let timestamp = timestamp.to_string();
    let headers = [
        ("Host", host),
        ("Authorization", authorization.as_str()),
        ("X-TC-Action", "SendSms"),
        ("X-TC-Version", "2021-01-11"),
        ("X-TC-Timestamp", timestamp.as_str()),
        ("X-TC-Region", account.region),
    ];
    let (status, text) = post_as(account.endpoint, CONTENT_TYPE, &headers, &body)?;
    let reply: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let sent = &reply["Response"]["SendStatusSet"][0]["Code"];
    if (200..300).contains(&status) && sent.as_str().is_some_and(|c| c.eq_ignore_ascii_case("ok")) {
        Ok(())
    } else {
        Err(answered(account.endpoint, status, &text))
    }
}
