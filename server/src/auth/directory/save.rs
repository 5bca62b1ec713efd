//! Changing the directory as one audited change: an import, a unit or a user, checked
//! against the roles each named app publishes, applied in one transaction with its audit
//! entry (which never holds a password); and unlocking a locked user name.

use sea_orm::TransactionTrait;
use serde_json::json;

use super::Import;
use crate::audit::{self, Actor, Entry};
use crate::core::Core;
use crate::error::Error;

/// What an import wrote, for the audit trail: never passwords.
pub fn summary(import: &Import) -> serde_json::Value {
    json!({
        "org_units": import.org_units.iter().map(|u| &u.key).collect::<Vec<_>>(),
        "users": import.users.iter().map(|u| json!({ "username": u.username, "platform_role": u.platform_role,
            "org_unit": u.org_unit, "app_roles": u.app_roles, "password_set": u.password.is_some(), "disabled": u.disabled }))
            .collect::<Vec<_>>(),
    })
}

/// Applies `import` as `actor`, audited as `action` (`directory.import`, `user.save`…)
/// with what ended for whom; how many units and users it wrote.
pub async fn save(core: &Core, actor: &Actor, import: Import, action: &str) -> Result<(usize, usize), Error> {
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    // The roles each named app defines in its published version.
    let mut roles = std::collections::BTreeMap::new();
    for app in import.users.iter().flat_map(|u| u.app_roles.iter().flat_map(|r| r.keys())) {
        if let Ok(published) = core.catalog.published(&tx, app).await {
            roles.insert(app.clone(), published.roles.iter().map(|r| r.key.clone()).collect());
        }
    }
    // Passwords set and sessions ended on the credentials' clock.
    let written = super::import(&tx, &import, &roles, crate::auth::wall_now()).await?;
    let mut detail = summary(&import);
    if !written.ended.is_empty() {
        detail["ended"] = written.ended.iter().map(|(user, ended)| (user.clone(), json!(ended))).collect();
    }
    audit::write(&tx, actor, Entry::platform(action, detail), now).await?;
    tx.commit().await?;
    Ok((written.units, written.users))
}

/// Sets the language user `user_id` reads Trellis in (`None`: texts as written), audited
/// as `actor`'s; a language Trellis does not speak is refused at `/language`.
pub async fn set_language(core: &Core, actor: &Actor, user_id: i64, language: Option<&str>) -> Result<(), Error> {
    if let Some(language) = language
        && !engine_rule::LANGUAGES.contains(&language)
    {
        let message = format!("`{language}` is not {}", engine_rule::LANGUAGES.join(", "));
        return Err(Error::InvalidRecord(vec![engine_form::FieldError::new("/language", "bad_language", message)]));
    }
    set_own(core, actor, user_id, ("language", language)).await
}

/// Sets a user's own time zone (an IANA name such as `Asia/Shanghai`, or none for the
/// app's), audited.
pub async fn set_time_zone(core: &Core, actor: &Actor, user_id: i64, zone: Option<&str>) -> Result<(), Error> {
    if let Some(zone) = zone
        && zone.parse::<chrono_tz::Tz>().is_err()
    {
        let message = format!("`{zone}` is not an IANA time zone such as Asia/Shanghai");
        return Err(Error::InvalidRecord(vec![engine_form::FieldError::new("/time_zone", "bad_time_zone", message)]));
    }
    set_own(core, actor, user_id, ("time_zone", zone)).await
}

/// Sets a user's own `column` (`language`, `time_zone`), audited as `user.<column>`.
async fn set_own(core: &Core, actor: &Actor, user_id: i64, (column, value): (&str, Option<&str>)) -> Result<(), Error> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    let stmt = Query::update()
        .table(crate::db::Table::Users)
        .value(Alias::new(column), value)
        .and_where(Expr::col(Alias::new("id")).eq(user_id))
        .to_owned();
    sea_orm::ConnectionTrait::execute(&tx, &stmt).await?;
    audit::write(&tx, actor, Entry::platform(&format!("user.{column}"), json!({ column: value })), now).await?;
    tx.commit().await?;
    Ok(())
}

/// What a user's own screen shows of them: their time zone, if they chose one, and the
/// name people know them by, if the directory gives one.
pub async fn own_settings(
    c: &impl sea_orm::ConnectionTrait,
    user_id: i64,
) -> Result<(Option<String>, Option<String>), Error> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let stmt = Query::select()
        .columns([Alias::new("time_zone"), Alias::new("display_name")])
        .from(crate::db::Table::Users)
        .and_where(Expr::col(Alias::new("id")).eq(user_id))
        .to_owned();
    Ok(match c.query_one(&stmt).await? {
        Some(row) => (row.try_get_by_index(0)?, row.try_get_by_index(1)?),
        None => (None, None),
    })
}

/// Unlocks user name `username` before its lockout ends, audited as `actor`'s; whether it
/// was locked.
pub async fn unlock(core: &Core, actor: &Actor, username: &str) -> Result<bool, Error> {
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    let was_locked = crate::auth::attempts::is_locked(&tx, username, crate::auth::wall_now()).await?;
    crate::auth::attempts::clear(&tx, username).await?;
    let entry = Entry::platform("user.unlock", json!({ "username": username, "was_locked": was_locked }));
    audit::write(&tx, actor, entry, now).await?;
    tx.commit().await?;
    Ok(was_locked)
}

async fn known(c: &impl sea_orm::ConnectionTrait, username: &str) -> Result<i64, Error> {
    super::user_id(c, username).await?.ok_or_else(|| Error::not_found(format!("no user `{username}`")))
}

/// A user's live sessions and their API tokens, for an administrator.
pub async fn sessions(core: &Core, username: &str) -> Result<serde_json::Value, Error> {
    let conn = &core.db.conn;
    let id = known(conn, username).await?;
    let sessions = crate::auth::credentials::sessions(conn, id, crate::auth::wall_now()).await?;
    let tokens = crate::auth::tokens::list(conn, Some(id)).await?;
    Ok(json!({ "username": username, "sessions": sessions, "tokens": tokens }))
}

/// Shuts `username` out at once, audited as `actor`'s: every session of theirs ends and
/// every API token of theirs is revoked. What ended.
pub async fn shut_out(core: &Core, actor: &Actor, username: &str) -> Result<crate::auth::credentials::Ended, Error> {
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    let id = known(&tx, username).await?;
    let ended = crate::auth::credentials::end_all(&tx, id, crate::auth::wall_now()).await?;
    let entry = Entry::platform("user.sessions_ended", json!({ "username": username, "ended": ended }));
    audit::write(&tx, actor, entry, now).await?;
    tx.commit().await?;
    Ok(ended)
}

/// Ends session `session` of `username`, audited as `actor`'s.
pub async fn end_session(core: &Core, actor: &Actor, username: &str, session: i64) -> Result<(), Error> {
    let now = core.clock.now();
    let tx = core.db.conn.begin().await?;
    let id = known(&tx, username).await?;
    if !crate::auth::credentials::end_session(&tx, id, session, crate::auth::wall_now()).await? {
        return Err(Error::not_found(format!("no live session {session} of `{username}`")));
    }
    let entry = Entry::platform("user.session_ended", json!({ "username": username, "session": session }));
    audit::write(&tx, actor, entry, now).await?;
    tx.commit().await?;
    Ok(())
}
