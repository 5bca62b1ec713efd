//! The app's processes, each checked against the forms, events, roles and calendars it
//! refers to, and against the flows it starts.

use engine_form::Diagnostic;
use serde_json::Value;

use crate::catalog::Catalog;

pub(crate) fn check_flows(doc: &Value, catalog: &Catalog<'_>, diags: &mut Vec<Diagnostic>) -> Vec<engine_flow::Flow> {
    let (mut flows, mut positions) = (Vec::new(), Vec::new());
    let keys = crate::keys_of(doc, "flows");
    for (i, flow_doc) in doc.get("flows").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let key = flow_doc.get("key").and_then(Value::as_str).unwrap_or("");
        if keys.iter().filter(|k| **k == key).count() > 1 {
            diags.push(Diagnostic::new(
                format!("/flows/{i}/key"),
                "duplicate",
                format!("two flows are called `{key}`"),
            ));
        }
        match engine_flow::parse_flow(flow_doc, catalog) {
            Ok(flow) => {
                positions.push(i);
                flows.push(flow);
            }
            Err(found) => diags.extend(found.into_iter().map(|d| {
                let about = d.node.as_ref().map(|n| format!(" (`{n}`)")).unwrap_or_default();
                let message = format!("{}{about}", d.message);
                Diagnostic { message, ..d.under(&format!("/flows/{i}")) }
            })),
        }
    }
    diags.extend(check_links(&flows, &positions));
    flows
}

/// A flow another one starts (as a sub-process or a service step) follows that one's
/// record, or none: it cannot be handed a record of another form.
fn check_links(flows: &[engine_flow::Flow], positions: &[usize]) -> Vec<Diagnostic> {
    use engine_flow::NodeKind;
    use engine_rule::ActionSpec;
    let mut out = Vec::new();
    for (flow, i) in flows.iter().zip(positions) {
        for (j, node) in flow.nodes.iter().enumerate() {
            let started = match &node.kind {
                NodeKind::SubProcess { flow } | NodeKind::Service(ActionSpec::StartProcess { flow }) => flow,
                _ => continue,
            };
            let Some(target) = flows.iter().find(|f| f.key == *started) else { continue };
            if let Some(wanted) = &target.subject
                && flow.subject.as_ref() != Some(wanted)
            {
                out.push(Diagnostic::new(
                    format!("/flows/{i}/nodes/{j}"),
                    "subject_mismatch",
                    format!("`{}`: `{started}` follows a `{wanted}` record, which this flow does not", node.id),
                ));
            }
        }
    }
    out
}
