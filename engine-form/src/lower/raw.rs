//! The raw serde shapes of a bundle's documents, read before their meaning is checked.

use serde::Deserialize;
use serde_json::Value;

use crate::model::Labels;

#[derive(Deserialize)]
pub(super) struct RawBundle {
    pub(super) key: String,
    pub(super) name: Labels,
    #[serde(default)]
    pub(super) forms: Vec<Value>,
    #[serde(default)]
    pub(super) calendars: Vec<Value>,
    #[serde(default)]
    pub(super) decisions: Vec<Value>,
    pub(super) language: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawForm {
    pub(super) key: String,
    pub(super) label: Labels,
    pub(super) title_field: Option<String>,
    pub(super) user_field: Option<String>,
    pub(super) opt_out: Option<String>,
    pub(super) fields: Vec<RawField>,
    #[serde(default)]
    pub(super) validations: Vec<RawValidation>,
    #[serde(default)]
    pub(super) layout: RawLayout,
}

/// A form's layout (`columns`, `tabs`, `sections`), which the schema has shaped.
#[derive(Deserialize, Default)]
pub(super) struct RawLayout {
    #[serde(default)]
    pub(super) tabs: Vec<RawPart>,
    #[serde(default)]
    pub(super) sections: Vec<RawPart>,
}

/// A tab or a section: its key, the tab a section is on and the fields it holds.
#[derive(Deserialize)]
pub(super) struct RawPart {
    pub(super) key: String,
    pub(super) tab: Option<String>,
    #[serde(default)]
    pub(super) fields: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct RawValidation {
    pub(super) key: String,
    pub(super) condition: String,
    pub(super) message: Labels,
    pub(super) field: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawOption {
    pub(super) value: String,
    pub(super) label: Labels,
}

#[derive(Deserialize)]
pub(super) struct RawField {
    pub(super) key: String,
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) label: Labels,
    pub(super) help: Option<Labels>,
    #[serde(default)]
    pub(super) required: bool,
    #[serde(default)]
    pub(super) unique: bool,
    #[serde(default)]
    pub(super) index: bool,
    #[serde(default)]
    pub(super) personal_data: bool,
    pub(super) default: Option<Value>,
    pub(super) min: Option<Value>,
    pub(super) max: Option<Value>,
    pub(super) min_length: Option<u32>,
    pub(super) max_length: Option<u32>,
    pub(super) pattern: Option<String>,
    pub(super) precision: Option<u32>,
    pub(super) scale: Option<u32>,
    pub(super) currency: Option<String>,
    pub(super) options: Option<Vec<RawOption>>,
    pub(super) form: Option<String>,
    pub(super) lookup: Option<Vec<String>>,
    pub(super) fields: Option<Vec<RawField>>,
    pub(super) max_files: Option<u32>,
    pub(super) max_size: Option<u64>,
    pub(super) accept: Option<Vec<String>>,
    pub(super) expression: Option<String>,
    pub(super) visible_when: Option<String>,
    pub(super) result_type: Option<String>,
    pub(super) prefill: Option<String>,
    pub(super) renamed_from: Option<String>,
}
