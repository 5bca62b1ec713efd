//! A checked process definition: nodes and the flows between them, every expression
//! parsed and checked, every reference resolved. The runtime reads only this.

use engine_rule::Expr;
use serde_json::Value;

/// The key of a message correlation: a conjunct `event.<field> == <expr>` (either way
/// round) whose other side does not read the event.
pub fn correlation_key(expr: &Expr) -> Option<(Vec<String>, Expr)> {
    use engine_rule::{BinaryOp, ExprKind};
    match &expr.kind {
        ExprKind::Binary(BinaryOp::And, left, right) => correlation_key(left).or_else(|| correlation_key(right)),
        ExprKind::Binary(BinaryOp::Eq, left, right) => {
            let of_event = |e: &Expr| match &e.kind {
                ExprKind::Path(path) if path.len() > 1 && path[0] == "event" => Some(path[1..].to_vec()),
                _ => None,
            };
            let reads_event = |e: &Expr| paths_of(e).iter().any(|p| p.first().is_some_and(|f| f == "event"));
            match (of_event(left), of_event(right)) {
                (Some(path), None) if !reads_event(right) => Some((path, (**right).clone())),
                (None, Some(path)) if !reads_event(left) => Some((path, (**left).clone())),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The field paths `expr` reads, each once.
pub fn paths_of(expr: &Expr) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    walk_paths(expr, &mut out);
    out
}

fn walk_paths(expr: &Expr, out: &mut Vec<Vec<String>>) {
    if let engine_rule::ExprKind::Path(path) = &expr.kind
        && !out.contains(path)
    {
        out.push(path.clone());
    }
    for child in expr.children() {
        walk_paths(child, out);
    }
}

/// A checked flow.
#[derive(Debug, Clone)]
pub struct Flow {
    pub key: String,
    /// Its name by language (`{"zh-CN": "新理财客户跟进", "en": "New wealth-management customer"}`).
    pub label: std::collections::BTreeMap<String, String>,
    /// The form whose record an instance follows; its fields are readable in expressions.
    pub subject: Option<String>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

impl Flow {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The start node (a checked flow has exactly one).
    pub fn start(&self) -> Option<&Node> {
        self.nodes.iter().find(|n| matches!(n.kind, NodeKind::Start(_)))
    }

    /// The flows leaving node `id`, in the order they were declared.
    pub fn outgoing<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.edges.iter().filter(move |e| e.from == id)
    }

    /// Every field path the flow's expressions read, each once: the server loads the
    /// related records' values among them before it runs an instance.
    pub fn reads(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for expr in
            self.nodes.iter().flat_map(|n| n.kind.exprs()).chain(self.edges.iter().filter_map(|e| e.condition.as_ref()))
        {
            walk_paths(expr, &mut out);
        }
        // The related record a service step updates is found through its path.
        for node in &self.nodes {
            if let NodeKind::Service(action) = &node.kind
                && let Some(path) = action.record_path()
                && !out.iter().any(|p| p == path)
            {
                out.push(path.to_vec());
            }
        }
        out
    }

    /// The flows entering node `id`.
    pub fn incoming<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.edges.iter().filter(move |e| e.to == id)
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    Start(StartTrigger),
    End,
    UserTask(Box<UserTask>),
    /// A service step: one of the actions rules take too (`engine_rule::ActionSpec`).
    Service(engine_rule::ActionSpec),
    Timer(TimerSpec),
    /// Takes the first flow whose condition holds, else the default.
    Exclusive,
    /// Sends a token down every outgoing flow.
    Parallel,
    /// Waits for a token from every incoming flow.
    Join,
    SubProcess {
        flow: String,
    },
    /// Waits for an event that matches `correlation`.
    Message {
        event: String,
        correlation: Option<Expr>,
        /// From a correlation `event.<field> == <expr>` (alone or joined by `and`): the
        /// event field and the expression whose value, computed when the token arrives,
        /// lets the server offer an event only to the tokens waiting for its value.
        key: Option<(Vec<String>, Expr)>,
    },
}

impl NodeKind {
    /// Whether a token rests here until something outside the engine happens (time passes,
    /// a person acts, a message arrives): a cycle needs one, or it would loop at once.
    pub fn waits(&self) -> bool {
        matches!(
            self,
            NodeKind::UserTask(_) | NodeKind::Timer(_) | NodeKind::Message { .. } | NodeKind::SubProcess { .. }
        )
    }

    /// Every expression of the node.
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            NodeKind::Start(StartTrigger::Created { condition } | StartTrigger::Updated { condition }) => {
                condition.iter().collect()
            }
            NodeKind::Start(StartTrigger::Event { subject, .. }) => subject.iter().collect(),
            NodeKind::UserTask(task) => {
                let mut out: Vec<&Expr> = task.title.exprs().collect();
                out.extend(task.assignee.iter().chain(task.candidate_unit.iter()));
                if let Some(TimerSpec::At { at, .. }) = &task.due_by {
                    out.push(at);
                }
                out.extend(task.escalations.iter().filter_map(|e| match &e.action {
                    EscalationAction::Reassign { to } => Some(to),
                    _ => None,
                }));
                out
            }
            NodeKind::Service(action) => action.exprs(),
            NodeKind::Timer(TimerSpec::At { at, .. }) => vec![at],
            NodeKind::Message { correlation, .. } => correlation.iter().collect(),
            _ => Vec::new(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            NodeKind::Start(_) => "start",
            NodeKind::End => "end",
            NodeKind::UserTask(_) => "user_task",
            NodeKind::Service(_) => "service",
            NodeKind::Timer(_) => "timer",
            NodeKind::Exclusive => "exclusive",
            NodeKind::Parallel => "parallel",
            NodeKind::Join => "join",
            NodeKind::SubProcess { .. } => "subprocess",
            NodeKind::Message { .. } => "message",
        }
    }
}

/// How instances of a flow start.
#[derive(Debug, Clone)]
pub enum StartTrigger {
    /// Through the API.
    Manual,
    /// When a record of the subject form is created (and the condition holds).
    Created { condition: Option<Expr> },
    /// When a record of the subject form is updated and the condition holds.
    Updated { condition: Option<Expr> },
    /// When the event arrives; its data is readable as `<start node>.<field>`, and
    /// `subject` (an expression over `event.…`) names the subject record's id.
    Event { event: String, subject: Option<Expr> },
    /// At each occurrence of the schedule (a flow that follows no record).
    Schedule { cron: String, zone: String },
}

#[derive(Debug, Clone)]
pub struct UserTask {
    pub title: engine_rule::TextSpec,
    /// A user name; or, without one, anyone with `candidates`.
    pub assignee: Option<Expr>,
    pub candidate_role: Option<String>,
    pub candidate_unit: Option<Expr>,
    pub priority: Priority,
    pub due: Option<Duration>,
    /// A latest due time, as a timer gives one (`add_days(maturity_date, -1)` at 18:00): the
    /// task is due at the earlier of the two.
    pub due_by: Option<TimerSpec>,
    /// The task form's field declarations, as written (and shown to whoever does the task).
    pub fields: Vec<Value>,
    /// The task form as engine-form checked it, which completing the task checks values with.
    pub form: engine_form::Form,
    pub outcomes: Vec<String>,
    /// What each outcome is called, per language (an outcome without is shown by its key).
    pub outcome_labels: std::collections::BTreeMap<String, engine_form::Labels>,
    pub escalations: Vec<Escalation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Low,
    Normal,
    High,
}

/// What happens when a task has waited `after` (counted from its creation).
#[derive(Debug, Clone)]
pub struct Escalation {
    pub after: Duration,
    pub action: EscalationAction,
}

#[derive(Debug, Clone)]
pub enum EscalationAction {
    Remind,
    /// To the assignee's manager.
    Escalate,
    Reassign {
        to: Expr,
    },
}

/// A span of time: calendar time, or business days of a named calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Duration {
    Minutes(i64),
    BusinessDays { days: i64, calendar: String },
}

/// When a timer fires.
#[derive(Debug, Clone)]
pub enum TimerSpec {
    /// A span after the token arrives.
    After(Duration),
    /// An expression over the record: a date-time, or a date at `time` in `zone`
    /// (`add_days(maturity_date, -15)` at 09:00 Asia/Shanghai). Computed again when the
    /// record changes.
    At { at: Expr, time: chrono::NaiveTime, zone: Option<String> },
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub id: String,
    pub from: String,
    pub to: String,
    pub condition: Option<Expr>,
    pub default: bool,
}
