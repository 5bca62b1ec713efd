//! The process engine: follow-up processes as JSON graphs (user tasks, service steps,
//! timers, gateways, parallel branches, sub-processes, message waits, SLAs). Pure:
//! definitions and instance state in, new state and commands out; the server owns the
//! database and the clock.
//!
//! Definitions are read and checked (`parse_flow`): the published JSON Schema
//! (`flow_schema`), every expression against the subject form and the outputs of tasks
//! and messages, every reference through the app's catalog, and the graph (petgraph).
//! Instances run by events (`Instance::handle`): the state is serializable, every change
//! is returned as commands for the server to carry out in the same transaction.

mod diagnostic;
mod graph;
mod lower;
mod model;
mod runtime;
mod schema;
mod scope;

pub use diagnostic::Diagnostic;
pub use lower::{FlowCatalog, parse_flow};
pub use model::{
    Duration, Edge, Escalation, EscalationAction, Flow, Node, NodeKind, Priority, StartTrigger, TimerSpec, UserTask,
    correlation_key,
};
pub use runtime::{
    Command, Escalate, Event, FlowError, Input, Instance, MigrationError, Outputs, Status, Stored, TaskOrder, Token,
    TokenState,
};
pub use schema::flow_schema;
