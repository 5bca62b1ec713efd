//! What a running instance's expressions read: the subject record (as the server loaded
//! it, related records included) and the outputs of completed tasks and arrived messages
//! (`call.outcome`, `paid.amount`), kept in the instance in a form that serializes.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use engine_rule::{Expr, Record, Value};
use serde::{Deserialize, Serialize};

/// A value kept in an instance's state: an expression value that survives JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Stored {
    Null,
    Bool(bool),
    Integer(i64),
    /// Exact, as text.
    Decimal(String),
    Text(String),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    List(Vec<Stored>),
}

impl From<&Value> for Stored {
    fn from(value: &Value) -> Stored {
        match value {
            Value::Null => Stored::Null,
            Value::Bool(b) => Stored::Bool(*b),
            Value::Integer(i) => Stored::Integer(*i),
            Value::Decimal(d) => Stored::Decimal(d.to_string()),
            Value::Text(t) => Stored::Text(t.clone()),
            Value::Date(d) => Stored::Date(*d),
            Value::DateTime(t) => Stored::DateTime(*t),
            Value::List(items) => Stored::List(items.iter().map(Stored::from).collect()),
        }
    }
}

impl Stored {
    pub fn value(&self) -> Value {
        match self {
            Stored::Null => Value::Null,
            Stored::Bool(b) => Value::Bool(*b),
            Stored::Integer(i) => Value::Integer(*i),
            Stored::Decimal(d) => d.parse().map_or(Value::Null, Value::Decimal),
            Stored::Text(t) => Value::Text(t.clone()),
            Stored::Date(d) => Value::Date(*d),
            Stored::DateTime(t) => Value::DateTime(*t),
            Stored::List(items) => Value::List(items.iter().map(Stored::value).collect()),
        }
    }
}

/// Node id → what it recorded (a task's outcome and form, a message's data).
pub type Outputs = BTreeMap<String, BTreeMap<String, Stored>>;

/// The subject record and the instance's outputs, as one record for expressions; in a
/// message's correlation, the arriving event's data as `event.…` too.
pub(crate) struct FlowRecord<'a> {
    pub subject: &'a dyn Record,
    pub outputs: &'a Outputs,
    pub event: Option<&'a dyn Record>,
}

impl Record for FlowRecord<'_> {
    fn value(&self, path: &[String]) -> Value {
        if let ([first, rest @ ..], Some(event)) = (path, self.event)
            && first == "event"
        {
            return event.value(rest);
        }
        if let [node, name] = path
            && let Some(recorded) = self.outputs.get(node)
        {
            return recorded.get(name).map_or(Value::Null, Stored::value);
        }
        self.subject.value(path)
    }

    fn rows(&self, path: &[String]) -> Option<Vec<Box<dyn Record + '_>>> {
        self.subject.rows(path)
    }

    fn aggregate(&self, call: &Expr) -> Option<Value> {
        self.subject.aggregate(call)
    }
}
