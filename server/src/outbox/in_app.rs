//! In-app messages: each becomes its user's notification, linked to the task or the record
//! it is about.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use serde_json::Value;

use super::a;
use crate::db::Table;
use crate::db::codec::datetime;
use crate::error::Error;

/// Messages made notifications per run.
const BATCH: u64 = 500;

/// Delivers every pending in-app message as its user's notification (linked to the task
/// or the record it is about); a message for no user is `undeliverable`, saying so.
pub(super) async fn deliver(conn: &sea_orm::DatabaseConnection, now: DateTime<Utc>) -> Result<(), Error> {
    use sea_orm::TransactionTrait;
    let backend = conn.get_database_backend();
    let (o, f) = (Table::Outbox, Table::Firings);
    let pending = Query::select()
        .columns([(o, a("id")), (o, a("app")), (o, a("recipient")), (o, a("body"))])
        .columns([(f, a("form")), (f, a("record_id"))])
        .from(o)
        .left_join(f, Expr::col((f, a("id"))).equals((o, a("firing_id"))))
        .and_where(Expr::col((o, a("channel"))).eq("in_app"))
        .and_where(Expr::col((o, a("state"))).eq("pending"))
        .order_by((o, a("id")), Order::Asc)
        .limit(BATCH)
        .to_owned();
    for row in conn.query_all(&pending).await? {
        let (id, app): (i64, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        let recipient = serde_json::from_str::<Value>(&row.try_get_by_index::<String>(2)?).unwrap_or(Value::Null);
        let body = serde_json::from_str::<Value>(&row.try_get_by_index::<String>(3)?).unwrap_or(Value::Null);
        let (form, record): (Option<String>, Option<i64>) = (row.try_get_by_index(4)?, row.try_get_by_index(5)?);
        let tx = conn.begin().await?;
        let user = recipient.as_str().unwrap_or_default();
        let (state, error) = if !user.is_empty() && crate::notifications::is_user(&tx, user).await? {
            let message = body["message"].as_str().unwrap_or_default();
            let messages = body["messages"].as_object().cloned().unwrap_or_default();
            let subject = form.as_deref().zip(record);
            let task = body["task"].as_i64();
            let notice = crate::notifications::Notice { user, app: &app, message, messages: &messages, task, subject };
            crate::notifications::notify(&tx, &notice, now).await?;
            ("delivered", None)
        } else {
            ("undeliverable", Some(format!("`{recipient}` is no user of Trellis")))
        };
        let mut settled = Query::update();
        settled
            .table(Table::Outbox)
            .value(a("state"), state)
            .value(a("last_error"), error)
            .and_where(Expr::col(a("id")).eq(id))
            .and_where(Expr::col(a("state")).eq("pending"));
        if state == "delivered" {
            settled.value(a("delivered_at"), datetime(now, backend));
        }
        tx.execute(&settled).await?;
        tx.commit().await?;
    }
    Ok(())
}
