//! Synthetic customers the benchmarks share: the i-th one's AUM spread over 0 to 1e9 and
//! the tier that AUM gives (the bank's thresholds).

/// The i-th customer's AUM in cents and its tier.
pub fn aum_and_tier(i: usize) -> (i64, &'static str) {
    let aum_cents = ((i as i64 * 7_919) % 1_000_000_000) * 100 + (i as i64 % 100);
    let tier = match aum_cents / 100 {
        a if a > 5_000_000 => "hnw",
        a if a >= 1_000_000 => "affluent",
        a if a > 0 => "mass",
        _ => "potential",
    };
    (aum_cents, tier)
}
