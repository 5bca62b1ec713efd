//! Records of published forms: the value codec, the list query language, reads and writes.

pub mod codec;
pub mod query;
pub mod read;
mod sql;
pub mod values;
pub mod write;

use engine_form::Form;
use sea_orm::DbBackend;

use crate::catalog::PublishedApp;
use crate::schema::TableMap;

/// What every record operation needs: the published app, the form and where it is stored.
pub struct FormCtx<'a> {
    pub app: &'a PublishedApp,
    pub form: &'a Form,
    pub map: &'a TableMap,
    pub backend: DbBackend,
}

impl<'a> FormCtx<'a> {
    pub fn new(app: &'a PublishedApp, form_key: &str, backend: DbBackend) -> Result<Self, crate::api::error::ApiError> {
        let form = app.form(form_key)?;
        let map = app.table(form_key, None)?;
        Ok(FormCtx { app, form, map, backend })
    }
}
