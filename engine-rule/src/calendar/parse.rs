//! Reading a calendar from metadata, every problem with its path.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value as Json;

use super::Calendar;
use crate::diagnostic::Diagnostic;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    key: String,
    #[serde(default)]
    label: Option<Json>,
    #[serde(default = "default_weekend")]
    weekend: Vec<String>,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
}

fn default_weekend() -> Vec<String> {
    vec!["saturday".into(), "sunday".into()]
}

const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// Reads a calendar, with every problem in it.
pub fn parse_calendar(doc: &Json) -> Result<(String, Calendar), Vec<Diagnostic>> {
    let diag = |path: String, code: &'static str, message: String| Diagnostic::new(path, code, message);
    let raw: RawCalendar =
        serde_json::from_value(doc.clone()).map_err(|e| vec![diag(String::new(), "shape", e.to_string())])?;
    let _ = raw.label;
    let mut diags = Vec::new();
    let mut weekend = [false; 7];
    for (i, name) in raw.weekend.iter().enumerate() {
        match WEEKDAYS.iter().position(|d| d == name) {
            Some(day) => weekend[day] = true,
            None => diags.push(diag(
                format!("/weekend/{i}"),
                "bad_weekday",
                format!("`{name}` is not a weekday; write monday … sunday"),
            )),
        }
    }
    let mut dates = |list: &[String], field: &str| -> BTreeSet<NaiveDate> {
        let mut out = BTreeSet::new();
        for (i, text) in list.iter().enumerate() {
            match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(day) if !out.insert(day) => {
                    diags.push(diag(format!("/{field}/{i}"), "duplicate", format!("{text} is listed twice")))
                }
                Ok(_) => {}
                Err(_) => diags.push(diag(format!("/{field}/{i}"), "bad_date", format!("`{text}` is not YYYY-MM-DD"))),
            }
        }
        out
    };
    let holidays = dates(&raw.holidays, "holidays");
    let workdays = dates(&raw.workdays, "workdays");
    for (i, day) in raw.workdays.iter().enumerate() {
        if NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok_and(|d| holidays.contains(&d)) {
            diags.push(diag(format!("/workdays/{i}"), "conflict", format!("{day} is both a holiday and a workday")));
        }
    }
    if diags.is_empty() { Ok((raw.key, Calendar { weekend, holidays, workdays })) } else { Err(diags) }
}
