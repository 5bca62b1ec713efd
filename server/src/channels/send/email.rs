//! E-mail over SMTP (lettre, TLS by rustls): plain text in UTF-8, the subject encoded as
//! RFC 2047 says, the Message-ID made from the outbox id so a receiver can tell a repeat.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::SmtpTransport;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message as Mail, Transport};

use super::{Message, TIMEOUT};
use crate::channels::Security;

/// Where and how e-mail is handed over.
pub(super) struct Server<'a> {
    pub host: &'a str,
    pub port: u16,
    pub security: Security,
    pub login: Option<(&'a str, &'a str)>,
    pub from: &'a str,
}

pub(super) fn send(server: Server, message: &Message) -> Result<(), String> {
    let from: Mailbox = server.from.parse().map_err(|e| format!("the sender `{}`: {e}", server.from))?;
    let to: Mailbox =
        message.recipient.parse().map_err(|_| format!("`{}` is not an e-mail address", message.recipient))?;
    let domain = from.email.domain().to_owned();
    let mail = Mail::builder()
        .from(from)
        .to(to)
        .subject(message.subject.unwrap_or_default())
        .message_id(Some(format!("<trellis-outbox-{}@{domain}>", message.id)))
        .header(ContentType::TEXT_PLAIN)
        .body(message.text.to_owned())
        .map_err(|e| format!("the e-mail cannot be written: {e}"))?;
    let builder = match server.security {
        Security::Tls => SmtpTransport::relay(server.host),
        Security::Starttls => SmtpTransport::starttls_relay(server.host),
        Security::None => Ok(SmtpTransport::builder_dangerous(server.host)),
    }
    .map_err(|e| format!("the SMTP server `{}`: {e}", server.host))?;
    let mut builder = builder.port(server.port).timeout(Some(TIMEOUT));
    if let Some((user, password)) = server.login {
        builder = builder.credentials(Credentials::new(user.to_owned(), password.to_owned()));
    }
    builder.build().send(&mail).map(drop).map_err(|e| format!("the SMTP server `{}` refused: {e}", server.host))
}
