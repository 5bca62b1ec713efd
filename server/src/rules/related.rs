//! The values of related records a rule reads (`customer.relationship_manager`,
//! `customer.aum`), the outputs of decision tables on the record (`customer_tier.tier`),
//! and its aggregates over related records (`sum(customer.transaction, amount)`), loaded
//! before the rule is evaluated: the engine reads values, it does not query. Each related
//! record is read once per evaluation; each aggregate is one query, so a customer's whole
//! history is summed by the database, never loaded.

use std::collections::HashMap;

use engine_form::{Collection, FieldValue, Form, FormSchema};
use engine_rule::{EventRule, Expr, ExprKind, Record, Value as ExprValue};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr as Sql, ExprTrait, Query};

use crate::catalog::PublishedApp;
use crate::error::Error;
use crate::expr_sql::{self, FormScope};
use crate::records::FormCtx;
use crate::records::values::RecordValues;

/// What rules read beyond the record's own fields.
#[derive(Default)]
pub struct Needs {
    /// Paths through relations or decision tables, each once and without a leading `old.`.
    pub paths: Vec<Vec<String>>,
    /// Aggregate calls, each once.
    pub aggregates: Vec<Expr>,
}

impl Needs {
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.aggregates.is_empty()
    }
}

/// What `rules` read beyond the record's own fields.
pub fn related_paths<'r>(rules: impl IntoIterator<Item = &'r EventRule>) -> Needs {
    let mut out = Needs::default();
    for rule in rules {
        let (paths, aggregates) = rule.reads();
        for path in paths {
            let path = if path.first().is_some_and(|p| p == "old") { path[1..].to_vec() } else { path };
            if path.len() > 1 && !out.paths.contains(&path) {
                out.paths.push(path);
            }
        }
        for call in aggregates {
            if !out.aggregates.contains(call) {
                out.aggregates.push(call.clone());
            }
        }
    }
    out
}

/// Fills `record.related` with the value at each of the paths `needs` names, following
/// relation fields from the record's own values (a missing link reads as null), and
/// `record.aggregates` with the value of each aggregate over related records.
pub async fn load(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    record: &mut RecordValues<'_>,
    needs: &Needs,
) -> Result<(), Error> {
    load_with(c, app, record, needs, &mut Related::new()).await
}

/// Related records read, by form and id: what `load_with` reads once for many records.
pub type Related = HashMap<(String, i64), Vec<(String, FieldValue)>>;

/// [`load`], each related record read once into `cache` for all the records it loads
/// (the records of one batch share their managers and branches).
pub async fn load_with(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    record: &mut RecordValues<'_>,
    needs: &Needs,
    cache: &mut Related,
) -> Result<(), Error> {
    for call in &needs.aggregates {
        if let Some(value) = aggregate(c, app, record, call).await? {
            record.aggregates.push((call.clone(), value));
        }
    }
    for path in &needs.paths {
        if let [table, output] = &path[..]
            && let Some(decision) = app.decisions.iter().find(|d| d.form == record.form.key && d.table.key == *table)
        {
            // A decision table on the record: its output, for the values the record has.
            let ctx = record.ctx;
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
            let ctx = FormCtx::new(app, &target, c.get_database_backend(), record.ctx.now)?;
            let key = (target.clone(), link);
            if !cache.contains_key(&key) {
                let Some((_, loaded)) = crate::records::read::current_values(c, &ctx, link).await? else {
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
            RecordValues::new(form, id, values, record.ctx).value(std::slice::from_ref(last))
        } else {
            ExprValue::Null
        };
        record.related.push((path.clone(), value));
    }
    Ok(())
}

/// The value of the aggregate `call` over related records for the stored record, computed
/// by the database as the same call in a list filter is; `None` for a sub-table, whose
/// rows are in the record's values. A record not stored yet (id 0) has no related rows.
async fn aggregate(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    record: &RecordValues<'_>,
    call: &Expr,
) -> Result<Option<ExprValue>, Error> {
    let ExprKind::Call(_, args) = &call.kind else { return Ok(None) };
    let Some(ExprKind::Path(path)) = args.first().map(|a| &a.kind) else { return Ok(None) };
    let schema = FormSchema { bundle: &app.bundle, form: record.form };
    let Some(Collection::Related { hops, .. }) = schema.collection(path) else { return Ok(None) };
    if let Some(hop) = hops.first() {
        // Over the records related to a linked one (`customer.deposit_account`): asked of
        // that record, which is there even when this one was just deleted.
        return Box::pin(aggregate_from_link(c, app, record, hop, call)).await;
    }
    let ctx = FormCtx::new(app, &record.form.key, c.get_database_backend(), record.ctx.now)?;
    let (_, compiled) = expr_sql::compile(call, &FormScope::new(&ctx), ctx.backend, &record.ctx)
        .map_err(|errors| Error::Internal(anyhow::anyhow!("aggregate {call:?} does not compile: {errors:?}")))?;
    let table = Alias::new(&ctx.map.table);
    let select = Query::select()
        .expr(compiled.expr.clone())
        .from(table.clone())
        .and_where(Sql::col((table, Alias::new("id"))).eq(record.id))
        .to_owned();
    let Some(row) = c.query_one(&select).await? else {
        // Not stored (yet): no rows relate to it.
        return Ok(Some(empty(call)));
    };
    Ok(Some(expr_sql::decode(&row, 0, compiled.repr, ctx.backend)?))
}

/// `aggregate` of `call`, whose collection begins with the relation `hop`, as the record
/// the relation links to reads it without that hop; null without a link (count and sum: 0).
async fn aggregate_from_link(
    c: &impl ConnectionTrait,
    app: &PublishedApp,
    record: &RecordValues<'_>,
    hop: &str,
    call: &Expr,
) -> Result<Option<ExprValue>, Error> {
    let link = record.values.iter().find(|(k, _)| k == hop).and_then(|(_, v)| match v {
        FieldValue::Link(id) => Some(*id),
        _ => None,
    });
    let target = match record.form.field(hop).map(|f| &f.kind) {
        Some(engine_form::FieldType::Relation { form, .. }) => app.form(form)?,
        _ => return Ok(None),
    };
    let mut shortened = call.clone();
    if let ExprKind::Call(_, args) = &mut shortened.kind
        && let Some(ExprKind::Path(path)) = args.first_mut().map(|a| &mut a.kind)
    {
        path.remove(0);
    }
    let Some(link) = link else { return Ok(Some(empty(call))) };
    let linked = RecordValues::new(target, link, Vec::new(), record.ctx);
    aggregate(c, app, &linked, &shortened).await
}

/// What an aggregate over no rows is.
fn empty(call: &Expr) -> ExprValue {
    match &call.kind {
        ExprKind::Call(name, _) if name == "count" || name == "sum" => ExprValue::Integer(0),
        _ => ExprValue::Null,
    }
}
