//! Apps and forms defined as JSON metadata: parsing, validation, record checking,
//! storage plans and the per-app OpenAPI document. Pure: no IO, no clock.

mod diagnostic;
mod draft;
mod formula;
mod lower;
mod mask;
mod migrate;
mod model;
mod openapi;
mod reads;
mod record;
mod schema;
mod storage;
mod value;

pub use diagnostic::Diagnostic;
pub use draft::{Draft, check_draft};
pub use formula::{
    Collection, FormSchema, MAX_PATH_HOPS, ResultType, StoredValues, compute as compute_formula, expr_value,
    expression_type, field_type, formula_context, rows_read, zoneless_today,
};
pub use lower::{lower_form, parse_bundle};
pub use mask::{HIDDEN, Mask};
pub use migrate::{ColumnState, MigrationStep, plan_table};
pub use model::{Bundle, Field, FieldType, Form, Labels, SelectOption, TextKind};
pub use openapi::{add_common_answers, app_openapi};
pub use reads::{forms_on_path, forms_read};
pub use record::{
    CheckMode, CheckedRecord, FieldError, MAX_ROWS, check_conditions, check_record, check_value, parse_date,
    parse_instant,
};
pub use schema::{bundle_schema, form_schema};
pub use storage::{StorageType, child_table_name, index_name, main_table_name};
pub use value::{FieldValue, format_datetime};
