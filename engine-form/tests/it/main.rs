//! engine-form tests: data-driven bundle and record cases, and migration plans.

mod cases;
mod draft;
mod formula;
mod migrate;
mod random;
mod reads;
