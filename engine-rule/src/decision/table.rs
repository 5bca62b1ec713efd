//! A checked decision table and its evaluation, explained.

use std::collections::BTreeMap;

use super::cell::INPUT;
use crate::expr::ast::{BinaryOp, Expr, ExprKind, Span};
use crate::expr::check::Schema;
use crate::expr::eval::{Context, Record, evaluate};
use crate::expr::types::Type;
use crate::expr::value::Value;
use crate::expr::{ExprError, ExprErrorKind};

/// How the matching rows become the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitPolicy {
    /// The first matching row, in table order.
    First,
    /// At most one row may match; two matching rows are an error.
    Unique,
    /// Every matching row, in table order.
    Collect,
    /// The matching row whose first output ranks highest in that output's `priorities`.
    Priority,
}

#[derive(Debug, Clone)]
pub(super) struct Output {
    pub key: String,
    pub priorities: Vec<Value>,
}

#[derive(Debug, Clone)]
pub(super) struct Rule {
    pub id: String,
    pub when: Vec<Option<Expr>>,
    pub then: Vec<Expr>,
}

/// A checked decision table.
#[derive(Debug, Clone)]
pub struct DecisionTable {
    pub key: String,
    pub hit_policy: HitPolicy,
    pub(super) inputs: Vec<(String, Expr)>,
    pub(super) outputs: Vec<Output>,
    /// The type of each output, unified over the rows.
    pub(super) output_types: Vec<Type>,
    pub(super) rules: Vec<Rule>,
}

/// The outcome of one evaluation, with its explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionResult {
    /// Each input's key and the value it read.
    pub inputs: Vec<(String, Value)>,
    /// The ids of the rows that matched, in table order.
    pub matched: Vec<String>,
    /// The chosen rows' ids and outputs: one at most, or every match under `collect`.
    pub selected: Vec<(String, BTreeMap<String, Value>)>,
}

/// Resolves `?` (the input value) inside condition cells, everything else from `inner`.
pub(super) struct WithInput<'a, T: ?Sized> {
    pub inner: &'a T,
    pub input: &'a Value,
    pub input_type: &'a Type,
}

impl<T: Schema + ?Sized> Schema for WithInput<'_, T> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        if path.len() == 1 && path[0] == INPUT { Some(self.input_type.clone()) } else { self.inner.type_of(path) }
    }

    fn rows(&self, path: &[String]) -> Option<Box<dyn Schema + '_>> {
        self.inner.rows(path)
    }

    fn has_calendar(&self, name: &str) -> Option<bool> {
        self.inner.has_calendar(name)
    }
}

impl<T: Record + ?Sized> Record for WithInput<'_, T> {
    fn value(&self, path: &[String]) -> Value {
        if path.len() == 1 && path[0] == INPUT { self.input.clone() } else { self.inner.value(path) }
    }

    fn rows(&self, path: &[String]) -> Option<Vec<Box<dyn Record + '_>>> {
        self.inner.rows(path)
    }

    fn aggregate(&self, call: &crate::Expr) -> Option<Value> {
        self.inner.aggregate(call)
    }
}

impl DecisionTable {
    /// The keys of the table's outputs.
    pub fn output_keys(&self) -> impl Iterator<Item = &str> {
        self.outputs.iter().map(|o| o.key.as_str())
    }

    /// The type an expression sees for `output`: the output's type, or a list of it under
    /// the `collect` hit policy; `None` if there is no such output.
    pub fn output_type(&self, output: &str) -> Option<Type> {
        let i = self.outputs.iter().position(|o| o.key == output)?;
        let t = self.output_types.get(i)?.clone();
        Some(if self.hit_policy == HitPolicy::Collect { Type::List(Box::new(t)) } else { t })
    }

    /// The value of `output` in `result`: the selected row's (null if none matched), or
    /// the list of every selected row's under `collect`.
    pub fn output_value(&self, result: &DecisionResult, output: &str) -> Value {
        let mut values = result.selected.iter().map(|(_, outs)| outs.get(output).cloned().unwrap_or(Value::Null));
        if self.hit_policy == HitPolicy::Collect {
            Value::List(values.collect())
        } else {
            values.next().unwrap_or(Value::Null)
        }
    }

    /// Evaluates the table for one record. Errors: an expression failed (overflow), or
    /// two rows matched under the `unique` policy.
    pub fn evaluate(&self, record: &dyn Record, ctx: &Context) -> Result<DecisionResult, ExprError> {
        let mut inputs = Vec::with_capacity(self.inputs.len());
        for (key, expr) in &self.inputs {
            inputs.push((key.clone(), evaluate(expr, record, ctx)?));
        }
        let mut matched: Vec<&Rule> = Vec::new();
        'rules: for rule in &self.rules {
            for (cell, (_, value)) in rule.when.iter().zip(&inputs) {
                let Some(test) = cell else { continue };
                let scoped = WithInput { inner: record, input: value, input_type: &Type::Any };
                // A null outcome (an empty input, say) does not match.
                if evaluate(test, &scoped, ctx)? != Value::Bool(true) {
                    continue 'rules;
                }
            }
            matched.push(rule);
            if self.hit_policy == HitPolicy::First {
                break;
            }
        }
        let chosen: Vec<&Rule> = match self.hit_policy {
            HitPolicy::First | HitPolicy::Collect => matched.clone(),
            HitPolicy::Unique if matched.len() > 1 => {
                let ids: Vec<&str> = matched.iter().map(|r| r.id.as_str()).collect();
                return Err(ExprError::new(
                    ExprErrorKind::Ambiguous,
                    Span::default(),
                    format!("table `{}` is unique but rows {} all match", self.key, ids.join(", ")),
                ));
            }
            HitPolicy::Unique => matched.clone(),
            HitPolicy::Priority => self.highest_priority(&matched, record, ctx)?.into_iter().collect(),
        };
        let mut selected = Vec::with_capacity(chosen.len());
        for rule in chosen {
            selected.push((rule.id.clone(), self.outputs_of(rule, record, ctx)?));
        }
        Ok(DecisionResult { inputs, matched: matched.iter().map(|r| r.id.clone()).collect(), selected })
    }

    fn outputs_of(
        &self,
        rule: &Rule,
        record: &dyn Record,
        ctx: &Context,
    ) -> Result<BTreeMap<String, Value>, ExprError> {
        let mut out = BTreeMap::new();
        for (output, expr) in self.outputs.iter().zip(&rule.then) {
            out.insert(output.key.clone(), evaluate(expr, record, ctx)?);
        }
        Ok(out)
    }

    /// One output of the table as a single expression over the record, for where the
    /// table must run as one expression (inside the database: list filters, scheduled
    /// scans): `if(row 1 matches, its output, if(row 2 matches, …, null))`, each input
    /// written into its cells. A row matches when every cell is true, as in `evaluate`.
    /// `first` tables translate as they are; `priority` tables whose first outputs are
    /// literals are first sorted by rank. `unique` (which must report two matches) and
    /// `collect` (a list) have no such form: `None`.
    pub fn as_expression(&self, output: &str) -> Option<Expr> {
        let column = self.outputs.iter().position(|o| o.key == output)?;
        let mut rules: Vec<&Rule> = self.rules.iter().collect();
        match self.hit_policy {
            HitPolicy::First => {}
            HitPolicy::Priority => {
                let priorities = &self.outputs[0].priorities;
                let mut ranked = Vec::with_capacity(rules.len());
                for rule in rules {
                    let value = crate::expr::eval::literal(&rule.then[0])?;
                    ranked.push((priorities.iter().position(|p| p.equals(&value)).unwrap_or(priorities.len()), rule));
                }
                ranked.sort_by_key(|(rank, _)| *rank);
                rules = ranked.into_iter().map(|(_, r)| r).collect();
            }
            HitPolicy::Unique | HitPolicy::Collect => return None,
        }
        let at = Span::default();
        let mut result = Expr { kind: ExprKind::Null, span: at };
        for rule in rules.into_iter().rev() {
            let cells: Vec<Expr> = rule
                .when
                .iter()
                .zip(&self.inputs)
                .filter_map(|(cell, (_, input))| cell.as_ref().map(|c| with_input(c, input)))
                .collect();
            let matches = cells
                .into_iter()
                .reduce(|a, b| Expr { kind: ExprKind::Binary(BinaryOp::And, Box::new(a), Box::new(b)), span: at })
                .unwrap_or(Expr { kind: ExprKind::Bool(true), span: at });
            let then = rule.then[column].clone();
            result = Expr { kind: ExprKind::Call("if".into(), vec![matches, then, result]), span: at };
        }
        // Each row is a level of the `if` chain: a table too large for one expression is
        // still evaluated row by row (`evaluate`), just not inside formulas and filters.
        crate::expr::parser::within_depth(&result).ok()?;
        Some(result)
    }

    /// The matching row whose first output comes earliest in `priorities`; a value not
    /// listed ranks last. Ties go to the earlier row.
    fn highest_priority<'r>(
        &self,
        matched: &[&'r Rule],
        record: &dyn Record,
        ctx: &Context,
    ) -> Result<Option<&'r Rule>, ExprError> {
        let priorities = &self.outputs[0].priorities;
        let mut best: Option<(usize, &Rule)> = None;
        for rule in matched {
            let value = evaluate(&rule.then[0], record, ctx)?;
            let rank = priorities.iter().position(|p| p.equals(&value)).unwrap_or(priorities.len());
            if best.is_none_or(|(b, _)| rank < b) {
                best = Some((rank, rule));
            }
        }
        Ok(best.map(|(_, r)| r))
    }
}

/// `cell` with the input value `?` replaced by the input's expression.
fn with_input(cell: &Expr, input: &Expr) -> Expr {
    if matches!(&cell.kind, ExprKind::Path(p) if p.len() == 1 && p[0] == INPUT) {
        return input.clone();
    }
    let mut out = cell.clone();
    for (child, original) in out.children_mut().into_iter().zip(cell.children()) {
        *child = with_input(original, input);
    }
    out
}
