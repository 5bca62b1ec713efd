//! How an app's messages leave: one gateway per channel, configured by an administrator.
//! `email` goes over SMTP; `sms` through an HTTP gateway (a URL, headers, a JSON body
//! template and how success is read from the reply); `im` to WeCom or DingTalk group robots;
//! `webhook` messages are signed as Standard Webhooks with the channel's signing secrets.
//! `in_app` needs no gateway: it is the users' notifications.
//!
//! A channel's settings are plain; its secrets (a password, an authorisation header, a
//! robot's URL with its key, a signing secret) are sealed with the server's key
//! ([`secrets::Sealer`]), never returned by the API (it says which are set) and never
//! logged. Each channel may keep quiet hours (no message leaves between two local times;
//! what falls in them waits for the end) and a rate (at most so many a minute; more wait
//! their turn, none is dropped).

pub mod admin;
mod check;
pub mod secrets;
pub mod send;
pub mod store;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use check::check;

/// Alibaba Cloud's SMS endpoint.
pub const ALIYUN_SMS: &str = "https://dysmsapi.aliyuncs.com/";

/// Tencent Cloud's SMS endpoint.
pub const TENCENT_SMS: &str = "https://sms.tencentcloudapi.com/";

fn guangzhou() -> String {
    "ap-guangzhou".to_owned()
}

fn content() -> String {
    "content".to_owned()
}

/// The channels a gateway serves.
pub const CHANNELS: [&str; 4] = ["email", "sms", "im", "webhook"];

/// A channel's settings as an administrator sets them (and as they are shown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub gateway: Gateway,
    /// No message leaves between these local times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
    /// At most this many messages a minute; more wait their turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_minute: Option<u32>,
}

/// What carries a channel's messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Gateway {
    /// E-mail over SMTP; the password is a secret.
    Smtp {
        host: String,
        port: u16,
        /// `tls` (implicit TLS, port 465), `starttls` (port 587) or `none` (a relay on the
        /// bank's own network only).
        security: Security,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        /// The sender, as `Name <address>` or an address.
        from: String,
    },
    /// SMS through an HTTP gateway: `body` is the JSON POSTed, in whose strings `{to}` and
    /// `{text}` are replaced by the mobile and the message; the headers are secrets.
    SmsHttp {
        url: String,
        body: Value,
        /// How the reply says it was taken; without it any 2xx answer is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        success: Option<Success>,
    },
    /// SMS through Alibaba Cloud (`SendSms`, signed as it requires): an approved template
    /// with its signature name, the text as one template parameter; the access key's
    /// secret is a secret.
    SmsAliyun {
        access_key_id: String,
        sign_name: String,
        template_code: String,
        /// The template's parameter that takes the message's text.
        #[serde(default = "content")]
        param: String,
        /// Alibaba Cloud's endpoint unless given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
    },
    /// SMS through Tencent Cloud (`SendSms`, signed with TC3-HMAC-SHA256): an approved
    /// template with its signature name, the text as its one parameter; the SecretKey is a
    /// secret (`access_key_secret`).
    SmsTencent {
        secret_id: String,
        sdk_app_id: String,
        sign_name: String,
        template_id: String,
        #[serde(default = "guangzhou")]
        region: String,
        /// Tencent Cloud's endpoint unless given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
    },
    /// WeCom group robots, by group name (a message's recipient); their URLs are secrets.
    WecomRobot {
        #[serde(default)]
        markdown: bool,
    },
    /// DingTalk custom robots, by group name; their URLs and signing secrets are secrets.
    DingtalkRobot {
        #[serde(default)]
        markdown: bool,
    },
    /// Webhooks, signed with the signing secrets (`whsec_…`; two during a rotation).
    Webhook {},
}

impl Gateway {
    /// The channel this gateway serves.
    pub fn channel(&self) -> &'static str {
        match self {
            Gateway::Smtp { .. } => "email",
            Gateway::SmsHttp { .. } | Gateway::SmsAliyun { .. } | Gateway::SmsTencent { .. } => "sms",
            Gateway::WecomRobot { .. } | Gateway::DingtalkRobot { .. } => "im",
            Gateway::Webhook {} => "webhook",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    Tls,
    Starttls,
    None,
}

/// A reply is a success when the JSON value at `pointer` (RFC 6901), as text, is `equals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Success {
    pub pointer: String,
    pub equals: String,
}

/// From `from` to `to` (`HH:MM`, local; past midnight when `to` is earlier) in `zone`
/// (the app's zone when absent), nothing leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub from: String,
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

/// A channel's secrets, sealed together. Given with the settings, they replace those
/// stored; left out, those stored stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Secrets {
    /// SMTP's password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// An Alibaba Cloud access key's secret, or a Tencent Cloud SecretKey.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_secret: Option<String>,
    /// An SMS gateway's headers (`Authorization`…), by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Group robots by group name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub robots: BTreeMap<String, Robot>,
    /// Webhook signing secrets (`whsec_<base64>`): every message is signed with each, so a
    /// receiver may move from one to the next.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signing: Vec<String>,
}

impl Secrets {
    /// Which secrets are set, without their values: what the API shows.
    pub fn shown(&self) -> Value {
        serde_json::json!({
            "password": self.password.is_some(),
            "access_key_secret": self.access_key_secret.is_some(),
            "headers": self.headers.keys().collect::<Vec<_>>(),
            "robots": self.robots.keys().collect::<Vec<_>>(),
            "signing": self.signing.len(),
        })
    }
}

/// A group robot: its webhook URL (with its key) and, for DingTalk, its signing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Robot {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// A channel as configured: its settings and its secrets (opened).
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub settings: Settings,
    pub secrets: Secrets,
}

impl QuietHours {
    /// When the quiet hours around `now` end, if `now` falls in them; `zone` is the app's,
    /// used unless the quiet hours name their own.
    pub fn ends_after(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        zone: chrono_tz::Tz,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        use chrono::{NaiveTime, TimeZone};
        let zone = self.zone.as_deref().and_then(|z| z.parse().ok()).unwrap_or(zone);
        let from = NaiveTime::parse_from_str(&self.from, "%H:%M").ok()?;
        let to = NaiveTime::parse_from_str(&self.to, "%H:%M").ok()?;
        let local = now.with_timezone(&zone);
        let time = local.time();
        let quiet = if from < to { from <= time && time < to } else { time >= from || time < to };
        if !quiet {
            return None;
        }
        // The end is today's `to`, or tomorrow's when it is still ahead past midnight.
        let day = if time < to { local.date_naive() } else { local.date_naive() + chrono::Duration::days(1) };
        let end = day.and_time(to);
        // A `to` in a gap of daylight saving time ends at the first instant after it.
        let end = zone
            .from_local_datetime(&end)
            .earliest()
            .or_else(|| zone.from_local_datetime(&(end + chrono::Duration::hours(1))).earliest())?;
        Some(end.to_utc())
    }
}
