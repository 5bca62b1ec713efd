//! engine-rule tests: the expression language from data files, and random input.

mod calendars;
mod cases;
mod decision;
mod random;
mod rules;
mod support;
mod tokens;
mod zones;
