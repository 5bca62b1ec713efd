//! engine-report's tests: money summed exactly (beyond 2^53, refused near the limits,
//! never wrapped), dates bucketed in their zone, measures, top-N with "others", pivots
//! with totals, drill-down filters, and definitions checked with every problem at its path.

mod folded;
mod reports;
