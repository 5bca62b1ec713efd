//! Each form's data version (`trellis_data_versions`): one more with every write to its
//! records, in the writing transaction (`pipeline::write`), so that an answer computed
//! from a form's records can be kept while the versions it was read at stand. Kept in the
//! database, so that every server sharing it sees a write the moment it commits.

use std::collections::BTreeSet;

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};

use crate::db::Table;
use crate::error::Error;

/// Counts a write to `form`'s records.
pub async fn bump(c: &impl ConnectionTrait, app: &str, form: &str) -> Result<(), Error> {
    bump_by(c, app, form, 1).await
}

/// Counts `writes` writes to `form`'s records at once (records created together).
pub async fn bump_by(c: &impl ConnectionTrait, app: &str, form: &str, writes: i64) -> Result<(), Error> {
    let version = Alias::new("version");
    let insert = Query::insert()
        .into_table(Table::DataVersions)
        .columns([Alias::new("app"), Alias::new("form"), version.clone()])
        .values_panic([app.into(), form.into(), writes.into()])
        .on_conflict(
            OnConflict::columns([Alias::new("app"), Alias::new("form")])
                .value(version.clone(), Expr::col((Table::DataVersions, version)).add(writes))
                .to_owned(),
        )
        .to_owned();
    c.execute(&insert).await?;
    Ok(())
}

/// The data version of each of `forms` (0: never written), in their order.
pub async fn read(c: &impl ConnectionTrait, app: &str, forms: &BTreeSet<String>) -> Result<Vec<i64>, Error> {
    let select = Query::select()
        .columns([Alias::new("form"), Alias::new("version")])
        .from(Table::DataVersions)
        .and_where(Expr::col(Alias::new("app")).eq(app))
        .and_where(Expr::col(Alias::new("form")).is_in(forms.iter().map(String::as_str)))
        .to_owned();
    let mut found = std::collections::HashMap::new();
    for row in c.query_all(&select).await? {
        let form: String = row.try_get_by_index(0)?;
        found.insert(form, row.try_get_by_index::<i64>(1)?);
    }
    Ok(forms.iter().map(|f| found.get(f).copied().unwrap_or(0)).collect())
}
