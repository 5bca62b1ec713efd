//! Counting sign-in attempts in the database (`trellis_sign_in_attempts`), atomically, so
//! the lockout holds however the guesses arrive: in parallel, or spread over several
//! servers sharing the database.
//!
//! A lockout must stop a guesser without becoming a way to shut the real user out (OWASP's
//! authentication guidance warns that a per-account lock is a denial of service). So the
//! count is kept per user name *and client address*: [`MAX_FAILURES`] wrong passwords in a
//! row lock that name from that address for [`LOCKOUT`]; the user signing in from their
//! own machine is not affected by a guesser elsewhere. Guesses spread over many addresses
//! are caught by a second count per name, over the addresses that name has never signed in
//! from: [`MAX_NAME_FAILURES`] of them lock the name for [`LOCKOUT`] for every address
//! except those it signed in from in the last [`KNOWN_FOR`] (`trellis_known_addresses`).
//!
//! An attempt is counted *before* its password is checked: one `UPDATE … SET failures =
//! failures + 1 … RETURNING failures` reserves it, and only reservations under the limit
//! are checked at all. A right password clears its address's count. Names nobody has are counted
//! and locked the same way, so neither the answer nor its timing tells which names exist.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};

use crate::db::Table;
use crate::db::codec::{datetime, decode};

/// Wrong passwords in a row for one name from one address before that pair is locked.
pub const MAX_FAILURES: i64 = 5;
/// Wrong passwords in a row for one name from addresses it never signed in from before
/// the name is locked for all of them.
pub const MAX_NAME_FAILURES: i64 = 20;
/// How long a lock lasts.
pub const LOCKOUT: Duration = Duration::minutes(15);
/// How long an address a user signed in from stays theirs.
pub const KNOWN_FOR: Duration = Duration::days(90);
/// Counts of names not tried for this long are forgotten.
const FORGET_AFTER: Duration = Duration::days(1);
/// The address of the count per name over the unknown addresses (no client address is
/// written so).
const ANY_UNKNOWN: &str = "*";

const TABLE: Table = Table::SignInAttempts;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// What a reservation found.
pub enum Reserved {
    /// This attempt may check its password.
    Check,
    /// The name is locked (from this address) until then; the password is not checked.
    Locked(DateTime<Utc>),
}

/// Reserves an attempt for `username` from `address` (empty when the client's address is
/// not known) at `now`.
pub async fn reserve(
    c: &impl ConnectionTrait,
    username: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Reserved, DbErr> {
    if let Reserved::Locked(until) = reserve_one(c, (username, address), MAX_FAILURES, now).await? {
        return Ok(Reserved::Locked(until));
    }
    if is_known(c, username, address, now).await? {
        return Ok(Reserved::Check);
    }
    reserve_one(c, (username, ANY_UNKNOWN), MAX_NAME_FAILURES, now).await
}

/// Counts an attempt under one key, locking it at `limit`.
async fn reserve_one(
    c: &impl ConnectionTrait,
    (username, address): (&str, &str),
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Reserved, DbErr> {
    let backend = c.get_database_backend();
    let seed = Query::insert()
        .into_table(TABLE)
        .columns(["username", "address", "failures", "last_at"].map(a))
        .values([username.into(), address.into(), 0i64.into(), datetime(now, backend).into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::columns([a("username"), a("address")]).do_nothing().to_owned())
        .to_owned();
    c.execute(&seed).await?;
    let key = || Expr::col(a("username")).eq(username).and(Expr::col(a("address")).eq(address));
    // A lock that has run out starts the count again.
    let expired =
        Expr::col(a("locked_until")).is_not_null().and(Expr::col(a("locked_until")).lte(datetime(now, backend)));
    let counted = Query::update()
        .table(TABLE)
        .value(a("failures"), Expr::case(expired.clone(), Expr::val(1i64)).finally(Expr::col(a("failures")).add(1i64)))
        .value(a("locked_until"), Expr::case(expired, Expr::cust("NULL")).finally(Expr::col(a("locked_until"))))
        .value(a("last_at"), datetime(now, backend))
        .cond_where(key())
        .and_where(Expr::col(a("locked_until")).is_null().or(Expr::col(a("locked_until")).lte(datetime(now, backend))))
        .returning_col(a("failures"))
        .to_owned();
    let Some(row) = c.query_one(&counted).await? else {
        let until = Query::select().column(a("locked_until")).from(TABLE).cond_where(key()).to_owned();
        return match c.query_one(&until).await? {
            Some(row) => Ok(Reserved::Locked(instant(&row, backend)?.unwrap_or(now + LOCKOUT))),
            // Forgotten between its seeding and its count (`forget_old`): counted afresh.
            None => Box::pin(reserve_one(c, (username, address), limit, now)).await,
        };
    };
    let failures: i64 = row.try_get_by_index(0)?;
    if failures > limit {
        // Reserved after the limit by a request racing the one that locked.
        return Ok(Reserved::Locked(now + LOCKOUT));
    }
    if failures == limit {
        let lock = Query::update()
            .table(TABLE)
            .value(a("locked_until"), datetime(now + LOCKOUT, backend))
            .value(a("failures"), 0i64)
            .cond_where(key())
            .to_owned();
        c.execute(&lock).await?;
    }
    Ok(Reserved::Check)
}

fn instant(row: &sea_orm::QueryResult, backend: sea_orm::DbBackend) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(match decode(row, 0, &engine_form::StorageType::DateTime, backend)? {
        engine_form::FieldValue::DateTime(t) => Some(t),
        _ => None,
    })
}

/// Whether `username` signed in from `address` within [`KNOWN_FOR`].
async fn is_known(c: &impl ConnectionTrait, username: &str, address: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    if address.is_empty() {
        return Ok(false);
    }
    let stmt = Query::select()
        .expr(Expr::val(1))
        .from(Table::KnownAddresses)
        .and_where(Expr::col(a("username")).eq(username))
        .and_where(Expr::col(a("address")).eq(address))
        .and_where(Expr::col(a("last_at")).gt(datetime(now - KNOWN_FOR, c.get_database_backend())))
        .to_owned();
    Ok(c.query_one(&stmt).await?.is_some())
}

/// A right password from `address`: the count of that name from that address is cleared,
/// and the address is remembered as one the name signs in from. The counts of other
/// addresses stay: the user signing in does not give a guesser elsewhere a fresh start.
/// From an address it was not known at, the attempt was reserved under the count over
/// unknown addresses too: that reservation is given back, it being no wrong password (else
/// twenty right ones from new addresses would lock the name).
pub async fn succeeded(
    c: &impl ConnectionTrait,
    username: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if !is_known(c, username, address, now).await? {
        let given_back = Query::update()
            .table(TABLE)
            .value(a("failures"), Expr::col(a("failures")).sub(1i64))
            .and_where(Expr::col(a("username")).eq(username))
            .and_where(Expr::col(a("address")).eq(ANY_UNKNOWN))
            .and_where(Expr::col(a("failures")).gt(0i64))
            .to_owned();
        c.execute(&given_back).await?;
    }
    let pair = Query::delete()
        .from_table(TABLE)
        .and_where(Expr::col(a("username")).eq(username))
        .and_where(Expr::col(a("address")).eq(address))
        .to_owned();
    c.execute(&pair).await?;
    if address.is_empty() {
        return Ok(());
    }
    let backend = c.get_database_backend();
    let known = Query::insert()
        .into_table(Table::KnownAddresses)
        .columns(["username", "address", "last_at"].map(a))
        .values([username.into(), address.into(), datetime(now, backend).into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(OnConflict::columns([a("username"), a("address")]).update_column(a("last_at")).to_owned())
        .to_owned();
    c.execute(&known).await?;
    Ok(())
}

/// Clears every count and lock of `username`: an administrator's unlock, a password changed.
pub async fn clear(c: &impl ConnectionTrait, username: &str) -> Result<bool, DbErr> {
    let stmt = Query::delete().from_table(TABLE).and_where(Expr::col(a("username")).eq(username)).to_owned();
    Ok(c.execute(&stmt).await?.rows_affected() > 0)
}

/// Whether `username` is locked at `now`, from any address.
pub async fn is_locked(c: &impl ConnectionTrait, username: &str, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let stmt = Query::select()
        .expr(Expr::val(1))
        .from(TABLE)
        .and_where(Expr::col(a("username")).eq(username))
        .and_where(Expr::col(a("locked_until")).gt(datetime(now, c.get_database_backend())))
        .to_owned();
    Ok(c.query_one(&stmt).await?.is_some())
}

/// Forgets the counts of names nobody has tried for a day (and that are not locked), so
/// a spray of made-up names does not fill the table, and addresses not signed in from
/// for [`KNOWN_FOR`].
pub async fn forget_old(c: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let backend = c.get_database_backend();
    let stmt = Query::delete()
        .from_table(TABLE)
        .and_where(Expr::col(a("last_at")).lt(datetime(now - FORGET_AFTER, backend)))
        .and_where(Expr::col(a("locked_until")).is_null().or(Expr::col(a("locked_until")).lte(datetime(now, backend))))
        .to_owned();
    let known = Query::delete()
        .from_table(Table::KnownAddresses)
        .and_where(Expr::col(a("last_at")).lte(datetime(now - KNOWN_FOR, backend)))
        .to_owned();
    Ok(c.execute(&stmt).await?.rows_affected() + c.execute(&known).await?.rows_affected())
}
