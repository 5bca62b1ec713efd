//! Records of published forms: the list query language, reads and writes.

pub mod check;
pub mod columns;
pub mod grouped;
pub mod keys;
pub mod page;
pub mod preview;
pub mod query;
pub mod read;
pub(crate) mod sql;
pub mod values;
pub mod versions;
pub mod write;
pub mod write_many;

use chrono::{DateTime, Utc};
use engine_form::Form;
use sea_orm::DbBackend;

use crate::catalog::PublishedApp;
use crate::schema::TableMap;

/// What every record operation needs: the published app, the form and where it is stored.
#[derive(Clone, Copy)]
pub struct FormCtx<'a> {
    pub app: &'a PublishedApp,
    pub form: &'a Form,
    pub map: &'a TableMap,
    pub backend: DbBackend,
    /// The caller's access (app roles): reads see only the records its rows admit.
    /// `None`: everything, as for the server's own work (rules, seeding).
    pub access: Option<&'a crate::access::Access>,
    /// The signed-in user writing, for checks that depend on who writes (attaching only
    /// files they uploaded). `None` for the server's own writes.
    pub writer: Option<i64>,
    /// The instant of the request or job: what formulas read as now and today.
    pub now: DateTime<Utc>,
}

impl<'a> FormCtx<'a> {
    pub fn new(
        app: &'a PublishedApp,
        form_key: &str,
        backend: DbBackend,
        now: DateTime<Utc>,
    ) -> Result<Self, crate::error::Error> {
        let form = app.form(form_key)?;
        let map = app.table(form_key, None)?;
        Ok(FormCtx { app, form, map, backend, access: None, writer: None, now })
    }
}

/// Refuses a write whose record, as it now stands, breaks its form's conditions: a value
/// sent for a hidden field, a shown required field left empty, a validation that fails.
/// The caller's transaction then rolls back, so nothing of the write remains.
pub fn enforce_conditions(
    ctx: &FormCtx<'_>,
    values: &[(String, engine_form::FieldValue)],
    sent: &[&str],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), crate::error::Error> {
    if !ctx.form.has_conditions() {
        return Ok(());
    }
    let context = engine_form::formula_context(&ctx.app.bundle, now);
    let errors = engine_form::check_conditions(ctx.form, values, sent, &context);
    if errors.is_empty() { Ok(()) } else { Err(crate::error::Error::InvalidRecord(errors)) }
}
