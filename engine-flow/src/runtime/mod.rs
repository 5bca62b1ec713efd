//! Running a flow, purely: an instance's state and one event in, the new state and the
//! commands the server must carry out (create a task, schedule a timer, run a service
//! step) out. The server stores the state, owns the clock and sends the events: a timer
//! that came due, a task completed, a service step done, a message arrived, the subject
//! record changed.

mod advance;
mod migrate;
mod record;
mod time;

use chrono::{DateTime, Utc};
use engine_rule::{Context, Record};
use serde::{Deserialize, Serialize};

pub use migrate::MigrationError;
pub use record::{Outputs, Stored};

use crate::model::{Flow, Priority};

/// One running (or finished) process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub status: Status,
    pub tokens: Vec<Token>,
    pub outputs: Outputs,
    /// The id the next token gets.
    pub next_token: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Running,
    Completed,
    Cancelled,
}

/// Where a path of the process stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    pub id: u64,
    pub node: String,
    pub state: TokenState,
    /// When it arrived at the node.
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TokenState {
    /// At a timer: due then, or not yet known (its date is empty).
    Timer { due: Option<DateTime<Utc>> },
    /// At a user task the server created.
    Task,
    /// At a service step the server runs.
    Service,
    /// Waiting for an event.
    Message,
    /// At a sub-process the server started.
    SubProcess,
    /// Arrived at a join, waiting for the other branches.
    Joined,
}

/// What happened to an instance.
#[derive(Clone)]
pub enum Event<'a> {
    /// A new instance begins at its start node.
    Start,
    TimerDue {
        token: u64,
    },
    /// A person completed the task at `token`, with an outcome and the task form's values.
    TaskCompleted {
        token: u64,
        outcome: Option<String>,
        values: Vec<(String, engine_rule::Value)>,
        by: String,
    },
    /// The service step at `token` was carried out.
    ServiceDone {
        token: u64,
    },
    /// The sub-process started at `token` completed.
    SubProcessDone {
        token: u64,
    },
    /// An event arrived; the tokens waiting for it whose correlation holds move on.
    Message {
        event: &'a str,
        data: &'a dyn Record,
        values: Vec<(String, engine_rule::Value)>,
    },
    /// The subject record changed: timers that read it are computed again.
    SubjectChanged,
    Cancel,
}

/// What the server must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    CreateTask(TaskOrder),
    /// Schedule (or move) the timer of `token`; `None`: it has no due time now.
    ScheduleTimer {
        token: u64,
        due: Option<DateTime<Utc>>,
    },
    CancelTimer {
        token: u64,
    },
    CancelTask {
        token: u64,
    },
    /// Run a service step, then send `ServiceDone`.
    RunService {
        token: u64,
        node: String,
        action: engine_rule::Action,
    },
    StartSubProcess {
        token: u64,
        flow: String,
    },
    /// Wait for `event` (the server offers matching events to the instance); with a key,
    /// only events whose field (the path, dotted) has this value (as text) can match.
    /// Sent again when the subject changes, the key computed anew.
    WaitForMessage {
        token: u64,
        event: String,
        key: Option<(String, String)>,
    },
    CancelWait {
        token: u64,
    },
    /// The instance reached its end.
    Completed,
}

/// A task to create, every expression already evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskOrder {
    pub token: u64,
    pub node: String,
    pub title: String,
    /// The title in each language it was given in (empty for one written once).
    pub titles: serde_json::Map<String, serde_json::Value>,
    pub assignee: Option<String>,
    pub candidate_role: Option<String>,
    pub candidate_unit: Option<String>,
    pub priority: Priority,
    pub due: Option<DateTime<Utc>>,
    /// When each escalation happens, and what it does (a reassignment's user evaluated).
    pub escalations: Vec<(DateTime<Utc>, Escalate)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Escalate {
    Remind,
    ToManager,
    Reassign(String),
}

/// Why an event could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    #[error("no token {0} in this instance")]
    NoToken(u64),
    #[error("token {token} is at `{node}`, which does not take this event")]
    WrongState { token: u64, node: String },
    #[error("the instance is not running")]
    NotRunning,
    #[error("`{outcome}` is not an outcome of `{node}`")]
    BadOutcome { node: String, outcome: String },
    #[error("at `{node}`: {message}")]
    Expression { node: String, message: String },
    #[error("at `{node}`: no way out (no condition holds and there is no default)")]
    NoWayOut { node: String },
    #[error("the flow has no node `{0}`")]
    NoNode(String),
    #[error("more than {0} steps without waiting: the flow loops")]
    Runaway(usize),
}

/// What the engine needs besides the instance and the event.
pub struct Input<'a> {
    pub flow: &'a Flow,
    /// The subject record (empty without a subject), related records' values included.
    pub subject: &'a dyn Record,
    /// Now, today in the app's zone, and the app's calendars.
    pub ctx: &'a Context<'a>,
}

impl Instance {
    /// A new instance, not yet started (send it `Event::Start`).
    pub fn new() -> Instance {
        Instance { status: Status::Running, tokens: Vec::new(), outputs: Outputs::new(), next_token: 1 }
    }

    /// Applies `event`; on an error the instance is left as it was.
    pub fn handle(&mut self, input: &Input<'_>, event: Event<'_>) -> Result<Vec<Command>, FlowError> {
        if self.status != Status::Running {
            return Err(FlowError::NotRunning);
        }
        let mut next = self.clone();
        let mut run = advance::Run { instance: &mut next, input, commands: Vec::new(), steps: 0 };
        run.apply(event)?;
        let commands = run.commands;
        *self = next;
        Ok(commands)
    }

    /// The token with `id`.
    pub fn token(&self, id: u64) -> Option<&Token> {
        self.tokens.iter().find(|t| t.id == id)
    }
}

impl Default for Instance {
    fn default() -> Self {
        Instance::new()
    }
}
