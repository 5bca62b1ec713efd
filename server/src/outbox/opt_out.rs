//! The opt-out a form may declare (`"opt_out": "<yes/no field>"`): a person who said no
//! takes no automatic SMS or e-mail. A message is theirs when it is about their record, or
//! about a record that links to it (a customer's transaction); such a message is kept in
//! the outbox as `opted_out`, with the reason, so the timeline shows what was not sent.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

use crate::catalog::PublishedApp;
use crate::error::Error;

/// The channels that reach a person outside the bank; IM robots and in-app messages go to
/// staff.
pub const PERSONAL_CHANNELS: [&str; 2] = ["sms", "email"];

/// Why a message about `subject` must not leave, if the person it reaches opted out.
pub async fn reason(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    subject: Option<(&str, i64)>,
) -> Result<Option<String>, Error> {
    let Some((form_key, id)) = subject else { return Ok(None) };
    let Some(form) = app.bundle.form(form_key) else { return Ok(None) };
    // The subject itself, or each record it links to whose form declares an opt-out.
    let mut people: Vec<(&str, Option<i64>, &str)> = Vec::new();
    if let Some(field) = &form.opt_out {
        people.push((form_key, Some(id), field));
    }
    for field in &form.fields {
        if let engine_form::FieldType::Relation { form: target, .. } = &field.kind
            && let Some(opt_out) = app.bundle.form(target).and_then(|f| f.opt_out.as_deref())
        {
            people.push((target, linked(c, app, (form_key, id), &field.key).await?, opt_out));
        }
    }
    for (form, person, field) in people {
        let Some(person) = person else { continue };
        let table = app.table(form, None)?;
        let Some((column, _)) = table.column(field) else { continue };
        let stmt = Query::select()
            .column(Alias::new(column.as_str()))
            .from(Alias::new(table.table.as_str()))
            .and_where(Expr::col(Alias::new("id")).eq(person))
            .to_owned();
        let said_no = match c.query_one(&stmt).await? {
            Some(row) => row.try_get_by_index::<Option<bool>>(0)?.unwrap_or(false),
            None => false,
        };
        if said_no {
            return Ok(Some(format!("{form} {person} takes no automatic messages (`{field}`)")));
        }
    }
    Ok(None)
}

/// The id the relation `field` of record `id` of `form` names, if any.
async fn linked(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    (form, id): (&str, i64),
    field: &str,
) -> Result<Option<i64>, Error> {
    let table = app.table(form, None)?;
    let Some((column, _)) = table.column(field) else { return Ok(None) };
    let stmt = Query::select()
        .column(Alias::new(column.as_str()))
        .from(Alias::new(table.table.as_str()))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    Ok(match c.query_one(&stmt).await? {
        Some(row) => row.try_get_by_index::<Option<i64>>(0)?,
        None => None,
    })
}
