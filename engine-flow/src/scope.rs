//! What a flow's expressions read: the subject record's fields (and related records'
//! through relations), what earlier user tasks recorded (`call.outcome`, `call.notes`),
//! the data of messages waited for (`purchase.amount`), and in a message's correlation
//! the arriving event's data (`event.customer`).

use engine_rule::{Schema, Type};
use serde_json::Value;

use crate::lower::FlowCatalog;

/// The attributes every completed user task has, besides its form's fields.
const TASK_ATTRIBUTES: [(&str, Type); 3] =
    [("outcome", Type::Text), ("completed_by", Type::Text), ("completed_at", Type::DateTime)];

pub(crate) struct FlowScope<'a> {
    subject: Option<&'a dyn Schema>,
    /// Node id → what reading `node.x` gives.
    outputs: Vec<(String, Output<'a>)>,
    /// The event arriving at a message node, as `event.…`.
    event: Option<&'a dyn Schema>,
}

enum Output<'a> {
    /// A user task's form fields: key and type name.
    Task(Vec<(String, String)>),
    /// A message's event data.
    Message(&'a dyn Schema),
}

impl<'a> FlowScope<'a> {
    pub fn new(subject: Option<&'a dyn Schema>, nodes: &[Value], catalog: &'a dyn FlowCatalog) -> FlowScope<'a> {
        let outputs = nodes
            .iter()
            .filter_map(|n| {
                let id = n["id"].as_str()?.to_owned();
                match n["type"].as_str()? {
                    "user_task" => {
                        let fields = n["fields"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|f| Some((f["key"].as_str()?.to_owned(), f["type"].as_str()?.to_owned())))
                            .collect();
                        Some((id, Output::Task(fields)))
                    }
                    "message" => Some((id, Output::Message(catalog.event(n["event"].as_str()?)?))),
                    // A flow started by an event keeps its data under the start node.
                    "start" if n["on"] == "event" => Some((id, Output::Message(catalog.event(n["event"].as_str()?)?))),
                    _ => None,
                }
            })
            .collect();
        FlowScope { subject, outputs, event: None }
    }

    /// The same scope with `event.…` reading an arriving event's data.
    pub fn with_event(&self, event: Option<&'a dyn Schema>) -> FlowScope<'a> {
        let outputs = self
            .outputs
            .iter()
            .map(|(id, o)| {
                (
                    id.clone(),
                    match o {
                        Output::Task(fields) => Output::Task(fields.clone()),
                        Output::Message(s) => Output::Message(*s),
                    },
                )
            })
            .collect();
        FlowScope { subject: self.subject, outputs, event }
    }
}

impl Schema for FlowScope<'_> {
    fn type_of(&self, path: &[String]) -> Option<Type> {
        let (first, rest) = path.split_first()?;
        if first == "event"
            && let Some(event) = self.event
        {
            return event.type_of(rest);
        }
        if let Some((_, output)) = self.outputs.iter().find(|(id, _)| id == first) {
            return match (output, rest) {
                (Output::Task(fields), [name]) => {
                    TASK_ATTRIBUTES.iter().find(|(a, _)| a == name).map(|(_, t)| t.clone()).or_else(|| {
                        fields.iter().find(|(k, _)| k == name).and_then(|(_, t)| engine_form::field_type(t))
                    })
                }
                (Output::Message(event), rest) => event.type_of(rest),
                _ => None,
            };
        }
        self.subject?.type_of(path)
    }

    fn rows(&self, path: &[String]) -> Option<Box<dyn Schema + '_>> {
        self.subject?.rows(path)
    }

    fn has_calendar(&self, name: &str) -> Option<bool> {
        self.subject.and_then(|s| s.has_calendar(name))
    }

    fn is_personal(&self, path: &[String]) -> bool {
        self.subject.is_some_and(|s| s.is_personal(path))
    }
}
