//! Exact arithmetic in SQL. On SQLite a decimal is an integer with a scale known here, so
//! `+` aligns scales, `*` adds them, and division and rounding are integer formulas that
//! round exactly as the evaluator does (half away from zero, or half to even). On
//! PostgreSQL the same formulas run on NUMERIC, which never rounds on `+ - *`.

use engine_rule::{BinaryOp, DIVISION_PLACES, ExprError, Span};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr as Sql, Value as DbValue};

use super::{Compiled, Compiler, Repr, not_in_database};

/// Digits an i64 always holds: a bound above this may overflow.
const SAFE_DIGITS: u32 = 18;
/// rust_decimal keeps at most 28 places; the database must not compute more.
const MAX_SCALE: u32 = 28;

/// The number of decimal digits of `m` (at least 1).
pub(crate) fn digits(m: i128) -> u32 {
    m.unsigned_abs().checked_ilog10().map_or(1, |d| d + 1)
}

fn scale_of(c: &Compiled) -> u32 {
    if let Repr::Dec(s) = c.repr { s } else { 0 }
}

/// An integer constant bound as a parameter.
fn constant(value: i64) -> Compiled {
    Compiled { expr: Sql::val(value), repr: Repr::Int, digits: digits(i128::from(value)), unsettled: false, weight: 1 }
}

/// `c` times 10^k on SQLite (k at most 18 at a time). A bound whole number is scaled here,
/// so the query keeps a plain parameter the planner can compare with its statistics
/// (`f_aum >= 99000000000`, not `f_aum >= 990000000 * 100`).
fn times_pow10(compiler: &Compiler, mut c: Compiled, mut k: u32) -> Compiled {
    if let Sql::Value(DbValue::BigInt(Some(n))) = &c.expr
        && let Some(scaled) = 10i64.checked_pow(k).and_then(|p| n.checked_mul(p))
    {
        return Compiled { expr: Sql::val(scaled), digits: digits(i128::from(scaled)), ..c };
    }
    while k > 0 {
        let step = k.min(SAFE_DIGITS);
        let digits = c.digits + step;
        let mut next = compiler.derive("({} * {})", &[&c, &constant(10i64.pow(step))], c.repr, digits);
        next.unsettled |= digits > SAFE_DIGITS;
        c = next;
        k -= step;
    }
    c
}

/// `c` as a decimal of `scale` places (not fewer than it has).
pub(crate) fn rescale(compiler: &Compiler, c: Compiled, scale: u32) -> Compiled {
    let from = scale_of(&c);
    let mut c = if compiler.pg() || scale <= from { c } else { times_pow10(compiler, c, scale - from) };
    c.repr = Repr::Dec(scale.max(from));
    c
}

pub(crate) fn negate(compiler: &Compiler, c: Compiled) -> Compiled {
    let mut negated = compiler.derive("(-{})", &[&c], c.repr, c.digits);
    // The negation of the smallest 64-bit integer does not fit.
    negated.unsettled |= c.digits > SAFE_DIGITS;
    negated
}

pub(crate) fn arithmetic(
    compiler: &Compiler,
    op: BinaryOp,
    l: Compiled,
    r: Compiled,
    span: Span,
) -> Result<Compiled, ExprError> {
    if l.repr == Repr::Null || r.repr == Repr::Null {
        let repr = if l.repr == Repr::Null { r.repr } else { l.repr };
        return Ok(compiler.null_of(if repr == Repr::Null { Repr::Int } else { repr }));
    }
    // Terms are brought to one scale; factors keep theirs, and the product's is their sum.
    let [l, r]: [Compiled; 2] =
        if op == BinaryOp::Mul { [l, r] } else { compiler.unify(vec![l, r]).try_into().expect("two sides") };
    let (template, digits, repr) = match op {
        BinaryOp::Add => ("({} + {})", l.digits.max(r.digits) + 1, l.repr),
        BinaryOp::Sub => ("({} - {})", l.digits.max(r.digits) + 1, l.repr),
        _ => {
            let repr = match (l.repr, r.repr) {
                (Repr::Dec(a), Repr::Dec(b)) => Repr::Dec(a + b),
                (Repr::Dec(a), _) | (_, Repr::Dec(a)) => Repr::Dec(a),
                (repr, _) => repr,
            };
            if matches!(repr, Repr::Dec(s) if s > MAX_SCALE) {
                return Err(not_in_database(span, "the product has more than 28 decimal places"));
            }
            ("({} * {})", l.digits + r.digits, repr)
        }
    };
    let mut result = compiler.derive(template, &[&l, &r], repr, digits);
    result.unsettled |= digits > SAFE_DIGITS;
    Ok(result)
}

/// `l / r`: the quotient rounded half away from zero to 10 places, null for a zero divisor.
/// For integers p and q, trunc((2p + sign(p)·|q|) / 2q) is p/q rounded half away from zero.
pub(crate) fn divide(compiler: &Compiler, l: Compiled, r: Compiled) -> Compiled {
    let result = Repr::Dec(DIVISION_PLACES);
    if l.repr == Repr::Null || r.repr == Repr::Null {
        return compiler.null_of(result);
    }
    if compiler.pg() {
        let p = compiler.derive("(CAST({} AS numeric) * 10000000000)", &[&l], result, 0);
        return compiler.derive(
            "(div(2 * {} + sign({}) * abs({}), 2 * NULLIF({}, 0)) * 0.0000000001)",
            &[&p, &p, &r, &r],
            result,
            0,
        );
    }
    let (l, r) = (compiler.settle(l), compiler.settle(r));
    let divisor = r.clone();
    // l / r = L/10^sl ÷ R/10^sr, and the result is N/10^10 with N = L·10^(sr+10−sl) / R.
    let shift = i64::from(scale_of(&r)) + i64::from(DIVISION_PLACES) - i64::from(scale_of(&l));
    let (p, q) = if shift >= 0 {
        (times_pow10(compiler, l, shift as u32), r)
    } else {
        (l, times_pow10(compiler, r, (-shift) as u32))
    };
    // A dividend scaled past 64 bits stops the query as an overflow, even where the
    // divisor is zero and the quotient is null: then zero is tested first.
    let may_overflow = p.unsettled;
    let (p, q) = (compiler.settle(p), compiler.settle(q));
    let mut quotient = compiler.derive(
        "((2 * {} + sign({}) * abs({})) / (2 * NULLIF({}, 0)))",
        &[&p, &p, &q, &q],
        result,
        p.digits + 1,
    );
    quotient.unsettled |= p.digits + 1 > SAFE_DIGITS || q.digits + 1 > SAFE_DIGITS;
    if !may_overflow {
        return quotient;
    }
    // SQLite evaluates only the branch taken.
    let digits = quotient.digits;
    let mut guarded =
        compiler.derive("(CASE WHEN {} = 0 THEN NULL ELSE {} END)", &[&divisor, &quotient], result, digits);
    guarded.unsettled = quotient.unsettled;
    guarded
}

/// `round(x, places)` (half away from zero) or `round_bankers(x, places)` (half to even).
pub(crate) fn round(
    compiler: &Compiler,
    x: Compiled,
    places: u32,
    bankers: bool,
    span: Span,
) -> Result<Compiled, ExprError> {
    if x.repr == Repr::Null {
        return Ok(compiler.null_of(Repr::Dec(places)));
    }
    let from = scale_of(&x);
    if places >= from && !compiler.pg() {
        return Ok(Compiled { repr: Repr::Dec(from), ..x });
    }
    if compiler.pg() {
        return Ok(round_numeric(compiler, x, places, bankers));
    }
    let k = from - places;
    if k > SAFE_DIGITS {
        return Err(not_in_database(span, "rounding away more than 18 places cannot run on SQLite"));
    }
    let x = compiler.settle(x);
    let pow = constant(10i64.pow(k));
    let digits = x.digits.saturating_sub(k) + 1;
    let repr = Repr::Dec(places);
    Ok(if bankers {
        let half = constant(5 * 10i64.pow(k - 1));
        compiler.derive(
            "({} / {} + CASE WHEN abs({} % {}) > {} OR (abs({} % {}) = {} AND ({} / {}) % 2 <> 0) \
             THEN sign({}) ELSE 0 END)",
            &[&x, &pow, &x, &pow, &half, &x, &pow, &half, &x, &pow, &x],
            repr,
            digits,
        )
    } else {
        let mut rounded = compiler.derive("((2 * {} + sign({}) * {}) / (2 * {}))", &[&x, &x, &pow, &pow], repr, digits);
        rounded.unsettled |= x.digits + 1 > SAFE_DIGITS;
        rounded
    })
}

fn round_numeric(compiler: &Compiler, x: Compiled, places: u32, bankers: bool) -> Compiled {
    let repr = Repr::Dec(places);
    let decimal =
        |d: Decimal| Compiled { expr: Sql::val(d), repr: Repr::Dec(d.scale()), digits: 0, unsettled: false, weight: 1 };
    if !bankers {
        let places = Compiled { expr: Sql::val(places as i32), ..constant(0) };
        return compiler.derive("round({}, {})", &[&x, &places], repr, 0);
    }
    let y = compiler.derive(
        "(CAST({} AS numeric) * {})",
        &[&x, &decimal(Decimal::from_i128_with_scale(10i128.pow(places), 0))],
        repr,
        0,
    );
    let unit = decimal(Decimal::new(1, places));
    compiler.derive(
        "((CASE WHEN abs({} - trunc({})) > 0.5 OR (abs({} - trunc({})) = 0.5 AND mod(trunc({}), 2) <> 0) \
         THEN trunc({}) + sign({}) ELSE trunc({}) END) * {})",
        &[&y, &y, &y, &y, &y, &y, &y, &y, &unit],
        repr,
        0,
    )
}
