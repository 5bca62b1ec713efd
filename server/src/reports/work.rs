//! The platform's records of the work done — process instances, rule firings, outbox
//! messages — as report rows, read as their own routes let the viewer read them: all of an
//! app's for a designer (who reads its outbox and incidents); for anyone else, those about
//! records they read (as the record's timeline shows them), less what is derived from a
//! value they see masked or hidden (a birthday greeting: its firing and message are
//! withheld, as the timeline withholds them). Neither a message's recipient nor its text is
//! a column: what is reported is how the work went.

use std::collections::{BTreeMap, BTreeSet};

use engine_form::StorageType;
use engine_report::Platform;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use serde_json::{Map, Value};

use super::dataset::Reader;
use crate::db::Table;
use crate::db::codec::decode;
use crate::error::Error;
use crate::records::query::{ListParams, MAX_IN_VALUES};

/// Each column: the dataset's key, the table's column and how it is stored.
fn columns(platform: Platform) -> (Table, Vec<(&'static str, &'static str, StorageType)>) {
    use StorageType::{DateTime, Integer, Text};
    let id = ("id", "id", Integer);
    match platform {
        Platform::Processes => (
            Table::FlowInstances,
            vec![
                id,
                ("flow", "flow", Text),
                ("version", "version", Integer),
                ("status", "status", Text),
                ("form", "subject_form", Text),
                ("record", "subject_id", Integer),
                ("started_at", "started_at", DateTime),
                ("updated_at", "updated_at", DateTime),
            ],
        ),
        Platform::Firings => (
            Table::Firings,
            vec![
                id,
                ("rule", "rule", Text),
                ("trigger", "trigger", Text),
                ("status", "status", Text),
                ("form", "form", Text),
                ("record", "record_id", Integer),
                ("fired_at", "fired_at", DateTime),
                ("attempts", "attempts", Integer),
            ],
        ),
        Platform::Outbox | Platform::Tasks => (
            Table::Outbox,
            vec![
                id,
                ("channel", "channel", Text),
                ("state", "state", Text),
                ("attempts", "attempts", Integer),
                ("form", "subject_form", Text),
                ("record", "subject_id", Integer),
                ("firing", "firing_id", Integer),
                ("created_at", "created_at", DateTime),
                ("sent_at", "delivered_at", DateTime),
            ],
        ),
    }
}

impl Reader<'_> {
    /// Every row of `platform` of the app that the viewer reads.
    pub(super) async fn work(&self, platform: Platform) -> Result<Vec<Map<String, Value>>, Error> {
        let (table, columns) = columns(platform);
        let mut stmt = Query::select();
        stmt.from(table).and_where(Expr::col(Alias::new("app")).eq(self.app.key.as_str()));
        for (_, column, _) in &columns {
            stmt.column(Alias::new(*column));
        }
        stmt.order_by(Alias::new("id"), Order::Asc).limit(self.max_rows.saturating_add(1));
        let backend = self.core.db.backend();
        let mut rows = Vec::new();
        for row in self.core.db.conn.query_all(&stmt).await? {
            let mut out = Map::new();
            for (i, (key, _, storage)) in columns.iter().enumerate() {
                out.insert((*key).to_owned(), decode(&row, i, storage, backend)?.to_json());
            }
            rows.push(out);
        }
        if rows.len() as u64 > self.max_rows {
            return Err(Error::TooManyRows(format!(
                "more than the {} {} a report reads: narrow it with its parameters",
                self.max_rows,
                platform.key()
            )));
        }
        if platform == Platform::Outbox {
            self.name_rules(&mut rows).await?;
        }
        if self.principal.at_least("designer").is_ok() {
            return Ok(rows);
        }
        let reached = self.reached(&rows).await?;
        rows.retain(|r| match (r["form"].as_str(), r["record"].as_i64()) {
            (Some(form), Some(id)) => reached.contains(&(form.to_owned(), id)),
            _ => false,
        });
        // A firing is its own `firing`; a message names the firing that sent it.
        let mut items: Vec<Value> = rows
            .into_iter()
            .map(|mut r| {
                if platform == Platform::Firings {
                    r.insert("firing".into(), r["id"].clone());
                }
                Value::Object(r)
            })
            .collect();
        crate::access::without_derived(self.core, self.principal, &mut items, |_| false).await?;
        Ok(items.into_iter().filter_map(|i| if let Value::Object(m) = i { Some(m) } else { None }).collect())
    }

    /// The records the rows are about that the viewer reads, by form and id.
    async fn reached(&self, rows: &[Map<String, Value>]) -> Result<BTreeSet<(String, i64)>, Error> {
        let mut about: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
        for row in rows {
            if let (Some(form), Some(id)) = (row["form"].as_str(), row["record"].as_i64()) {
                about.entry(form.to_owned()).or_default().insert(id);
            }
        }
        let mut reached = BTreeSet::new();
        for (form, ids) in about {
            // A form the app no longer has, or whose records the viewer's roles do not read.
            if self.app.bundle.form(&form).is_none() {
                continue;
            }
            let ids: Vec<i64> = ids.into_iter().collect();
            for chunk in ids.chunks(MAX_IN_VALUES) {
                let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
                let params = ListParams {
                    filter: Some(format!("id:in:{}", list.join("|"))),
                    limit: Some(1000),
                    ..Default::default()
                };
                let found = match self.records(&form, params, Vec::new(), None).await {
                    Ok(found) => found,
                    Err(Error::Forbidden { .. }) => continue,
                    Err(other) => return Err(other),
                };
                reached.extend(found.iter().filter_map(|r| r["id"].as_i64()).map(|id| (form.clone(), id)));
            }
        }
        Ok(reached)
    }

    /// Each message's rule: that of the firing that sent it.
    async fn name_rules(&self, rows: &mut [Map<String, Value>]) -> Result<(), Error> {
        let ids: BTreeSet<i64> = rows.iter().filter_map(|r| r["firing"].as_i64()).collect();
        let mut rules: BTreeMap<i64, String> = BTreeMap::new();
        let ids: Vec<i64> = ids.into_iter().collect();
        for chunk in ids.chunks(MAX_IN_VALUES) {
            let stmt = Query::select()
                .columns(["id", "rule"].map(Alias::new))
                .from(Table::Firings)
                .and_where(Expr::col(Alias::new("id")).is_in(chunk.to_vec()))
                .to_owned();
            for row in self.core.db.conn.query_all(&stmt).await? {
                rules.insert(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            }
        }
        for row in rows {
            let rule = row["firing"].as_i64().and_then(|f| rules.get(&f)).cloned();
            row.insert("rule".into(), rule.map_or(Value::Null, Value::from));
        }
        Ok(())
    }
}
