//! engine-app's tests: the bank CRM's metadata checked whole, and data-driven cases of
//! mistakes in every kind it checks (`tests/data`).

mod cases;
mod diff;
mod rename;
mod reports;
mod uses;
