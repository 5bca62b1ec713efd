//! What a person does with their own credentials, each one domain operation, audited:
//! signing in (rate limited, counted), signing out, changing their password, and making,
//! revoking and confirming API tokens.

use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde_json::json;

use super::throttle::{Limits, Throttle};
use super::{Principal, SignedIn, credentials, sessions, tokens};
use crate::audit::{self, Actor, Entry};
use crate::core::Core;
use crate::error::Error;

/// A sign-in as it arrives: the name and password typed, and where from.
pub struct Attempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The client's address, if known.
    pub address: Option<&'a str>,
}

/// Signs a person in: rate limited per name and per address (in this server's memory, by
/// real time: a virtual clock standing still must not stop every sign-in), then counted
/// and checked (`sessions::sign_in`); audited either way, a spray refused by the rate
/// limit only logged (it would otherwise write a row per request).
pub async fn sign_in(
    core: &Core,
    (throttle, limits): (&Throttle, &Limits),
    attempt: &Attempt<'_>,
    actor: &Actor,
) -> Result<SignedIn, Error> {
    let (by_name, by_address) =
        (format!("name:{}", attempt.username), format!("address:{}", attempt.address.unwrap_or_default()));
    let keys = [(by_name.as_str(), limits.per_name), (by_address.as_str(), limits.per_address)];
    if let Err(wait) = throttle.attempt(&keys, std::time::Instant::now()) {
        tracing::warn!(address = attempt.address, "sign-in attempts rate limited");
        return Err(Error::TooManyRequests {
            detail: format!("too many sign-in attempts; try again in {wait} s"),
            retry_after: wait,
        });
    }
    let now = core.clock.now();
    let outcome =
        sessions::sign_in(&core.db.conn, attempt.username, attempt.password, attempt.address, super::wall_now()).await;
    let actor = Actor { name: attempt.username.to_owned(), via: "session", ..actor.clone() };
    let (action, detail) = match &outcome {
        Ok(_) => ("auth.login", json!({})),
        Err(e) => ("auth.login_failed", json!({ "problem": e.code() })),
    };
    audit::write(&core.db.conn, &actor, Entry::platform(action, detail), now).await?;
    outcome
}

/// Ends the session `principal` signed in with.
pub async fn sign_out(core: &Core, principal: &Principal, actor: &Actor) -> Result<(), Error> {
    let now = core.clock.now();
    sessions::logout(&core.db.conn, &principal.session, super::wall_now()).await?;
    audit::write(&core.db.conn, actor, Entry::platform("auth.logout", json!({})), now).await?;
    Ok(())
}

/// Changes `principal`'s own password (`sessions::change_password`); audited with what it
/// ended, or why it was refused.
pub async fn change_password(
    core: &Core,
    (principal, actor): (&Principal, &Actor),
    (current, new): (&str, &str),
) -> Result<(), Error> {
    let now = core.clock.now();
    let outcome = sessions::change_password(&core.db.conn, principal, current, new, super::wall_now()).await;
    let (action, detail) = match &outcome {
        Ok(ended) => ("auth.password_changed", json!({ "ended": ended })),
        Err(e) => ("auth.password_change_failed", json!({ "problem": e.code() })),
    };
    audit::write(&core.db.conn, actor, Entry::platform(action, detail), now).await?;
    outcome.map(drop)
}

/// A token asked for: its name, app, `read` or `write`, and days to live.
pub struct TokenAsked<'a> {
    pub name: &'a str,
    pub app: &'a str,
    pub access: &'a str,
    pub days: i64,
}

/// Makes an API token for `principal`: its id, the token (to be shown once) and when it
/// expires.
pub async fn make_token(
    core: &Core,
    (principal, actor): (&Principal, &Actor),
    asked: &TokenAsked<'_>,
) -> Result<(i64, String, DateTime<Utc>), Error> {
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    let made =
        tokens::create(&tx, principal, asked.name, asked.app, asked.access, asked.days, super::wall_now()).await?;
    let detail =
        json!({ "token_id": made.0, "name": asked.name, "access": asked.access, "expires_in_days": asked.days });
    audit::write(&tx, actor, Entry::app("token.create", asked.app, detail), now).await?;
    tx.commit().await?;
    Ok(made)
}

/// Revokes token `id` of `principal`'s (any, for an administrator).
pub async fn revoke_token(core: &Core, (principal, actor): (&Principal, &Actor), id: i64) -> Result<(), Error> {
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    tokens::revoke(&tx, principal, id, super::wall_now()).await?;
    audit::write(&tx, actor, Entry::platform("token.revoke", json!({ "token_id": id })), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Takes suspended token `id` of `principal`'s back into use (`credentials::confirm`).
pub async fn confirm_token(core: &Core, (principal, actor): (&Principal, &Actor), id: i64) -> Result<(), Error> {
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    credentials::confirm(&tx, principal.user_id, id).await?;
    audit::write(&tx, actor, Entry::platform("token.confirm", json!({ "token_id": id })), now).await?;
    tx.commit().await?;
    Ok(())
}
