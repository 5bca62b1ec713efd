//! The values of related records a rule reads (`customer.relationship_manager`,
//! `customer.aum`), and the outputs of decision tables on the record
//! (`customer_tier.tier`), loaded before the rule is evaluated: the engine reads values,
//! it does not query. Each related record is read once per evaluation.

use std::collections::HashMap;

use engine_form::{FieldValue, Form};
use engine_rule::{EventRule, Record, Value as ExprValue};
use sea_orm::ConnectionTrait;

use crate::api::error::ApiError;
use crate::catalog::PublishedApp;
use crate::records::FormCtx;
use crate::records::values::RecordValues;

/// The paths `rules` read that go through relations or decision tables, each once and
/// without a leading `old.`.
pub fn related_paths<'r>(rules: impl IntoIterator<Item = &'r EventRule>) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for path in rules.into_iter().flat_map(EventRule::paths) {
        let path = if path.first().is_some_and(|p| p == "old") { path[1..].to_vec() } else { path };
        if path.len() > 1 && !out.contains(&path) {
            out.push(path);
        }
    }
    out
}

/// Fills `record.related` with the value at each of `paths`, following relation fields
/// from the record's own values; a missing link reads as null.
pub async fn load(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    record: &mut RecordValues<'_>,
    paths: &[Vec<String>],
) -> Result<(), ApiError> {
    let mut cache: HashMap<(String, i64), Vec<(String, FieldValue)>> = HashMap::new();
    for path in paths {
        if let [table, output] = &path[..]
            && let Some(decision) = app.decisions.iter().find(|d| d.form == record.form.key && d.table.key == *table)
        {
            // A decision table on the record: its output, for the values the record has.
            let ctx = engine_rule::Context { now: record.now, today: record.now.date_naive() };
            let value = match decision.table.evaluate(&*record, &ctx) {
                Ok(result) => decision.table.output_value(&result, output),
                Err(_) => ExprValue::Null,
            };
            record.related.push((path.clone(), value));
            continue;
        }
        let (last, hops) = path.split_last().expect("related paths have hops");
        let mut form: &Form = record.form;
        let mut values = record.values.clone();
        let mut id = record.id;
        let mut found = true;
        for hop in hops {
            let target = match form.field(hop).map(|f| &f.kind) {
                Some(engine_form::FieldType::Relation { form: target, .. }) => target.clone(),
                _ => {
                    found = false;
                    break;
                }
            };
            let link = values.iter().find(|(k, _)| k == hop).and_then(|(_, v)| match v {
                FieldValue::Link(id) => Some(*id),
                _ => None,
            });
            let Some(link) = link else {
                found = false;
                break;
            };
            let ctx = FormCtx::new(app, &target, c.get_database_backend())?;
            let key = (target.clone(), link);
            if !cache.contains_key(&key) {
                let Some((_, loaded)) = super::current_values(c, &ctx, link).await? else {
                    found = false;
                    break;
                };
                cache.insert(key.clone(), loaded);
            }
            values = cache[&key].clone();
            form = ctx.form;
            id = link;
        }
        let value = if found {
            RecordValues::new(form, id, values, record.now).value(std::slice::from_ref(last))
        } else {
            ExprValue::Null
        };
        record.related.push((path.clone(), value));
    }
    Ok(())
}
