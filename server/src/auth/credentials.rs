//! What a user's credentials granted, and how it ends. A password changed by its owner
//! ends their other sessions; reset by an administrator, all of them. Either way the API
//! tokens made by an ended session are *suspended*: a token made with a stolen session must
//! not outlive the reset, while the owner's own integrations come back as soon as the owner,
//! signed in with the new password, confirms them (`confirm`). A disabled user's sessions
//! and tokens end for good: enabling them again brings none back. An administrator lists a
//! user's sessions and tokens and can end them all at once.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Order, Query};
use serde_json::{Value, json};

use crate::db::Table;
use crate::db::codec::{datetime, decode};
use crate::error::{ConflictCode, Error};

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// What a change of credentials ended.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Ended {
    pub sessions: u64,
    pub tokens_suspended: u64,
    pub tokens_revoked: u64,
}

/// Live sessions of `user_id`, except `keep` (a session's token hash).
fn live_sessions(user_id: i64, keep: Option<&str>) -> Cond {
    let mut cond = Cond::all().add(Expr::col(a("user_id")).eq(user_id)).add(Expr::col(a("revoked_at")).is_null());
    if let Some(keep) = keep {
        cond = cond.add(Expr::col(a("token_hash")).ne(keep));
    }
    cond
}

async fn end_sessions(c: &impl ConnectionTrait, at: Cond, now: DateTime<Utc>) -> Result<u64, Error> {
    let stmt = Query::update()
        .table(Table::Sessions)
        .value(a("revoked_at"), datetime(now, c.get_database_backend()))
        .cond_where(at)
        .to_owned();
    Ok(c.execute(&stmt).await?.rows_affected())
}

/// The password of `user_id` changed (by them, from the session `kept`, which goes on; or
/// reset by an administrator, `None`): every other session ends, and every live token not
/// made by the kept session is suspended until its owner confirms it.
pub async fn changed(
    c: &impl ConnectionTrait,
    user_id: i64,
    kept: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Ended, Error> {
    let sessions = end_sessions(c, live_sessions(user_id, kept), now).await?;
    let mut made_elsewhere = Cond::any().add(Expr::col(a("session_hash")).is_null());
    if let Some(kept) = kept {
        made_elsewhere = made_elsewhere.add(Expr::col(a("session_hash")).ne(kept));
    }
    let suspend = Query::update()
        .table(Table::ApiTokens)
        .value(a("suspended_at"), datetime(now, c.get_database_backend()))
        .and_where(Expr::col(a("user_id")).eq(user_id))
        .and_where(Expr::col(a("revoked_at")).is_null())
        .and_where(Expr::col(a("suspended_at")).is_null())
        .cond_where(if kept.is_some() { made_elsewhere } else { Cond::all() })
        .to_owned();
    let tokens_suspended = c.execute(&suspend).await?.rows_affected();
    Ok(Ended { sessions, tokens_suspended, tokens_revoked: 0 })
}

/// Every session and token of `user_id` ends for good: the user is disabled, or an
/// administrator shuts them out.
pub async fn end_all(c: &impl ConnectionTrait, user_id: i64, now: DateTime<Utc>) -> Result<Ended, Error> {
    let sessions = end_sessions(c, live_sessions(user_id, None), now).await?;
    let revoke = Query::update()
        .table(Table::ApiTokens)
        .value(a("revoked_at"), datetime(now, c.get_database_backend()))
        .and_where(Expr::col(a("user_id")).eq(user_id))
        .and_where(Expr::col(a("revoked_at")).is_null())
        .to_owned();
    let tokens_revoked = c.execute(&revoke).await?.rows_affected();
    Ok(Ended { sessions, tokens_suspended: 0, tokens_revoked })
}

/// Ends session `id` of `user_id`; whether it was live.
pub async fn end_session(c: &impl ConnectionTrait, user_id: i64, id: i64, now: DateTime<Utc>) -> Result<bool, Error> {
    Ok(end_sessions(c, live_sessions(user_id, None).add(Expr::col(a("id")).eq(id)), now).await? == 1)
}

/// The owner of suspended token `id`, signed in, takes it back into use: 404 unless it is
/// a live token of theirs, 409 if it is not suspended (any more).
pub async fn confirm(c: &impl ConnectionTrait, user_id: i64, id: i64) -> Result<(), Error> {
    let theirs = Cond::all()
        .add(Expr::col(a("id")).eq(id))
        .add(Expr::col(a("user_id")).eq(user_id))
        .add(Expr::col(a("revoked_at")).is_null());
    let stmt = Query::update()
        .table(Table::ApiTokens)
        .value(a("suspended_at"), Expr::cust("NULL"))
        .cond_where(theirs.clone())
        .and_where(Expr::col(a("suspended_at")).is_not_null())
        .to_owned();
    if c.execute(&stmt).await?.rows_affected() == 1 {
        return Ok(());
    }
    let live = Query::select().expr(Expr::val(1)).from(Table::ApiTokens).cond_where(theirs).to_owned();
    if c.query_one(&live).await?.is_some() {
        return Err(Error::Conflict {
            code: ConflictCode::not_suspended,
            detail: format!("token {id} is in use: nothing to confirm"),
        });
    }
    Err(Error::not_found(format!("no live token {id} of yours")))
}

/// The live sessions of `user_id`, newest first: when each began and ends, and the
/// address it signed in from; never the token.
pub async fn sessions(c: &impl ConnectionTrait, user_id: i64, now: DateTime<Utc>) -> Result<Vec<Value>, Error> {
    let backend = c.get_database_backend();
    let stmt = Query::select()
        .columns(["id", "created_at", "expires_at", "address"].map(a))
        .from(Table::Sessions)
        .cond_where(live_sessions(user_id, None))
        .and_where(Expr::col(a("expires_at")).gt(datetime(now, backend)))
        .order_by(a("id"), Order::Desc)
        .to_owned();
    let instant = |row: &sea_orm::QueryResult, i: usize| -> Result<Value, Error> {
        Ok(decode(row, i, &engine_form::StorageType::DateTime, backend)?.to_json())
    };
    let mut out = Vec::new();
    for row in c.query_all(&stmt).await? {
        out.push(json!({
            "id": row.try_get_by_index::<i64>(0)?,
            "created_at": instant(&row, 1)?,
            "expires_at": instant(&row, 2)?,
            "address": row.try_get_by_index::<Option<String>>(3)?,
        }));
    }
    Ok(out)
}
