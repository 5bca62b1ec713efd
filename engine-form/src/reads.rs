//! Which forms an expression over a form's records reads: its own, the forms its paths
//! reach through relations (`relationship_manager.branch.name`), and those its aggregates
//! go over (`sum(customer.deposit_account, balance)`). What a cached answer depends on: a
//! write to any of them may change it.

use std::collections::BTreeSet;

use engine_rule::{Expr, ExprKind};

use crate::formula::{Collection, FormSchema};
use crate::model::{Bundle, FieldType, Form};

/// The forms `exprs`, read over records of `form`, read (with `form` itself).
pub fn forms_read<'e>(bundle: &Bundle, form: &Form, exprs: impl IntoIterator<Item = &'e Expr>) -> BTreeSet<String> {
    let mut out = BTreeSet::from([form.key.clone()]);
    for expr in exprs {
        walk(bundle, form, expr, &mut out);
    }
    out
}

/// The forms the relation path `path` passes through from `form` (the last key a field).
pub fn forms_on_path(bundle: &Bundle, form: &Form, path: &[String], out: &mut BTreeSet<String>) {
    follow(bundle, form, path.split_last().map_or(&[][..], |(_, hops)| hops), out);
}

/// The forms reached from `form` by the relation fields `hops`, as far as they are relations.
fn follow(bundle: &Bundle, form: &Form, hops: &[String], out: &mut BTreeSet<String>) {
    let mut at = form;
    for hop in hops {
        let Some(FieldType::Relation { form: target, .. }) = at.field(hop).map(|f| &f.kind) else { return };
        let Some(next) = bundle.form(target) else { return };
        out.insert(next.key.clone());
        at = next;
    }
}

fn walk(bundle: &Bundle, form: &Form, expr: &Expr, out: &mut BTreeSet<String>) {
    match &expr.kind {
        ExprKind::Path(path) if path.first().is_some_and(|p| p.starts_with('$')) => {}
        ExprKind::Path(path) => {
            let path = if path.first().is_some_and(|p| p == "old") { &path[1..] } else { &path[..] };
            forms_on_path(bundle, form, path, out);
        }
        ExprKind::Call(name, args) if engine_rule::Aggregate::named(name).is_some() => {
            let collection = match args.first().map(|a| &a.kind) {
                Some(ExprKind::Path(path)) => FormSchema { bundle, form }.collection(path),
                _ => None,
            };
            match collection {
                Some(Collection::Related { hops, form: child, .. }) => {
                    follow(bundle, form, hops, out);
                    out.insert(child.key.clone());
                    for arg in &args[1..] {
                        walk(bundle, child, arg, out);
                    }
                }
                // A sub-table's rows are the record's own.
                Some(Collection::SubTable { .. }) => {}
                None => args.iter().for_each(|a| walk(bundle, form, a, out)),
            }
        }
        _ => expr.children().into_iter().for_each(|c| walk(bundle, form, c, out)),
    }
}
