//! Dates in a declared time zone: "today" and birthdays around midnight and 29 February.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use engine_rule::{Context, Type, Value, check, evaluate, parse};

use super::support::{Sample, date};

/// A customer with a birthday, and a zone field holding a name that is no zone.
fn customer(birthday: Value) -> Sample {
    Sample::default().field("birthday", Type::Date, birthday).field("zone", Type::Text, Value::Text("Not/AZone".into()))
}

fn at(now: &str, text: &str, birthday: &str) -> Value {
    let now = DateTime::<Utc>::from_str(now).expect("now");
    // `today` is deliberately the UTC date: the zone functions must not use it.
    let ctx = Context::at(now, now.date_naive());
    let customer = customer(date(birthday));
    let expr = parse(text).expect("parses");
    check(&expr, &customer).expect("checks");
    evaluate(&expr, &customer, &ctx).expect("evaluates")
}

#[test]
fn today_is_the_date_in_the_declared_zone() {
    // 00:30 on 28 November in Shanghai is still 27 November in UTC and New York.
    let now = "2026-11-27T16:30:00Z";
    assert_eq!(at(now, "today_in('Asia/Shanghai')", "2000-01-01"), date("2026-11-28"));
    assert_eq!(at(now, "today_in('UTC')", "2000-01-01"), date("2026-11-27"));
    assert_eq!(at(now, "today_in('America/New_York')", "2000-01-01"), date("2026-11-27"));
    assert_eq!(at(now, "birthday_today(birthday, 'Asia/Shanghai')", "1982-11-28"), Value::Bool(true));
    assert_eq!(at(now, "birthday_today(birthday, 'UTC')", "1982-11-28"), Value::Bool(false));
    assert_eq!(
        at(now, "birthday_today(birthday, zone)", "1982-11-28"),
        Value::Null,
        "an unknown zone in data gives no answer"
    );
}

#[test]
fn a_29_february_birthday_is_kept_on_28_february_in_other_years() {
    let leapling = "2000-02-29";
    assert_eq!(at("2027-02-28T04:00:00Z", "birthday_today(birthday, 'Asia/Shanghai')", leapling), Value::Bool(true));
    assert_eq!(at("2027-03-01T04:00:00Z", "birthday_today(birthday, 'Asia/Shanghai')", leapling), Value::Bool(false));
    assert_eq!(at("2028-02-28T04:00:00Z", "birthday_today(birthday, 'Asia/Shanghai')", leapling), Value::Bool(false));
    assert_eq!(at("2028-02-29T04:00:00Z", "birthday_today(birthday, 'Asia/Shanghai')", leapling), Value::Bool(true));
    assert_eq!(
        at("2027-02-28T04:00:00Z", "birthday_today(birthday, 'Asia/Shanghai')", "1990-02-28"),
        Value::Bool(true)
    );
}

#[test]
fn an_unknown_zone_written_in_the_expression_is_a_located_error() {
    let expr = parse("today_in('Mars/Olympus') > birthday").expect("parses");
    let errors = check(&expr, &customer(Value::Null)).expect_err("no such zone");
    assert_eq!(
        errors.iter().map(|e| (e.kind.code(), e.span.start, e.span.end)).collect::<Vec<_>>(),
        vec![("type_mismatch", 9, 23)]
    );
}
