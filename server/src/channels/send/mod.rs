//! Sending one outbox message through its channel's gateway, blocking (the outbox runs it
//! on a blocking thread): `Ok` when the gateway took it, else why not, which the outbox
//! keeps as the attempt's error and retries. An error never holds a secret: a gateway's
//! address is named without its query (where robots keep their keys).

pub mod aliyun;
mod email;
mod http;
pub mod tencent;

use std::time::Duration;

use super::{Channel, Gateway};

/// How long a gateway has to answer.
pub(super) const TIMEOUT: Duration = Duration::from_secs(10);

/// One message as it leaves.
pub struct Message<'a> {
    /// The outbox id: a webhook's `webhook-id`, an e-mail's Message-ID.
    pub id: i64,
    /// A mobile, an e-mail address, a robot's group name or a webhook's URL.
    pub recipient: &'a str,
    /// An e-mail's subject line.
    pub subject: Option<&'a str>,
    /// The text of an SMS, an e-mail or an IM message.
    pub text: &'a str,
    /// A webhook's JSON body, exactly as signed.
    pub body: &'a str,
}

/// Sends `message` on `channel` (`email`, `sms`, `im` or `webhook`) through `gateway`
/// (a webhook may go without one: unsigned).
pub fn send(channel: &str, gateway: Option<&Channel>, message: &Message) -> Result<(), String> {
    let missing = || format!("no gateway for the `{channel}` channel is configured");
    match (channel, gateway) {
        ("webhook", gateway) => http::webhook(message, gateway.map(|g| g.secrets.signing.as_slice()).unwrap_or(&[])),
        (_, None) => Err(missing()),
        (_, Some(Channel { settings, secrets })) => match &settings.gateway {
            Gateway::Smtp { host, port, security, username, from } => {
                let login = username.as_deref().zip(secrets.password.as_deref());
                email::send(email::Server { host, port: *port, security: *security, login, from }, message)
            }
            Gateway::SmsHttp { url, body, success } => {
                http::sms(http::Gateway { url, headers: &secrets.headers, body, success: success.as_ref() }, message)
            }
            Gateway::SmsAliyun { access_key_id, sign_name, template_code, param, endpoint } => aliyun::send(
                aliyun::Account {
                    endpoint: endpoint.as_deref().unwrap_or(crate::channels::ALIYUN_SMS),
                    access_key_id,
                    access_key_secret: secrets.access_key_secret.as_deref().unwrap_or_default(),
                    sign_name,
                    template_code,
                    param,
                },
                message,
            ),
            Gateway::SmsTencent { secret_id, sdk_app_id, sign_name, template_id, region, endpoint } => tencent::send(
                tencent::Account {
                    endpoint: endpoint.as_deref().unwrap_or(crate::channels::TENCENT_SMS),
                    secret_id,
                    secret_key: secrets.access_key_secret.as_deref().unwrap_or_default(),
                    sdk_app_id,
                    sign_name,
                    template_id,
                    region,
                },
                message,
            ),
            Gateway::WecomRobot { markdown } => http::wecom(robot(secrets, message)?, *markdown, message),
            Gateway::DingtalkRobot { markdown } => http::dingtalk(robot(secrets, message)?, *markdown, message),
            Gateway::Webhook {} => Err(missing()),
        },
    }
}

/// The robot of the message's group, or of `*` (every group not named).
fn robot<'a>(secrets: &'a super::Secrets, message: &Message) -> Result<&'a super::Robot, String> {
    secrets
        .robots
        .get(message.recipient)
        .or_else(|| secrets.robots.get("*"))
        .ok_or_else(|| format!("no robot for the group `{}`", message.recipient))
}

/// Whether `url` is under one of the prefixes of `TRELLIS_WEBHOOK_ALLOW` (or it is unset):
/// where HTTP messages may go.
pub fn allowed(url: &str) -> bool {
    match std::env::var("TRELLIS_WEBHOOK_ALLOW") {
        Err(_) => true,
        Ok(list) => list.split(',').map(str::trim).any(|prefix| !prefix.is_empty() && url.starts_with(prefix)),
    }
}

/// `url` without its query and fragment: how an error names it.
fn shown(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or_default()
}
