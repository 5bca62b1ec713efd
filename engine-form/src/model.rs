//! The lowered, checked model of an app: what the engines and the server work with.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::value::FieldValue;

/// A text in several languages, keyed by locale (`zh-CN`, `en`).
pub type Labels = BTreeMap<String, String>;

/// A checked app bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub key: String,
    pub name: Labels,
    pub forms: Vec<Form>,
    /// Business-day calendars, by key: `add_business_days(d, 3, 'cn_bank')`.
    pub calendars: engine_rule::Calendars,
    /// The language the app is read in by users who have chosen none (`zh-CN`, `en`): texts
    /// given in several languages show this one; `None`, texts as written.
    pub language: Option<String>,
}

impl Bundle {
    pub fn form(&self, key: &str) -> Option<&Form> {
        self.forms.iter().find(|f| f.key == key)
    }
}

/// A checked form: the definition of one kind of record.
#[derive(Debug, Clone)]
pub struct Form {
    pub key: String,
    pub label: Labels,
    pub title_field: Option<String>,
    /// The field holding the Trellis user name of the person a record is (a relationship
    /// manager's `login`): tasks and messages addressed to such a record go to that user.
    pub user_field: Option<String>,
    /// The yes/no field that, when yes, says the person a record is takes no automatic
    /// messages: no SMS or e-mail a rule or process sends about the record or a record
    /// linking to it leaves (each is kept in the outbox as `opted_out`).
    pub opt_out: Option<String>,
    pub fields: Vec<Field>,
    /// Conditions every record must meet.
    pub validations: Vec<Validation>,
}

/// A condition every record of a form must meet, with the message shown when it does not.
#[derive(Debug, Clone)]
pub struct Validation {
    pub key: String,
    pub condition: engine_rule::Expr,
    pub message: Labels,
    /// The field the message belongs to; the whole record when `None`.
    pub field: Option<String>,
}

impl Form {
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The fields other systems may name records by (a bulk upsert's key, a relation
    /// given by key): unique text and integer fields.
    pub fn key_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.unique && matches!(f.kind, FieldType::Text { .. } | FieldType::Integer { .. }))
    }

    /// Whether records must be checked against conditions after a write
    /// (`check_conditions`): the form has validations or conditionally shown fields.
    pub fn has_conditions(&self) -> bool {
        !self.validations.is_empty() || self.fields.iter().any(|f| f.visible_when.is_some())
    }
}

/// A checked field.
#[derive(Debug, Clone)]
pub struct Field {
    pub key: String,
    pub label: Labels,
    pub help: Option<Labels>,
    pub required: bool,
    pub unique: bool,
    pub index: bool,
    pub personal_data: bool,
    pub default: Option<FieldValue>,
    /// While this condition does not hold the field is hidden: not required, and a value
    /// sent for it is refused.
    pub visible_when: Option<engine_rule::Expr>,
    /// The key the field was published under before a rename: its column and data follow it.
    pub renamed_from: Option<String>,
    pub kind: FieldType,
}

/// Which of the text-like field types a text field is; they share storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    Text,
    LongText,
    Email,
    Phone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectOption {
    pub value: String,
    pub label: Labels,
}

/// A field's type with the parameters that belong to it.
#[derive(Debug, Clone)]
pub enum FieldType {
    Text {
        kind: TextKind,
        min_length: Option<u32>,
        max_length: u32,
        pattern: Option<regex::Regex>,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    /// Exact decimal: at most `precision` significant digits, `scale` of them after the point.
    Decimal {
        precision: u32,
        scale: u32,
        min: Option<Decimal>,
        max: Option<Decimal>,
        currency: Option<String>,
    },
    Boolean,
    Date {
        min: Option<NaiveDate>,
        max: Option<NaiveDate>,
    },
    DateTime,
    SingleSelect {
        options: Vec<SelectOption>,
    },
    MultiSelect {
        options: Vec<SelectOption>,
    },
    /// Many-to-one link to a record of `form`; `lookup` fields of it are returned with the record.
    Relation {
        form: String,
        lookup: Vec<String>,
    },
    /// Child rows owned by the record.
    SubTable {
        fields: Vec<Field>,
    },
    /// Files stored by the server, referenced by id.
    Attachment {
        max_files: u32,
        max_size: u64,
        accept: Vec<String>,
    },
    /// Computed and read-only, in the expression language (engine-rule), from the form's
    /// other fields.
    Formula {
        expression: String,
        expr: engine_rule::Expr,
        result: crate::formula::ResultType,
    },
}

impl FieldType {
    /// The type's name as written in metadata.
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::Text { kind: TextKind::Text, .. } => "text",
            FieldType::Text { kind: TextKind::LongText, .. } => "long_text",
            FieldType::Text { kind: TextKind::Email, .. } => "email",
            FieldType::Text { kind: TextKind::Phone, .. } => "phone",
            FieldType::Integer { .. } => "integer",
            FieldType::Decimal { .. } => "decimal",
            FieldType::Boolean => "boolean",
            FieldType::Date { .. } => "date",
            FieldType::DateTime => "datetime",
            FieldType::SingleSelect { .. } => "single_select",
            FieldType::MultiSelect { .. } => "multi_select",
            FieldType::Relation { .. } => "relation",
            FieldType::SubTable { .. } => "sub_table",
            FieldType::Attachment { .. } => "attachment",
            FieldType::Formula { .. } => "formula",
        }
    }

    /// Whether values of this type can be compared and sorted in a list.
    pub fn is_sortable(&self) -> bool {
        !matches!(
            self,
            FieldType::MultiSelect { .. }
                | FieldType::SubTable { .. }
                | FieldType::Attachment { .. }
                | FieldType::Formula { .. }
        )
    }
}
