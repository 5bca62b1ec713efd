//! Dates and instants in buckets: a day, an ISO week, a month, a quarter, a year, of an
//! instant as the clocks of a named zone read it. A bucket is named by text that sorts in
//! time order (`2026-12-07`, `2026-W49`, `2026-12`, `2026-Q4`, `2026`) and reproduced as
//! the range of instants or dates it covers, for drilling down.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::model::Bucket;

/// The day a cell falls on: a date as it is, an instant in `zone`.
pub fn day_of(date: Option<NaiveDate>, instant: Option<DateTime<Utc>>, zone: Tz) -> Option<NaiveDate> {
    date.or_else(|| instant.map(|t| t.with_timezone(&zone).date_naive()))
}

/// The bucket `day` is in, and its first and next-first day.
pub fn bucket(day: NaiveDate, bucket: Bucket) -> (String, NaiveDate, NaiveDate) {
    let month_start = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(day);
    let (name, start, months, days) = match bucket {
        Bucket::Day => (day.to_string(), day, 0, 1),
        Bucket::Week => {
            let week = day.iso_week();
            let start = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
            (format!("{}-W{:02}", week.year(), week.week()), start, 0, 7)
        }
        Bucket::Month => (format!("{}-{:02}", day.year(), day.month()), month_start(day.year(), day.month()), 1, 0),
        Bucket::Quarter => {
            let q = (day.month() - 1) / 3;
            (format!("{}-Q{}", day.year(), q + 1), month_start(day.year(), q * 3 + 1), 3, 0)
        }
        Bucket::Year => (day.year().to_string(), month_start(day.year(), 1), 12, 0),
    };
    let end = if months > 0 { start + Months::new(months) } else { start + Days::new(days) };
    (name, start, end)
}

/// The first instant of `day` in `zone` (the earliest, where a clock change repeats it).
pub fn start_of(day: NaiveDate, zone: Tz) -> Option<DateTime<Utc>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    zone.from_local_datetime(&midnight).earliest().map(|t| t.with_timezone(&Utc))
}
