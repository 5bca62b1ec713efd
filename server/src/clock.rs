//! The one clock the server reads time from: the wall clock in production, or a virtual
//! clock that only moves when told to (`trellis serve --virtual-clock`, and tests), so
//! days of rules, timers and escalations can run in seconds. Read once per request or job
//! and passed down.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};

/// The latest instant a virtual clock stands at: what a session or a token made then
/// lasts must still be a date every store keeps (years 0001 to 9999).
pub const LATEST: DateTime<Utc> = DateTime::from_naive_utc_and_offset(
    match chrono::NaiveDate::from_ymd_opt(9998, 12, 31) {
        Some(day) => day.and_time(chrono::NaiveTime::MIN),
        None => chrono::NaiveDateTime::MIN,
    },
    Utc,
);

/// A clock shared by every part of one server; cloning it shares it.
#[derive(Clone, Debug)]
pub struct Clock(Arc<Kind>);

#[derive(Debug)]
enum Kind {
    Wall,
    /// Virtual time: the instant set, and how far it has been moved since.
    Virtual(RwLock<DateTime<Utc>>),
}

impl Clock {
    /// The machine's clock.
    pub fn wall() -> Clock {
        Clock(Arc::new(Kind::Wall))
    }

    /// A clock standing at `at` until it is moved.
    pub fn at(at: DateTime<Utc>) -> Clock {
        Clock(Arc::new(Kind::Virtual(RwLock::new(at))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &*self.0 {
            Kind::Wall => Utc::now(),
            Kind::Virtual(at) => *at.read().unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }

    /// Whether this clock is virtual: only then can it be moved.
    pub fn is_virtual(&self) -> bool {
        matches!(&*self.0, Kind::Virtual(_))
    }

    /// Sets a virtual clock to `at` (time may not go back); `None` for the wall clock.
    pub fn set(&self, to: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let Kind::Virtual(at) = &*self.0 else { return None };
        let mut at = at.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *at = (*at).max(to);
        Some(*at)
    }

    /// Moves a virtual clock on by `by`; `None` for the wall clock.
    pub fn advance(&self, by: Duration) -> Option<DateTime<Utc>> {
        self.set(self.now() + by.max(Duration::zero()))
    }
}
