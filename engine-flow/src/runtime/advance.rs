//! Moving tokens: an event lets a waiting token go on; it passes through gateways, splits
//! and joins at once and comes to rest where the process waits (a task, a timer, a
//! service step, a message, a sub-process) or ends.

use chrono::{DateTime, Utc};
use engine_rule::{Expr, Value, evaluate};

use super::record::{FlowRecord, Stored};
use super::time::{due_after, due_at};
use super::{Command, Escalate, Event, FlowError, Input, Instance, Status, TaskOrder, Token, TokenState};
use crate::model::{EscalationAction, NodeKind, TimerSpec};

/// How many nodes one event may pass through before the engine calls it a runaway loop.
const MAX_STEPS: usize = 10_000;

pub(super) struct Run<'i, 'a> {
    pub instance: &'i mut Instance,
    pub input: &'i Input<'a>,
    pub commands: Vec<Command>,
    pub steps: usize,
}

impl Run<'_, '_> {
    pub fn apply(&mut self, event: Event<'_>) -> Result<(), FlowError> {
        match event {
            Event::Start => {
                let start = self.input.flow.start().ok_or_else(|| FlowError::NoNode("start".into()))?;
                let id = self.new_token(&start.id.clone());
                self.leave(id)
            }
            Event::TimerDue { token } => {
                self.expect(token, |s| matches!(s, TokenState::Timer { .. }))?;
                self.leave(token)
            }
            Event::ServiceDone { token } => {
                self.expect(token, |s| *s == TokenState::Service)?;
                self.leave(token)
            }
            Event::SubProcessDone { token } => {
                self.expect(token, |s| *s == TokenState::SubProcess)?;
                self.leave(token)
            }
            Event::TaskCompleted { token, outcome, values, by } => {
                let node = self.expect(token, |s| *s == TokenState::Task)?;
                if let (Some(NodeKind::UserTask(task)), Some(outcome)) =
                    (self.input.flow.node(&node).map(|n| &n.kind), &outcome)
                    && !task.outcomes.is_empty()
                    && !task.outcomes.contains(outcome)
                {
                    return Err(FlowError::BadOutcome { node, outcome: outcome.clone() });
                }
                let recorded = self.instance.outputs.entry(node).or_default();
                recorded.insert("outcome".into(), outcome.map_or(Stored::Null, Stored::Text));
                recorded.insert("completed_by".into(), Stored::Text(by));
                recorded.insert("completed_at".into(), Stored::DateTime(self.input.ctx.now));
                for (key, value) in &values {
                    recorded.insert(key.clone(), Stored::from(value));
                }
                self.leave(token)
            }
            Event::Message { event, data, values } => self.message(event, data, &values),
            Event::SubjectChanged => self.reschedule(),
            Event::Cancel => {
                for token in std::mem::take(&mut self.instance.tokens) {
                    self.commands.extend(match token.state {
                        TokenState::Timer { .. } => Some(Command::CancelTimer { token: token.id }),
                        TokenState::Task => Some(Command::CancelTask { token: token.id }),
                        TokenState::Message => Some(Command::CancelWait { token: token.id }),
                        _ => None,
                    });
                }
                self.instance.status = Status::Cancelled;
                Ok(())
            }
        }
    }

    /// The node of token `id`, if it is in a state `ok` accepts.
    fn expect(&self, id: u64, ok: impl Fn(&TokenState) -> bool) -> Result<String, FlowError> {
        let token = self.instance.token(id).ok_or(FlowError::NoToken(id))?;
        if !ok(&token.state) {
            return Err(FlowError::WrongState { token: id, node: token.node.clone() });
        }
        Ok(token.node.clone())
    }

    fn new_token(&mut self, node: &str) -> u64 {
        let id = self.instance.next_token;
        self.instance.next_token += 1;
        let since = self.input.ctx.now;
        self.instance.tokens.push(Token { id, node: node.to_owned(), state: TokenState::Joined, since });
        id
    }

    fn record(&self) -> FlowRecord<'_> {
        FlowRecord { subject: self.input.subject, outputs: &self.instance.outputs, event: None }
    }

    fn eval(&self, node: &str, expr: &Expr) -> Result<Value, FlowError> {
        evaluate(expr, &self.record(), self.input.ctx)
            .map_err(|e| FlowError::Expression { node: node.to_owned(), message: e.to_string() })
    }

    /// When a timer spec comes due from now; `None` while its date is empty.
    fn instant(&self, node: &str, spec: &TimerSpec) -> Result<Option<DateTime<Utc>>, FlowError> {
        Ok(match spec {
            TimerSpec::After(duration) => due_after(duration, self.input.ctx),
            TimerSpec::At { at, time, zone } => due_at(&self.eval(node, at)?, *time, zone.as_deref()),
        })
    }

    fn text(&self, node: &str, expr: &Expr) -> Result<Option<String>, FlowError> {
        Ok(match self.eval(node, expr)? {
            Value::Null => None,
            other => Some(other.to_text()),
        })
    }

    /// Token `id` leaves its node along the way out its node gives.
    fn leave(&mut self, id: u64) -> Result<(), FlowError> {
        let node = self.instance.token(id).ok_or(FlowError::NoToken(id))?.node.clone();
        let flow = self.input.flow;
        let kind = &flow.node(&node).ok_or_else(|| FlowError::NoNode(node.clone()))?.kind;
        let targets: Vec<String> = match kind {
            NodeKind::End => Vec::new(),
            NodeKind::Parallel => flow.outgoing(&node).map(|e| e.to.clone()).collect(),
            NodeKind::Exclusive => {
                let mut chosen = None;
                for edge in flow.outgoing(&node).filter(|e| !e.default) {
                    let holds = match &edge.condition {
                        Some(condition) => self.eval(&node, condition)? == Value::Bool(true),
                        None => true,
                    };
                    if holds {
                        chosen = Some(edge.to.clone());
                        break;
                    }
                }
                let default = || flow.outgoing(&node).find(|e| e.default).map(|e| e.to.clone());
                vec![chosen.or_else(default).ok_or(FlowError::NoWayOut { node: node.clone() })?]
            }
            _ => flow.outgoing(&node).map(|e| e.to.clone()).take(1).collect(),
        };
        self.instance.tokens.retain(|t| t.id != id);
        for target in targets {
            let next = self.new_token(&target);
            self.enter(next)?;
        }
        if self.instance.tokens.is_empty() && self.instance.status == Status::Running {
            self.instance.status = Status::Completed;
            self.commands.push(Command::Completed);
        }
        Ok(())
    }

    /// Token `id` has arrived at its node: it rests there, or goes on at once.
    fn enter(&mut self, id: u64) -> Result<(), FlowError> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(FlowError::Runaway(MAX_STEPS));
        }
        let node = self.instance.token(id).ok_or(FlowError::NoToken(id))?.node.clone();
        let flow = self.input.flow;
        let kind = &flow.node(&node).ok_or_else(|| FlowError::NoNode(node.clone()))?.kind;
        let state = match kind {
            NodeKind::Start(_) | NodeKind::Exclusive | NodeKind::Parallel | NodeKind::End => {
                return self.leave(id);
            }
            NodeKind::Join => {
                let arrived = self.instance.tokens.iter().filter(|t| t.node == node).count();
                if arrived < flow.incoming(&node).count() {
                    return Ok(()); // Waits, `Joined`, for the other branches.
                }
                // The last branch is in: the branches become this one token, which goes on.
                self.instance.tokens.retain(|t| t.node != node || t.id == id);
                return self.leave(id);
            }
            NodeKind::Timer(spec) => {
                let due = self.instant(&node, spec)?;
                self.commands.push(Command::ScheduleTimer { token: id, due });
                TokenState::Timer { due }
            }
            NodeKind::UserTask(task) => {
                let now = self.input.ctx.now;
                let mut escalations = Vec::new();
                for e in &task.escalations {
                    let Some(at) = due_after(&e.after, self.input.ctx) else { continue };
                    let action = match &e.action {
                        EscalationAction::Remind => Escalate::Remind,
                        EscalationAction::Escalate => Escalate::ToManager,
                        EscalationAction::Reassign { to } => match self.text(&node, to)? {
                            Some(user) => Escalate::Reassign(user),
                            None => continue,
                        },
                    };
                    escalations.push((at.max(now), action));
                }
                let title = task.title.evaluate(|e| self.eval(&node, e))?;
                let order = TaskOrder {
                    token: id,
                    node: node.clone(),
                    title: title.text,
                    titles: title.translations,
                    assignee: task.assignee.as_ref().map(|a| self.text(&node, a)).transpose()?.flatten(),
                    candidate_role: task.candidate_role.clone(),
                    candidate_unit: task.candidate_unit.as_ref().map(|u| self.text(&node, u)).transpose()?.flatten(),
                    priority: task.priority,
                    due: earliest(
                        task.due.as_ref().and_then(|d| due_after(d, self.input.ctx)),
                        task.due_by.as_ref().map(|spec| self.instant(&node, spec)).transpose()?.flatten(),
                    ),
                    escalations,
                };
                self.commands.push(Command::CreateTask(order));
                TokenState::Task
            }
            NodeKind::Service(action) => {
                let action = self.service(&node, action)?;
                self.commands.push(Command::RunService { token: id, node: node.clone(), action });
                TokenState::Service
            }
            NodeKind::SubProcess { flow: sub } => {
                self.commands.push(Command::StartSubProcess { token: id, flow: sub.clone() });
                TokenState::SubProcess
            }
            NodeKind::Message { event, key, .. } => {
                let key = self.message_key(&node, key.as_ref())?;
                self.commands.push(Command::WaitForMessage { token: id, event: event.clone(), key });
                TokenState::Message
            }
        };
        if let Some(token) = self.instance.tokens.iter_mut().find(|t| t.id == id) {
            token.state = state;
        }
        Ok(())
    }

    /// A service step's action with its values computed now, as the server runs it.
    fn service(&self, node: &str, action: &engine_rule::ActionSpec) -> Result<engine_rule::Action, FlowError> {
        action.evaluate(|expr| self.eval(node, expr), self.input.ctx.now)
    }

    /// An event arrived: each token waiting for it whose correlation holds records its
    /// data and goes on.
    fn message(
        &mut self,
        event: &str,
        data: &dyn engine_rule::Record,
        values: &[(String, Value)],
    ) -> Result<(), FlowError> {
        let waiting = self.message_tokens();
        for (id, node) in waiting {
            let Some(NodeKind::Message { event: wanted, correlation, .. }) =
                self.input.flow.node(&node).map(|n| &n.kind)
            else {
                continue;
            };
            if wanted != event {
                continue;
            }
            if let Some(condition) = correlation {
                let record =
                    FlowRecord { subject: self.input.subject, outputs: &self.instance.outputs, event: Some(data) };
                let holds = evaluate(condition, &record, self.input.ctx)
                    .map_err(|e| FlowError::Expression { node: node.clone(), message: e.to_string() })?;
                if holds != Value::Bool(true) {
                    continue;
                }
            }
            let recorded = self.instance.outputs.entry(node).or_default();
            for (key, value) in values {
                recorded.insert(key.clone(), Stored::from(value));
            }
            self.leave(id)?;
        }
        Ok(())
    }

    /// The tokens waiting for a message, with their nodes.
    fn message_tokens(&self) -> Vec<(u64, String)> {
        let waiting = self.instance.tokens.iter().filter(|t| t.state == TokenState::Message);
        waiting.map(|t| (t.id, t.node.clone())).collect()
    }

    /// The key a message wait is found by: the event field and the value it must have, for
    /// values compared exactly as text (ids, codes, dates); `None` offers every event.
    fn message_key(
        &self,
        node: &str,
        key: Option<&(Vec<String>, Expr)>,
    ) -> Result<Option<(String, String)>, FlowError> {
        let Some((path, expr)) = key else { return Ok(None) };
        Ok(match self.eval(node, expr)? {
            value @ (Value::Integer(_) | Value::Text(_) | Value::Date(_)) => Some((path.join("."), value.to_text())),
            _ => None,
        })
    }

    /// Timers at a date read from the record are computed again; those that moved are
    /// scheduled anew; message waits are sent again with their keys computed anew.
    fn reschedule(&mut self) -> Result<(), FlowError> {
        let waits = self.message_tokens();
        for (id, node) in waits {
            if let Some(NodeKind::Message { event, key: key @ Some(_), .. }) =
                self.input.flow.node(&node).map(|n| &n.kind)
            {
                let key = self.message_key(&node, key.as_ref())?;
                self.commands.push(Command::WaitForMessage { token: id, event: event.clone(), key });
            }
        }
        let timers: Vec<(u64, String, Option<chrono::DateTime<chrono::Utc>>)> = self
            .instance
            .tokens
            .iter()
            .filter_map(|t| match t.state {
                TokenState::Timer { due } => Some((t.id, t.node.clone(), due)),
                _ => None,
            })
            .collect();
        for (id, node, old) in timers {
            let Some(NodeKind::Timer(TimerSpec::At { at, time, zone })) = self.input.flow.node(&node).map(|n| &n.kind)
            else {
                continue;
            };
            let value = self.eval(&node, at)?;
            let due = due_at(&value, *time, zone.as_deref());
            if due != old {
                if let Some(token) = self.instance.tokens.iter_mut().find(|t| t.id == id) {
                    token.state = TokenState::Timer { due };
                }
                self.commands.push(Command::ScheduleTimer { token: id, due });
            }
        }
        Ok(())
    }
}

/// The earlier of two due times, either of which may be unknown.
fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
