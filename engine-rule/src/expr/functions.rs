//! The function library: one table gives each function its argument count, its type
//! rule for the checker and its implementation for the evaluator.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use super::eval::Context;
use super::types::Type;
use super::value::Value;

pub struct Function {
    pub name: &'static str,
    pub min_args: usize,
    /// `None` for "any number".
    pub max_args: Option<usize>,
    pub check: fn(&[Type]) -> Result<Type, String>,
    /// The argument that names a time zone, if any: a literal one is checked statically.
    pub zone_arg: Option<usize>,
    /// The argument that names a business-day calendar: always a literal, checked
    /// statically against the app's calendars.
    pub calendar_arg: Option<usize>,
    pub eval: fn(&[Value], &Context) -> Value,
}

impl Function {
    const fn new(
        name: &'static str,
        args: (usize, Option<usize>),
        check: fn(&[Type]) -> Result<Type, String>,
        eval: fn(&[Value], &Context) -> Value,
    ) -> Function {
        Function { name, min_args: args.0, max_args: args.1, check, zone_arg: None, calendar_arg: None, eval }
    }

    /// Marks argument `arg` as a calendar's key.
    const fn calendar(mut self, arg: usize) -> Function {
        self.calendar_arg = Some(arg);
        self
    }

    /// Marks argument `arg` as a time-zone name.
    const fn zoned(mut self, arg: usize) -> Function {
        self.zone_arg = Some(arg);
        self
    }
}

pub fn find(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

fn want(args: &[Type], i: usize, t: Type) -> Result<(), String> {
    if args[i].fits(&t) { Ok(()) } else { Err(format!("argument {} must be {t}, not {}", i + 1, args[i])) }
}

fn numeric(args: &[Type], i: usize) -> Result<Type, String> {
    if args[i].is_numeric() {
        Ok(args[i].clone())
    } else {
        Err(format!("argument {} must be a number, not {}", i + 1, args[i]))
    }
}

fn unify_all(args: &[Type]) -> Result<Type, String> {
    args.iter().try_fold(Type::Null, |acc, t| acc.unify(t).ok_or_else(|| format!("{acc} and {t} do not mix")))
}

/// A time zone by its IANA name (`Asia/Shanghai`).
pub fn zone(name: &str) -> Option<chrono_tz::Tz> {
    name.parse().ok()
}

/// The app's calendar named by `v`.
fn calendar<'c>(v: &Value, ctx: &Context<'c>) -> Option<&'c crate::calendar::Calendar> {
    ctx.calendars.get(text(v)?)
}

/// Today's date in the zone named by `v`, from the evaluation's instant.
fn today_in(v: &Value, ctx: &Context) -> Option<NaiveDate> {
    let tz = zone(text(v)?)?;
    Some(ctx.now.with_timezone(&tz).date_naive())
}

/// The first instant of `day` in `tz`.
fn start_of_day(day: NaiveDate, tz: chrono_tz::Tz) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    // Midnight, or the first whole minute after a gap that swallows it.
    (0..24 * 60).find_map(|minute| {
        let local = day.and_hms_opt(minute / 60, minute % 60, 0)?;
        tz.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&chrono::Utc))
    })
}

/// Whether `birthday` falls on `today`. A 29 February birthday is kept on 28 February
/// in years without one.
fn is_birthday(birthday: NaiveDate, today: NaiveDate) -> bool {
    let leap = NaiveDate::from_ymd_opt(today.year(), 2, 29).is_some();
    match (birthday.month(), birthday.day()) {
        (2, 29) if !leap => (today.month(), today.day()) == (2, 28),
        (m, d) => (today.month(), today.day()) == (m, d),
    }
}

/// The first anniversary of `date` on or after `from`: a birthday's next occurrence (29
/// February falls on 28 February in other years, as in `birthday_today`).
fn next_anniversary(date: NaiveDate, from: NaiveDate) -> Option<NaiveDate> {
    let start = from.max(date);
    (start.year()..=start.year() + 1)
        .filter_map(|year| {
            NaiveDate::from_ymd_opt(year, date.month(), date.day())
                .or_else(|| NaiveDate::from_ymd_opt(year, 2, 28).filter(|_| (date.month(), date.day()) == (2, 29)))
        })
        .find(|d| *d >= start)
}

/// The characters `trim` removes: space, tab, line feed and carriage return. The set is
/// fixed, not "Unicode whitespace", so the database trims exactly the same (`TRIM_SET`).
pub const TRIM_SET: &str = " \t\n\r";

fn trim(s: &str) -> &str {
    s.trim_matches(|c| TRIM_SET.contains(c))
}

fn text(v: &Value) -> Option<&str> {
    if let Value::Text(s) = v { Some(s) } else { None }
}

fn date(v: &Value) -> Option<NaiveDate> {
    if let Value::Date(d) = v { Some(*d) } else { None }
}

/// A computed date, if it lies in the years every store keeps (0001 to 9999): past them a
/// date is null, in the evaluator and in both databases alike.
fn in_range(d: Option<NaiveDate>) -> Value {
    match d {
        Some(d) if (1..=9999).contains(&d.year()) => Value::Date(d),
        _ => Value::Null,
    }
}

/// A computed instant, if it lies in the years 0001 to 9999 in UTC.
fn instant_in_range(t: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    match t {
        Some(t) if (1..=9999).contains(&t.year()) => Value::DateTime(t),
        _ => Value::Null,
    }
}

fn integer(v: &Value) -> Option<i64> {
    if let Value::Integer(i) = v { Some(*i) } else { None }
}

fn text_to_text(a: &[Type]) -> Result<Type, String> {
    want(a, 0, Type::Text).map(|()| Type::Text)
}

fn texts_to_bool(a: &[Type]) -> Result<Type, String> {
    want(a, 0, Type::Text).and(want(a, 1, Type::Text)).map(|()| Type::Bool)
}

fn date_to_integer(a: &[Type]) -> Result<Type, String> {
    want(a, 0, Type::Date).map(|()| Type::Integer)
}

fn date_and_integer_to_date(a: &[Type]) -> Result<Type, String> {
    want(a, 0, Type::Date).and(want(a, 1, Type::Integer)).map(|()| Type::Date)
}

/// Applies `f` to a text argument; anything else (null) gives null.
fn on_text(v: &Value, f: impl Fn(&str) -> Value) -> Value {
    text(v).map_or(Value::Null, f)
}

/// Applies `f` to two text arguments; null if either is not text.
fn on_texts(a: &Value, b: &Value, f: impl Fn(&str, &str) -> bool) -> Value {
    match (text(a), text(b)) {
        (Some(a), Some(b)) => Value::Bool(f(a, b)),
        _ => Value::Null,
    }
}

/// A part of a date argument as an integer; null if it is not a date.
fn date_part(v: &Value, part: impl Fn(NaiveDate) -> i64) -> Value {
    date(v).map_or(Value::Null, |d| Value::Integer(part(d)))
}

/// The type rule of the rounding functions: a number, and optionally whole-number places.
/// `format_money(amount[, language[, currency]])`: a number, then texts.
fn formatted_money(args: &[Type]) -> Result<Type, String> {
    numeric(args, 0)?;
    (1..args.len()).try_for_each(|i| want(args, i, Type::Text)).map(|()| Type::Text)
}

/// `format_date(date[, language])` or `format_date(instant, language, zone)`.
fn formatted_date(args: &[Type]) -> Result<Type, String> {
    (1..args.len()).try_for_each(|i| want(args, i, Type::Text))?;
    if args[0].fits(&Type::Date) {
        Ok(Type::Text)
    } else if args[0].fits(&Type::DateTime) {
        if args.len() < 3 {
            Err("an instant is written in a zone: give it as argument 3".to_owned())
        } else {
            Ok(Type::Text)
        }
    } else {
        Err(format!("argument 1 must be a date or an instant, not {}", args[0]))
    }
}

fn rounding(args: &[Type]) -> Result<Type, String> {
    numeric(args, 0)?;
    if args.len() > 1 {
        want(args, 1, Type::Integer)?;
    }
    Ok(Type::Decimal)
}

/// Rounds to `places` digits after the point (0 to 10; default 0).
fn round(args: &[Value], strategy: RoundingStrategy) -> Value {
    let places = args.get(1).map_or(Some(0), integer);
    match (args[0].as_decimal(), places) {
        (Some(d), Some(p)) if (0..=10).contains(&p) => Value::Decimal(d.round_dp_with_strategy(p as u32, strategy)),
        _ => Value::Null,
    }
}

/// The smallest (or greatest) non-null argument; nulls are skipped, as in SQL's MIN/MAX.
fn pick(args: &[Value], greatest: bool) -> Value {
    let wanted = if greatest { std::cmp::Ordering::Greater } else { std::cmp::Ordering::Less };
    let mut best: Option<&Value> = None;
    for v in args.iter().filter(|v| !v.is_null()) {
        if best.is_none_or(|b| v.compare(b) == Some(wanted)) {
            best = Some(v);
        }
    }
    best.cloned().unwrap_or(Value::Null)
}

static FUNCTIONS: &[Function] = &[
    Function::new(
        "today_in",
        (1, Some(1)),
        |a| want(a, 0, Type::Text).map(|()| Type::Date),
        |a, c| today_in(&a[0], c).map_or(Value::Null, Value::Date),
    )
    .zoned(0),
    Function::new(
        "birthday_today",
        (2, Some(2)),
        |a| want(a, 0, Type::Date).and(want(a, 1, Type::Text)).map(|()| Type::Bool),
        |a, c| match (date(&a[0]), today_in(&a[1], c)) {
            (Some(birthday), Some(today)) => Value::Bool(is_birthday(birthday, today)),
            _ => Value::Null,
        },
    )
    .zoned(1),
    Function::new(
        "next_anniversary",
        (2, Some(2)),
        |a| want(a, 0, Type::Date).and(want(a, 1, Type::Date)).map(|()| Type::Date),
        |a, _| match (date(&a[0]), date(&a[1])) {
            (Some(d), Some(from)) => next_anniversary(d, from).map_or(Value::Null, Value::Date),
            _ => Value::Null,
        },
    ),
    // The instant a date begins in a zone (its first instant when daylight saving skips
    // midnight): `occurred_at >= start_of_day(today_in('Asia/Shanghai'), 'Asia/Shanghai')`.
    Function::new(
        "start_of_day",
        (2, Some(2)),
        |a| want(a, 0, Type::Date).and(want(a, 1, Type::Text)).map(|()| Type::DateTime),
        |a, _| match (date(&a[0]), text(&a[1]).and_then(zone)) {
            (Some(day), Some(tz)) => start_of_day(day, tz).map_or(Value::Null, Value::DateTime),
            _ => Value::Null,
        },
    )
    .zoned(1),
    Function::new(
        "if",
        (3, Some(3)),
        |a| {
            want(a, 0, Type::Bool)?;
            a[1].unify(&a[2]).ok_or_else(|| format!("the two branches differ: {} and {}", a[1], a[2]))
        },
        |a, _| if a[0] == Value::Bool(true) { a[1].clone() } else { a[2].clone() },
    ),
    Function::new("coalesce", (1, None), unify_all, |a, _| {
        a.iter().find(|v| !v.is_null()).cloned().unwrap_or(Value::Null)
    }),
    Function::new(
        "is_empty",
        (1, Some(1)),
        |_| Ok(Type::Bool),
        |a, _| {
            Value::Bool(match &a[0] {
                Value::Null => true,
                Value::Text(s) => trim(s).is_empty(),
                Value::List(l) => l.is_empty(),
                _ => false,
            })
        },
    ),
    Function::new("round", (1, Some(2)), rounding, |a, _| round(a, RoundingStrategy::MidpointAwayFromZero)),
    Function::new("round_bankers", (1, Some(2)), rounding, |a, _| round(a, RoundingStrategy::MidpointNearestEven)),
    Function::new(
        "abs",
        (1, Some(1)),
        |a| numeric(a, 0),
        |a, _| match &a[0] {
            Value::Integer(i) => {
                i.checked_abs().map_or_else(|| Value::Decimal(Decimal::from(*i).abs()), Value::Integer)
            }
            Value::Decimal(d) => Value::Decimal(d.abs()),
            _ => Value::Null,
        },
    ),
    // Money and dates as people read them, in a language: `format_money(aum, 'zh-CN')` is
    // `¥12,800,000.00`; `format_date(birthday, 'en')` is `14 March 1975`; an instant needs
    // its zone: `format_date(occurred_at, 'zh-CN', 'Asia/Shanghai')`.
    Function::new("format_money", (1, Some(3)), formatted_money, |a, _| super::format::format_money(a)),
    Function::new("format_date", (1, Some(3)), formatted_date, |a, _| super::format::format_date(a)).zoned(2),
    Function::new("min", (1, None), unify_all, |a, _| pick(a, false)),
    Function::new("max", (1, None), unify_all, |a, _| pick(a, true)),
    Function::new(
        "len",
        (1, Some(1)),
        |a| want(a, 0, Type::Text).map(|()| Type::Integer),
        |a, _| on_text(&a[0], |s| Value::Integer(s.chars().count() as i64)),
    ),
    Function::new("upper", (1, Some(1)), text_to_text, |a, _| on_text(&a[0], |s| Value::Text(s.to_ascii_uppercase()))),
    Function::new("lower", (1, Some(1)), text_to_text, |a, _| on_text(&a[0], |s| Value::Text(s.to_ascii_lowercase()))),
    Function::new("trim", (1, Some(1)), text_to_text, |a, _| on_text(&a[0], |s| Value::Text(trim(s).to_owned()))),
    Function::new("contains", (2, Some(2)), texts_to_bool, |a, _| on_texts(&a[0], &a[1], |s, t| s.contains(t))),
    Function::new("starts_with", (2, Some(2)), texts_to_bool, |a, _| on_texts(&a[0], &a[1], |s, t| s.starts_with(t))),
    Function::new("today", (0, Some(0)), |_| Ok(Type::Date), |_, c| Value::Date(c.today)),
    Function::new("now", (0, Some(0)), |_| Ok(Type::DateTime), |_, c| Value::DateTime(c.now)),
    Function::new(
        "date",
        (1, Some(1)),
        |a| want(a, 0, Type::Text).map(|()| Type::Date),
        |a, _| in_range(text(&a[0]).and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())),
    ),
    Function::new(
        "days_between",
        (2, Some(2)),
        |a| want(a, 0, Type::Date).and(want(a, 1, Type::Date)).map(|()| Type::Integer),
        |a, _| match (date(&a[0]), date(&a[1])) {
            (Some(from), Some(to)) => Value::Integer((to - from).num_days()),
            _ => Value::Null,
        },
    ),
    // A date moves by calendar days; an instant by 24-hour days (`add_days(now(), -30)`).
    Function::new(
        "add_days",
        (2, Some(2)),
        |a| {
            want(a, 1, Type::Integer)?;
            match &a[0] {
                Type::DateTime => Ok(Type::DateTime),
                _ => want(a, 0, Type::Date).map(|()| Type::Date),
            }
        },
        |a, _| {
            let days = integer(&a[1]).and_then(chrono::Duration::try_days);
            match (&a[0], days) {
                (Value::Date(d), Some(n)) => in_range(d.checked_add_signed(n)),
                (Value::DateTime(t), Some(n)) => instant_in_range(t.checked_add_signed(n)),
                _ => Value::Null,
            }
        },
    ),
    // Month ends clamp: 2026-01-31 plus one month is 2026-02-28.
    Function::new("add_months", (2, Some(2)), date_and_integer_to_date, |a, _| match (date(&a[0]), integer(&a[1])) {
        (Some(d), Some(n)) => {
            let months = u32::try_from(n.unsigned_abs()).ok().map(Months::new);
            in_range(months.and_then(|m| if n >= 0 { d.checked_add_months(m) } else { d.checked_sub_months(m) }))
        }
        _ => Value::Null,
    }),
    // Business days, in one of the app's calendars (weekends, holidays, make-up workdays).
    Function::new(
        "is_business_day",
        (2, Some(2)),
        |a| want(a, 0, Type::Date).and(want(a, 1, Type::Text)).map(|()| Type::Bool),
        |a, c| match (date(&a[0]), calendar(&a[1], c)) {
            (Some(d), Some(cal)) => Value::Bool(cal.is_business_day(d)),
            _ => Value::Null,
        },
    )
    .calendar(1),
    Function::new(
        "add_business_days",
        (3, Some(3)),
        |a| want(a, 0, Type::Date).and(want(a, 1, Type::Integer)).and(want(a, 2, Type::Text)).map(|()| Type::Date),
        |a, c| match (date(&a[0]), integer(&a[1]), calendar(&a[2], c)) {
            (Some(d), Some(n), Some(cal)) => in_range(cal.add_business_days(d, n)),
            _ => Value::Null,
        },
    )
    .calendar(2),
    Function::new(
        "business_days_between",
        (3, Some(3)),
        |a| want(a, 0, Type::Date).and(want(a, 1, Type::Date)).and(want(a, 2, Type::Text)).map(|()| Type::Integer),
        |a, c| match (date(&a[0]), date(&a[1]), calendar(&a[2], c)) {
            (Some(from), Some(to), Some(cal)) => {
                cal.business_days_between(from, to).map_or(Value::Null, Value::Integer)
            }
            _ => Value::Null,
        },
    )
    .calendar(2),
    Function::new("year", (1, Some(1)), date_to_integer, |a, _| date_part(&a[0], |d| i64::from(d.year()))),
    Function::new("month", (1, Some(1)), date_to_integer, |a, _| date_part(&a[0], |d| i64::from(d.month()))),
    Function::new("day", (1, Some(1)), date_to_integer, |a, _| date_part(&a[0], |d| i64::from(d.day()))),
];
