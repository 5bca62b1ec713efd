//! The shape of a flow as a graph (petgraph): one start, each node with the flows its kind
//! needs, every node reachable from the start and able to reach an end, gateways with
//! conditions and a default, each parallel split closed by its own join, and no cycle a
//! token could run round without waiting.

use std::collections::{HashMap, HashSet};

use petgraph::Direction;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, Reversed};

use crate::diagnostic::Diagnostic;
use crate::model::{Flow, NodeKind};

/// Every structural problem of `flow`.
pub(crate) fn check(flow: &Flow) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let problem =
        |id: &str, code: &'static str, message: String| crate::diagnostic::at_node(&flow.nodes, id, code, message);
    let mut graph: DiGraph<&str, ()> = DiGraph::new();
    let index: HashMap<&str, NodeIndex> =
        flow.nodes.iter().map(|n| (n.id.as_str(), graph.add_node(n.id.as_str()))).collect();
    for edge in &flow.edges {
        if let (Some(&a), Some(&b)) = (index.get(edge.from.as_str()), index.get(edge.to.as_str())) {
            graph.add_edge(a, b, ());
        }
    }
    let starts: Vec<&str> =
        flow.nodes.iter().filter(|n| matches!(n.kind, NodeKind::Start(_))).map(|n| n.id.as_str()).collect();
    match starts.as_slice() {
        [] => out.push(Diagnostic::new("/nodes", "no_start", "a flow has one start node")),
        [_] => {}
        [_, more @ ..] => {
            out.extend(more.iter().map(|id| problem(id, "second_start", "a flow has one start node".into())));
        }
    }
    for node in &flow.nodes {
        let ix = index[node.id.as_str()];
        let (ins, outs) = (
            graph.neighbors_directed(ix, Direction::Incoming).count(),
            graph.neighbors_directed(ix, Direction::Outgoing).count(),
        );
        let bad = |want: &str| problem(&node.id, "bad_flows", format!("a {} node {want}", node.kind.name()));
        match &node.kind {
            NodeKind::Start(_) if ins > 0 => out.push(bad("has no incoming flow")),
            NodeKind::Start(_) if outs != 1 => out.push(bad("has one outgoing flow")),
            NodeKind::End if outs > 0 => out.push(bad("has no outgoing flow")),
            NodeKind::Parallel if outs < 2 => out.push(bad("splits into two or more flows")),
            NodeKind::Join if ins < 2 || outs != 1 => out.push(bad("joins two or more flows into one")),
            NodeKind::Exclusive if outs == 0 => out.push(bad("has an outgoing flow")),
            NodeKind::Exclusive if outs > 1 => out.extend(check_choice(flow, &node.id)),
            NodeKind::UserTask(_)
            | NodeKind::Service(_)
            | NodeKind::Timer(_)
            | NodeKind::SubProcess { .. }
            | NodeKind::Message { .. }
                if outs != 1 =>
            {
                out.push(bad("has one outgoing flow (branch after it with an exclusive gateway)"));
            }
            _ => {}
        }
    }
    if let [start] = starts.as_slice() {
        let mut reached = HashSet::new();
        let mut bfs = Bfs::new(&graph, index[start]);
        while let Some(ix) = bfs.next(&graph) {
            reached.insert(ix);
        }
        for node in flow.nodes.iter().filter(|n| !reached.contains(&index[n.id.as_str()])) {
            out.push(problem(&node.id, "unreachable", "no path from the start leads here".into()));
        }
    }
    let reversed = Reversed(&graph);
    let mut finishing = HashSet::new();
    for end in flow.nodes.iter().filter(|n| matches!(n.kind, NodeKind::End)) {
        let mut bfs = Bfs::new(reversed, index[end.id.as_str()]);
        while let Some(ix) = bfs.next(reversed) {
            finishing.insert(ix);
        }
    }
    for node in flow.nodes.iter().filter(|n| !finishing.contains(&index[n.id.as_str()])) {
        out.push(problem(&node.id, "no_way_to_end", "no path from here reaches an end node".into()));
    }
    for component in tarjan_scc(&graph) {
        let looped = component.len() > 1 || graph.contains_edge(component[0], component[0]);
        let waits = component.iter().any(|ix| flow.node(graph[*ix]).is_some_and(|n| n.kind.waits()));
        if looped && !waits {
            let mut ids: Vec<&str> = component.iter().map(|ix| graph[*ix]).collect();
            ids.sort_unstable();
            out.push(problem(
                ids[0],
                "busy_loop",
                format!("the cycle through {} has no task, timer or message to wait at", ids.join(", ")),
            ));
        }
    }
    out.extend(check_joins(flow, &graph, &index));
    out
}

/// An exclusive gateway with several ways out: each has a condition but one default.
fn check_choice(flow: &Flow, id: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let edges: Vec<_> = flow.outgoing(id).collect();
    let defaults = edges.iter().filter(|e| e.default).count();
    if defaults != 1 {
        out.push(crate::diagnostic::at_node(
            &flow.nodes,
            id,
            "no_default",
            format!("a gateway with several ways out marks one `default` (it has {defaults})"),
        ));
    }
    for edge in edges {
        let problem = match (edge.default, edge.condition.is_some()) {
            (false, false) => Some("a way out of a gateway needs a condition, or to be the default"),
            (true, true) => Some("the default way out takes no condition: it is taken when no other holds"),
            _ => None,
        };
        if let Some(message) = problem {
            let i = flow.edges.iter().position(|e| e.id == edge.id).unwrap_or(0);
            out.push(Diagnostic::new(format!("/flows/{i}/condition"), "gateway_condition", message).about(&edge.id));
        }
    }
    out
}

/// Each parallel split is closed by exactly one join that all its branches reach (splits
/// nested inside closed by their own joins first), and that join waits for as many
/// flows as the split sends.
fn check_joins(flow: &Flow, graph: &DiGraph<&str, ()>, index: &HashMap<&str, NodeIndex>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let kind = |ix: NodeIndex| flow.node(graph[ix]).map(|n| &n.kind);
    let mut matched: HashMap<NodeIndex, Vec<&str>> = HashMap::new();
    for split in flow.nodes.iter().filter(|n| matches!(n.kind, NodeKind::Parallel)) {
        let start = index[split.id.as_str()];
        // Walk every branch, counting splits entered and joins left, to the join at depth 0.
        let mut joins: HashSet<NodeIndex> = HashSet::new();
        let mut open_end = false;
        let mut seen: HashSet<(NodeIndex, usize)> = HashSet::new();
        let mut stack: Vec<(NodeIndex, usize)> = graph.neighbors(start).map(|n| (n, 0)).collect();
        while let Some((ix, depth)) = stack.pop() {
            if !seen.insert((ix, depth)) || depth > flow.nodes.len() {
                continue;
            }
            let next_depth = match kind(ix) {
                Some(NodeKind::Join) if depth == 0 => {
                    joins.insert(ix);
                    continue;
                }
                Some(NodeKind::Join) => depth - 1,
                Some(NodeKind::Parallel) => depth + 1,
                Some(NodeKind::End) => {
                    open_end = true;
                    continue;
                }
                _ => depth,
            };
            stack.extend(graph.neighbors(ix).map(|n| (n, next_depth)));
        }
        let sends = graph.neighbors(start).count();
        match (joins.len(), open_end) {
            (1, false) => {
                let join = joins.into_iter().next().unwrap_or(start);
                matched.entry(join).or_default().push(split.id.as_str());
                let waits = graph.neighbors_directed(join, Direction::Incoming).count();
                if waits != sends {
                    out.push(crate::diagnostic::at_node(
                        &flow.nodes,
                        graph[join],
                        "join_mismatch",
                        format!("this join waits for {waits} flows, but `{}` sends {sends}", split.id),
                    ));
                }
            }
            _ => out.push(crate::diagnostic::at_node(
                &flow.nodes,
                &split.id,
                "unmatched_split",
                "every branch of a parallel split must reach one and the same join before it ends".to_owned(),
            )),
        }
    }
    for join in flow.nodes.iter().filter(|n| matches!(n.kind, NodeKind::Join)) {
        let splits = matched.get(&index[join.id.as_str()]).map_or(0, Vec::len);
        if splits != 1 {
            out.push(crate::diagnostic::at_node(
                &flow.nodes,
                &join.id,
                "unmatched_join",
                format!("a join closes exactly one parallel split ({splits} lead here)"),
            ));
        }
    }
    out
}
