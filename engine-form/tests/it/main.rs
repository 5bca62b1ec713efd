//! engine-form tests: data-driven bundle and record cases, and migration plans.

mod cases;
mod migrate;
mod random;
