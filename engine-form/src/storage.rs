//! How fields map to SQL storage: the storage type of each field and the names of
//! tables, columns and indexes. The server turns these into DDL for each backend.

use crate::model::{Field, FieldType};

/// The storage class of a column, independent of the database backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageType {
    Text,
    Integer,
    /// Exact decimal; `precision` total digits, `scale` after the point.
    Decimal {
        precision: u32,
        scale: u32,
    },
    Boolean,
    Date,
    /// An instant in UTC.
    DateTime,
    /// A JSON array stored as text (multi-select choices, attachment ids).
    Json,
    /// The id of a record of the named form.
    Link(String),
}

impl StorageType {
    /// The storage of a field; `None` for fields without a column of their own
    /// (sub-tables live in a child table, formulas are computed).
    pub fn of(field: &Field) -> Option<StorageType> {
        Some(match &field.kind {
            FieldType::Text { .. } | FieldType::SingleSelect { .. } => StorageType::Text,
            FieldType::Integer { .. } => StorageType::Integer,
            FieldType::Decimal { precision, scale, .. } => {
                StorageType::Decimal { precision: *precision, scale: *scale }
            }
            FieldType::Boolean => StorageType::Boolean,
            FieldType::Date { .. } => StorageType::Date,
            FieldType::DateTime => StorageType::DateTime,
            FieldType::MultiSelect { .. } | FieldType::Attachment { .. } => StorageType::Json,
            FieldType::Relation { form, .. } => StorageType::Link(form.clone()),
            FieldType::SubTable { .. } | FieldType::Formula { .. } => return None,
        })
    }

    /// A stable text form, kept in the column registry.
    pub fn signature(&self) -> String {
        match self {
            StorageType::Text => "text".into(),
            StorageType::Integer => "integer".into(),
            StorageType::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
            StorageType::Boolean => "boolean".into(),
            StorageType::Date => "date".into(),
            StorageType::DateTime => "datetime".into(),
            StorageType::Json => "json".into(),
            StorageType::Link(form) => format!("link:{form}"),
        }
    }

    pub fn parse(signature: &str) -> Option<StorageType> {
        Some(match signature {
            "text" => StorageType::Text,
            "integer" => StorageType::Integer,
            "boolean" => StorageType::Boolean,
            "date" => StorageType::Date,
            "datetime" => StorageType::DateTime,
            "json" => StorageType::Json,
            s if s.starts_with("link:") => StorageType::Link(s["link:".len()..].to_owned()),
            s if s.starts_with("decimal(") && s.ends_with(')') => {
                let (p, sc) = s["decimal(".len()..s.len() - 1].split_once(',')?;
                StorageType::Decimal { precision: p.parse().ok()?, scale: sc.parse().ok()? }
            }
            _ => return None,
        })
    }
}

/// The table of a form. App keys are at most 24 and form keys 32 characters, so the
/// name fits PostgreSQL's 63-character identifiers.
pub fn main_table_name(app: &str, form: &str) -> String {
    format!("t_{app}_{form}")
}

/// The child table that holds a sub-table field's rows; hashed to stay within 63 characters.
pub fn child_table_name(app: &str, form: &str, field: &str) -> String {
    format!("s_{:012x}_{field}", fnv1a(&format!("{app}\0{form}\0{field}")) & 0xffff_ffff_ffff)
}

/// The name of the index on one column of a table.
pub fn index_name(table: &str, column: &str, unique: bool) -> String {
    let prefix = if unique { "ux" } else { "ix" };
    let name = format!("{prefix}_{:012x}_{column}", fnv1a(&format!("{table}\0{column}")) & 0xffff_ffff_ffff);
    name.chars().take(63).collect()
}

/// FNV-1a: a small, stable hash. Stability matters more than quality here, because
/// the names it produces are stored in databases.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
