//! What is derived from a value is shaped for a reader like the value itself. A rule that
//! fires on a birthday (`birthday_today(birthday, …)`) tells when the birthday is by when
//! it fired, and so do the task it raised and the greeting it sent: to a reader who sees
//! the birthday masked or hidden, they are withheld, as the value is. (Masked, they would
//! still be dated by where they stand in a list: withheld, they are counted.) A firing is
//! derived from the fields its rule's condition and `once_per` read.

use std::collections::HashMap;

use super::Access;
use crate::auth::Principal;
use crate::core::Core;
use crate::error::Error;

/// Whether the firings of a rule on a form are withheld from one reader, each answer
/// found once.
pub struct Derived<'a> {
    core: &'a Core,
    principal: &'a Principal,
    known: HashMap<(String, String, String), bool>,
}

impl<'a> Derived<'a> {
    pub fn new(core: &'a Core, principal: &'a Principal) -> Derived<'a> {
        Derived { core, principal, known: HashMap::new() }
    }

    /// Whether a firing of `rule` of `app` on a record of `form` is withheld from the reader.
    /// A rule the app no longer has is judged by nothing it reads: shown.
    pub async fn withheld(&mut self, app: &str, rule: &str, form: &str) -> Result<bool, Error> {
        let key = (app.to_owned(), rule.to_owned(), form.to_owned());
        if let Some(known) = self.known.get(&key) {
            return Ok(*known);
        }
        let published = self.core.catalog.published(&self.core.db.conn, app).await?;
        let answer = match (published.rules.iter().find(|r| r.key == rule), published.bundle.form(form)) {
            (Some(rule), Some(schema)) => {
                let access = super::load(&self.core.db.conn, &published, self.principal, schema).await?;
                !access.sees_in_clear(&published.bundle, schema, rule.condition_paths().iter())
            }
            _ => false,
        };
        self.known.insert(key, answer);
        Ok(answer)
    }

    /// `withheld`, with the reader's access to `form` already at hand.
    pub fn withheld_for(access: &Access, published: &crate::catalog::PublishedApp, rule: &str, form: &str) -> bool {
        match (published.rules.iter().find(|r| r.key == rule), published.bundle.form(form)) {
            (Some(rule), Some(schema)) => {
                !access.sees_in_clear(&published.bundle, schema, rule.condition_paths().iter())
            }
            _ => false,
        }
    }
}

/// Leaves out of `items` (tasks or outbox messages, each with its `firing` id) those whose
/// firing is withheld from `principal`, but for those `theirs` says they act on (a task a
/// rule raised for them, or offered to them). How many were left out.
pub async fn without_derived(
    core: &Core,
    principal: &Principal,
    items: &mut Vec<serde_json::Value>,
    theirs: impl Fn(&serde_json::Value) -> bool,
) -> Result<usize, Error> {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let ids: Vec<i64> = items.iter().filter(|i| !theirs(i)).filter_map(|i| i["firing"].as_i64()).collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let a = Alias::new;
    let stmt = Query::select()
        .columns(["id", "app", "rule", "form"].map(a))
        .from(crate::db::Table::Firings)
        .and_where(Expr::col(a("id")).is_in(ids))
        .to_owned();
    let (mut derived, mut withheld) = (Derived::new(core, principal), std::collections::BTreeSet::new());
    for row in core.db.conn.query_all(&stmt).await? {
        let (app, rule): (String, String) = (row.try_get_by_index(1)?, row.try_get_by_index(2)?);
        let form: Option<String> = row.try_get_by_index(3)?;
        if let Some(form) = form
            && derived.withheld(&app, &rule, &form).await?
        {
            withheld.insert(row.try_get_by_index::<i64>(0)?);
        }
    }
    let before = items.len();
    items.retain(|i| theirs(i) || !i["firing"].as_i64().is_some_and(|f| withheld.contains(&f)));
    Ok(before - items.len())
}
