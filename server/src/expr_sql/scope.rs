//! What an expression can read in the database: the columns of a form's table, its
//! formulas (compiled in place), the fields of related records (a scalar subquery per
//! relation followed), and values known before the query (the current user).

use engine_form::{FieldType, Form, FormSchema, StorageType};
use engine_rule::{Expr, Schema, Type, Value};
use sea_orm::sea_query::{Alias, Expr as Sql, ExprTrait, Query};

use crate::records::FormCtx;
use crate::schema::TableMap;

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
}

/// The fields of one form, read from its table, and of the records it relates to.
pub struct FormScope<'a> {
    ctx: &'a FormCtx<'a>,
}

impl<'a> FormScope<'a> {
    pub fn new(ctx: &'a FormCtx<'a>) -> FormScope<'a> {
        FormScope { ctx }
    }
}

impl Schema for FormScope<'_> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        FormSchema { bundle: &self.ctx.app.bundle, form: self.ctx.form }.type_of(path)
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
        let (last, hops) = path.split_last()?;
        let (app, form, map) = (self.ctx.app, self.ctx.form, self.ctx.map);
        let Some((first, rest)) = hops.split_first() else {
            if let Some(FieldType::Formula { expr, .. }) = form.field(last).map(|f| &f.kind) {
                return Some(Operand::Formula(expr));
            }
            let (expr, storage) = column(&map.table, map, form, last)?;
            return Some(Operand::Column { expr, storage });
        };
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
