//! Record writes as one domain operation, behind the record API, bulk changes, handovers
//! and seeding alike: an `Edit` is one transaction in which the app's published version is
//! read for writing (a publish waits until it ends), the writer's access to each form is
//! loaded once, every write goes through the pipeline, and each record comes back as the
//! writer may see it. `change` is one such edit of one record: what the record API does.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde_json::Value;

use crate::access::Access;
use crate::audit::Actor;
use crate::auth::Principal;
use crate::catalog::PublishedApp;
use crate::core::Core;
use crate::error::Error;
use crate::pipeline::{self, Authority, Op, Writer, Written};

/// Who writes: a signed-in caller with their roles, or the platform itself (seeding).
#[derive(Clone, Copy)]
pub enum Who<'a> {
    Caller(&'a Principal, &'a Actor),
    Platform,
}

/// Writes made together, all or nothing.
pub struct Edit<'a> {
    pub tx: DatabaseTransaction,
    pub app: Arc<PublishedApp>,
    /// The time of the whole edit, read once.
    pub now: DateTime<Utc>,
    who: Who<'a>,
    accesses: HashMap<String, Access>,
}

impl<'a> Edit<'a> {
    /// Begins an edit of `app`'s records by `who`, at the core's time.
    pub async fn begin(core: &Core, who: Who<'a>, app: &str) -> Result<Edit<'a>, Error> {
        let now = core.clock.now();
        let tx = core.db.conn.begin().await?;
        let app = core.catalog.published_for_write(&tx, app).await?;
        Ok(Edit { tx, app, now, who, accesses: HashMap::new() })
    }

    /// The writer's access to `form` (every record and field for the platform), loaded once.
    pub async fn access(&mut self, form: &str) -> Result<Option<&Access>, Error> {
        let Who::Caller(principal, _) = self.who else { return Ok(None) };
        if !self.accesses.contains_key(form) {
            let loaded = crate::access::load(&self.tx, &self.app, principal, self.app.form(form)?).await?;
            self.accesses.insert(form.to_owned(), loaded);
        }
        Ok(self.accesses.get(form))
    }

    /// Writes `op` to a record of `form` in the edit's transaction.
    pub async fn write(&mut self, form: &str, op: Op<'_>) -> Result<Written, Error> {
        self.access(form).await?;
        let writer = self.writer(form);
        pipeline::write(&self.tx, &self.app, form, op, &writer, self.now, 0).await
    }

    /// Creates a record of `form` as an initial load: values another system derived came
    /// with it (a customer's AUM from core banking with their accounts), so the rules that
    /// would derive them again do not run; checks, audit and processes do, as for `write`.
    pub async fn load(&mut self, form: &str, values: &serde_json::Map<String, Value>) -> Result<Written, Error> {
        self.access(form).await?;
        let writer = Writer { rules: false, ..self.writer(form) };
        pipeline::write(&self.tx, &self.app, form, Op::Create(values), &writer, self.now, 0).await
    }

    /// `write` under a savepoint: refused, it leaves nothing behind and the edit goes on
    /// (a bulk change names every refusal before it gives up).
    pub async fn try_write(&mut self, form: &str, op: Op<'_>) -> Result<Written, Error> {
        self.access(form).await?;
        let writer = self.writer(form);
        pipeline::savepointed(&self.tx, &self.app, form, op, &writer, self.now).await
    }

    /// Creates `records` of `form` together (`pipeline::create_many`), each refused alone
    /// as `try_write` refuses it; each gives its unique field `key`.
    pub async fn try_create_many(
        &mut self,
        (form, key): (&str, &str),
        records: &[&serde_json::Map<String, Value>],
    ) -> Result<Vec<Result<i64, Error>>, Error> {
        self.access(form).await?;
        let writer = self.writer(form);
        pipeline::create_many(&self.tx, &self.app, (form, key), records, &writer, self.now).await
    }

    fn writer(&self, form: &str) -> Writer<'_> {
        match self.who {
            Who::Caller(principal, actor) => Writer {
                actor: actor.clone(),
                authority: self.accesses.get(form).map_or(Authority::Platform, Authority::Caller),
                user: Some(principal.user_id),
                rules: true,
            },
            Who::Platform => Writer { actor: Actor::system(), authority: Authority::Platform, user: None, rules: true },
        }
    }

    /// A written record of `form` as the writer may see it.
    pub fn shaped(&self, form: &str, record: Value) -> Value {
        match self.accesses.get(form) {
            Some(access) => crate::access::reach::shaped(access, record),
            None => record,
        }
    }

    pub async fn commit(self) -> Result<(), Error> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// One record created, updated or deleted by `who`, in an edit of its own: its id and the
/// record as they may see it (none once deleted).
pub async fn change(
    core: &Core,
    who: Who<'_>,
    (app, form): (&str, &str),
    op: Op<'_>,
) -> Result<(i64, Option<Value>), Error> {
    let mut edit = Edit::begin(core, who, app).await?;
    let written = edit.write(form, op).await?;
    let record = written.record.map(|r| edit.shaped(form, r));
    edit.commit().await?;
    Ok((written.id, record))
}
