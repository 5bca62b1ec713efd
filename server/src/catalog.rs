//! The published apps, cached in memory and checked against the database on every use,
//! so a publish by any server process is seen by all of them at once.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use engine_form::{Bundle, Form};
use engine_rule::EventRule;
use sea_orm::ConnectionTrait;

use crate::error::Error;
use crate::meta;
use crate::schema::{TableMap, table_maps};
use engine_app::{App as AppMeta, check_app};

/// One published version of an app, with where each form's records live.
#[derive(Debug)]
pub struct PublishedApp {
    pub key: String,
    pub version: i64,
    pub published_at: DateTime<Utc>,
    pub bundle: Bundle,
    /// The events the app receives, each with its data's fields.
    pub events: Vec<Form>,
    /// Decision tables, each on a form.
    pub decisions: Vec<engine_app::Decision>,
    /// App roles.
    pub roles: Vec<engine_app::Role>,
    /// The rules, stamped with this version, in firing order.
    pub rules: Vec<EventRule>,
    /// The processes.
    pub flows: Vec<engine_flow::Flow>,
    /// Record pages (a customer 360).
    pub pages: Vec<engine_app::Page>,
    /// Reports (engine-report).
    pub reports: Vec<engine_report::Report>,
    /// Dashboards: grids of the reports.
    pub dashboards: Vec<engine_report::Dashboard>,
    tables: HashMap<(String, Option<String>), TableMap>,
}

/// The flows of version `version` of `app`, for instances that started on it.
pub async fn flows_of_version(
    c: &impl ConnectionTrait,
    app: &str,
    version: i64,
) -> Result<Vec<engine_flow::Flow>, Error> {
    let (document, _) = meta::version_bundle(c, app, version)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("app `{app}` lacks its published version {version}")))?;
    let meta = check_app(&document, version).map_err(|diags| {
        Error::Internal(anyhow::anyhow!("published version {version} of `{app}` no longer validates: {diags:?}"))
    })?;
    Ok(meta.flows)
}

impl PublishedApp {
    pub fn flow(&self, key: &str) -> Result<&engine_flow::Flow, Error> {
        self.flows
            .iter()
            .find(|f| f.key == key)
            .ok_or_else(|| Error::not_found(format!("app `{}` has no flow `{key}`", self.key)))
    }

    pub fn page(&self, key: &str) -> Result<&engine_app::Page, Error> {
        self.pages
            .iter()
            .find(|p| p.key == key)
            .ok_or_else(|| Error::not_found(format!("app `{}` has no page `{key}`", self.key)))
    }

    pub fn event(&self, key: &str) -> Result<&Form, Error> {
        self.events
            .iter()
            .find(|e| e.key == key)
            .ok_or_else(|| Error::not_found(format!("app `{}` receives no event `{key}`", self.key)))
    }

    pub fn form(&self, key: &str) -> Result<&Form, Error> {
        self.bundle
            .form(key)
            .ok_or_else(|| Error::not_found(format!("app `{}` has no published form `{key}`", self.key)))
    }

    /// The table of a form, or of one of its sub-tables: a form the app does not publish
    /// is not found (the caller named it); a published one without its table is the
    /// server's failure.
    pub fn table(&self, form: &str, sub_field: Option<&str>) -> Result<&TableMap, Error> {
        self.form(form)?;
        self.tables
            .get(&(form.to_owned(), sub_field.map(str::to_owned)))
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("published form `{form}` has no table")))
    }
}

#[derive(Default)]
pub struct Catalog {
    apps: RwLock<HashMap<String, Arc<PublishedApp>>>,
}

impl Catalog {
    /// The app's current published version, for reading. One indexed read checks that the
    /// cache is current.
    /// The language `app` is read in by users who chose none, if it says (and is published).
    pub async fn language_of(&self, c: &impl ConnectionTrait, app: &str) -> Option<String> {
        self.published(c, app).await.ok().and_then(|p| p.bundle.language.clone())
    }

    pub async fn published(&self, c: &impl ConnectionTrait, app: &str) -> Result<Arc<PublishedApp>, Error> {
        self.current(c, app, false).await
    }

    /// The app's current published version, for writing inside the transaction `tx`: the
    /// version stays current until `tx` ends, because no publish can commit meanwhile.
    pub async fn published_for_write(&self, tx: &impl ConnectionTrait, app: &str) -> Result<Arc<PublishedApp>, Error> {
        self.current(tx, app, true).await
    }

    async fn current(&self, c: &impl ConnectionTrait, app: &str, lock: bool) -> Result<Arc<PublishedApp>, Error> {
        let version =
            meta::published_version(c, app, lock).await?.ok_or_else(|| Error::not_found(format!("no app `{app}`")))?;
        if version == 0 {
            return Err(Error::not_found(format!("app `{app}` has not been published yet")));
        }
        if let Some(cached) = self.read().get(app).filter(|a| a.version == version) {
            return Ok(cached.clone());
        }
        let (document, published_at) = meta::version_bundle(c, app, version)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("app `{app}` lacks its published version {version}")))?;
        let AppMeta { bundle, events, decisions, rules, roles, flows, pages, reports, dashboards } =
            check_app(&document, version).map_err(|diags| {
                Error::Internal(anyhow::anyhow!(
                    "published version {version} of `{app}` no longer validates: {diags:?}"
                ))
            })?;
        let tables = table_maps(c, app).await?;
        let loaded = Arc::new(PublishedApp {
            key: app.to_owned(),
            version,
            published_at,
            bundle,
            events,
            decisions,
            roles,
            rules,
            flows,
            pages,
            reports,
            dashboards,
            tables,
        });
        self.apps.write().unwrap_or_else(|p| p.into_inner()).insert(app.to_owned(), loaded.clone());
        Ok(loaded)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<PublishedApp>>> {
        self.apps.read().unwrap_or_else(|p| p.into_inner())
    }
}
