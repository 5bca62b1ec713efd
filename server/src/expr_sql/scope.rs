//! What an expression can read in the database: the columns of a form's table, its
//! formulas (compiled in place), and values known before the query (the current user).

use engine_form::{FieldType, Form, FormSchema, StorageType};
use engine_rule::{Expr, Schema, Type, Value};
use sea_orm::sea_query::{Alias, Expr as Sql};

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

/// The fields of one form, read from its table.
pub struct FormScope<'a> {
    pub form: &'a Form,
    pub map: &'a TableMap,
}

impl Schema for FormScope<'_> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        FormSchema(self.form).type_of(path)
    }
}

impl Scope for FormScope<'_> {
    fn operand(&self, path: &[String]) -> Option<Operand<'_>> {
        let [key] = path else { return None };
        let table = Alias::new(&self.map.table);
        if key == "id" {
            return Some(Operand::Column { expr: Sql::col((table, Alias::new("id"))), storage: StorageType::Integer });
        }
        if let FieldType::Formula { expr, .. } = &self.form.field(key)?.kind {
            return Some(Operand::Formula(expr));
        }
        let (column, storage) = self.map.column(key)?;
        Some(Operand::Column { expr: Sql::col((table, Alias::new(column))), storage: storage.clone() })
    }
}
