//! Rate limits on sign-in attempts, per user name and per client address, kept in this
//! server's memory: they slow down a spray of guesses (many names from one address, or
//! one name from many), while the lockout (`attempts`) is what holds across servers.
//! The client's address comes from the HTTP layer (`api::identity::client_address`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many attempts a key may make per window.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub attempts: u32,
    pub window: Duration,
}

/// The sign-in limits of a server.
#[derive(Debug, Clone)]
pub struct Limits {
    pub per_name: Limit,
    pub per_address: Limit,
    /// The header a trusted reverse proxy puts the client's address in.
    pub address_header: Option<String>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_name: Limit { attempts: 10, window: Duration::from_secs(60) },
            per_address: Limit { attempts: 30, window: Duration::from_secs(60) },
            address_header: std::env::var("TRELLIS_CLIENT_IP_HEADER").ok().filter(|h| !h.trim().is_empty()),
        }
    }
}

/// Attempts per key in the current window.
#[derive(Default)]
pub struct Throttle {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Keys beyond this many make the throttle drop the windows that have run out.
const PRUNE_AT: usize = 10_000;

impl Throttle {
    /// Counts an attempt under each of `keys`; if any has used up its limit, nothing is
    /// counted and the answer is how many seconds until it may try again.
    pub fn attempt(&self, keys: &[(&str, Limit)], now: Instant) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > PRUNE_AT {
            let longest = keys.iter().map(|(_, l)| l.window).max().unwrap_or_default();
            windows.retain(|_, (start, _)| now.duration_since(*start) < longest);
        }
        let mut wait = 0;
        for (key, limit) in keys {
            if let Some((start, count)) = windows.get(*key) {
                let elapsed = now.duration_since(*start);
                if elapsed < limit.window && *count >= limit.attempts {
                    wait = wait.max((limit.window - elapsed).as_secs() + 1);
                }
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        for (key, limit) in keys {
            let entry = windows.entry((*key).to_owned()).or_insert((now, 0));
            if now.duration_since(entry.0) >= limit.window {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
        Ok(())
    }
}
