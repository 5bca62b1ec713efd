//! Report answers kept in memory, each under a key that names everything it was computed
//! from (`reports::cache`): the report, its parameters, the viewer's access, the data
//! version of every form it read and the minute. A key never matches an answer computed
//! for other access or over other data, so nothing here is ever invalidated: it is
//! outlived, and the least recently used answer makes room.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// Answers kept at most; the least recently used goes first.
const CAPACITY: usize = 512;

pub type Key = [u8; 32];

#[derive(Default)]
pub struct Answers {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    answers: HashMap<Key, (Arc<Value>, u64)>,
    tick: u64,
}

impl Answers {
    /// The answer kept under `key`, if one is.
    pub fn get(&self, key: &Key) -> Option<Arc<Value>> {
        let mut kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.tick += 1;
        let tick = kept.tick;
        let (answer, used) = kept.answers.get_mut(key)?;
        *used = tick;
        Some(answer.clone())
    }

    /// Keeps `answer` under `key`, making room if it must.
    pub fn put(&self, key: Key, answer: Arc<Value>) {
        let mut kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.tick += 1;
        if kept.answers.len() >= CAPACITY && !kept.answers.contains_key(&key) {
            let oldest = kept.answers.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                kept.answers.remove(&oldest);
            }
        }
        let tick = kept.tick;
        kept.answers.insert(key, (answer, tick));
    }
}
