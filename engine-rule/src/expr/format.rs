//! Formatting for people: money and dates as a message in a language writes them, so an SMS
//! says `¥12,800,000.00` and `2026年12月1日`, not `12800000.00` and `2026-12-01`. Money is
//! formatted from its exact decimal (rounded half away from zero to two places), never
//! through a float.

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use super::value::Value;

/// The languages formatting knows; any other reads as English.
fn chinese(language: Option<&str>) -> bool {
    language.is_none_or(|l| l.starts_with("zh"))
}

/// `amount` with thousands separators and two decimals, with its currency as `language`
/// writes it: `¥1,234.50` (Chinese, yuan), `CNY 1,234.50` (English), `USD 1,234.50`.
pub fn money(amount: Decimal, language: Option<&str>, currency: Option<&str>) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.2}", rounded.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() { "-" } else { "" };
    let currency = currency.unwrap_or("CNY");
    match (chinese(language), currency) {
        (true, "CNY") => format!("{sign}¥{grouped}.{fraction}"),
        _ => format!("{sign}{currency} {grouped}.{fraction}"),
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date as `language` writes it: `2026年12月1日`, `1 December 2026`.
pub fn date(day: NaiveDate, language: Option<&str>) -> String {
    if chinese(language) {
        format!("{}年{}月{}日", day.year(), day.month(), day.day())
    } else {
        format!("{} {} {}", day.day(), MONTHS[day.month0() as usize], day.year())
    }
}

/// `format_money(amount[, language[, currency]])`.
pub(super) fn format_money(args: &[Value]) -> Value {
    let amount = match &args[0] {
        Value::Decimal(d) => *d,
        Value::Integer(i) => Decimal::from(*i),
        _ => return Value::Null,
    };
    let text = |i: usize| match args.get(i) {
        Some(Value::Text(t)) => Some(t.as_str()),
        _ => None,
    };
    Value::Text(money(amount, text(1), text(2)))
}

/// `format_date(date[, language])`, or `format_date(instant, language, zone)` (then with
/// the time of day in that zone: `2026年12月1日 08:00`, `1 December 2026, 08:00`).
pub(super) fn format_date(args: &[Value]) -> Value {
    let language = match args.get(1) {
        Some(Value::Text(t)) => Some(t.as_str()),
        _ => None,
    };
    match &args[0] {
        Value::Date(d) => Value::Text(date(*d, language)),
        Value::DateTime(t) => {
            let Some(zone) = args.get(2).and_then(|z| match z {
                Value::Text(z) => z.parse::<chrono_tz::Tz>().ok(),
                _ => None,
            }) else {
                return Value::Null;
            };
            let local = t.with_timezone(&zone);
            let joint = if chinese(language) { " " } else { ", " };
            Value::Text(format!("{}{joint}{}", date(local.date_naive(), language), local.format("%H:%M")))
        }
        _ => Value::Null,
    }
}
