//! Business-day calendars: weekends, holidays and make-up workdays, in the functions and
//! in the checker.

use chrono::{NaiveDate, TimeZone, Utc};
use engine_rule::{Calendars, Context, Schema, Type, Value, check, evaluate, parse, parse_calendar};
use serde_json::json;

fn calendars() -> Calendars {
    let doc = json!({ "key": "cn_bank", "weekend": ["saturday", "sunday"],
        "holidays": ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"],
        "workdays": ["2026-09-27", "2026-10-10"] });
    let (key, calendar) = parse_calendar(&doc).expect("a calendar");
    Calendars::from([(key, calendar)])
}

struct NoFields;

impl Schema for NoFields {
    fn type_of(&self, _: &[String]) -> Option<Type> {
        None
    }

    fn has_calendar(&self, name: &str) -> Option<bool> {
        Some(name == "cn_bank")
    }
}

fn value(text: &str) -> Value {
    let calendars = calendars();
    let now = Utc.with_ymd_and_hms(2026, 9, 25, 2, 0, 0).single().expect("instant");
    let ctx = Context::at(now, now.date_naive()).with_calendars(&calendars);
    let expr = parse(text).expect("parses");
    check(&expr, &NoFields).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    evaluate(&expr, &NoFields2, &ctx).expect("evaluates")
}

struct NoFields2;

impl engine_rule::Record for NoFields2 {
    fn value(&self, _: &[String]) -> Value {
        Value::Null
    }
}

fn day(s: &str) -> Value {
    Value::Date(s.parse::<NaiveDate>().expect("date"))
}

#[test]
fn business_days_skip_weekends_and_holidays_and_count_make_up_days() {
    let cases = [
        // Wednesday 30 September + 1: the holiday week, then Thursday 8 October.
        ("add_business_days(date('2026-09-30'), 1, 'cn_bank')", day("2026-10-08")),
        // Friday 9 October + 1 is Saturday 10 October, a make-up working day.
        ("add_business_days(date('2026-10-09'), 1, 'cn_bank')", day("2026-10-10")),
        ("add_business_days(date('2026-10-12'), -1, 'cn_bank')", day("2026-10-10")),
        // A holiday + 0 is the next business day; a business day + 0 is itself.
        ("add_business_days(date('2026-10-03'), 0, 'cn_bank')", day("2026-10-08")),
        ("add_business_days(date('2026-09-30'), 0, 'cn_bank')", day("2026-09-30")),
        ("is_business_day(date('2026-09-27'), 'cn_bank')", Value::Bool(true)),
        ("is_business_day(date('2026-10-01'), 'cn_bank')", Value::Bool(false)),
        ("is_business_day(date('2026-10-03'), 'cn_bank')", Value::Bool(false)),
        // After 25 September up to 12 October: 28, 29, 30 Sep (27 is a make-up Sunday),
        // 8, 9, 10, 12 Oct.
        ("business_days_between(date('2026-09-25'), date('2026-10-12'), 'cn_bank')", Value::Integer(8)),
        ("business_days_between(date('2026-10-12'), date('2026-09-25'), 'cn_bank')", Value::Integer(-8)),
        ("business_days_between(date('2026-10-01'), date('2026-10-01'), 'cn_bank')", Value::Integer(0)),
        ("add_business_days(date('2026-09-30'), null, 'cn_bank')", Value::Null),
    ];
    for (text, want) in cases {
        assert_eq!(value(text), want, "{text}");
    }
}

#[test]
fn calendars_are_checked() {
    let expr = parse("add_business_days(date('2026-09-30'), 1, 'hk_bank')").expect("parses");
    let errors = check(&expr, &NoFields).expect_err("no such calendar");
    assert_eq!((errors[0].kind.code(), errors[0].span.start, errors[0].span.end), ("unknown_calendar", 41, 50));
    let expr = parse("is_business_day(date('2026-09-30'), 'cn' & '_bank')").expect("parses");
    assert_eq!(check(&expr, &NoFields).expect_err("not a literal")[0].kind.code(), "type_mismatch");

    let bad = json!({ "key": "x", "weekend": ["sunday", "funday"], "holidays": ["2026-10-01", "2026-13-01", "2026-10-01"],
        "workdays": ["2026-10-01"] });
    let problems = parse_calendar(&bad).expect_err("every problem");
    let got: Vec<(&str, &str)> = problems.iter().map(|d| (d.path.as_str(), d.code)).collect();
    assert_eq!(
        got,
        [
            ("/weekend/1", "bad_weekday"),
            ("/holidays/1", "bad_date"),
            ("/holidays/2", "duplicate"),
            ("/workdays/0", "conflict")
        ]
    );
}
