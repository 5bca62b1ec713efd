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
    pub eval: fn(&[Value], &Context) -> Value,
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

/// Today's date in the zone named by `v`, from the evaluation's instant.
fn today_in(v: &Value, ctx: &Context) -> Option<NaiveDate> {
    let tz = zone(text(v)?)?;
    Some(ctx.now.with_timezone(&tz).date_naive())
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

fn text(v: &Value) -> Option<&str> {
    if let Value::Text(s) = v { Some(s) } else { None }
}

fn date(v: &Value) -> Option<NaiveDate> {
    if let Value::Date(d) = v { Some(*d) } else { None }
}

fn integer(v: &Value) -> Option<i64> {
    if let Value::Integer(i) = v { Some(*i) } else { None }
}

/// The type rule of the rounding functions: a number, and optionally whole-number places.
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
    Function {
        name: "today_in",
        min_args: 1,
        max_args: Some(1),
        check: |a| want(a, 0, Type::Text).map(|()| Type::Date),
        zone_arg: Some(0),
        eval: |a, c| today_in(&a[0], c).map_or(Value::Null, Value::Date),
    },
    Function {
        name: "birthday_today",
        min_args: 2,
        max_args: Some(2),
        check: |a| want(a, 0, Type::Date).and(want(a, 1, Type::Text)).map(|()| Type::Bool),
        zone_arg: Some(1),
        eval: |a, c| match (date(&a[0]), today_in(&a[1], c)) {
            (Some(birthday), Some(today)) => Value::Bool(is_birthday(birthday, today)),
            _ => Value::Null,
        },
    },
    Function {
        name: "if",
        min_args: 3,
        max_args: Some(3),
        check: |a| {
            want(a, 0, Type::Bool)?;
            a[1].unify(&a[2]).ok_or_else(|| format!("the two branches differ: {} and {}", a[1], a[2]))
        },
        zone_arg: None,
        eval: |a, _| if a[0] == Value::Bool(true) { a[1].clone() } else { a[2].clone() },
    },
    Function {
        name: "coalesce",
        min_args: 1,
        max_args: None,
        check: unify_all,
        zone_arg: None,
        eval: |a, _| a.iter().find(|v| !v.is_null()).cloned().unwrap_or(Value::Null),
    },
    Function {
        name: "is_empty",
        min_args: 1,
        max_args: Some(1),
        check: |_| Ok(Type::Bool),
        zone_arg: None,
        eval: |a, _| {
            Value::Bool(match &a[0] {
                Value::Null => true,
                Value::Text(s) => s.trim().is_empty(),
                Value::List(l) => l.is_empty(),
                _ => false,
            })
        },
    },
    Function {
        name: "round",
        min_args: 1,
        max_args: Some(2),
        check: rounding,
        zone_arg: None,
        eval: |a, _| round(a, RoundingStrategy::MidpointAwayFromZero),
    },
    Function {
        name: "round_bankers",
        min_args: 1,
        max_args: Some(2),
        check: rounding,
        zone_arg: None,
        eval: |a, _| round(a, RoundingStrategy::MidpointNearestEven),
    },
    Function {
        name: "abs",
        min_args: 1,
        max_args: Some(1),
        check: |a| numeric(a, 0),
        zone_arg: None,
        eval: |a, _| match &a[0] {
            Value::Integer(i) => {
                i.checked_abs().map_or_else(|| Value::Decimal(Decimal::from(*i).abs()), Value::Integer)
            }
            Value::Decimal(d) => Value::Decimal(d.abs()),
            _ => Value::Null,
        },
    },
    Function {
        name: "min",
        min_args: 1,
        max_args: None,
        check: unify_all,
        zone_arg: None,
        eval: |a, _| pick(a, false),
    },
    Function { name: "max", min_args: 1, max_args: None, check: unify_all, zone_arg: None, eval: |a, _| pick(a, true) },
    Function {
        name: "len",
        min_args: 1,
        max_args: Some(1),
        check: |a| want(a, 0, Type::Text).map(|()| Type::Integer),
        zone_arg: None,
        eval: |a, _| text(&a[0]).map_or(Value::Null, |s| Value::Integer(s.chars().count() as i64)),
    },
    Function {
        name: "upper",
        min_args: 1,
        max_args: Some(1),
        check: |a| want(a, 0, Type::Text).map(|()| Type::Text),
        zone_arg: None,
        eval: |a, _| text(&a[0]).map_or(Value::Null, |s| Value::Text(s.to_uppercase())),
    },
    Function {
        name: "lower",
        min_args: 1,
        max_args: Some(1),
        check: |a| want(a, 0, Type::Text).map(|()| Type::Text),
        zone_arg: None,
        eval: |a, _| text(&a[0]).map_or(Value::Null, |s| Value::Text(s.to_lowercase())),
    },
    Function {
        name: "trim",
        min_args: 1,
        max_args: Some(1),
        check: |a| want(a, 0, Type::Text).map(|()| Type::Text),
        zone_arg: None,
        eval: |a, _| text(&a[0]).map_or(Value::Null, |s| Value::Text(s.trim().to_owned())),
    },
    Function {
        name: "contains",
        min_args: 2,
        max_args: Some(2),
        check: |a| want(a, 0, Type::Text).and(want(a, 1, Type::Text)).map(|()| Type::Bool),
        zone_arg: None,
        eval: |a, _| match (text(&a[0]), text(&a[1])) {
            (Some(s), Some(t)) => Value::Bool(s.contains(t)),
            _ => Value::Null,
        },
    },
    Function {
        name: "starts_with",
        min_args: 2,
        max_args: Some(2),
        check: |a| want(a, 0, Type::Text).and(want(a, 1, Type::Text)).map(|()| Type::Bool),
        zone_arg: None,
        eval: |a, _| match (text(&a[0]), text(&a[1])) {
            (Some(s), Some(t)) => Value::Bool(s.starts_with(t)),
            _ => Value::Null,
        },
    },
    Function {
        name: "today",
        min_args: 0,
        max_args: Some(0),
        check: |_| Ok(Type::Date),
        zone_arg: None,
        eval: |_, c| Value::Date(c.today),
    },
    Function {
        name: "now",
        min_args: 0,
        max_args: Some(0),
        check: |_| Ok(Type::DateTime),
        zone_arg: None,
        eval: |_, c| Value::DateTime(c.now),
    },
    Function {
        name: "date",
        min_args: 1,
        max_args: Some(1),
        check: |a| want(a, 0, Type::Text).map(|()| Type::Date),
        zone_arg: None,
        eval: |a, _| {
            text(&a[0]).and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).map_or(Value::Null, Value::Date)
        },
    },
    Function {
        name: "days_between",
        min_args: 2,
        max_args: Some(2),
        check: |a| want(a, 0, Type::Date).and(want(a, 1, Type::Date)).map(|()| Type::Integer),
        zone_arg: None,
        eval: |a, _| match (date(&a[0]), date(&a[1])) {
            (Some(from), Some(to)) => Value::Integer((to - from).num_days()),
            _ => Value::Null,
        },
    },
    Function {
        name: "add_days",
        min_args: 2,
        max_args: Some(2),
        check: |a| want(a, 0, Type::Date).and(want(a, 1, Type::Integer)).map(|()| Type::Date),
        zone_arg: None,
        eval: |a, _| match (date(&a[0]), integer(&a[1])) {
            (Some(d), Some(n)) => {
                chrono::Duration::try_days(n).and_then(|n| d.checked_add_signed(n)).map_or(Value::Null, Value::Date)
            }
            _ => Value::Null,
        },
    },
    Function {
        name: "add_months",
        min_args: 2,
        max_args: Some(2),
        // Month ends clamp: 2026-01-31 plus one month is 2026-02-28.
        check: |a| want(a, 0, Type::Date).and(want(a, 1, Type::Integer)).map(|()| Type::Date),
        zone_arg: None,
        eval: |a, _| match (date(&a[0]), integer(&a[1])) {
            (Some(d), Some(n)) => {
                let months = u32::try_from(n.unsigned_abs()).ok().map(Months::new);
                let moved = months.and_then(|m| if n >= 0 { d.checked_add_months(m) } else { d.checked_sub_months(m) });
                moved.map_or(Value::Null, Value::Date)
            }
            _ => Value::Null,
        },
    },
    Function {
        name: "year",
        min_args: 1,
        max_args: Some(1),
        check: |a| want(a, 0, Type::Date).map(|()| Type::Integer),
        zone_arg: None,
        eval: |a, _| date(&a[0]).map_or(Value::Null, |d| Value::Integer(i64::from(d.year()))),
    },
    Function {
        name: "month",
        min_args: 1,
        max_args: Some(1),
        check: |a| want(a, 0, Type::Date).map(|()| Type::Integer),
        zone_arg: None,
        eval: |a, _| date(&a[0]).map_or(Value::Null, |d| Value::Integer(i64::from(d.month()))),
    },
    Function {
        name: "day",
        min_args: 1,
        max_args: Some(1),
        check: |a| want(a, 0, Type::Date).map(|()| Type::Integer),
        zone_arg: None,
        eval: |a, _| date(&a[0]).map_or(Value::Null, |d| Value::Integer(i64::from(d.day()))),
    },
];
