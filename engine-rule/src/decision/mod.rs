//! Decision tables: rows of conditions on input values, and the outputs of the rows that
//! match, chosen by a hit policy. Every evaluation explains itself: the input values read
//! and the rows that matched.
//!
//! ```json
//! { "key": "customer_tier", "hit_policy": "first",
//!   "inputs":  [{ "key": "aum", "expression": "aum" }],
//!   "outputs": [{ "key": "tier" }],
//!   "rules": [ { "id": "hnw", "when": ["> 5000000"], "then": ["'hnw'"] },
//!              { "id": "affluent", "when": ["[1000000..5000000]"], "then": ["'affluent'"] } ] }
//! ```
//! A condition cell is `-` (anything), a comparison (`> 5000000`, `!= 'x'`), a range
//! (`[a..b]`, `(a..b)`, `[a..b)`), or a list of values (`'hnw', 'affluent'`). An output
//! cell is an expression.

mod cell;
mod parse;
mod table;

pub use parse::parse_table;
pub use table::{DecisionResult, DecisionTable, HitPolicy};
