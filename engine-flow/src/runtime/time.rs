//! When timers, task deadlines and escalations come due.

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use engine_rule::{Context, Value};

use crate::model::Duration;

/// `duration` after now: calendar time, or business days of a calendar counted from today
/// (in the app's zone) at the same time of day; `None` for an unknown calendar.
pub(super) fn due_after(duration: &Duration, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
    match duration {
        Duration::Minutes(m) => Some(ctx.now + chrono::Duration::minutes(*m)),
        Duration::BusinessDays { days, calendar } => {
            let target = ctx.calendars.get(calendar)?.add_business_days(ctx.today, *days)?;
            Some(ctx.now + chrono::Duration::days((target - ctx.today).num_days()))
        }
    }
}

/// The instant a timer `at` an expression's value fires: a date-time as it is; a date at
/// `time` in `zone` (the first instant after a daylight-saving gap); `None` when the value
/// is empty, so the timer waits until the record gives it one.
pub(super) fn due_at(value: &Value, time: NaiveTime, zone: Option<&str>) -> Option<DateTime<Utc>> {
    match value {
        Value::DateTime(t) => Some(*t),
        Value::Date(d) => {
            let tz = engine_rule::zone(zone?)?;
            let local = d.and_time(time);
            let mut candidate = local;
            // A local time inside a daylight-saving gap does not exist: take the next that does.
            for _ in 0..180 {
                if let Some(t) = tz.from_local_datetime(&candidate).earliest() {
                    return Some(t.with_timezone(&Utc));
                }
                candidate += chrono::Duration::minutes(1);
            }
            None
        }
        _ => None,
    }
}
