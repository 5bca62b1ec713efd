//! Counting sign-in attempts per user name in the database (`trellis_sign_in_attempts`),
//! atomically, so the lockout holds however the guesses arrive: in parallel, or spread
//! over several servers sharing the database.
//!
//! An attempt is counted *before* its password is checked: one `UPDATE … SET failures =
//! failures + 1 … RETURNING failures` reserves it, and only the first [`MAX_FAILURES`]
//! reservations since the last success are checked at all. The reservation that reaches
//! the limit locks the name for [`LOCKOUT`]; a right password clears the count. Names
//! nobody has are counted and locked the same way, so neither the answer nor its timing
//! tells an attacker which names exist.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};

use crate::db::Table;
use crate::records::codec::{datetime, decode};

/// Wrong passwords in a row before a user name is locked.
pub const MAX_FAILURES: i64 = 5;
/// How long a locked user name waits.
pub const LOCKOUT: Duration = Duration::minutes(15);
/// Counts of names not tried for this long are forgotten.
const FORGET_AFTER: Duration = Duration::days(1);

const TABLE: Table = Table::SignInAttempts;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// What a reservation found.
pub enum Reserved {
    /// This attempt may check its password.
    Check,
    /// The name is locked until then; the password is not checked.
    Locked(DateTime<Utc>),
}

/// Reserves an attempt for `username` at `now`.
pub async fn reserve(c: &impl ConnectionTrait, username: &str, now: DateTime<Utc>) -> Result<Reserved, DbErr> {
    let backend = c.get_database_backend();
    let seed = Query::insert()
        .into_table(TABLE)
        .columns(["username", "failures", "last_at"].map(a))
        .values([username.into(), 0i64.into(), datetime(now, backend).into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::column(a("username")).do_nothing().to_owned())
        .to_owned();
    c.execute(&seed).await?;
    // A lock that has run out starts the count again.
    let expired =
        Expr::col(a("locked_until")).is_not_null().and(Expr::col(a("locked_until")).lte(datetime(now, backend)));
    let counted = Query::update()
        .table(TABLE)
        .value(a("failures"), Expr::case(expired.clone(), Expr::val(1i64)).finally(Expr::col(a("failures")).add(1i64)))
        .value(a("locked_until"), Expr::case(expired, Expr::cust("NULL")).finally(Expr::col(a("locked_until"))))
        .value(a("last_at"), datetime(now, backend))
        .and_where(Expr::col(a("username")).eq(username))
        .and_where(Expr::col(a("locked_until")).is_null().or(Expr::col(a("locked_until")).lte(datetime(now, backend))))
        .returning_col(a("failures"))
        .to_owned();
    let Some(row) = c.query_one(&counted).await? else {
        return Ok(Reserved::Locked(locked_until(c, username).await?.unwrap_or(now + LOCKOUT)));
    };
    let failures: i64 = row.try_get_by_index(0)?;
    if failures > MAX_FAILURES {
        // Reserved after the limit by a request racing the one that locked.
        return Ok(Reserved::Locked(now + LOCKOUT));
    }
    if failures == MAX_FAILURES {
        let lock = Query::update()
            .table(TABLE)
            .value(a("locked_until"), datetime(now + LOCKOUT, backend))
            .value(a("failures"), 0i64)
            .and_where(Expr::col(a("username")).eq(username))
            .to_owned();
        c.execute(&lock).await?;
    }
    Ok(Reserved::Check)
}

async fn locked_until(c: &impl ConnectionTrait, username: &str) -> Result<Option<DateTime<Utc>>, DbErr> {
    let stmt = Query::select()
        .column(a("locked_until"))
        .from(TABLE)
        .and_where(Expr::col(a("username")).eq(username))
        .to_owned();
    let Some(row) = c.query_one(&stmt).await? else { return Ok(None) };
    Ok(match decode(&row, 0, &engine_form::StorageType::DateTime, c.get_database_backend())? {
        engine_form::FieldValue::DateTime(t) => Some(t),
        _ => None,
    })
}

/// A right password: the name's count and any lock it earned are cleared. Also an
/// administrator's unlock.
pub async fn clear(c: &impl ConnectionTrait, username: &str) -> Result<bool, DbErr> {
    let stmt = Query::delete().from_table(TABLE).and_where(Expr::col(a("username")).eq(username)).to_owned();
    Ok(c.execute(&stmt).await?.rows_affected() > 0)
}

/// Whether `username` is locked at `now`.
pub async fn is_locked(c: &impl ConnectionTrait, username: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    Ok(locked_until(c, username).await?.is_some_and(|t| t > now))
}

/// Forgets the counts of names nobody has tried for a day (and that are not locked), so
/// a spray of made-up names does not fill the table.
pub async fn forget_old(c: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let backend = c.get_database_backend();
    let stmt = Query::delete()
        .from_table(TABLE)
        .and_where(Expr::col(a("last_at")).lt(datetime(now - FORGET_AFTER, backend)))
        .and_where(Expr::col(a("locked_until")).is_null().or(Expr::col(a("locked_until")).lte(datetime(now, backend))))
        .to_owned();
    Ok(c.execute(&stmt).await?.rows_affected())
}
