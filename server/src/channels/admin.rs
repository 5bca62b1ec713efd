//! What an administrator does with an app's channels, each audited without its secrets:
//! list them, set one, remove one, send a test message through one.

use serde_json::{Value, json};

use super::{CHANNELS, Channel, store};
use crate::audit::{self, Actor, Entry};
use crate::core::Core;
use crate::error::Error;

/// A channel as the API shows it: its settings, and which secrets are set.
fn shown(name: &str, channel: &Channel) -> Value {
    let mut shown = serde_json::to_value(&channel.settings).unwrap_or_default();
    shown["channel"] = json!(name);
    shown["secrets"] = channel.secrets.shown();
    shown
}

async fn known_app(core: &Core, app: &str) -> Result<(), Error> {
    match crate::meta::find_app(&core.db.conn, app).await? {
        Some(_) => Ok(()),
        None => Err(Error::not_found(format!("no app `{app}`"))),
    }
}

async fn known(core: &Core, app: &str, channel: &str) -> Result<(), Error> {
    known_app(core, app).await?;
    if !CHANNELS.contains(&channel) {
        return Err(Error::not_found(format!("no channel `{channel}`: email, sms, im or webhook")));
    }
    Ok(())
}

/// The app's channels with their gateways, by channel.
pub async fn list(core: &Core, app: &str) -> Result<Vec<Value>, Error> {
    known_app(core, app).await?;
    let all = store::all(&core.db.conn, core.sealer.as_deref(), app, None).await?;
    Ok(all.iter().map(|(name, channel)| shown(name, channel)).collect())
}

/// Sets the app's gateway for `channel` from `body` (secrets left out stay as they were).
pub async fn configure(core: &Core, actor: &Actor, (app, channel): (&str, &str), body: &Value) -> Result<Value, Error> {
    known(core, app, channel).await?;
    let tx = sea_orm::TransactionTrait::begin(&core.db.conn).await?;
    let stored = store::get(&tx, core.sealer.as_deref(), app, channel).await?;
    let checked = super::check(channel, body, stored.as_ref().map(|c| &c.secrets)).map_err(Error::InvalidRecord)?;
    let now = core.clock.now();
    store::put(&tx, core.sealer.as_deref(), (app, channel, &actor.name), &checked, now).await?;
    let detail = json!({ "channel": channel, "settings": checked.settings, "secrets": checked.secrets.shown(),
        "secrets_changed": body.get("secrets").is_some() });
    audit::write(&tx, actor, Entry::app("channel.configure", app, detail), now).await?;
    tx.commit().await?;
    Ok(shown(channel, &checked))
}

/// Removes the app's gateway for `channel`: its messages are undeliverable from now on.
pub async fn remove(core: &Core, actor: &Actor, (app, channel): (&str, &str)) -> Result<(), Error> {
    known(core, app, channel).await?;
    let tx = sea_orm::TransactionTrait::begin(&core.db.conn).await?;
    if !store::delete(&tx, app, channel).await? {
        return Err(Error::not_found(format!("app `{app}` has no gateway for the `{channel}` channel")));
    }
    audit::write(&tx, actor, Entry::app("channel.remove", app, json!({ "channel": channel })), core.clock.now())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends `text` to `to` through the app's gateway for `channel` now: whether it was taken.
pub async fn test(
    core: &Core,
    actor: &Actor,
    (app, channel): (&str, &str),
    (to, text): (&str, &str),
) -> Result<Value, Error> {
    known(core, app, channel).await?;
    let outcome = crate::outbox::test_send(core, app, channel, to, text).await?;
    let shown_to = crate::outbox::shown_recipient(channel, json!(to));
    let answer = match &outcome {
        Ok(()) => json!({ "delivered": true }),
        Err(error) => json!({ "delivered": false, "error": error }),
    };
    let detail = json!({ "channel": channel, "to": shown_to, "outcome": answer });
    audit::write(&core.db.conn, actor, Entry::app("channel.test", app, detail), core.clock.now()).await?;
    Ok(answer)
}
