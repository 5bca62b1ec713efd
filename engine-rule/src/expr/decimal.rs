//! Exact division. `a / b` is the quotient rounded half away from zero to
//! [`DIVISION_PLACES`] decimal places, computed by long division on the mantissas, so it is
//! exact (never rounded twice) and the database can compute the very same value with
//! integer arithmetic.

use rust_decimal::Decimal;

/// Decimal places of a quotient: enough for rates and ratios (`0.0325 / 365`), few enough
/// that the result of dividing two amounts of money keeps its integer digits.
pub const DIVISION_PLACES: u32 = 10;

/// The largest mantissa rust_decimal holds (96 bits).
const MAX_MANTISSA: u128 = (1u128 << 96) - 1;

/// `a / b` rounded half away from zero to `DIVISION_PLACES` places; `None` when `b` is zero
/// or the quotient has more than 28 significant digits.
pub fn divide(a: Decimal, b: Decimal) -> Option<Decimal> {
    if b.is_zero() {
        return None;
    }
    let (num, den) = (a.mantissa().unsigned_abs(), b.mantissa().unsigned_abs());
    // a / b = A / 10^sa ÷ B / 10^sb, and the result is N / 10^P with
    // N = round(A · 10^(sb + P − sa) / B).
    let shift = i64::from(b.scale()) + i64::from(DIVISION_PLACES) - i64::from(a.scale());
    let magnitude = if shift >= 0 {
        long_division(num, den, shift as u32)?
    } else {
        match 10u128.checked_pow((-shift) as u32).and_then(|p| den.checked_mul(p)) {
            Some(den) => rounded(num / den, num % den, den)?,
            // The divisor is beyond 2^128 while the dividend is below 2^96: rounds to zero.
            None => 0,
        }
    };
    if magnitude > MAX_MANTISSA {
        return None;
    }
    let negative = a.is_sign_negative() != b.is_sign_negative() && magnitude != 0;
    let signed = if negative { -(magnitude as i128) } else { magnitude as i128 };
    Decimal::try_from_i128_with_scale(signed, DIVISION_PLACES).ok().map(|d| d.normalize())
}

/// `num · 10^digits / den`, rounded half away from zero: in one step when `num · 10^digits`
/// fits 128 bits (nearly always), else one decimal digit at a time so no intermediate value
/// exceeds `10 · den` (below 2^100).
fn long_division(num: u128, den: u128, digits: u32) -> Option<u128> {
    if let Some(scaled) = 10u128.checked_pow(digits).and_then(|p| num.checked_mul(p)) {
        return rounded(scaled / den, scaled % den, den);
    }
    let (mut quotient, mut rest) = (num / den, num % den);
    for _ in 0..digits {
        rest *= 10;
        quotient = quotient.checked_mul(10)?.checked_add(rest / den)?;
        rest %= den;
        if quotient > MAX_MANTISSA {
            return None;
        }
    }
    rounded(quotient, rest, den)
}

fn rounded(quotient: u128, rest: u128, den: u128) -> Option<u128> {
    if rest.checked_mul(2)? >= den { quotient.checked_add(1) } else { Some(quotient) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("a decimal")
    }

    #[test]
    fn quotients_are_rounded_half_away_from_zero_at_ten_places() {
        assert_eq!(divide(d("1"), d("3")), Some(d("0.3333333333")));
        assert_eq!(divide(d("2"), d("3")), Some(d("0.6666666667")));
        assert_eq!(divide(d("-2"), d("3")), Some(d("-0.6666666667")));
        assert_eq!(divide(d("2"), d("-3")), Some(d("-0.6666666667")));
        assert_eq!(divide(d("0.00000000005"), d("1")), Some(d("0.0000000001")));
        assert_eq!(divide(d("-0.00000000005"), d("1")), Some(d("-0.0000000001")));
        assert_eq!(divide(d("0.00000000004"), d("1")), Some(d("0")));
        assert_eq!(divide(d("0.0325"), d("365")), Some(d("0.0000890411")));
        assert_eq!(divide(d("7"), d("2")), Some(d("3.5")));
        assert_eq!(divide(d("1"), d("0")), None);
    }

    #[test]
    fn large_operands_stay_exact_or_overflow() {
        let max = Decimal::MAX;
        assert_eq!(divide(max, d("1")), None, "28 integer digits leave no room for 10 places");
        assert_eq!(divide(d("123456789012345678"), d("1")), Some(d("123456789012345678")));
        assert_eq!(divide(d("1"), max), Some(d("0")));
        assert_eq!(
            divide(d("0.0000000000000000000000000001"), d("0.0000000000000000000000000003")),
            Some(d("0.3333333333"))
        );
    }
}
