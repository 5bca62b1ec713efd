//! Moving a running instance to another version of its flow: each token to the node the
//! mapping names (or the node with the same id), refused when the move is unsafe — a node
//! that does not exist, or of another kind, or a token at a join or a sub-process (whose
//! bookkeeping would not carry over).

use std::collections::BTreeMap;

use super::{Instance, Status, TokenState};
use crate::model::{Flow, NodeKind};

/// Why an instance cannot move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    #[error("the instance is not running")]
    NotRunning,
    #[error("`{node}` is not a node of the new version")]
    Missing { node: String },
    #[error("`{from}` is a {old} and `{to}` a {new}: a token cannot change kind of wait")]
    KindChanged { from: String, to: String, old: &'static str, new: &'static str },
    #[error("a token waits at `{node}`, a {kind}; wait until it moves on")]
    Unsafe { node: String, kind: &'static str },
}

impl Instance {
    /// The instance with its tokens and recorded outputs moved from `from` to `to` by
    /// `mapping` (old node id → new; unmapped nodes keep their id). Every problem is
    /// returned; the instance is unchanged unless all tokens can move.
    pub fn migrate(
        &self,
        from: &Flow,
        to: &Flow,
        mapping: &BTreeMap<String, String>,
    ) -> Result<Instance, Vec<MigrationError>> {
        if self.status != Status::Running {
            return Err(vec![MigrationError::NotRunning]);
        }
        let target = |node: &str| mapping.get(node).cloned().unwrap_or_else(|| node.to_owned());
        let mut errors = Vec::new();
        let mut moved = self.clone();
        for token in &mut moved.tokens {
            let old = from.node(&token.node).map(|n| &n.kind);
            if matches!(token.state, TokenState::Joined | TokenState::SubProcess) {
                let kind = old.map_or("node", NodeKind::name);
                errors.push(MigrationError::Unsafe { node: token.node.clone(), kind });
                continue;
            }
            let new_id = target(&token.node);
            match (old, to.node(&new_id).map(|n| &n.kind)) {
                (_, None) => errors.push(MigrationError::Missing { node: new_id }),
                (Some(a), Some(b)) if a.name() != b.name() => errors.push(MigrationError::KindChanged {
                    from: token.node.clone(),
                    to: new_id,
                    old: a.name(),
                    new: b.name(),
                }),
                _ => token.node = new_id,
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        moved.outputs = std::mem::take(&mut moved.outputs).into_iter().map(|(node, v)| (target(&node), v)).collect();
        Ok(moved)
    }
}
