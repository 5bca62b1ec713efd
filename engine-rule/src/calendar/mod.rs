//! Business-day calendars: which days are working days. A day is a business day unless
//! it falls on the calendar's weekend or is one of its holidays; a weekend day the
//! calendar lists as a working day (a make-up day, 调休) is a business day. Calendars are
//! app metadata (`calendars/*.json`), checked with every diagnostic:
//!
//! ```json
//! { "key": "cn_bank", "weekend": ["saturday", "sunday"],
//!   "holidays": ["2026-10-01", "2026-10-02"], "workdays": ["2026-10-10"] }
//! ```

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

mod parse;

pub use parse::parse_calendar;

/// Calendars by key, as expressions name them: `add_business_days(d, 3, 'cn_bank')`.
pub type Calendars = BTreeMap<String, Calendar>;

/// The most days a business-day function walks: a hundred years.
const MAX_DAYS: i64 = 36_525;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Monday first.
    weekend: [bool; 7],
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn is_business_day(&self, day: NaiveDate) -> bool {
        if self.workdays.contains(&day) {
            return true;
        }
        !self.weekend[day.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&day)
    }

    /// The business day `n` business days after `day` (before it, for a negative `n`);
    /// `add_business_days(d, 0)` is `d` itself if it is a business day, else the next one.
    /// `None` if that is beyond a hundred years away.
    pub fn add_business_days(&self, day: NaiveDate, n: i64) -> Option<NaiveDate> {
        let step = if n < 0 { -1 } else { 1 };
        let mut current = day;
        let mut left = n.unsigned_abs();
        if n == 0 {
            left = u64::from(!self.is_business_day(day));
        }
        let mut walked = 0;
        while left > 0 {
            current = current.checked_add_signed(chrono::Duration::days(step))?;
            walked += 1;
            if walked > MAX_DAYS {
                return None;
            }
            if self.is_business_day(current) {
                left -= 1;
            }
        }
        Some(current)
    }

    /// The business days after `from` up to and including `to` (negative when `to` is
    /// earlier); `None` if they are more than a hundred years apart.
    pub fn business_days_between(&self, from: NaiveDate, to: NaiveDate) -> Option<i64> {
        let span = (to - from).num_days();
        if span.abs() > MAX_DAYS {
            return None;
        }
        let (low, high, sign) = if span >= 0 { (from, to, 1) } else { (to, from, -1) };
        let count = low.iter_days().skip(1).take_while(|d| *d <= high).filter(|d| self.is_business_day(*d)).count();
        Some(sign * count as i64)
    }
}
