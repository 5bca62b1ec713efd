//! Channels as stored (`trellis_channels`): the settings as JSON, the secrets sealed for
//! their app and channel.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query};

use super::secrets::Sealer;
use super::{Channel, Secrets, Settings};
use crate::db::Table;
use crate::db::codec::datetime;
use crate::error::{ConflictCode, Error};

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// What a sealed secret is bound to: its app and channel.
fn bound_to(app: &str, channel: &str) -> String {
    format!("{app}/{channel}")
}

fn no_key() -> Error {
    Error::Conflict {
        code: ConflictCode::no_secret_key,
        detail: "this server has no key for secrets: start it with TRELLIS_SECRET_KEY (32 random bytes in base64) \
                 or TRELLIS_SECRET_KEY_FILE"
            .to_owned(),
    }
}

/// Stores `channel` as the app's gateway for `name`, its secrets sealed (refused when there
/// are secrets and the server has no key).
pub async fn put(
    c: &impl ConnectionTrait,
    sealer: Option<&Sealer>,
    (app, name, by): (&str, &str, &str),
    channel: &Channel,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let sealed = if channel.secrets == Secrets::default() {
        None
    } else {
        let sealer = sealer.ok_or_else(no_key)?;
        let plain = serde_json::to_string(&channel.secrets).map_err(anyhow::Error::from)?;
        Some(sealer.seal(&plain, &bound_to(app, name)).map_err(|e| anyhow::anyhow!("sealing: {e}"))?)
    };
    let settings = serde_json::to_string(&channel.settings).map_err(anyhow::Error::from)?;
    let stamp = datetime(now, c.get_database_backend());
    let stmt = Query::insert()
        .into_table(Table::Channels)
        .columns(["app", "channel", "settings", "sealed", "updated_by", "updated_at"].map(a))
        .values([app.into(), name.into(), settings.into(), sealed.into(), by.into(), stamp.into()])
        .map_err(|e| anyhow::anyhow!(e))?
        .on_conflict(
            OnConflict::columns([a("app"), a("channel")])
                .update_columns(["settings", "sealed", "updated_by", "updated_at"].map(a))
                .to_owned(),
        )
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// The app's gateway for channel `name`, its secrets opened.
pub async fn get(
    c: &impl ConnectionTrait,
    sealer: Option<&Sealer>,
    app: &str,
    name: &str,
) -> Result<Option<Channel>, Error> {
    Ok(all(c, sealer, app, Some(name)).await?.pop().map(|(_, channel)| channel))
}

/// The app's gateways (only `name`'s when given), by channel.
pub async fn all(
    c: &impl ConnectionTrait,
    sealer: Option<&Sealer>,
    app: &str,
    name: Option<&str>,
) -> Result<Vec<(String, Channel)>, Error> {
    let mut stmt = Query::select();
    stmt.columns(["channel", "settings", "sealed"].map(a))
        .from(Table::Channels)
        .and_where(Expr::col(a("app")).eq(app))
        .order_by(a("channel"), Order::Asc);
    if let Some(name) = name {
        stmt.and_where(Expr::col(a("channel")).eq(name));
    }
    let mut found = Vec::new();
    for row in c.query_all(&stmt).await? {
        let (channel, settings, sealed): (String, String, Option<String>) =
            (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        let settings: Settings = serde_json::from_str(&settings)
            .map_err(|e| anyhow::anyhow!("the stored settings of channel `{channel}` of `{app}`: {e}"))?;
        let secrets = match sealed {
            None => Secrets::default(),
            Some(sealed) => {
                let sealer = sealer.ok_or_else(no_key)?;
                let plain = sealer
                    .open(&sealed, &bound_to(app, &channel))
                    .map_err(|e| anyhow::anyhow!("the secrets of channel `{channel}` of `{app}`: {e}"))?;
                serde_json::from_str(&plain).map_err(|e| anyhow::anyhow!("the secrets of `{channel}`: {e}"))?
            }
        };
        found.push((channel, Channel { settings, secrets }));
    }
    Ok(found)
}

/// Removes the app's gateway for `name`; whether there was one.
pub async fn delete(c: &impl ConnectionTrait, app: &str, name: &str) -> Result<bool, Error> {
    let stmt = Query::delete()
        .from_table(Table::Channels)
        .and_where(Expr::col(a("app")).eq(app))
        .and_where(Expr::col(a("channel")).eq(name))
        .to_owned();
    Ok(c.execute(&stmt).await?.rows_affected() > 0)
}
