//! Plans how a table follows a new version of its form without losing data.
//!
//! New fields add columns. Removed fields keep their column, marked inactive, so the data
//! can be recovered by adding the field again. A changed type either becomes a checked
//! conversion into a new column (the old one is kept) or is refused with a diagnostic.

use crate::diagnostic::Diagnostic;
use crate::model::Field;
use crate::storage::{StorageType, index_name};

/// What the registry knows about one physical column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnState {
    pub field: String,
    pub column: String,
    pub storage: StorageType,
    /// The field type name it was last published with (`text`, `email`, …).
    pub type_name: String,
    pub active: bool,
    pub indexed: bool,
    pub unique: bool,
}

/// One change to a table. The server executes them in order, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationStep {
    CreateTable,
    AddColumn {
        field: String,
        column: String,
        storage: StorageType,
        type_name: String,
    },
    /// An inactive column of the same storage comes back, with its data.
    Reactivate {
        field: String,
        column: String,
        type_name: String,
    },
    /// Copies the values of `from_column` into the new `column`, converting and checking
    /// each against the new field; any value that does not fit refuses the publish.
    Convert {
        field: String,
        from_column: String,
        from: StorageType,
        column: String,
        storage: StorageType,
        type_name: String,
    },
    /// The field's key changed (`renamed_from`): its column, with its data, is now the
    /// new key's; the registry follows, the table is untouched.
    Rename {
        from: String,
        field: String,
        column: String,
    },
    /// Checks every stored value against the new field definition; any failure refuses the publish.
    Verify {
        field: String,
        column: String,
    },
    /// The field left the form; its column stays, inactive, with its data.
    Retire {
        field: String,
        column: String,
    },
    CreateIndex {
        column: String,
        name: String,
        unique: bool,
    },
    DropIndex {
        column: String,
        name: String,
    },
}

/// Plans the steps that bring `table` from its registry state `existing` to `fields`.
/// `table_exists` is false for a form published for the first time. `path` locates the
/// fields in the bundle for diagnostics.
pub fn plan_table(
    table: &str,
    table_exists: bool,
    existing: &[ColumnState],
    fields: &[Field],
    path: &str,
) -> Result<Vec<MigrationStep>, Vec<Diagnostic>> {
    let mut steps = Vec::new();
    let mut diags = Vec::new();
    if !table_exists {
        steps.push(MigrationStep::CreateTable);
    }
    let mut taken: Vec<String> = existing.iter().map(|c| c.column.clone()).collect();
    for (i, field) in fields.iter().enumerate() {
        let Some(storage) = StorageType::of(field) else {
            continue;
        };
        let type_name = field.kind.name().to_owned();
        let active =
            existing.iter().find(|c| c.active && c.field == field.key).or_else(|| renamed(existing, fields, field));
        if let Some(current) = active.filter(|c| c.field != field.key) {
            steps.push(MigrationStep::Rename {
                from: current.field.clone(),
                field: field.key.clone(),
                column: current.column.clone(),
            });
        }
        let (column, indexed, unique) = match active {
            Some(current) if current.storage == storage => {
                if current.type_name != type_name && narrows(&current.type_name, &type_name) {
                    steps.push(MigrationStep::Verify { field: field.key.clone(), column: current.column.clone() });
                }
                (current.column.clone(), current.indexed, current.unique)
            }
            Some(current) => match conversion(&current.storage, &storage) {
                Ok(()) => {
                    let column = fresh_column(&field.key, &mut taken);
                    drop_indexes(table, current, &mut steps);
                    steps.push(MigrationStep::Convert {
                        field: field.key.clone(),
                        from_column: current.column.clone(),
                        from: current.storage.clone(),
                        column: column.clone(),
                        storage: storage.clone(),
                        type_name,
                    });
                    (column, false, false)
                }
                Err(reason) => {
                    diags.push(Diagnostic::new(
                        format!("{path}/{i}/type"),
                        "type_change_refused",
                        format!(
                            "`{}` is stored as {} and cannot become {}: {reason}. Add a new field instead; the old data stays.",
                            field.key,
                            current.storage.signature(),
                            storage.signature()
                        ),
                    ));
                    continue;
                }
            },
            None => match existing.iter().find(|c| !c.active && c.field == field.key && c.storage == storage) {
                Some(retired) => {
                    steps.push(MigrationStep::Reactivate {
                        field: field.key.clone(),
                        column: retired.column.clone(),
                        type_name,
                    });
                    (retired.column.clone(), false, false)
                }
                None => {
                    let column = fresh_column(&field.key, &mut taken);
                    steps.push(MigrationStep::AddColumn {
                        field: field.key.clone(),
                        column: column.clone(),
                        storage: storage.clone(),
                        type_name,
                    });
                    (column, false, false)
                }
            },
        };
        plan_indexes(table, field, &storage, &column, indexed, unique, &mut steps);
    }
    for current in existing.iter().filter(|c| c.active) {
        let followed = fields.iter().any(|f| renamed(existing, fields, f).is_some_and(|c| c.column == current.column));
        if !followed && !fields.iter().any(|f| f.key == current.field && StorageType::of(f).is_some()) {
            drop_indexes(table, current, &mut steps);
            steps.push(MigrationStep::Retire { field: current.field.clone(), column: current.column.clone() });
        }
    }
    if diags.is_empty() { Ok(steps) } else { Err(diags) }
}

/// The active column a renamed field follows: the one of the key it was published under,
/// while no field of the form has that key again.
fn renamed<'a>(existing: &'a [ColumnState], fields: &[Field], field: &Field) -> Option<&'a ColumnState> {
    let from = field.renamed_from.as_deref()?;
    if fields.iter().any(|f| f.key == from) || existing.iter().any(|c| c.active && c.field == field.key) {
        return None;
    }
    existing.iter().find(|c| c.active && c.field == from)
}

/// Relations are always indexed: lookups and the "still referenced?" check on delete use it.
fn plan_indexes(
    table: &str,
    field: &Field,
    storage: &StorageType,
    column: &str,
    indexed: bool,
    unique: bool,
    steps: &mut Vec<MigrationStep>,
) {
    let want_index = (field.index || matches!(storage, StorageType::Link(_))) && !field.unique;
    for (want, have, is_unique) in [(want_index, indexed, false), (field.unique, unique, true)] {
        let name = index_name(table, column, is_unique);
        if want && !have {
            steps.push(MigrationStep::CreateIndex { column: column.to_owned(), name, unique: is_unique });
        } else if !want && have {
            steps.push(MigrationStep::DropIndex { column: column.to_owned(), name });
        }
    }
}

fn drop_indexes(table: &str, current: &ColumnState, steps: &mut Vec<MigrationStep>) {
    for (have, is_unique) in [(current.indexed, false), (current.unique, true)] {
        if have {
            steps.push(MigrationStep::DropIndex {
                column: current.column.clone(),
                name: index_name(table, &current.column, is_unique),
            });
        }
    }
}

/// Whether moving between two types of the same storage can make stored values invalid.
fn narrows(from: &str, to: &str) -> bool {
    !matches!((from, to), (_, "text") | ("text" | "email" | "phone", "long_text"))
}

/// The storage changes Trellis converts (each value checked); everything else is refused.
fn conversion(from: &StorageType, to: &StorageType) -> Result<(), &'static str> {
    match (from, to) {
        (StorageType::Integer, StorageType::Decimal { .. }) => Ok(()),
        (StorageType::Decimal { scale: s1, .. }, StorageType::Decimal { scale: s2, .. }) if s2 >= s1 => Ok(()),
        (StorageType::Decimal { .. }, StorageType::Decimal { .. }) => {
            Err("fewer digits after the point would round stored amounts")
        }
        (StorageType::Decimal { .. }, StorageType::Integer) => Err("stored fractions would be lost"),
        (StorageType::Date, StorageType::DateTime) => Err("a date has no time zone, so the instant would be a guess"),
        (StorageType::Link(_), StorageType::Link(_)) => Err("stored ids point at records of the old form"),
        _ => Err("Trellis has no exact conversion between these types"),
    }
}

/// The first unused column name for a field: `f_key`, then `f_key__2`, `f_key__3`, …
fn fresh_column(key: &str, taken: &mut Vec<String>) -> String {
    let base = format!("f_{key}");
    let name = std::iter::once(base.clone())
        .chain((2..).map(|n| format!("{base}__{n}")))
        .find(|n| !taken.contains(n))
        .unwrap_or(base);
    taken.push(name.clone());
    name
}
