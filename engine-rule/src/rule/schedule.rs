//! Schedules of scheduled rules: five-field cron expressions (`minute hour day-of-month
//! month day-of-week`, e.g. `30 0 * * *` for every day at 00:30) read in a declared time
//! zone. Fields take `*`, numbers, ranges `1-5`, lists `1,15` and steps `*/15`. When both
//! day fields are restricted, a day matches either (as cron does). A local time that does
//! not exist (a daylight-saving gap) is skipped; one that occurs twice runs the first time.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub cron: String,
    pub zone: Tz,
    minutes: BTreeSet<u32>,
    hours: BTreeSet<u32>,
    days: BTreeSet<u32>,
    months: BTreeSet<u32>,
    /// 0 = Sunday … 6 = Saturday (7 is read as Sunday too).
    weekdays: BTreeSet<u32>,
    days_restricted: bool,
    weekdays_restricted: bool,
}

/// How far ahead `next_after` looks: a schedule with no occurrence in this many days (31
/// February) has none.
const HORIZON_DAYS: i64 = 366 * 5;

fn field(text: &str, min: u32, max: u32, name: &str) -> Result<(BTreeSet<u32>, bool), String> {
    let mut set = BTreeSet::new();
    let bad = || format!("`{text}` is not a valid {name} field ({min}-{max}, *, lists, ranges, steps)");
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0).ok_or_else(bad)?),
            None => (part, 1),
        };
        let (from, to) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?)
        } else {
            let n: u32 = range.parse().map_err(|_| bad())?;
            (n, if step > 1 { max } else { n })
        };
        if from < min || to > max || from > to {
            return Err(bad());
        }
        set.extend((from..=to).step_by(step as usize));
    }
    Ok((set, text != "*"))
}

impl Schedule {
    /// Reads `cron` in the IANA zone `zone` (`Asia/Shanghai`).
    pub fn parse(cron: &str, zone: &str) -> Result<Schedule, String> {
        let zone: Tz = zone.parse().map_err(|_| format!("`{zone}` is not a time zone, e.g. Asia/Shanghai"))?;
        let parts: Vec<&str> = cron.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = parts[..] else {
            return Err(format!("`{cron}` needs five fields: minute hour day-of-month month day-of-week"));
        };
        let (minutes, _) = field(minute, 0, 59, "minute")?;
        let (hours, _) = field(hour, 0, 23, "hour")?;
        let (days, days_restricted) = field(day, 1, 31, "day-of-month")?;
        let (months, _) = field(month, 1, 12, "month")?;
        let (mut weekdays, weekdays_restricted) = field(weekday, 0, 7, "day-of-week")?;
        if weekdays.remove(&7) {
            weekdays.insert(0);
        }
        Ok(Schedule {
            cron: cron.to_owned(),
            zone,
            minutes,
            hours,
            days,
            months,
            weekdays,
            days_restricted,
            weekdays_restricted,
        })
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        if !self.months.contains(&date.month()) {
            return false;
        }
        let by_day = self.days.contains(&date.day());
        let by_weekday = self.weekdays.contains(&date.weekday().num_days_from_sunday());
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => by_day || by_weekday,
            (true, false) => by_day,
            (false, true) => by_weekday,
            (false, false) => true,
        }
    }

    /// The first occurrence strictly after `after`, or `None` within five years.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = after.with_timezone(&self.zone).date_naive();
        for offset in 0..HORIZON_DAYS {
            let date = start + Duration::days(offset);
            if !self.day_matches(date) {
                continue;
            }
            for &hour in &self.hours {
                for &minute in &self.minutes {
                    let Some(local) = date.and_hms_opt(hour, minute, 0) else { continue };
                    let instant = match self.zone.from_local_datetime(&local) {
                        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
                        LocalResult::None => continue,
                    };
                    if instant > after {
                        return Some(instant);
                    }
                }
            }
        }
        None
    }

    /// The latest occurrence in the day up to `now` (inclusive): what a runner that was
    /// down should still run. Older ones are not caught up.
    pub fn latest_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut cursor = now - Duration::days(1);
        let mut latest = None;
        while let Some(next) = self.next_after(cursor).filter(|t| *t <= now) {
            latest = Some(next);
            cursor = next;
        }
        latest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
    }

    #[test]
    fn daily_at_half_past_midnight_in_shanghai() {
        let s = Schedule::parse("30 0 * * *", "Asia/Shanghai").expect("valid");
        // 00:30 in Shanghai is 16:30 UTC the day before.
        assert_eq!(s.next_after(at("2026-11-28T10:00:00Z")), Some(at("2026-11-28T16:30:00Z")));
        assert_eq!(s.next_after(at("2026-11-28T16:30:00Z")), Some(at("2026-11-29T16:30:00Z")));
        assert_eq!(s.latest_due(at("2026-11-28T16:29:59Z")), Some(at("2026-11-27T16:30:00Z")));
        assert_eq!(s.latest_due(at("2026-11-28T16:30:00Z")), Some(at("2026-11-28T16:30:00Z")));
    }

    #[test]
    fn fields_take_lists_ranges_steps_and_either_day() {
        let s = Schedule::parse("*/20 9-10 1,15 * 1", "UTC").expect("valid");
        // 2026-11-30 is a Monday: the weekday matches though the 30th is not listed.
        assert_eq!(s.next_after(at("2026-11-28T00:00:00Z")), Some(at("2026-11-30T09:00:00Z")));
        assert_eq!(s.next_after(at("2026-11-30T10:40:00Z")), Some(at("2026-12-01T09:00:00Z")));
        assert_eq!(Schedule::parse("0 0 31 2 *", "UTC").expect("valid").next_after(at("2026-01-01T00:00:00Z")), None);
    }

    #[test]
    fn a_daylight_saving_gap_is_skipped() {
        // New York skips 02:00-03:00 on 2026-03-08.
        let s = Schedule::parse("30 2 * * *", "America/New_York").expect("valid");
        assert_eq!(s.next_after(at("2026-03-07T08:00:00Z")), Some(at("2026-03-09T06:30:00Z")));
    }

    #[test]
    fn bad_schedules_say_what_is_wrong() {
        let error = |cron: &str, zone: &str| Schedule::parse(cron, zone).err().unwrap_or_default();
        assert!(error("61 * * * *", "UTC").contains("minute"));
        assert!(error("* * * *", "UTC").contains("five fields"));
        assert!(error("* * * * *", "Mars/Olympus").contains("time zone"));
        assert!(Schedule::parse("*/0 * * * *", "UTC").is_err());
    }
}
