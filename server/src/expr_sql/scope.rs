//! What an expression can read in the database: the columns of a form's table, its
//! formulas (compiled in place), the fields of related records (a scalar subquery per
//! relation followed), the rows aggregates go over, and values known before the query
//! (the current user).

use chrono::{DateTime, Utc};
use engine_form::{Collection, Field, FieldType, Form, FormSchema, StorageType};
use engine_rule::{Expr, Schema, Type, Value};
use sea_orm::sea_query::{Alias, Expr as Sql, ExprTrait, Query};

use crate::catalog::PublishedApp;
use crate::error::Error;
use crate::records::FormCtx;
use crate::schema::TableMap;

/// The alias of the table an aggregate reads its rows from.
pub const ROWS: &str = "rows";

/// What a field path stands for in SQL.
pub enum Operand<'a> {
    Column {
        expr: Sql,
        storage: StorageType,
    },
    /// A formula field: its expression is compiled where it is used.
    Formula(&'a Expr),
    /// A value known before the query runs.
    Constant(Value),
}

/// The schema an expression is checked against, and how each path reads in SQL.
pub trait Scope: Schema {
    fn operand(&self, path: &[String]) -> Option<Operand<'_>>;

    /// Where the rows of the collection at `path` are, for aggregates.
    fn rows_sql(&self, _path: &[String]) -> Option<RowsSql<'_>> {
        None
    }
}

/// The rows of a collection in SQL: `SELECT … FROM table AS rows WHERE link`, each row's
/// fields read through `scope`.
pub struct RowsSql<'a> {
    pub table: String,
    pub link: Sql,
    pub scope: Box<dyn Scope + 'a>,
}

/// Who reads through a scope: their access, the instant, the database.
#[derive(Clone, Copy)]
struct Reader<'a> {
    access: &'a crate::access::Access,
    now: chrono::DateTime<chrono::Utc>,
    backend: sea_orm::DbBackend,
}

/// The fields of one form, read from its table (or the alias `rows`, for the rows of an
/// aggregate), and of the records it relates to.
pub struct FormScope<'a> {
    app: &'a PublishedApp,
    form: &'a Form,
    schema: FormSchema<'a>,
    map: &'a TableMap,
    /// The current user, for `$user.…`; none outside a user's request.
    user: Option<&'a crate::access::UserContext>,
    /// The caller whose filter this is, and the instant it runs at: an aggregate over a
    /// related form counts only the rows their roles admit.
    reader: Option<Reader<'a>>,
    /// Read as an aggregate's row: own fields only, from the alias `rows`.
    row: bool,
}

impl<'a> FormScope<'a> {
    pub fn new(ctx: &FormCtx<'a>) -> FormScope<'a> {
        FormScope::of(ctx.app, ctx.form, ctx.map, false)
    }

    /// The scope of a request by `user`: `$user.…` reads their attributes.
    pub fn for_user(ctx: &FormCtx<'a>, user: &'a crate::access::UserContext) -> FormScope<'a> {
        FormScope { user: Some(user), ..FormScope::of(ctx.app, ctx.form, ctx.map, false) }
    }

    /// The scope of a caller's own filter: as `for_user`, and an aggregate over a related
    /// form (`sum(transaction, amount)`) goes over only the records their roles admit.
    pub fn for_reader(ctx: &FormCtx<'a>, access: &'a crate::access::Access) -> FormScope<'a> {
        let reader = Reader { access, now: ctx.now, backend: ctx.backend };
        FormScope { reader: Some(reader), ..FormScope::for_user(ctx, &access.user) }
    }

    fn of(app: &'a PublishedApp, form: &'a Form, map: &'a TableMap, row: bool) -> FormScope<'a> {
        FormScope { app, form, schema: FormSchema { bundle: &app.bundle, form }, map, row, user: None, reader: None }
    }

    /// The rows of `form` the reader's roles admit, as `rows.id IN (…)`; `None`: all.
    fn admitted_rows(&self, form: &'a Form, map: &'a TableMap) -> Option<Sql> {
        let Reader { access, now, backend } = self.reader?;
        let limited = access.to_form(&form.key).filter(|a| a.rows.is_some())?;
        let ctx = FormCtx { app: self.app, form, map, backend, access: Some(limited), writer: None, now };
        // A row rule that does not compile admits nothing, as a broken rule must.
        let admitted = admitted(&ctx, now).ok().flatten().unwrap_or_else(|| Sql::val(false).eq(true));
        let table = Alias::new(&map.table);
        let ids = Query::select().column((table.clone(), Alias::new("id"))).from(table).and_where(admitted).to_owned();
        Some(Sql::col((Alias::new(ROWS), Alias::new("id"))).in_subquery(ids))
    }

    fn table(&self) -> &str {
        if self.row { ROWS } else { &self.map.table }
    }
}

impl FormScope<'_> {
    /// The decision table `table` on this form.
    fn decision(&self, table: &str) -> Option<&engine_app::Decision> {
        self.app.decisions.iter().find(|d| d.form == self.form.key && d.table.key == table)
    }
}

impl Schema for FormScope<'_> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        if self.row && path.len() > 1 {
            return None;
        }
        // A decision table's output (`customer_tier.tier`).
        if let [table, output] = path
            && let Some(decision) = self.decision(table)
        {
            return decision.table.output_type(output);
        }
        if let ([user, attribute], Some(_)) = (path, self.user)
            && user == "$user"
        {
            return crate::access::user_attribute(attribute);
        }
        self.schema.type_of(path)
    }

    fn rows(&self, path: &[String]) -> Option<Box<dyn Schema + '_>> {
        if self.row { None } else { self.schema.rows(path) }
    }

    fn has_calendar(&self, name: &str) -> Option<bool> {
        self.schema.has_calendar(name)
    }
}

/// The column of `field` in `table` (a table name or an alias), and its storage.
fn column(table: &str, map: &TableMap, form: &Form, field: &str) -> Option<(Sql, StorageType)> {
    if field == "id" {
        return Some((Sql::col((Alias::new(table), Alias::new("id"))), StorageType::Integer));
    }
    form.field(field)?;
    let (column, storage) = map.column(field)?;
    Some((Sql::col((Alias::new(table), Alias::new(column))), storage.clone()))
}

impl Scope for FormScope<'_> {
    fn operand(&self, path: &[String]) -> Option<Operand<'_>> {
        if let ([user, attribute], Some(current)) = (path, self.user)
            && user == "$user"
        {
            return current.value(attribute).map(Operand::Constant);
        }
        if let [table, output] = path
            && let Some(decision) = self.decision(table)
        {
            // Computed in place, like a formula; `None` (not in the database) for a table
            // that has no single expression (`unique`, `collect`).
            return decision.expression(output).map(Operand::Formula);
        }
        let (last, hops) = path.split_last()?;
        let (app, form, map) = (self.app, self.form, self.map);
        let Some((first, rest)) = hops.split_first() else {
            if let Some(FieldType::Formula { expr, .. }) = form.field(last).map(|f| &f.kind) {
                return Some(Operand::Formula(expr));
            }
            let (expr, storage) = column(self.table(), map, form, last)?;
            return Some(Operand::Column { expr, storage });
        };
        if self.row {
            return None;
        }
        // Each relation followed is a scalar subquery on the related table, under an alias
        // of its own (`r1`, `r2`…), so a form related to itself reads the right row.
        let related = |form: &Form, hop: &str| -> Option<(&Form, &TableMap)> {
            let FieldType::Relation { form: target, .. } = &form.field(hop)?.kind else { return None };
            Some((app.bundle.form(target)?, app.table(target, None).ok()?))
        };
        let (mut id, _) = column(&map.table, map, form, first)?;
        let (mut form, mut map) = related(form, first)?;
        for (i, hop) in rest.iter().enumerate() {
            let alias = format!("r{}", i + 1);
            let (next, _) = column(&alias, map, form, hop)?;
            id = subquery(&map.table, &alias, next, id);
            (form, map) = related(form, hop)?;
        }
        if matches!(form.field(last).map(|f| &f.kind), Some(FieldType::Formula { .. })) {
            return None; // A related record's formula is computed in memory only.
        }
        let alias = format!("r{}", hops.len());
        let (value, storage) = column(&alias, map, form, last)?;
        Some(Operand::Column { expr: subquery(&map.table, &alias, value, id), storage })
    }

    fn rows_sql(&self, path: &[String]) -> Option<RowsSql<'_>> {
        if self.row {
            return None;
        }
        let rows = Alias::new(ROWS);
        match self.schema.collection(path)? {
            Collection::SubTable { field, fields } => {
                let map = self.app.table(&self.form.key, Some(field)).ok()?;
                let Operand::Column { expr: id, .. } = self.operand(&["id".to_owned()])? else { return None };
                Some(RowsSql {
                    table: map.table.clone(),
                    link: Sql::col((rows, Alias::new("_parent_id"))).eq(id),
                    scope: Box::new(SubTableRowScope { fields, map }),
                })
            }
            Collection::Related { hops, form, via } => {
                let map = self.app.table(&form.key, None).ok()?;
                let mut id_path = hops.to_vec();
                id_path.push("id".to_owned());
                let Operand::Column { expr: id, .. } = self.operand(&id_path)? else { return None };
                let (link, _) = map.column(via)?;
                let mut link = Sql::col((rows, Alias::new(link))).eq(id);
                if let Some(admitted) = self.admitted_rows(form, map) {
                    link = link.and(admitted);
                }
                Some(RowsSql {
                    table: map.table.clone(),
                    link,
                    scope: Box::new(FormScope::of(self.app, form, map, true)),
                })
            }
        }
    }
}

/// A sub-table row, as an aggregate reads it from the alias `rows`.
struct SubTableRowScope<'a> {
    fields: &'a [Field],
    map: &'a TableMap,
}

impl Schema for SubTableRowScope<'_> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        match path {
            [key] => self.fields.iter().find(|f| f.key == *key).and_then(engine_form::expression_type),
            _ => None,
        }
    }
}

impl Scope for SubTableRowScope<'_> {
    fn operand(&self, path: &[String]) -> Option<Operand<'_>> {
        let [key] = path else { return None };
        self.fields.iter().find(|f| f.key == *key)?;
        let (column, storage) = self.map.column(key)?;
        Some(Operand::Column { expr: Sql::col((Alias::new(ROWS), Alias::new(column))), storage: storage.clone() })
    }
}

/// `(SELECT value FROM table AS alias WHERE alias.id = id)`.
fn subquery(table: &str, alias: &str, value: Sql, id: Sql) -> Sql {
    let select = Query::select()
        .expr(value)
        .from_as(Alias::new(table), Alias::new(alias))
        .and_where(Sql::col((Alias::new(alias), Alias::new("id"))).eq(id))
        .to_owned();
    Sql::SubQuery(None, Box::new(select.into()))
}

/// The records the caller's access admits, as SQL on the form's table; `None` for all.
pub fn admitted(ctx: &FormCtx<'_>, now: DateTime<Utc>) -> Result<Option<Sql>, Error> {
    let Some(access) = ctx.access else { return Ok(None) };
    let Some(conditions) = &access.rows else { return Ok(None) };
    let scope = FormScope::for_user(ctx, &access.user);
    let context = engine_form::formula_context(&ctx.app.bundle, now);
    let mut any = sea_orm::sea_query::Cond::any();
    for condition in conditions {
        let (_, compiled) = super::compile(condition, &scope, ctx.backend, &context)
            .map_err(|e| Error::Internal(anyhow::anyhow!("a role's rows do not compile: {e:?}")))?;
        any = any.add(compiled.expr);
    }
    // No condition at all admits nothing.
    Ok(Some(if conditions.is_empty() { Sql::val(false).eq(true) } else { Sql::expr(any) }))
}
