//! A record being typed: which fields its form shows for it and what its formulas come to,
//! decided by the same expression engine that checks the record when it is saved, so a
//! screen never runs a second implementation of the language.

use engine_rule::{Context, Value as ExprValue, evaluate};
use serde_json::{Map, Value};

use crate::diagnostic::join;
use crate::formula::{StoredValues, compute};
use crate::model::{FieldType, Form};
use crate::record::{FieldError, check_value};
use crate::value::FieldValue;

/// What a draft comes to.
#[derive(Debug, Default)]
pub struct Draft {
    /// The fields whose `visible_when` does not hold for the draft, in form order.
    pub hidden: Vec<String>,
    /// Each formula's value for the draft, in form order.
    pub formulas: Vec<(String, FieldValue)>,
    /// The typed values that do not fit their fields (a value left out is not one of them:
    /// required fields are said when the record is saved).
    pub errors: Vec<FieldError>,
}

/// The draft made of `stored` (the record as it stands, empty for a new one) with `typed`
/// over it. A typed value that does not fit its field counts as empty and is reported.
pub fn check_draft(
    form: &Form,
    stored: &[(String, FieldValue)],
    typed: &Map<String, Value>,
    ctx: &Context<'_>,
) -> Draft {
    let mut draft = Draft::default();
    let mut values: Vec<(String, FieldValue)> = stored.to_vec();
    for (key, raw) in typed {
        let path = join("", key);
        let Some(field) = form.field(key) else {
            draft.errors.push(FieldError::new(path, "unknown_field", format!("the form has no field `{key}`")));
            continue;
        };
        if matches!(field.kind, FieldType::Formula { .. }) {
            continue;
        }
        let value = match check_value(field, raw, &path) {
            Ok(value) => value,
            Err(errors) => {
                draft.errors.extend(errors);
                FieldValue::Null
            }
        };
        match values.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => values.push((key.clone(), value)),
        }
    }
    for field in &form.fields {
        if let Some(condition) = &field.visible_when
            && !matches!(evaluate(condition, &StoredValues(&values), ctx), Ok(ExprValue::Bool(true)))
        {
            draft.hidden.push(field.key.clone());
        }
        if matches!(field.kind, FieldType::Formula { .. }) {
            draft.formulas.push((field.key.clone(), compute(field, &values, ctx)));
        }
    }
    draft
}
