//! The function library in SQL. Each function computes what the evaluator's does, for both
//! backends; functions whose value depends only on constants (`today_in`, `date`) never get
//! here, they are computed before (see `Compiler::expr`).

use chrono::{Datelike, NaiveDate};
use engine_rule::{Expr, ExprError, Span, TRIM_SET, Value};
use sea_orm::sea_query::Expr as Sql;

use super::{Compiled, Compiler, NoFields, Repr, not_in_database, numeric};

/// A text parameter (a fixed character set, a month-day).
fn text(value: &str) -> Compiled {
    Compiled { expr: Sql::val(value), repr: Repr::Text, digits: 0, unsettled: false, weight: 1 }
}

/// The value of an argument that must be known before the query runs (rounding places, a
/// zone), or `None` if it reads a field.
fn known(compiler: &Compiler, arg: &Expr) -> Result<Option<Value>, ExprError> {
    if super::has_field(arg) { Ok(None) } else { engine_rule::evaluate(arg, &NoFields, compiler.ctx).map(Some) }
}

pub(crate) fn call(compiler: &mut Compiler, name: &str, args: &[Expr], span: Span) -> Result<Compiled, ExprError> {
    match name {
        "round" | "round_bankers" => return round(compiler, name == "round_bankers", args, span),
        "birthday_today" => return birthday_today(compiler, args, span),
        "is_business_day" | "add_business_days" | "business_days_between" => {
            return Err(not_in_database(
                span,
                format!(
                    "`{name}` of a field cannot run in the database; compute the date first, e.g. add_business_days(today_in('Asia/Shanghai'), 5, 'cn_bank')"
                ),
            ));
        }
        _ => {}
    }
    let values: Vec<Compiled> = args.iter().map(|a| compiler.expr(a)).collect::<Result<_, _>>()?;
    let pg = compiler.pg();
    let c = &*compiler;
    Ok(match name {
        "if" => {
            let mut values = values.into_iter();
            let condition = c.settle(values.next().expect("checked: 3 arguments"));
            let branches = c.unify(values.collect());
            let digits = branches.iter().map(|b| b.digits).max().unwrap_or(0);
            c.derive(
                "(CASE WHEN {} THEN {} ELSE {} END)",
                &[&condition, &branches[0], &branches[1]],
                branches[0].repr,
                digits,
            )
        }
        "coalesce" => coalesce(c, c.unify(values)),
        "min" | "max" => least_or_greatest(c, name == "max", c.unify(values)),
        "is_empty" => {
            let x = c.settle(values.into_iter().next().expect("checked: 1 argument"));
            match x.repr {
                Repr::Null => c.derive("TRUE", &[], Repr::Bool, 1),
                Repr::Text if pg => {
                    c.derive("({} IS NULL OR btrim({}, {}) = '')", &[&x, &x, &text(TRIM_SET)], Repr::Bool, 1)
                }
                Repr::Text => c.derive("({} IS NULL OR trim({}, {}) = '')", &[&x, &x, &text(TRIM_SET)], Repr::Bool, 1),
                Repr::Choices => c.derive("({} IS NULL OR {} = '[]')", &[&x, &x], Repr::Bool, 1),
                _ => c.derive("({} IS NULL)", &[&x], Repr::Bool, 1),
            }
        }
        "abs" => {
            let x = &values[0];
            c.derive("abs({})", &[x], x.repr, x.digits)
        }
        _ => {
            // The rest take settled arguments and never overflow.
            let v: Vec<Compiled> = values.into_iter().map(|v| c.settle(v)).collect();
            if name == "add_days" && v[0].repr == Repr::DateTime {
                return Err(not_in_database(
                    span,
                    "an instant moves by days only outside the database, e.g. add_days(now(), -30)",
                ));
            }
            if v.iter().any(|v| v.repr == Repr::Null) {
                return Ok(c.null_of(result_repr(name)));
            }
            fixed(c, name, &v, span)?
        }
    })
}

/// The representation of a fixed-type function's result.
fn result_repr(name: &str) -> Repr {
    match name {
        "len" | "days_between" | "year" | "month" | "day" => Repr::Int,
        "upper" | "lower" | "trim" => Repr::Text,
        "contains" | "starts_with" => Repr::Bool,
        _ => Repr::Date,
    }
}

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn fixed(c: &Compiler, name: &str, v: &[Compiled], span: Span) -> Result<Compiled, ExprError> {
    let pg = c.pg();
    let repr = result_repr(name);
    let int = |template| c.derive(template, &[&v[0]], Repr::Int, 10);
    Ok(match (name, pg) {
        ("len", false) => int("length({})"),
        ("len", true) => int("CAST(char_length({}) AS bigint)"),
        // ASCII letters only, as the evaluator: SQLite's upper() does just that.
        ("upper", false) => c.derive("upper({})", &[&v[0]], repr, 0),
        ("lower", false) => c.derive("lower({})", &[&v[0]], repr, 0),
        ("upper", true) => c.derive("translate({}, {}, {})", &[&v[0], &text(LOWER), &text(UPPER)], repr, 0),
        ("lower", true) => c.derive("translate({}, {}, {})", &[&v[0], &text(UPPER), &text(LOWER)], repr, 0),
        ("trim", false) => c.derive("trim({}, {})", &[&v[0], &text(TRIM_SET)], repr, 0),
        ("trim", true) => c.derive("btrim({}, {})", &[&v[0], &text(TRIM_SET)], repr, 0),
        ("contains", false) => c.derive("(instr({}, {}) > 0)", &[&v[0], &v[1]], repr, 1),
        ("contains", true) => c.derive("(strpos({}, {}) > 0)", &[&v[0], &v[1]], repr, 1),
        ("starts_with", _) => c.derive("(substr({}, 1, length({})) = {})", &[&v[0], &v[1], &v[1]], repr, 1),
        ("days_between", false) => c.derive("CAST(julianday({}) - julianday({}) AS INTEGER)", &[&v[1], &v[0]], repr, 7),
        ("days_between", true) => c.derive("CAST({} - {} AS bigint)", &[&v[1], &v[0]], repr, 7),
        // Dates past the years 0001 to 9999 are null, as in the evaluator: SQLite would give
        // negative years and PostgreSQL the year 10000. A count of days (3,652,059) or months
        // (119,987) that could not land in them is null before it is added, where
        // PostgreSQL's integers would overflow; the date is written twice, and so are its
        // arguments.
        ("add_days", false) => c.derive(
            "CASE WHEN abs({}) <= 3652059 THEN (CASE WHEN date({}, {} || ' days') \
             BETWEEN '0001-01-01' AND '9999-12-31' THEN date({}, {} || ' days') \
             END) END",
            &[&v[1], &v[0], &v[1], &v[0], &v[1]],
            repr,
            0,
        ),
        ("add_days", true) => c.derive(
            "CASE WHEN abs({}) <= 3652059 THEN (CASE WHEN ({} + CAST({} AS \
             integer)) BETWEEN DATE '0001-01-01' AND DATE '9999-12-31' THEN ({} + \
             CAST({} AS integer)) END) END",
            &[&v[1], &v[0], &v[1], &v[0], &v[1]],
            repr,
            0,
        ),
        // Month ends clamp: the first of the target month, plus the original day less one,
        // but no further than that month's last day.
        ("add_months", false) => c.derive(
            "CASE WHEN abs({}) <= 119987 THEN (CASE WHEN date(date({}, 'start of \
             month', {} || ' months'), (min(CAST(substr({}, 9, 2) AS INTEGER), \
             CAST(strftime('%d', date({}, 'start of month', {} || ' months'), '+1 \
             month', '-1 day') AS INTEGER)) - 1) || ' days') BETWEEN '0001-01-01' \
             AND '9999-12-31' THEN date(date({}, 'start of month', {} || ' \
             months'), (min(CAST(substr({}, 9, 2) AS INTEGER), CAST(strftime('%d', \
             date({}, 'start of month', {} || ' months'), '+1 month', '-1 day') AS \
             INTEGER)) - 1) || ' days') END) END",
            &[&v[1], &v[0], &v[1], &v[0], &v[0], &v[1], &v[0], &v[1], &v[0], &v[0], &v[1]],
            repr,
            0,
        ),
        ("add_months", true) => c.derive(
            "CASE WHEN abs({}) <= 119987 THEN (CASE WHEN CAST({} + \
             make_interval(months => CAST({} AS integer)) AS date) BETWEEN DATE \
             '0001-01-01' AND DATE '9999-12-31' THEN CAST({} + make_interval(months \
             => CAST({} AS integer)) AS date) END) END",
            &[&v[1], &v[0], &v[1], &v[0], &v[1]],
            repr,
            0,
        ),
        ("year", false) => int("CAST(substr({}, 1, 4) AS INTEGER)"),
        ("month", false) => int("CAST(substr({}, 6, 2) AS INTEGER)"),
        ("day", false) => int("CAST(substr({}, 9, 2) AS INTEGER)"),
        ("year", true) => int("CAST(EXTRACT(YEAR FROM {}) AS bigint)"),
        ("month", true) => int("CAST(EXTRACT(MONTH FROM {}) AS bigint)"),
        ("day", true) => int("CAST(EXTRACT(DAY FROM {}) AS bigint)"),
        _ => return Err(not_in_database(span, format!("`{name}` of a field cannot run in the database"))),
    })
}

/// `COALESCE(a, b, …)`, nested pairwise; with one argument, the argument.
fn coalesce(c: &Compiler, values: Vec<Compiled>) -> Compiled {
    let mut values = values.into_iter();
    let first = values.next().expect("checked: at least 1 argument");
    values.fold(first, |acc, v| {
        let digits = acc.digits.max(v.digits);
        c.derive("COALESCE({}, {})", &[&acc, &v], acc.repr, digits)
    })
}

/// The least (greatest) non-null argument. PostgreSQL's LEAST skips nulls; SQLite's
/// multi-argument min() returns null if any argument is null, so each argument is
/// replaced by the first non-null one when it is null. Text orders by code point.
fn least_or_greatest(c: &Compiler, greatest: bool, values: Vec<Compiled>) -> Compiled {
    let values: Vec<Compiled> = values.into_iter().map(|v| c.settle(v)).collect();
    if values.len() == 1 {
        return values.into_iter().next().expect("one value");
    }
    let repr = values[0].repr;
    let digits = values.iter().map(|v| v.digits).max().unwrap_or(0);
    let pair = |a: &Compiled, b: &Compiled| -> Compiled {
        let template = match (c.pg(), greatest, repr == Repr::Text) {
            (true, false, false) => "LEAST({}, {})",
            (true, true, false) => "GREATEST({}, {})",
            (true, false, true) => "LEAST({} COLLATE \"C\", {})",
            (true, true, true) => "GREATEST({} COLLATE \"C\", {})",
            (false, false, _) => "min(COALESCE({}, {}), COALESCE({}, {}))",
            (false, true, _) => "max(COALESCE({}, {}), COALESCE({}, {}))",
        };
        if c.pg() { c.derive(template, &[a, b], repr, digits) } else { c.derive(template, &[a, b, b, a], repr, digits) }
    };
    let mut values = values.into_iter();
    let first = values.next().expect("two values or more");
    values.fold(first, |acc, v| pair(&acc, &v))
}

fn round(compiler: &mut Compiler, bankers: bool, args: &[Expr], span: Span) -> Result<Compiled, ExprError> {
    let places = match args.get(1) {
        None => Some(Value::Integer(0)),
        Some(arg) => known(compiler, arg)?,
    };
    let places = match places {
        Some(Value::Integer(p)) if (0..=10).contains(&p) => p as u32,
        // The evaluator gives null for places outside 0..=10 (or null).
        Some(_) => return Ok(compiler.null_of(Repr::Dec(0))),
        None => return Err(not_in_database(span, "the number of places must not depend on a field here")),
    };
    let x = compiler.expr(&args[0])?;
    numeric::round(compiler, x, places, bankers, span)
}

/// `birthday_today(date, zone)` with a zone known in advance: today's month and day in
/// that zone are computed here; a 29 February birthday also matches 28 February in a
/// year without one.
fn birthday_today(compiler: &mut Compiler, args: &[Expr], span: Span) -> Result<Compiled, ExprError> {
    let zone = match known(compiler, &args[1])? {
        Some(Value::Text(name)) => engine_rule::zone(&name),
        Some(_) => None,
        None => return Err(not_in_database(span, "the zone must be written out here, e.g. 'Asia/Shanghai'")),
    };
    let Some(zone) = zone else { return Ok(compiler.null_of(Repr::Bool)) };
    let today = compiler.ctx.now.with_timezone(&zone).date_naive();
    let date = compiler.expr(&args[0])?;
    if date.repr == Repr::Null {
        return Ok(compiler.null_of(Repr::Bool));
    }
    let month_day = compiler.derive(
        if compiler.pg() { "to_char({}, 'MM-DD')" } else { "substr({}, 6, 5)" },
        &[&date],
        Repr::Text,
        0,
    );
    let today_md = text(&today.format("%m-%d").to_string());
    let leap = NaiveDate::from_ymd_opt(today.year(), 2, 29).is_some();
    Ok(if (today.month(), today.day()) == (2, 28) && !leap {
        compiler.derive("({} IN ({}, '02-29'))", &[&month_day, &today_md], Repr::Bool, 1)
    } else {
        compiler.derive("({} = {})", &[&month_day, &today_md], Repr::Bool, 1)
    })
}
