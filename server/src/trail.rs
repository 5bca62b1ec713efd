//! The audit trail as an administrator reads it: record values shaped by their own app
//! roles like every other read, so personal data stays masked unless a role shows it.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::access::{Access, Secrets};
use crate::audit::{self, Filter};
use crate::auth::Principal;
use crate::core::Core;
use crate::error::Error;

/// The entries `filter` picks, newest first, and `next`, the `before` of the following
/// page; each entry's values as `admin`'s roles show them.
pub async fn read(core: &Core, admin: &Principal, filter: &Filter) -> Result<Value, Error> {
    let conn = &core.db.conn;
    let mut items = audit::list(conn, filter).await?;
    // Each form's access is loaded once for the page.
    let mut accesses: HashMap<(String, String), Option<Access>> = HashMap::new();
    let mut secrets = Secrets::default();
    for item in &mut items {
        let (Some(app), Some(form)) = (item["app"].as_str(), item["form"].as_str()) else { continue };
        let key = (app.to_owned(), form.to_owned());
        if !accesses.contains_key(&key) {
            let access = match core.catalog.published(conn, app).await {
                Ok(published) => match published.bundle.form(form) {
                    Some(f) => Some(crate::access::load(conn, &published, admin, f).await?),
                    None => None,
                },
                Err(_) => None,
            };
            accesses.insert(key.clone(), access);
        }
        let Some(access) = &accesses[&key] else { continue };
        for side in ["before", "after"] {
            if let Some(Value::Object(values)) = item["detail"].get_mut(side) {
                access.shape_collecting(values, &mut secrets);
            }
        }
    }
    let next = audit::next_before(&items, filter.limit);
    let mut body = json!({ "items": items, "next": next });
    secrets.scrub(&mut body);
    Ok(body)
}
