//! Event rules: "when this happens to a record (or this event arrives), and this holds,
//! do these things". The engine decides and explains; the server executes the actions.
//!
//! ```json
//! { "key": "large_outflow", "priority": 10,
//!   "trigger": { "on": "event", "event": "transaction" },
//!   "condition": "direction == 'out' and amount > customer_aum * 0.3",
//!   "actions": [ { "type": "create_task", "title": "'Large outflow: ' & customer_name",
//!                  "assignee": "relationship_manager", "priority": "high", "due_in_hours": 2 } ] }
//! ```
//! In a rule on `updated` or `deleted`, `old.field` reads the value before the change, so
//! "changed from A to B" is `old.tier == 'affluent' and tier == 'hnw'`.

mod parse;
mod schedule;

use crate::action::{Action, ActionSpec};
pub use parse::{AppCatalog, EventRule, TriggerKind, parse_rule};
pub use schedule::Schedule;

use crate::expr::ExprError;
use crate::expr::aggregate::AggregateCall;
use crate::expr::ast::{Expr, ExprKind};
use crate::expr::eval::{Context, Record, evaluate};
use crate::expr::value::Value;

/// What happened.
pub enum Trigger<'a> {
    Created {
        id: i64,
        version: i64,
        record: &'a dyn Record,
    },
    Updated {
        id: i64,
        version: i64,
        before: &'a dyn Record,
        after: &'a dyn Record,
    },
    Deleted {
        id: i64,
        version: i64,
        before: &'a dyn Record,
    },
    Event {
        name: &'a str,
        event_id: &'a str,
        payload: &'a dyn Record,
    },
    /// A scheduled scan found this record at the `occurrence` it ran for.
    Scheduled {
        occurrence: chrono::DateTime<chrono::Utc>,
        id: i64,
        record: &'a dyn Record,
    },
}

/// A rule that fired, with everything needed to act once and to explain why.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    pub rule: String,
    pub rule_version: i64,
    /// The same trigger always gives the same key, so the server can refuse a second firing.
    pub idempotency_key: String,
    /// Every field the condition read, with its value: the explanation.
    pub read: Vec<(String, Value)>,
    pub actions: Vec<Action>,
}

/// Reads current values from one record and `old.` values from another.
struct BeforeAfter<'a> {
    before: Option<&'a dyn Record>,
    after: &'a dyn Record,
}

impl Record for BeforeAfter<'_> {
    fn value(&self, path: &[String]) -> Value {
        match (path.first().map(String::as_str), self.before) {
            (Some("old"), Some(before)) if path.len() > 1 => before.value(&path[1..]),
            _ => self.after.value(path),
        }
    }

    fn rows(&self, path: &[String]) -> Option<Vec<Box<dyn Record + '_>>> {
        self.after.rows(path)
    }

    fn aggregate(&self, call: &Expr) -> Option<Value> {
        self.after.aggregate(call)
    }
}

/// The field paths an expression reads, each once, in order of appearance, and the
/// aggregate calls in it (whose arguments after the first are read in each row, so they
/// are not paths of the record). `is_rows` tells which paths are collections.
pub(crate) fn reads<'e>(
    expr: &'e Expr,
    is_rows: &dyn Fn(&[String]) -> bool,
    paths: &mut Vec<Vec<String>>,
    aggregates: &mut Vec<&'e Expr>,
    collections: &mut Vec<Vec<String>>,
) {
    if let ExprKind::Call(name, args) = &expr.kind
        && let Some(Ok(call)) = AggregateCall::of(name, args, is_rows)
    {
        aggregates.push(expr);
        if !collections.iter().any(|c| c == call.rows) {
            collections.push(call.rows.to_vec());
        }
        return;
    }
    if let ExprKind::Path(p) = &expr.kind
        && !paths.contains(p)
    {
        paths.push(p.clone());
    }
    for child in expr.children() {
        reads(child, is_rows, paths, aggregates, collections);
    }
}

impl EventRule {
    /// Every field path the rule reads, in its condition and its actions, each once, and
    /// every aggregate call in them. The server loads related records' values
    /// (`customer.relationship_manager`) and computes aggregates from these.
    pub fn reads(&self) -> (Vec<Vec<String>>, Vec<&Expr>) {
        let (mut paths, mut aggregates) = (Vec::new(), Vec::new());
        let is_rows = |p: &[String]| self.collections.iter().any(|c| c == p);
        for expr in self.condition.iter().chain(&self.once_per).chain(self.actions.iter().flat_map(ActionSpec::exprs)) {
            reads(expr, &is_rows, &mut paths, &mut aggregates, &mut Vec::new());
        }
        // The related record an `update_fields` updates is found through its path too.
        for action in &self.actions {
            if let ActionSpec::UpdateFields { record: Some((path, _)), .. } = action
                && !paths.contains(path)
            {
                paths.push(path.clone());
            }
        }
        (paths, aggregates)
    }

    /// The field paths whether and when the rule fires depends on: its condition's and its
    /// `once_per`'s, each once (`old.` paths as written). Aggregates name the rows they read.
    /// Who may not see one of them in clear may not learn that, or when, it fired.
    pub fn condition_paths(&self) -> Vec<String> {
        let is_rows = |p: &[String]| self.collections.iter().any(|c| c == p);
        let (mut paths, mut collections) = (Vec::new(), Vec::new());
        for expr in self.condition.iter().chain(&self.once_per) {
            reads(expr, &is_rows, &mut paths, &mut Vec::new(), &mut collections);
        }
        paths.into_iter().chain(collections).map(|p| p.join(".")).collect()
    }

    /// The condition, for the server to compile into the SQL of a scheduled scan.
    pub fn condition(&self) -> Option<&Expr> {
        self.condition.as_ref()
    }

    /// The key a firing of this rule for `trigger` carries: the same trigger always gives
    /// the same key, so the server can refuse to act twice (and record a failure under it).
    pub fn idempotency_key(&self, trigger: &Trigger<'_>) -> String {
        format!("{}:{}:{}", self.key, self.version, Self::subject(trigger).1)
    }

    /// The trigger's kind, its key, and the data the rule reads.
    fn subject<'t>(trigger: &'t Trigger<'t>) -> (TriggerKind, String, BeforeAfter<'t>) {
        match trigger {
            Trigger::Created { id, version, record } => {
                (TriggerKind::Created, format!("created:{id}:{version}"), BeforeAfter { before: None, after: *record })
            }
            Trigger::Updated { id, version, before, after } => (
                TriggerKind::Updated,
                format!("updated:{id}:{version}"),
                BeforeAfter { before: Some(*before), after: *after },
            ),
            // A deleted record is read as it was; `old.` reads the same values.
            Trigger::Deleted { id, version, before } => (
                TriggerKind::Deleted,
                format!("deleted:{id}:{version}"),
                BeforeAfter { before: Some(*before), after: *before },
            ),
            Trigger::Scheduled { occurrence, id, record } => (
                TriggerKind::Schedule,
                format!("scheduled:{}:{id}", occurrence.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                BeforeAfter { before: None, after: *record },
            ),
            Trigger::Event { name, event_id, payload } => {
                (TriggerKind::Event, format!("event:{name}:{event_id}"), BeforeAfter { before: None, after: *payload })
            }
        }
    }

    /// The record a trigger is about, as a `once_per` key names it (an event: its name).
    fn record_of(trigger: &Trigger<'_>) -> String {
        match trigger {
            Trigger::Created { id, .. }
            | Trigger::Updated { id, .. }
            | Trigger::Deleted { id, .. }
            | Trigger::Scheduled { id, .. } => id.to_string(),
            Trigger::Event { name, .. } => (*name).to_owned(),
        }
    }

    /// Decides whether the rule fires for `trigger`; if so, evaluates its actions.
    pub fn fire(&self, trigger: &Trigger<'_>, ctx: &Context) -> Result<Option<Firing>, ExprError> {
        if let Trigger::Event { name, .. } = trigger
            && Some(*name) != self.event.as_deref()
        {
            return Ok(None);
        }
        let (kind, key, data) = Self::subject(trigger);
        if !self.trigger.covers(kind) {
            return Ok(None);
        }
        if let Some(condition) = &self.condition
            && evaluate(condition, &data, ctx)? != Value::Bool(true)
        {
            return Ok(None);
        }
        let mut read = Vec::new();
        if let Some(condition) = &self.condition {
            let (mut found, mut aggregates) = (Vec::new(), Vec::new());
            let is_rows = |p: &[String]| self.collections.iter().any(|c| c == p);
            reads(condition, &is_rows, &mut found, &mut aggregates, &mut Vec::new());
            read = found.into_iter().map(|p| (p.join("."), data.value(&p))).collect();
            for call in aggregates {
                let text = self.condition_text.get(call.span.start..call.span.end).unwrap_or("aggregate");
                read.push((text.to_owned(), evaluate(call, &data, ctx)?));
            }
        }
        let actions =
            self.actions.iter().map(|a| a.evaluate(|e| evaluate(e, &data, ctx), ctx.now)).collect::<Result<_, _>>()?;
        let idempotency_key = match &self.once_per {
            // Without the version: publishing again does not fire again for the same value.
            Some(once_per) => {
                let value = evaluate(once_per, &data, ctx)?;
                read.push(("once_per".to_owned(), value.clone()));
                format!("{}:once:{}:{}", self.key, Self::record_of(trigger), value.to_text())
            }
            None => format!("{}:{}:{key}", self.key, self.version),
        };
        Ok(Some(Firing { rule: self.key.clone(), rule_version: self.version, idempotency_key, read, actions }))
    }
}

/// Orders rules for one trigger: higher priority first, then by key, so two rules that
/// set the same field always apply in the same order and the later one wins.
pub fn firing_order(rules: &mut [EventRule]) {
    rules.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.key.cmp(&b.key)));
}
